import { ReplayError } from '../errors';
import { isObject, parseJson } from '../util/json';
import { loadFunction } from '../util/user-module';
import { BASE64_MARKER } from './codec';
import { isTypedValue, type StoredResponse, streamItems, unwrap } from './format';
import { decodeJsonBody } from './openai-types';

/**
 * The project's `beforeRecord` hook: it gets each response before it is stored, as the client
 * read it (JSON parsed, a stream as its events), and returns it edited, for what only the project
 * knows changes on every call. Its result is stored in the same shape as before: typed objects keep
 * their type, a raw stream line the hook left alone keeps its bytes.
 */

/** A response as the hook gets and returns it. */
export interface RecordableResponse {
  status: number;
  /** The stored headers (an allow-list: see the file format). */
  headers: Record<string, string>;
  /** Not a stream: the JSON parsed, a text as text, other bytes as a Buffer, null when empty. */
  body?: unknown;
  /** A stream: its chunks or events as objects (an SSE `data:` that is not JSON as its text). */
  events?: unknown[];
}

/** The request a response answers, as stored. */
export interface RecordedRequest {
  method: string;
  url: string;
  body: unknown;
}

/** The contract of a `testEnvironmentOptions.replay.beforeRecord` module. */
export type BeforeRecordHook = (response: RecordableResponse, request: RecordedRequest) => RecordableResponse;

/** The project's hook, from its module (path or package, resolved from rootDir). */
export const loadBeforeRecord = (spec: string, rootDir: string) =>
  loadFunction<BeforeRecordHook>('beforeRecord', spec, rootDir, 'beforeRecord', 'beforeRecord(response, request)');

const DATA_LINE = /^data: ?/;

/** A stream item as an event: a typed object unwrapped, an SSE `data:` line's payload; anything else is none. */
function eventOf(item: unknown): { event: unknown } | undefined {
  if (typeof item !== 'string') return { event: unwrap(item) };
  const prefix = DATA_LINE.exec(item)?.[0];
  if (prefix === undefined) return undefined;
  const payload = item.slice(prefix.length);
  return { event: parseJson(payload)?.value ?? payload };
}

/** An event back into its item: the same type, or the same line when the hook left it alone. */
function itemOf(item: unknown, before: unknown, after: unknown): unknown {
  if (isTypedValue(item)) return { ...item, __data__: after };
  if (typeof item !== 'string' || JSON.stringify(before) === JSON.stringify(after)) return item;
  return `${DATA_LINE.exec(item)![0]}${typeof after === 'string' ? after : JSON.stringify(after)}`;
}

function bodyOf(body: unknown): unknown {
  if (isObject(body) && BASE64_MARKER in body) return Buffer.from(String(body[BASE64_MARKER]), 'base64');
  return decodeJsonBody(body);
}

/** A body back in its stored shape: a typed object (or a model list) keeps its type, bytes become base64 again. */
function storedBody(stored: unknown, body: unknown): unknown {
  if (body instanceof Uint8Array) return { [BASE64_MARKER]: Buffer.from(body).toString('base64') };
  if (isTypedValue(stored)) return { ...stored, __data__: body };
  if (Array.isArray(stored) && stored.length > 0 && stored.every(isTypedValue)) {
    if (!isObject(body) || !Array.isArray(body.data)) throw new Error('a model list must stay { object: "list", data: [...] }');
    return body.data.map((model) => ({ __type__: stored[0].__type__, __data__: model }));
  }
  return body;
}

/** What is wrong with what the hook returned for `given`, if anything. */
function problemOf(returned: unknown, given: RecordableResponse): string | undefined {
  if (!isObject(returned)) return `returned ${JSON.stringify(returned) ?? String(returned)}, not the response`;
  const { status, headers } = returned;
  const count = given.events?.length;
  if (count !== undefined && (!Array.isArray(returned.events) || returned.events.length !== count))
    return `must return the stream's ${count} events as "events", one for each`;
  if (count === undefined && returned.body === undefined) return 'returned no "body"';
  if (!Number.isInteger(status) || (status as number) < 200 || (status as number) > 599)
    return `returned status ${JSON.stringify(status)}: it must be an integer from 200 to 599`;
  if (!isObject(headers) || !Object.values(headers).every((value) => typeof value === 'string'))
    return 'returned headers that are not an object of strings';
  return undefined;
}

/**
 * The stored response after the project's hook. A transport failure (no response, or a stream cut
 * off) is stored as it is. A hook that throws or returns nonsense fails the test, naming `spec`.
 */
export function applyBeforeRecord(hook: BeforeRecordHook, spec: string, stored: StoredResponse, request: RecordedRequest): StoredResponse {
  if (stored.is_exception) return stored;
  const items = stored.is_streaming ? streamItems(stored.body) : undefined;
  const list = items ? [...items] : undefined;
  const events = list?.map(eventOf);
  const given: RecordableResponse = { status: stored.status ?? 200, headers: { ...stored.headers } };
  if (events) given.events = events.filter((found) => found !== undefined).map((found) => found.event);
  else given.body = bodyOf(stored.body);
  // The hook's own frames are worth reading when it throws; jest-replay's never are.
  const fail = (problem: string, frames = '') => {
    const message =
      `jest-replay: the beforeRecord hook ${spec} ${problem} (for ${request.method} ${request.url}). ` +
      'Nothing was written (an earlier recording there is unchanged).';
    return Object.assign(new ReplayError(message), { stack: `${message}${frames}` });
  };
  let returned: RecordableResponse;
  try {
    returned = hook(structuredClone(given), structuredClone(request));
  } catch (error) {
    const { message, stack } = error instanceof Error ? error : { message: String(error), stack: '' };
    throw fail(`threw: ${message}`, (stack ?? '').replace(/^[^\n]*/, ''));
  }
  const problem = problemOf(returned, given);
  if (problem) throw fail(problem);
  const { status, headers } = returned;
  let body: unknown;
  try {
    let next = 0;
    body = list
      ? list.map((item, i) => (events![i] === undefined ? item : itemOf(item, events![i]!.event, returned.events![next++])))
      : storedBody(stored.body, returned.body);
    JSON.stringify(body);
  } catch (error) {
    throw fail(`returned a body that cannot be stored: ${(error as Error).message}`);
  }
  const { status: _status, headers: _headers, ...rest } = stored;
  return { ...rest, body, ...(status === 200 ? {} : { status }), ...(Object.keys(headers).length > 0 ? { headers } : {}) };
}
