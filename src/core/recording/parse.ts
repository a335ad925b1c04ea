import { RecordingFileError } from '../errors';
import { isObject } from '../util/json';
import type { Recording, StoredResponse } from './format';

/** Reading a recording's text: JSON parsed, then checked for the shape replay needs; every problem names the file. */

const CLASS_PATH = /^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*\.[A-Z]\w*$/;
/** `ResponseTextDeltaEvent` → `response_text_delta_event`: the module an openai class lives in. */
export const snakeCase = (name: string) => name.replace(/(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])/g, '_').toLowerCase();

/**
 * Why a `__type__` names no class llama-stack's loader can import, if it does not: it must be a
 * `module.Class` path, and openai's classes live in a module named after them
 * (`openai.types.chat.chat_completion.ChatCompletion`), which catches hand-edited names.
 */
function typeProblem(type: unknown): string | undefined {
  if (typeof type === 'string' && checkedTypes.has(type)) return checkedTypes.get(type);
  const problem = classPathProblem(type);
  if (typeof type === 'string') checkedTypes.set(type, problem);
  return problem;
}

/** `typeProblem` by type: a stream repeats one type in every chunk. */
const checkedTypes = new Map<string, string | undefined>();

function classPathProblem(type: unknown): string | undefined {
  if (typeof type !== 'string' || !CLASS_PATH.test(type)) return 'it is not a Python class path (package.module.Class)';
  const [module, cls] = type.split('.').slice(-2);
  if (type.startsWith('openai.types.') && module !== snakeCase(cls)) {
    return `the openai package has no such class (its classes live in a module named after them: ${snakeCase(cls)}.${cls})`;
  }
  return undefined;
}

/** Checks a `{__type__, __data__}` wrapper of a stored body: the body itself, or the chunk `index` of a stream. */
export function checkTypedValue(item: unknown, index: number | undefined, file: string): void {
  if (!isObject(item) || !('__type__' in item)) return;
  const where = index === undefined ? 'response.body' : `response.body[${index}]`;
  const problem = typeProblem(item.__type__);
  if (problem) throw new RecordingFileError(file, `unknown "__type__" ${JSON.stringify(item.__type__)} at ${where}: ${problem}`);
  if (!('__data__' in item)) throw new RecordingFileError(file, `${where} has a "__type__" but no "__data__"`);
}

/** Parses and checks a recording; every problem names the file. */
export function parseRecording(text: string, file: string): Recording {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw invalidJson(file, error);
  }
  const recording = checkedRecording(data, file);
  const { body } = recording.response;
  if (Array.isArray(body)) body.forEach((item, index) => checkTypedValue(item, index, file));
  else checkTypedValue(body, undefined, file);
  return recording;
}

export const invalidJson = (file: string, error: unknown) =>
  new RecordingFileError(file, `invalid JSON (${(error as Error).message}); the file may be truncated or hand-edited`);

/** A parsed recording file checked for the shape replay needs, except the `__type__` of its body (see `checkTypedValue`). */
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
