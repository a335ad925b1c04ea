import { RecordingFileError } from '../errors';
import { ignorePathProblem } from '../keying/match-ignore';
import { isObject } from '../util/json';
import type { Recording, StoredResponse } from './format';
import { checkTypedValues } from './typed-values';

/** Reading a recording's text: JSON parsed, then checked for the shape replay needs; every problem names the file. */

/** Parses and checks a recording; every problem names the file. */
export function parseRecording(text: string, file: string): Recording {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw invalidJson(file, error);
  }
  const recording = checkedRecording(data, file);
  checkTypedValues(recording.response.body, file);
  return recording;
}

export const invalidJson = (file: string, error: unknown) =>
  new RecordingFileError(file, `invalid JSON (${(error as Error).message}); the file may be truncated or hand-edited`);

/** A parsed recording file checked for the shape replay needs, but for the `__type__` of its body (see typed-values.ts). */
export function checkedRecording(data: unknown, file: string): Recording {
  if (!isObject(data)) throw new RecordingFileError(file, 'expected a JSON object at the top level');
  const { request, response } = data;
  if (!isObject(request)) throw new RecordingFileError(file, 'missing "request" object');
  if (!isObject(response)) throw new RecordingFileError(file, 'missing "response" object');
  if (typeof request.url !== 'string') throw new RecordingFileError(file, '"request.url" must be a string');
  if (typeof request.endpoint !== 'string' && !URL.canParse(request.url)) {
    throw new RecordingFileError(file, `"request.url" must be an absolute URL (or "request.endpoint" given), got ${JSON.stringify(request.url)}`);
  }
  if (request.method !== undefined && typeof request.method !== 'string') {
    throw new RecordingFileError(file, '"request.method" must be a string');
  }
  if (!('body' in response)) throw new RecordingFileError(file, 'missing "response.body"');
  if (response.is_streaming !== undefined && typeof response.is_streaming !== 'boolean') {
    throw new RecordingFileError(file, '"response.is_streaming" must be true or false');
  }
  if (response.status !== undefined && !Number.isInteger(response.status)) {
    throw new RecordingFileError(file, '"response.status" must be an integer HTTP status');
  }
  if (response.is_streaming && !response.is_exception && !Array.isArray(response.body)) {
    throw new RecordingFileError(file, 'a streaming response must have a list of chunks as "response.body"');
  }
  if (response.headers !== undefined && !(isObject(response.headers) && Object.values(response.headers).every((v) => typeof v === 'string'))) {
    throw new RecordingFileError(file, '"response.headers" must be an object of strings');
  }
  if (response.exception_data !== undefined && response.exception_data !== null && !isObject(response.exception_data)) {
    throw new RecordingFileError(file, '"response.exception_data" must be an object or null');
  }
  const testId = data.test_id;
  if (testId !== undefined && testId !== null && typeof testId !== 'string') {
    throw new RecordingFileError(file, '"test_id" must be a string or null');
  }
  const ignored = data.match_ignore;
  if (ignored !== undefined && !(Array.isArray(ignored) && ignored.every((p) => typeof p === 'string'))) {
    throw new RecordingFileError(file, '"match_ignore" must be a list of paths like "body.user"');
  }
  const ignoreProblem = (ignored as string[] | undefined)?.map(ignorePathProblem).find((problem) => problem !== undefined);
  if (ignoreProblem) throw new RecordingFileError(file, `"match_ignore": ${ignoreProblem}`);
  const mapping = data.id_normalization_mapping;
  if (mapping !== undefined && mapping !== null && !isObject(mapping)) {
    throw new RecordingFileError(file, '"id_normalization_mapping" must be an object');
  }
  // An empty id would be "found" between every two characters of the recording.
  const isBad = ([normalized, original]: [string, unknown]) => normalized === '' || typeof original !== 'string' || original === '';
  const bad = Object.entries(mapping ?? {}).find(isBad);
  if (bad) {
    const problem = '"id_normalization_mapping" must map each normalized id to the non-empty id it replaces';
    throw new RecordingFileError(file, `${problem}, got ${JSON.stringify(bad[0])}: ${JSON.stringify(bad[1])}`);
  }
  return {
    test_id: (testId as string | null | undefined) ?? null,
    ...(ignored === undefined ? {} : { match_ignore: ignored as string[] }),
    request: {
      // Fields written by other tools (llama-stack's `provider_metadata`…) are kept.
      ...(request as object),
      method: (request.method as string | undefined) ?? 'POST',
      url: request.url,
      headers: isObject(request.headers) ? (request.headers as Record<string, string>) : {},
      body: request.body ?? request.payload ?? null,
      endpoint: typeof request.endpoint === 'string' ? request.endpoint : new URL(request.url).pathname,
      model: typeof request.model === 'string' ? request.model : '',
    },
    response: { ...(response as object), is_streaming: response.is_streaming === true } as StoredResponse,
    id_normalization_mapping: (mapping as Record<string, string> | null | undefined) ?? {},
  };
}
