import { createParser } from 'eventsource-parser';
import { LazyChunks } from './format';
import { parseJson } from '../util/json';
import { isDoneTerminatedChunk, isResponseEvent, type TypingContext, wrapTyped } from './openai-types';

/** How a received stream body is stored: SSE events typed or as raw lines, NDJSON lines typed where they are JSON. */

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Received pieces as text; throws on bytes that are not UTF-8. */
export const utf8Text = (pieces: readonly Uint8Array[]): string => utf8.decode(Buffer.concat(pieces));

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

const isChunkEvent = ({ event, parsed }: ParsedEvent) =>
  (event === undefined || event === 'message') && parsed !== undefined && isDoneTerminatedChunk(parsed.value);
const isTypedEvent = ({ event, parsed }: ParsedEvent) =>
  parsed !== undefined && isResponseEvent(parsed.value) && (parsed.value as { type: string }).type === event;

/** The first `count` events of a typed stream, typed. */
function* typedEvents(pieces: readonly Uint8Array[], complete: boolean, count: number, context: TypingContext): Generator<unknown> {
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
export function encodeSse(pieces: readonly Uint8Array[], complete: boolean, context: TypingContext): unknown[] | LazyChunks {
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
  return toLines(utf8Text(pieces));
}

export function encodeNdjson(text: string, context: TypingContext): unknown[] {
  return toLines(text)
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const parsed = parseJson(line);
      return parsed ? wrapTyped(parsed.value, context) : line;
    });
}
