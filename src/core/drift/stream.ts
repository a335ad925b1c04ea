import type { StoredResponse } from '../recording/format';
import { unwrap } from '../recording/format';
import { streamShape } from '../recording/stream-shape';
import { parseJson } from '../util/json';
import { element, joinPath } from './paths';
import { addToShape, type Drift, kindOf, type Shape, shapeDrifts } from './shape';
import { shortenPair } from '../util/diff';

/**
 * A stored stream as the events it was made of, whichever way it is stored (typed chunks, typed Responses API
 * events, raw SSE lines, NDJSON lines), so two streams compare alike however each was stored: a stream that
 * stops ending with `[DONE]` is stored as raw lines instead of typed chunks, and must not drift for that.
 */

interface StreamEvent {
  /** Its `event:` name, else its data's `type` or `object`; NDJSON lines are `line` and, the last, `done`. */
  kind: string;
  data: unknown;
}

export interface StreamEvents {
  events: StreamEvent[];
  /** Whether it ends with `data: [DONE]`. */
  done: boolean;
}

/** Raw SSE lines back into events: comments, `id:` and `retry:` are not events. */
function sseEvents(lines: string[]): StreamEvents {
  const events: StreamEvent[] = [];
  let done = false;
  let name: string | undefined;
  let data: string[] = [];
  const flush = () => {
    const text = data.join('\n');
    if (text === '[DONE]') done = true;
    else if (data.length > 0) {
      const value = parseJson(text)?.value ?? text;
      events.push({ kind: name ?? (kindOf(value) || 'message'), data: value });
    }
    name = undefined;
    data = [];
  };
  for (const line of lines) {
    if (line === '') flush();
    else if (line.startsWith('event:')) name = line.slice(6).trim();
    else if (line.startsWith('data:')) data.push(line.slice(line.startsWith('data: ') ? 6 : 5));
  }
  flush();
  return { events, done };
}

export function streamEvents(response: StoredResponse): StreamEvents {
  const body = Array.isArray(response.body) ? response.body : [];
  const ndjson = /ndjson|jsonl|json-seq/i.test(response.headers?.['content-type'] ?? '');
  if (!ndjson && body.every((item) => typeof item === 'string')) return sseEvents(body as string[]);
  const events = body.map((item) => {
    const data = unwrap(item);
    const kind = kindOf(data) || (ndjson ? ((data as { done?: unknown })?.done === true ? 'done' : 'line') : 'message');
    return { kind, data };
  });
  // Typed chat and completion chunks stand for a stream that ended with `[DONE]`, which is not stored.
  return { events, done: !response.is_exception && streamShape(body).doneTerminated };
}

/** Event kinds in order, a run of the same kind as one. */
const collapsed = (events: StreamEvent[]) => events.map((e) => e.kind).filter((kind, i, kinds) => i === 0 || kinds[i - 1] !== kind);

/** Each kind's events merged into one shape. */
function shapesByKind(events: StreamEvent[]): Map<string, Shape> {
  const shapes = new Map<string, Shape>();
  for (const { kind, data } of events) shapes.set(kind, addToShape(data, shapes.get(kind)));
  return shapes;
}

/** How a live stream differs from a recorded one: its end, its kinds of events and their order, and each kind's shape. */
export function* streamDrifts(recorded: StreamEvents, live: StreamEvents): Generator<Drift> {
  if (recorded.done !== live.done) {
    yield { path: 'done', change: recorded.done ? 'the stream no longer ends with data: [DONE]' : 'the stream now ends with data: [DONE]' };
  }
  const [before, after] = [shapesByKind(recorded.events), shapesByKind(live.events)];
  for (const [kind, shape] of before) {
    const other = after.get(kind);
    if (other) yield* shapeDrifts(shape, other, ['events', element(kind)]);
    else yield { path: joinPath(['events', element(kind)]), change: 'event kind removed' };
  }
  for (const kind of after.keys()) if (!before.has(kind)) yield { path: joinPath(['events', element(kind)]), change: 'event kind added' };
  const [order, now] = [collapsed(recorded.events), collapsed(live.events)];
  const sameKinds = [...before.keys()].sort().join() === [...after.keys()].sort().join();
  if (sameKinds && order.join() !== now.join()) {
    const [was, is] = shortenPair(order.join(', '), now.join(', '), 120);
    yield { path: 'events', change: 'event order changed', recorded: was, live: is };
  }
}
