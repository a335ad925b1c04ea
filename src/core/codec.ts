import { createParser } from 'eventsource-parser';
import type { StoredResponse } from './format';
import { isTypedValue, unwrap } from './format';
import { decodeJsonBody, encodeJsonBody, isDoneTerminatedStream, streamChunkType, wrapTyped } from './openai-types';

/**
 * Response codec: turns what the server sent into the stored `response` object and back into
 * the pieces a replayed response is made of (one piece per stream event, so replay is incremental).
 */

/** Response headers worth keeping: what replay and the SDKs read. Everything else (cookies, dates) is dropped. */
const KEPT_RESPONSE_HEADERS = ['content-type', 'retry-after', 'retry-after-ms', 'x-should-retry', 'location', 'www-authenticate'];
/** Request ids change on every call: kept only on errors, where SDKs surface them. */
const ERROR_ONLY_HEADERS = ['x-request-id', 'request-id'];
/** Marker for a body that is not text. */
export const BASE64_MARKER = '__bytes_base64__';

export interface CapturedResponse {
  status: number;
  headers: Headers;
  body: Uint8Array;
}

export interface EncodeContext {
  /** The request key: normalized ids are `rec-<first 12 hex>`. */
  key: string;
  /** Collects original → normalized ids, so later requests quoting them key alike. */
  replacedIds: Map<string, string>;
}

const isSse = (contentType: string) => /text\/event-stream/i.test(contentType);
const isNdjson = (contentType: string) => /ndjson|jsonl|json-seq/i.test(contentType);
const isJson = (contentType: string) => /[/+]json\b/i.test(contentType);
const isText = (contentType: string) => /^text\/|xml|javascript|x-www-form-urlencoded/i.test(contentType);
const defaultContentType = (streaming: boolean) => (streaming ? 'text/event-stream' : 'application/json');

function keptHeaders(headers: Headers, status: number, streaming: boolean): Record<string, string> | undefined {
  const names = status >= 400 ? [...KEPT_RESPONSE_HEADERS, ...ERROR_ONLY_HEADERS] : KEPT_RESPONSE_HEADERS;
  const kept: Record<string, string> = {};
  for (const name of names) {
    const value = headers.get(name);
    if (value === null) continue;
    // The usual content types are implied by the body; storing them would only add noise.
    if (name === 'content-type' && value.split(';')[0].trim() === defaultContentType(streaming)) continue;
    kept[name] = value;
  }
  return Object.keys(kept).length > 0 ? kept : undefined;
}

/** Splits text into lines the way llama-stack stores raw streams: one entry per line, no trailing newline. */
export function toLines(text: string): string[] {
  const lines = text.split(/\r\n|\r|\n/);
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/**
 * An SSE body is stored as typed chunk objects when it is a plain OpenAI stream (data-only
 * events of known chunk types ending in `[DONE]`), and as raw lines otherwise, so named
 * events, comments, `id:` and `retry:` fields replay exactly.
 */
function encodeSse(text: string, context: EncodeContext): unknown[] {
  const events: { event?: string; data: string; id?: string }[] = [];
  let plain = true;
  const parser = createParser({
    onEvent: (event) => events.push(event),
    onRetry: () => (plain = false),
    onComment: () => (plain = false),
  });
  parser.feed(text);
  parser.feed('\n\n');
  const last = events[events.length - 1];
  plain &&= last?.data === '[DONE]' && events.every((e) => e.event === undefined && e.id === undefined);
  if (plain) {
    const chunks: unknown[] = [];
    for (const event of events.slice(0, -1)) {
      let value: unknown;
      try {
        value = JSON.parse(event.data);
      } catch {
        plain = false;
        break;
      }
      if (!streamChunkType(value)) {
        plain = false;
        break;
      }
      chunks.push(wrapTyped(value, context.key, context.replacedIds));
    }
    if (plain && chunks.length > 0) return chunks;
  }
  return toLines(text);
}

function encodeNdjson(text: string, context: EncodeContext): unknown[] {
  return toLines(text)
    .filter((line) => line.trim() !== '')
    .map((line) => {
      try {
        return wrapTyped(JSON.parse(line), context.key, context.replacedIds);
      } catch {
        return line;
      }
    });
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
function asText(bytes: Uint8Array): string | undefined {
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
}

function encodeBody(contentType: string, bytes: Uint8Array, context: EncodeContext): { body: unknown; streaming: boolean } {
  const text = asText(bytes);
  if (text === undefined || !(contentType === '' || isJson(contentType) || isText(contentType) || isSse(contentType) || isNdjson(contentType))) {
    return { body: bytes.byteLength === 0 ? null : { [BASE64_MARKER]: Buffer.from(bytes).toString('base64') }, streaming: false };
  }
  if (isSse(contentType)) return { body: encodeSse(text, context), streaming: true };
  if (isNdjson(contentType)) return { body: encodeNdjson(text, context), streaming: true };
  if (text === '') return { body: null, streaming: false };
  if (isJson(contentType) || contentType === '') {
    try {
      return { body: encodeJsonBody(JSON.parse(text), context.key, context.replacedIds), streaming: false };
    } catch {
      // Declared JSON but is not: keep the text as it came.
    }
  }
  return { body: text, streaming: false };
}

/** The stored `response` for a complete HTTP response. */
export function encodeResponse(captured: CapturedResponse, context: EncodeContext): StoredResponse {
  const contentType = captured.headers.get('content-type') ?? '';
  const { body, streaming } = encodeBody(contentType, captured.body, context);
  const stored: StoredResponse = { body, is_streaming: streaming };
  if (captured.status !== 200) stored.status = captured.status;
  const headers = keptHeaders(captured.headers, captured.status, streaming);
  if (headers) stored.headers = headers;
  return stored;
}

/** A response to replay: status, headers and the body as pieces, one per stream event. */
export interface ReplayResponse {
  status: number;
  headers: Record<string, string>;
  pieces: (string | Uint8Array)[];
}

const sseEvent = (value: unknown) => `data: ${JSON.stringify(value)}\n\n`;

/** Raw lines back into events: each piece is one event with its blank-line terminator. */
function linePieces(lines: string[]): string[] {
  const text = lines.map((line) => `${line}\n`).join('');
  const complete = text.endsWith('\n\n') || text === '' ? text : `${text}\n`;
  return complete.split(/(?<=\n\n)/).filter((piece) => piece !== '');
}

function exceptionResponse(stored: StoredResponse): ReplayResponse {
  const data = stored.exception_data ?? {};
  const status = typeof data.status_code === 'number' ? data.status_code : (stored.status ?? 500);
  const detail = data.body ?? { message: data.message ?? stored.exception_message ?? 'recorded exception' };
  const body = typeof detail === 'object' && detail !== null && 'error' in detail ? detail : { error: detail };
  return { status, headers: { 'content-type': 'application/json', ...stored.headers }, pieces: [JSON.stringify(body)] };
}

function streamPieces(body: unknown[]): (string | Uint8Array)[] {
  if (body.every((item) => typeof item === 'string')) return linePieces(body as string[]);
  const pieces = body.map((chunk) => sseEvent(unwrap(chunk)));
  if (isDoneTerminatedStream(body)) pieces.push('data: [DONE]\n\n');
  return pieces;
}

function bodyPieces(body: unknown): (string | Uint8Array)[] {
  if (body === null || body === undefined) return [];
  if (typeof body === 'string') return [body];
  if (typeof body === 'object' && BASE64_MARKER in body) {
    return [Buffer.from(String((body as Record<string, unknown>)[BASE64_MARKER]), 'base64')];
  }
  return [JSON.stringify(decodeJsonBody(body))];
}

/** What to send back for a stored response. */
export function decodeResponse(stored: StoredResponse): ReplayResponse {
  if (stored.is_exception) return exceptionResponse(stored);
  const streaming = stored.is_streaming && Array.isArray(stored.body);
  const isNdjsonStream = streaming && isNdjson(stored.headers?.['content-type'] ?? '');
  const headers: Record<string, string> = { 'content-type': defaultContentType(streaming), ...stored.headers };
  if (!streaming && typeof stored.body === 'string' && !stored.headers?.['content-type']) headers['content-type'] = 'text/plain';
  let pieces: (string | Uint8Array)[];
  if (isNdjsonStream) pieces = (stored.body as unknown[]).map((line) => `${typeof line === 'string' ? line : JSON.stringify(unwrap(line))}\n`);
  else if (streaming) pieces = streamPieces(stored.body as unknown[]);
  else pieces = bodyPieces(stored.body);
  return { status: stored.status ?? 200, headers, pieces };
}

export { isTypedValue };
