import { createParser } from 'eventsource-parser';
import { LazyChunks } from './format';
import { parseJson } from '../util/json';
import { isDoneTerminatedChunk, isTypedEvent, type TypingContext, wrapEvent, wrapTyped } from './openai-types';
import { isResponsesType } from './response-events';
import { mintsIds, type VolatileContext, VolatileFields } from './volatile';

/** How a received stream body is stored: SSE events typed or as raw lines, NDJSON lines typed where they are JSON. */

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Received pieces as text; throws on bytes that are not UTF-8. */
export const utf8Text = (pieces: Iterable<Uint8Array>): string => utf8.decode(Buffer.concat([...pieces]));

/** Splits text into lines the way llama-stack stores raw streams: one entry per line, no trailing newline. */
export function toLines(text: string): string[] {
  const lines = text.split(/\r\n|\r|\n/);
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
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
function* sseEvents(pieces: Iterable<Uint8Array>, complete: boolean, shape: { plain: boolean }): Generator<ParsedEvent> {
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

const isChunkEvent = ({ event, parsed }: ParsedEvent) =>
  (event === undefined || event === 'message') && parsed !== undefined && isDoneTerminatedChunk(parsed.value);
/** An event named after the `type` of its data, as the Responses API (and Anthropic) send them. */
const isNamedEvent = ({ event, parsed }: ParsedEvent) => parsed !== undefined && isTypedEvent(parsed.value) && parsed.value.type === event;

/** A chunk typed by what it is, an event by its `type`. */
const typedItem = (event: ParsedEvent, context: TypingContext) =>
  isChunkEvent(event) ? wrapTyped(event.parsed!.value, context) : wrapEvent(event.parsed!.value as { type: string }, context.volatile);

/** The first `count` events of a typed stream, typed. */
function* typedEvents(pieces: Iterable<Uint8Array>, complete: boolean, count: number, context: TypingContext): Generator<unknown> {
  let n = 0;
  for (const event of sseEvents(pieces, complete, { plain: true })) {
    if (n++ === count) return;
    yield typedItem(event, context);
  }
}

/** What a response is stored for: the request's endpoint, and what its volatile fields are normalized from. */
export interface EncodeContext extends VolatileContext {
  endpoint: string;
}

/**
 * How an SSE body is stored:
 * - a plain OpenAI stream (data-only chunk events, then `[DONE]`) as its typed chunks;
 * - a Responses API stream (each event named after its data's `type`, one at least a `response.…`
 *   type) as its typed events, a type no SDK knows by the generic class;
 * - anything else (Anthropic, comments, `id:`, `retry:`) as raw lines, as llama-stack stores
 *   passthrough streams, which replay byte for byte but for the ids and timestamps in their data.
 * One pass decides; typed events are then made from the bytes each time they are read, so a huge
 * stream is held once, as the bytes received.
 */
export function encodeSse(pieces: Iterable<Uint8Array>, complete: boolean, context: EncodeContext): unknown[] | LazyChunks {
  const shape = { plain: true };
  // Ids met while deciding; they count (are committed) only if the stream is stored typed.
  const typing = { endpoint: context.endpoint, volatile: new VolatileFields(context) };
  let count = 0;
  let last: ParsedEvent | undefined;
  // Whether every event before the last is a chunk, or a named event; whether one is the Responses API's.
  let chunksBefore = true;
  let namedBefore = true;
  let responses = false;
  for (const event of sseEvents(pieces, complete, shape)) {
    if (last) {
      chunksBefore &&= isChunkEvent(last);
      namedBefore &&= isNamedEvent(last);
    }
    if (!shape.plain || !(chunksBefore || namedBefore)) break;
    if (isChunkEvent(event) || isNamedEvent(event)) typedItem(event, typing);
    responses ||= isNamedEvent(event) && isResponsesType((event.parsed!.value as { type: string }).type);
    last = event;
    count++;
  }
  if (shape.plain && last) {
    const { done } = last;
    // `[DONE]` ends chunk streams only; a broken chunk stream has none.
    const chunks = done ? count > 1 && chunksBefore : !complete && chunksBefore && isChunkEvent(last);
    const typed = !done && responses && namedBefore && isNamedEvent(last);
    if (chunks || typed) {
      typing.volatile.commit();
      const stored = done ? count - 1 : count;
      return new LazyChunks(() => typedEvents(pieces, complete, stored, typing));
    }
  }
  const lines = toLines(utf8Text(pieces));
  if (!mintsIds(context.endpoint)) return lines;
  const volatile = new VolatileFields(context);
  const normalized = lines.map((line) => volatile.line(line));
  volatile.commit();
  return normalized;
}

export function encodeNdjson(text: string, context: EncodeContext): unknown[] {
  const typing = { endpoint: context.endpoint, volatile: new VolatileFields(context) };
  const items = toLines(text)
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const parsed = parseJson(line);
      return parsed ? wrapTyped(parsed.value, typing) : line;
    });
  typing.volatile.commit();
  return items;
}
