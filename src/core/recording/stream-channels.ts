import { unwrap } from './format';
import { isObject } from '../util/json';

/**
 * The texts a stream spreads over its items, for searches that must see a value a server split
 * anywhere: every string field followed from item to item (`choices[0].delta.content` of all chunks,
 * `output`, `generated_text`…), the fields of one part of the stream joined (a choice's
 * `reasoning_content` then its `content`), and the whole stream's fields joined. Parallel parts are told
 * apart by their own index (a tool call's `index`, a Responses event's `output_index`), never by their
 * position in an item, so interleaved tool calls each read as one text. Items are read one by one, each
 * searched with the tail of what came before it: a huge stream's text is never joined.
 */

/** A raw SSE line that carries no payload: blank, a comment, `event:`, `id:` or `retry:`. */
const SSE_FIELD_LINE = /^(?:|:.*|(?:event|id|retry)(?::.*)?)$/;

/**
 * One stored stream item as a value: a typed chunk, an NDJSON object, or a raw SSE line with its
 * `data:` parsed. A payload that is no JSON object is its text, so the data of all lines joins into
 * one text; lines without payload add nothing (an `event:` line between two halves of a key).
 */
export function streamItem(item: unknown): unknown {
  const value = unwrap(item);
  if (typeof value !== 'string') return value;
  if (SSE_FIELD_LINE.test(value)) return undefined;
  const data = /^data:\s?(.*)$/.exec(value)?.[1] ?? value;
  try {
    const parsed: unknown = JSON.parse(data);
    if (typeof parsed === 'object' && parsed !== null) return parsed;
  } catch {
    // Not JSON: its text is the payload.
  }
  return { text: data };
}

/** Numeric fields that name a part of a stream: a choice, a tool call, a content block, an output item, a summary. */
const PART_FIELDS = ['index', 'output_index', 'content_index', 'summary_index'];

/**
 * Fields every event repeats (ids, types, roles, models, timestamps, signatures): no text is split
 * across them, and joined with the others they would come between the pieces of one. Each is still
 * searched whole, in its item.
 */
const REPEATED_FIELDS = new Set([
  'id', 'object', 'type', 'role', 'model', 'created_at', 'system_fingerprint', 'service_tier', 'item_id', 'signature',
  'finish_reason', 'done_reason', 'stop_reason', 'status',
]);

/** `index=1,output_index=0` for an object that names its part of the stream; undefined for any other value. */
function partOf(value: unknown): string | undefined {
  if (!isObject(value)) return undefined;
  let named: string | undefined;
  for (const field of PART_FIELDS) {
    const index = value[field];
    if (typeof index === 'number') named = named === undefined ? `${field}=${index}` : `${named},${field}=${index}`;
  }
  return named;
}

/** Calls `visit` for every string of a stream item but those every event repeats, with its path (parts by their index) and its part. */
function forEachText(value: unknown, path: string, part: string, visit: (path: string, part: string, text: string) => void): void {
  if (Array.isArray(value)) {
    value.forEach((item, i) => forEachText(item, partOf(item) === undefined ? `${path}[${i}]` : `${path}[]`, part, visit));
  } else if (isObject(value)) {
    const own = partOf(value);
    const here = own === undefined ? path : `${path}<${own}>`;
    const memberPart = own === undefined ? part : here;
    for (const key in value) {
      const member = value[key];
      if (typeof member === 'string') {
        if (!REPEATED_FIELDS.has(key)) visit(`${here}.${key}`, memberPart, member);
      } else if (typeof member === 'object' && member !== null) forEachText(member, `${here}.${key}`, memberPart, visit);
    }
  } else if (typeof value === 'string') visit(path, part, value);
}

/** What a search looks for in the text of a channel, at the seams between its pieces. */
export interface SeamSearch<T> {
  /** How much of a channel's end to keep before each piece: at least the longest match less one. */
  overlap: number;
  /**
   * The matches in `window` that start before `seam` (in the text kept from earlier pieces) and end
   * after it: a match within one piece is in one item, where a search of each item finds it. `cut`:
   * text before the window was dropped, so its first character has lost what preceded it.
   */
  find(window: string, seam: number, cut: boolean): { found: T; at: number; length: number }[];
}

interface Channel {
  tail: string;
  /** Where `tail` starts in the channel's text. */
  start: number;
  /** Where each piece still in `tail` starts, and its item. */
  pieces: { start: number; item: number }[];
}

/** A channel of joined fields: while one path alone has fed it, it is that path's channel, not searched twice. */
type Joined = { sole: string } | Channel;

/** Feeds a stream's items, one by one, to a search over their channels; reports each match with the first and last item it spans. */
export class StreamChannels<T> {
  private readonly paths = new Map<string, Channel>();
  private readonly joined = new Map<string, Joined>();

  constructor(
    private readonly search: SeamSearch<T>,
    private readonly report: (found: T, first: number, last: number) => void,
  ) {}

  add(item: unknown, index: number): void {
    forEachText(streamItem(item), '', '', (path, part, text) => {
      let own = this.paths.get(path);
      if (!own) this.paths.set(path, (own = { tail: '', start: 0, pieces: [] }));
      this.feed(own, text, index);
      if (part !== '') this.join(`part ${part}`, path, text, index);
      this.join('all', path, text, index);
    });
  }

  private join(name: string, path: string, text: string, item: number): void {
    const channel = this.joined.get(name);
    if (!channel) this.joined.set(name, { sole: path });
    else if (!('sole' in channel)) this.feed(channel, text, item);
    else if (channel.sole !== path) {
      // Another path joins: from here on this text is its own, starting as the sole path's was before this piece.
      const { tail, start, pieces } = this.paths.get(channel.sole)!;
      const own = { tail, start, pieces: [...pieces] };
      this.joined.set(name, own);
      this.feed(own, text, item);
    }
  }

  private feed(channel: Channel, text: string, item: number): void {
    channel.pieces.push({ start: channel.start + channel.tail.length, item });
    const window = channel.tail + text;
    for (const { found, at, length } of this.search.find(window, channel.tail.length, channel.start > 0)) {
      this.report(found, itemAt(channel, channel.start + at), itemAt(channel, channel.start + at + length - 1));
    }
    const kept = Math.min(this.search.overlap, window.length);
    channel.start += window.length - kept;
    channel.tail = window.slice(window.length - kept);
    // Only the items the tail still holds text of are needed again.
    while (channel.pieces.length > 1 && channel.pieces[1].start <= channel.start) channel.pieces.shift();
  }
}

function itemAt(channel: Channel, offset: number): number {
  let i = channel.pieces.length - 1;
  while (i > 0 && channel.pieces[i].start > offset) i--;
  return channel.pieces[i].item;
}

/** Where a match is: `response.body[3..4] (stream text)`, or `response.body[3] (stream text)` for two fields of one item. */
export const streamPlace = (first: number, last: number): string =>
  `response.body[${first === last ? first : `${first}..${last}`}] (stream text)`;
