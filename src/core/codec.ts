import { isUtf8 } from 'node:buffer';
import { createParser } from 'eventsource-parser';
import type { ExceptionData, StoredResponse } from './format';
import { LazyChunks, unwrap } from './format';
import { isObject } from './json';
import {
  decodeJsonBody,
  encodeJsonBody,
  isDoneTerminatedChunk,
  isDoneTerminatedStream,
  isResponseEvent,
  normalizedId,
  type TypingContext,
  wrapTyped,
} from './openai-types';
import { publicLocation } from './request';

/**
 * Response codec: turns what the server sent into the stored `response` object, and a stored
 * response back into the pieces a replayed response is made of (one piece per stream event, so
 * replay is incremental), with the same framing and the same failure at the same point.
 */

/** Response headers worth keeping: what replay and the SDKs read. Everything else (cookies, dates, echoed keys) is dropped. */
const KEPT_RESPONSE_HEADERS = ['content-type', 'retry-after', 'retry-after-ms', 'x-should-retry', 'location', 'www-authenticate'];
/**
 * Request ids change on every call: kept only on errors, where SDKs surface them, and then as an id
 * made from the key (`req_rec-<key12>`, in the `req_` shape of OpenAI's and Anthropic's ids), so
 * re-recording the same error changes no byte.
 */
const ERROR_ONLY_HEADERS = ['x-request-id', 'request-id'];
const storedRequestId = (key: string) => `req_${normalizedId(key)}`;
/** Marker for a body that is not text. */
export const BASE64_MARKER = '__bytes_base64__';

/** A transport failure: the connection was reset or refused, or the client gave up waiting. */
export interface TransportFailure {
  kind: 'network' | 'timeout';
  message: string;
  code?: string;
}

/** A body as received: one buffer, or the pieces it arrived in (a huge stream is never joined). */
export type ReceivedBytes = Uint8Array | readonly Uint8Array[];

export interface CapturedResponse {
  status: number;
  headers: Headers;
  /** Everything received; for a stream that broke, what arrived before it did. */
  body: ReceivedBytes;
  failure?: TransportFailure;
}

/** Typing context plus chunk arrival times, when timing is recorded. */
export type EncodeContext = TypingContext;

const isSse = (contentType: string) => /text\/event-stream/i.test(contentType);
const isNdjson = (contentType: string) => /ndjson|jsonl|json-seq/i.test(contentType);
const isJson = (contentType: string) => /[/+]json\b/i.test(contentType);
const isText = (contentType: string) => /^text\/|xml|javascript|x-www-form-urlencoded/i.test(contentType);
const defaultContentType = (streaming: boolean) => (streaming ? 'text/event-stream' : 'application/json');

function keptHeaders(headers: Headers, status: number, streaming: boolean, key: string): Record<string, string> | undefined {
  const names = status >= 400 ? [...KEPT_RESPONSE_HEADERS, ...ERROR_ONLY_HEADERS] : KEPT_RESPONSE_HEADERS;
  const kept: Record<string, string> = {};
  for (const name of names) {
    const value = headers.get(name);
    if (value === null) continue;
    // The usual content types are implied by the body; storing them would only add noise.
    if (name === 'content-type' && value.split(';')[0].trim() === defaultContentType(streaming)) continue;
    kept[name] = name === 'location' ? publicLocation(value) : ERROR_ONLY_HEADERS.includes(name) ? storedRequestId(key) : value;
  }
  return Object.keys(kept).length > 0 ? kept : undefined;
}

/** Splits text into lines the way llama-stack stores raw streams: one entry per line, no trailing newline. */
export function toLines(text: string): string[] {
  const lines = text.split(/\r\n|\r|\n/);
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

function parseJson(text: string): { value: unknown } | undefined {
  try {
    return { value: JSON.parse(text) };
  } catch {
    return undefined;
  }
}

/** An SSE event with its data parsed when it is JSON; the data text itself is not kept. */
interface ParsedEvent {
  event?: string;
  parsed?: { value: unknown };
  done: boolean;
}

/** Bytes decoded per step. */
const DECODE_STEP = 1 << 20;

/**
 * The events of an SSE body, parsed while decoding it a megabyte at a time: a huge stream's text
 * never exists whole. `shape.plain` turns false at what only raw lines keep (comments, `id:`, `retry:`).
 */
function* sseEvents(pieces: readonly Uint8Array[], complete: boolean, shape: { plain: boolean }): Generator<ParsedEvent> {
  const parsed: ParsedEvent[] = [];
  const parser = createParser({
    onEvent: (e) => {
      if (e.id !== undefined) shape.plain = false;
      parsed.push({ event: e.event, parsed: parseJson(e.data), done: e.data === '[DONE]' });
    },
    onRetry: () => (shape.plain = false),
    onComment: () => (shape.plain = false),
  });
  const decoder = new TextDecoder();
  for (const piece of pieces) {
    for (let at = 0; at < piece.byteLength; at += DECODE_STEP) {
      parser.feed(decoder.decode(piece.subarray(at, at + DECODE_STEP), { stream: true }));
      yield* parsed.splice(0);
    }
  }
  parser.feed(decoder.decode());
  // A complete stream's last event may lack its blank line; a broken one's last event is cut off.
  if (complete) parser.feed('\n\n');
  yield* parsed.splice(0);
}

const isChunkEvent = ({ event, parsed }: ParsedEvent) => (event === undefined || event === 'message') && parsed !== undefined && isDoneTerminatedChunk(parsed.value);
const isTypedEvent = ({ event, parsed }: ParsedEvent) => parsed !== undefined && isResponseEvent(parsed.value) && (parsed.value as { type: string }).type === event;

/** The first `count` events of a typed stream, typed. */
function* typedEvents(pieces: readonly Uint8Array[], complete: boolean, count: number, context: EncodeContext): Generator<unknown> {
  let n = 0;
  for (const event of sseEvents(pieces, complete, { plain: true })) {
    if (n++ === count) return;
    yield wrapTyped(event.parsed!.value, context);
  }
}

/**
 * How an SSE body is stored:
 * - a plain OpenAI stream (data-only chunk events, then `[DONE]`) as its typed chunks;
 * - a Responses API stream (`event: <type>` + data of that type) as its typed events;
 * - anything else (Anthropic, comments, `id:`, `retry:`) as raw lines, as llama-stack stores
 *   passthrough streams, which replay byte for byte.
 * One pass decides; typed events are then made from the bytes each time they are read, so a huge
 * stream is held once, as the bytes received.
 */
function encodeSse(pieces: readonly Uint8Array[], complete: boolean, context: EncodeContext): unknown[] | LazyChunks {
  const shape = { plain: true };
  // Ids the typed events would replace; they count only if the stream is stored typed.
  const replacedIds = new Map<string, string>();
  let count = 0;
  let last: ParsedEvent | undefined;
  // Whether every event before the last is a chunk, or a typed event.
  let chunksBefore = true;
  let typedBefore = true;
  for (const event of sseEvents(pieces, complete, shape)) {
    if (last) {
      chunksBefore &&= isChunkEvent(last);
      typedBefore &&= isTypedEvent(last);
    }
    if (!shape.plain || !(chunksBefore || typedBefore)) break;
    if (event.parsed) wrapTyped(event.parsed.value, { ...context, replacedIds });
    last = event;
    count++;
  }
  if (shape.plain && last) {
    const { done } = last;
    // `[DONE]` ends chunk streams only; a broken chunk stream has none.
    const chunks = done ? count > 1 && chunksBefore : !complete && chunksBefore && isChunkEvent(last);
    const typed = !done && typedBefore && isTypedEvent(last);
    if (chunks || typed) {
      for (const [id, normalized] of replacedIds) context.replacedIds.set(id, normalized);
      const stored = done ? count - 1 : count;
      return new LazyChunks(() => typedEvents(pieces, complete, stored, context));
    }
  }
  return toLines(utf8.decode(Buffer.concat(pieces)));
}

function encodeNdjson(text: string, context: EncodeContext): unknown[] {
  return toLines(text)
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const parsed = parseJson(line);
      return parsed ? wrapTyped(parsed.value, context) : line;
    });
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Checks UTF-8 across piece boundaries without keeping the decoded text. */
function isUtf8Pieces(pieces: readonly Uint8Array[]): boolean {
  if (pieces.length === 1) return isUtf8(pieces[0]);
  const decoder = new TextDecoder('utf-8', { fatal: true });
  try {
    for (const piece of pieces) decoder.decode(piece, { stream: true });
    decoder.decode();
    return true;
  } catch {
    return false;
  }
}

function encodeBody(contentType: string, received: ReceivedBytes, complete: boolean, context: EncodeContext): { body: unknown; streaming: boolean } {
  const pieces = received instanceof Uint8Array ? [received] : received;
  const textual = contentType === '' || isJson(contentType) || isText(contentType) || isSse(contentType) || isNdjson(contentType);
  if (!textual || !isUtf8Pieces(pieces)) {
    const bytes = Buffer.concat(pieces);
    return { body: bytes.byteLength === 0 ? null : { [BASE64_MARKER]: bytes.toString('base64') }, streaming: false };
  }
  if (isSse(contentType)) return { body: encodeSse(pieces, complete, context), streaming: true };
  const text = utf8.decode(Buffer.concat(pieces));
  if (isNdjson(contentType)) return { body: encodeNdjson(text, context), streaming: true };
  if (text === '') return { body: null, streaming: false };
  if (isJson(contentType) || contentType === '') {
    const parsed = parseJson(text);
    // Declared JSON but is not: keep the text as it came.
    if (parsed) return { body: encodeJsonBody(parsed.value, context), streaming: false };
  }
  return { body: text, streaming: false };
}

/** llama-stack's exception record for a transport failure. */
function exceptionFields(failure: TransportFailure): Pick<StoredResponse, 'is_exception' | 'exception_data' | 'exception_message'> {
  const exception: ExceptionData = {
    category: 'network',
    type: failure.kind === 'timeout' ? 'APITimeoutError' : 'APIConnectionError',
    message: failure.message,
  };
  if (failure.code) exception.code = failure.code;
  return { is_exception: true, exception_data: exception, exception_message: failure.message };
}

/** The stored `response` for an HTTP response (complete, or broken off by `failure`). */
export function encodeResponse(captured: CapturedResponse, context: EncodeContext): StoredResponse {
  const contentType = captured.headers.get('content-type') ?? '';
  const { body, streaming } = encodeBody(contentType, captured.body, !captured.failure, context);
  const stored: StoredResponse = { body, is_streaming: streaming };
  if (captured.status !== 200) stored.status = captured.status;
  const headers = keptHeaders(captured.headers, captured.status, streaming, context.key);
  if (headers) stored.headers = headers;
  return captured.failure ? { ...stored, ...exceptionFields(captured.failure) } : stored;
}

/** Error codes of a connection that was never made: the host is unknown or unreachable, or nothing listens on the port. */
const NOT_CONNECTED = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'ENETDOWN',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/**
 * Whether a failure came before any connection to the server was made. Such a failure says nothing
 * about the server (it was down, or the URL is wrong), so it is never recorded: replaying it would
 * replay an outage of the recording machine.
 */
export const neverConnected = (failure: TransportFailure): boolean => failure.code !== undefined && NOT_CONNECTED.has(failure.code);

/** The stored `response` for a request that got no response at all. */
export function encodeFailure(failure: TransportFailure): StoredResponse {
  return { body: null, is_streaming: false, ...exceptionFields(failure) };
}

/** A response to replay: status, headers, the body as pieces (one per stream event), and how it fails, if it does. */
export interface ReplayResponse {
  status: number;
  headers: Record<string, string>;
  pieces: Iterable<string | Uint8Array>;
  /** How the response fails: after the last piece, or, with `beforeResponse`, instead of any response. */
  failure?: TransportFailure & { beforeResponse: boolean };
}

/** Raw lines back into events: each piece is one event with its blank-line terminator. */
function linePieces(lines: string[], complete: boolean): string[] {
  const text = lines.map((line) => `${line}\n`).join('');
  const full = !complete || text.endsWith('\n\n') || text === '' ? text : `${text}\n`;
  return full.split(/(?<=\n\n)/).filter((piece) => piece !== '');
}

/**
 * Stream events made one at a time, as replay reads them: a huge stream is held once (as its
 * chunks), not twice (chunks and event text).
 */
function lazyPieces(items: unknown[], piece: (item: unknown) => string, last?: string): Iterable<string> {
  return {
    *[Symbol.iterator]() {
      for (const item of items) yield piece(item);
      if (last !== undefined) yield last;
    },
  };
}

function streamPieces(body: unknown[], complete: boolean, ndjson: boolean): Iterable<string> {
  if (ndjson) return lazyPieces(body, (line) => `${typeof line === 'string' ? line : JSON.stringify(unwrap(line))}\n`);
  if (body.every((item) => typeof item === 'string')) return linePieces(body as string[], complete);
  if (body.every((item) => isResponseEvent(unwrap(item)))) {
    return lazyPieces(body, (item) => `event: ${(unwrap(item) as { type: string }).type}\ndata: ${JSON.stringify(unwrap(item))}\n\n`);
  }
  const done = complete && isDoneTerminatedStream(body) ? 'data: [DONE]\n\n' : undefined;
  return lazyPieces(body, (item) => `data: ${JSON.stringify(unwrap(item))}\n\n`, done);
}

function bodyPieces(body: unknown): (string | Uint8Array)[] {
  if (body === null || body === undefined) return [];
  if (typeof body === 'string') return [body];
  if (typeof body === 'object' && BASE64_MARKER in body) {
    return [Buffer.from(String((body as Record<string, unknown>)[BASE64_MARKER]), 'base64')];
  }
  return [JSON.stringify(decodeJsonBody(body))];
}

/**
 * Python built-ins that llama-stack's server answers with an HTTP status (its exception map), so a
 * client sees them as that status; its network ones (ConnectionError, TimeoutError) stay failures.
 */
const BUILTIN_STATUS: Record<string, number> = {
  ValueError: 400,
  AuthenticationRequiredError: 401,
  PermissionError: 403,
  AccessDeniedError: 403,
  NotImplementedError: 501,
};
/** How the openai SDK words an HTTP error; older llama-stack files keep only that text, no `exception_data`. */
const STATUS_IN_MESSAGE = /^Error code: (\d{3}) - /;

/** The HTTP status a recorded exception stands for, if it stands for one. */
function exceptionStatus(data: ExceptionData, message: string): number | undefined {
  if (typeof data.status_code === 'number') return data.status_code;
  if (data.category === 'builtin') return BUILTIN_STATUS[String(data.type)];
  const legacy = data.type === undefined ? STATUS_IN_MESSAGE.exec(message) : null;
  return legacy ? Number(legacy[1]) : undefined;
}

/**
 * A transport failure recorded by this project or by llama-stack (which records SDK exceptions).
 * After part of a stream, any exception but an SSE error event (`APIError`) is the connection
 * breaking (httpx's `RemoteProtocolError`, `ReadError`…).
 */
function transportFailure(data: ExceptionData, message: string, midStream: boolean): TransportFailure | undefined {
  const type = String(data.type ?? '');
  if (data.category !== 'network' && !/Connect|Timeout/.test(type) && !(midStream && type !== 'APIError')) return undefined;
  const failure: TransportFailure = { kind: /Timeout/.test(type) ? 'timeout' : 'network', message };
  if (typeof data.code === 'string') failure.code = data.code;
  return failure;
}

/** The JSON error a server sends for a recorded exception, as the SDK that recorded it read it. */
function errorBody(data: ExceptionData, message: string): unknown {
  // Ollama answers `{"error": "<text>"}`; its Python SDK adds " (status code: N)" to the text.
  if (data.provider === 'ollama') return { error: message.replace(/ \(status code: \d+\)$/, '') };
  // The openai SDK keeps the inner `error` object as the exception's body.
  const detail = data.body ?? { message };
  return isObject(detail) && 'error' in detail ? detail : { error: detail };
}

function* followedBy(pieces: Iterable<string>, last: string): Generator<string> {
  yield* pieces;
  yield last;
}

/**
 * A recorded exception that is not a transport failure: an HTTP error with its status, or, after
 * part of a stream, the chunks then an SSE error event (how OpenAI-compatible servers fail midway).
 */
function exceptionResponse(
  stored: StoredResponse,
  data: ExceptionData,
  message: string,
  status: number | undefined,
  midStream: boolean,
): ReplayResponse {
  const error = JSON.stringify(errorBody(data, message));
  if (midStream) {
    const pieces = followedBy(streamPieces(stored.body as unknown[], false, false), `data: ${error}\n\n`);
    return { status: stored.status ?? 200, headers: { 'content-type': 'text/event-stream', ...stored.headers }, pieces };
  }
  return { status: status ?? stored.status ?? 500, headers: { 'content-type': 'application/json', ...stored.headers }, pieces: [error] };
}

/** What to send back for a stored response. */
export function decodeResponse(stored: StoredResponse): ReplayResponse {
  let failure: TransportFailure | undefined;
  if (stored.is_exception) {
    const data = stored.exception_data ?? {};
    const message = String(data.message ?? stored.exception_message ?? data.type ?? 'recorded exception');
    const status = exceptionStatus(data, message);
    // llama-stack records a stream's exception only while iterating it: the response had begun.
    const midStream = stored.is_streaming && Array.isArray(stored.body);
    failure = status === undefined ? transportFailure(data, message, midStream) : undefined;
    if (!failure) return exceptionResponse(stored, data, message, status, midStream);
  }
  const streaming = stored.is_streaming && Array.isArray(stored.body);
  const headers: Record<string, string> = { 'content-type': defaultContentType(streaming), ...stored.headers };
  if (!streaming && typeof stored.body === 'string' && !stored.headers?.['content-type']) headers['content-type'] = 'text/plain';
  const pieces = streaming
    ? streamPieces(stored.body as unknown[], !failure, isNdjson(headers['content-type']))
    : bodyPieces(stored.body);
  return { status: stored.status ?? 200, headers, pieces, failure: failure && { ...failure, beforeResponse: stored.body === null && !streaming } };
}
