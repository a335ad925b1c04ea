import { escapeNonAscii, isObject } from '../util/json';
import { literalReplacer } from '../util/replace-all';

/** The request half of a recording, as llama-stack writes it. */
export interface StoredRequest {
  method: string;
  url: string;
  /** Allow-listed headers only: credentials never reach disk. */
  headers: Record<string, string>;
  /** Parsed JSON for JSON bodies (never a JSON string), text otherwise, null when empty. */
  body: unknown;
  endpoint: string;
  model: string;
}

/** llama-stack's serialized exception (see its `exception_utils`). */
export interface ExceptionData {
  type?: string;
  message?: string;
  status_code?: number;
  body?: unknown;
  [field: string]: unknown;
}

export interface StoredResponse {
  /** One object, or the list of chunks/lines of a stream. OpenAI objects are `__type__`-wrapped. */
  body: unknown;
  is_streaming: boolean;
  /** Present only when it is not 200. */
  status?: number;
  /** Allow-listed headers, present only when there are any worth keeping. */
  headers?: Record<string, string>;
  is_exception?: boolean;
  exception_data?: ExceptionData | null;
  exception_message?: string;
  /** With `recordTiming`: milliseconds before each stream event (the first counted from the response headers). */
  chunk_delays_ms?: number[];
}

export interface Recording {
  test_id: string | null;
  /**
   * The paths the test's own `replay.matchIgnore()` left out of its keys (present only when there are any),
   * so `verify` and `mv` key the file as the recorder did. llama-stack's loader ignores the field.
   */
  match_ignore?: string[];
  request: StoredRequest;
  response: StoredResponse;
  id_normalization_mapping: Record<string, string>;
}

/** `{"__type__": "<python type path>", "__data__": {…}}`, the wrapper llama-stack's loader reads. */
export interface TypedValue {
  __type__: string;
  __data__: unknown;
}

export const isTypedValue = (value: unknown): value is TypedValue =>
  typeof value === 'object' && value !== null && '__type__' in value && '__data__' in value;

export const unwrap = (value: unknown): unknown => (isTypedValue(value) ? value.__data__ : value);

const REQUEST_ORDER: (keyof StoredRequest)[] = ['method', 'url', 'headers', 'body', 'endpoint', 'model'];
const RESPONSE_ORDER: (keyof StoredResponse)[] = [
  'body',
  'is_streaming',
  'status',
  'headers',
  'is_exception',
  'exception_data',
  'exception_message',
  'chunk_delays_ms',
];

function ordered<T extends object>(value: T, order: (keyof T)[]): Partial<T> {
  const out: Partial<T> = {};
  for (const key of order) if (value[key] !== undefined) out[key] = value[key];
  // Fields written by other tools (llama-stack's `provider_metadata`…) are kept, after ours.
  for (const key of Object.keys(value) as (keyof T)[]) if (!(key in out) && value[key] !== undefined) out[key] = value[key];
  return out;
}

/** Stands for a stream's chunks in the file text, which are then written one by one in its place. */
const STREAM_MARKER = '\u0000jest-replay:stream-body\u0000';
const STREAM_MARKER_TEXT = JSON.stringify(STREAM_MARKER);
/** Indent of a stream chunk in the file: inside `response` (2) and its `body` list (4). */
const CHUNK_INDENT = '      ';

/**
 * A stream's chunks, made anew each time they are iterated (from the bytes received): a huge
 * stream being recorded is held once, as those bytes, never also as its parsed chunks.
 */
export class LazyChunks implements Iterable<unknown> {
  constructor(private readonly make: () => Iterator<unknown>) {}

  [Symbol.iterator](): Iterator<unknown> {
    return this.make();
  }
}

/** The items of a stream body given as a list or as `LazyChunks`; undefined for any other body. */
export const streamItems = (body: unknown): Iterable<unknown> | undefined =>
  Array.isArray(body) || body instanceof LazyChunks ? body : undefined;

const chunkText = (chunk: unknown) => `${CHUNK_INDENT}${escapeNonAscii(JSON.stringify(chunk, null, 2) ?? 'null').replace(/\n/g, `\n${CHUNK_INDENT}`)}`;

/**
 * The file text: keys in a fixed order, 2-space indent, ASCII only, final newline. The same
 * traffic always gives the same bytes, so re-recording unchanged traffic leaves git clean.
 * Given in pieces, a stream's chunks one at a time, so a huge stream is never one huge string.
 */
export function* serializedPieces(recording: Recording): Generator<string> {
  const response = ordered(recording.response, RESPONSE_ORDER);
  const items = streamItems(response.body)?.[Symbol.iterator]();
  const first = items?.next();
  const file = {
    test_id: recording.test_id,
    ...(recording.match_ignore?.length ? { match_ignore: recording.match_ignore } : {}),
    request: ordered(recording.request, REQUEST_ORDER),
    response: { ...response, body: first?.done === false ? STREAM_MARKER : items ? [] : response.body },
    id_normalization_mapping: recording.id_normalization_mapping ?? {},
  };
  const text = `${escapeNonAscii(JSON.stringify(file, null, 2))}\n`;
  if (!items || first?.done !== false) {
    yield text;
    return;
  }
  const at = text.lastIndexOf(STREAM_MARKER_TEXT);
  yield `${text.slice(0, at)}[\n`;
  // One chunk ahead, to know which is the last (no comma after it).
  for (let chunk: IteratorResult<unknown> = first; !chunk.done; ) {
    const next = items.next();
    yield `${chunkText(chunk.value)}${next.done ? '' : ','}\n`;
    chunk = next;
  }
  yield `    ]${text.slice(at + STREAM_MARKER_TEXT.length)}`;
}

export const serializeRecording = (recording: Recording): string => [...serializedPieces(recording)].join('');

/** `value` with `replace` applied to every string in it (object keys stay as they are). */
function mapStrings(value: unknown, replace: (text: string) => string): unknown {
  if (typeof value === 'string') return replace(value);
  if (Array.isArray(value)) return value.map((item) => mapStrings(item, replace));
  if (!isObject(value)) return value;
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, mapStrings(item, replace)]));
}

/**
 * What `id_normalization_mapping` does to a value, as llama-stack's loader applies it: every original id replaced by its
 * normalized form. Inside strings, where ids are, so no id (a quote, a letter of an escape) can break the recording's
 * structure; all ids in one pass over each string (see `literalReplacer`), whatever their number. Undefined when the
 * mapping is empty.
 */
export function idNormalizer(mapping: Record<string, string> | undefined): ((value: unknown) => unknown) | undefined {
  const entries = Object.entries(mapping ?? {});
  if (entries.length === 0) return undefined;
  // An id listed twice keeps its first normalized form, as replacing entry by entry did.
  const replace = literalReplacer(new Map(entries.reverse().map(([normalized, original]) => [original, normalized])));
  return (value) => mapStrings(value, replace);
}

/** Applies `id_normalization_mapping` before the recording is used, as llama-stack's loader does (see `idNormalizer`). */
export function applyIdNormalization(recording: Recording): Recording {
  const normalize = idNormalizer(recording.id_normalization_mapping);
  if (!normalize) return recording;
  return { ...(normalize({ ...recording, id_normalization_mapping: {} }) as Recording), id_normalization_mapping: {} };
}
