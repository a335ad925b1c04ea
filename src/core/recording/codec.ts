import { isUtf8 } from 'node:buffer';
import { errorBody, exceptionFields, exceptionStatus, transportFailure } from './exceptions';
import type { ExceptionData, StoredResponse } from './format';
import { streamItems, unwrap } from './format';
import { parseJson } from '../util/json';
import { decodeJsonBody, encodeJsonBody } from './openai-types';
import { publicLocation } from '../keying/request';
import { type EncodeContext, encodeNdjson, encodeSse, utf8Text } from './stream-body';
import { type StreamShape, streamShape } from './stream-shape';
import { normalizedId, VolatileFields } from './volatile';

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

/** A body as received: one buffer, or its pieces, which can be read more than once (a huge stream is never joined). */
export type ReceivedBytes = Uint8Array | Iterable<Uint8Array>;

export interface CapturedResponse {
  status: number;
  headers: Headers;
  /** Everything received; for a stream that broke, what arrived before it did. */
  body: ReceivedBytes;
  failure?: TransportFailure;
}

export type { EncodeContext };

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

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Checks UTF-8 across piece boundaries without keeping the decoded text. */
function isUtf8Pieces(pieces: Iterable<Uint8Array>): boolean {
  if (Array.isArray(pieces) && pieces.length === 1) return isUtf8(pieces[0]);
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
    const bytes = Buffer.concat([...pieces]);
    return { body: bytes.byteLength === 0 ? null : { [BASE64_MARKER]: bytes.toString('base64') }, streaming: false };
  }
  if (isSse(contentType)) return { body: encodeSse(pieces, complete, context), streaming: true };
  const text = utf8Text(pieces);
  if (isNdjson(contentType)) return { body: encodeNdjson(text, context), streaming: true };
  if (text === '') return { body: null, streaming: false };
  if (isJson(contentType) || contentType === '') {
    const parsed = parseJson(text);
    // Declared JSON but is not: keep the text as it came.
    if (parsed) {
      const typing = { endpoint: context.endpoint, volatile: new VolatileFields(context) };
      const body = encodeJsonBody(parsed.value, typing);
      typing.volatile.commit();
      return { body, streaming: false };
    }
  }
  return { body: text, streaming: false };
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
export const neverConnected = (failure: TransportFailure): boolean =>
  failure.code === undefined ? failure.message === BLOCKED_PORT : NOT_CONNECTED.has(failure.code);

/** What fetch says, with no error code, when it refuses a port the Fetch standard blocks (9, 6000, …) before connecting. */
const BLOCKED_PORT = 'bad port';

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

/** Raw lines back into events, made as they are read: each piece is one event with its blank-line terminator. */
function linePieces(lines: Iterable<unknown>, complete: boolean): Iterable<string> {
  return {
    *[Symbol.iterator]() {
      let text = '';
      for (const line of lines) {
        text += `${line as string}\n`;
        const events = text.split(/(?<=\n\n)/);
        text = events[events.length - 1].endsWith('\n\n') ? '' : events.pop()!;
        yield* events;
      }
      // What is left is an event without its blank line: a complete stream's gets it.
      if (text !== '') yield complete ? `${text}\n` : text;
    },
  };
}

/**
 * Stream events made one at a time, as replay reads them: a huge stream is held once (as its
 * chunks, or not at all when they are read from the file as they are sent), never also as event text.
 */
function lazyPieces(items: Iterable<unknown>, piece: (item: unknown) => string, last?: string): Iterable<string> {
  return {
    *[Symbol.iterator]() {
      for (const item of items) yield piece(item);
      if (last !== undefined) yield last;
    },
  };
}

function streamPieces(body: Iterable<unknown>, complete: boolean, ndjson: boolean): Iterable<string> {
  if (ndjson) return lazyPieces(body, (line) => `${typeof line === 'string' ? line : JSON.stringify(unwrap(line))}\n`);
  // A body read from a large file knows its shape already: no pass over its items.
  const shape = (body as { shape?: StreamShape }).shape ?? streamShape(body);
  if (shape.lines) return linePieces(body, complete);
  if (shape.responses) {
    return lazyPieces(body, (item) => `event: ${(unwrap(item) as { type: string }).type}\ndata: ${JSON.stringify(unwrap(item))}\n\n`);
  }
  const done = complete && shape.doneTerminated ? 'data: [DONE]\n\n' : undefined;
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
    const pieces = followedBy(streamPieces(streamItems(stored.body)!, false, false), `data: ${error}\n\n`);
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
    const midStream = stored.is_streaming && streamItems(stored.body) !== undefined;
    failure = status === undefined ? transportFailure(data, message, midStream) : undefined;
    if (!failure) return exceptionResponse(stored, data, message, status, midStream);
  }
  const items = stored.is_streaming ? streamItems(stored.body) : undefined;
  const streaming = items !== undefined;
  const headers: Record<string, string> = { 'content-type': defaultContentType(streaming), ...stored.headers };
  if (!streaming && typeof stored.body === 'string' && !stored.headers?.['content-type']) headers['content-type'] = 'text/plain';
  const pieces = items ? streamPieces(items, !failure, isNdjson(headers['content-type'])) : bodyPieces(stored.body);
  return { status: stored.status ?? 200, headers, pieces, failure: failure && { ...failure, beforeResponse: stored.body === null && !streaming } };
}
