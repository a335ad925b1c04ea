import { isObject } from '../util/json';
import { shorten } from '../util/diff';
import type { Json } from '../util/json';
import { element, joinPath } from './paths';

/**
 * The shape of JSON values, compared as an LLM API's answers should be: which fields there are and the
 * type of each, recursively, never the values (text and numbers change on every call). An array is its
 * elements' shape merged (its length is content): by kind when its elements say what they are (`type`
 * or `object`: Anthropic's `text` and `tool_use` blocks, the Responses API's output items), else as one.
 */

/**
 * One change, at `path` (see `paths.ts`); `change` holds no value of the answer (but for the API's own names), so one
 * API-wide change reads alike everywhere.
 */
export interface Drift {
  path: string;
  change: string;
  /** Both values, short, where there are some: as recorded and as live. */
  recorded?: string;
  live?: string;
}

type JsonType = 'null' | 'boolean' | 'number' | 'string' | 'array' | 'object';

interface Shape {
  /** Each type seen, with the first value of that type (for the report). */
  types: Map<JsonType, unknown>;
  fields: Map<string, Shape>;
  /** Array elements by kind (`''` for elements that name none). */
  items: Map<string, Shape>;
  /** The values of fields that name what an object is (`object`, `type`, `role`): an API's vocabulary, not content. */
  names: Set<string>;
}

const NAMING_FIELDS = new Set(['object', 'type', 'role']);

const typeOf = (value: unknown): JsonType =>
  value === null ? 'null' : Array.isArray(value) ? 'array' : isObject(value) ? 'object' : (typeof value as JsonType);

/** What an array element or stream event says it is: its `type`, else its `object`. */
export function kindOf(value: unknown): string {
  if (!isObject(value)) return '';
  const kind = typeof value.type === 'string' ? value.type : value.object;
  return typeof kind === 'string' ? kind : '';
}

/**
 * Tool arguments are compared as tool calls (see `answer.ts`), not as fields here: `arguments` anywhere, and
 * the `input` of an Anthropic `tool_use` block.
 */
const isToolInput = (name: string, parent: Record<string, unknown>) =>
  name === 'arguments' || (name === 'input' && parent.type === 'tool_use');

const emptyShape = (): Shape => ({ types: new Map(), fields: new Map(), items: new Map(), names: new Set() });

/** Adds the type of `value` to `shape` (made when absent), and returns it; with `deep`, its fields and elements too. */
export function addToShape(value: unknown, shape: Shape = emptyShape(), { deep = true, naming = false } = {}): Shape {
  const type = typeOf(value);
  if (!shape.types.has(type)) shape.types.set(type, value);
  if (naming && typeof value === 'string') shape.names.add(value);
  if (!deep) return shape;
  if (Array.isArray(value)) {
    for (const item of value) shape.items.set(kindOf(item), addToShape(item, shape.items.get(kindOf(item))));
  } else if (isObject(value)) {
    for (const [name, field] of Object.entries(value)) {
      const how = { deep: !isToolInput(name, value), naming: NAMING_FIELDS.has(name) };
      shape.fields.set(name, addToShape(field, shape.fields.get(name), how));
    }
  }
  return shape;
}

export type { Shape };

const short = (value: unknown) => shorten(value as Json);
const typesText = (types: Map<JsonType, unknown>) => [...types.keys()].sort().join(' or ');
const example = (types: Map<JsonType, unknown>, unlike: Map<JsonType, unknown>) =>
  short([...types].find(([type]) => !unlike.has(type))?.[1] ?? [...types.values()][0]);

/** How `live` differs in shape from `recorded`, both at `segments`. */
export function* shapeDrifts(recorded: Shape, live: Shape, segments: string[]): Generator<Drift> {
  const path = joinPath(segments);
  if (typesText(recorded.types) !== typesText(live.types)) {
    const change = `type changed: ${typesText(recorded.types)} → ${typesText(live.types)}`;
    yield { path, change, recorded: example(recorded.types, live.types), live: example(live.types, recorded.types) };
  }
  if (recorded.names.size > 0 && live.names.size > 0 && [...recorded.names].sort().join() !== [...live.names].sort().join()) {
    yield {
      path,
      change: 'value changed',
      recorded: [...recorded.names].map(short).join(', '),
      live: [...live.names].map(short).join(', '),
    };
  }
  if (recorded.types.has('object') && live.types.has('object')) {
    for (const [name, shape] of recorded.fields) {
      const other = live.fields.get(name);
      const at = [...segments, name];
      if (!other) yield { path: joinPath(at), change: 'field removed', recorded: example(shape.types, new Map()) };
      else yield* shapeDrifts(shape, other, at);
    }
    for (const [name, shape] of live.fields) {
      if (!recorded.fields.has(name))
        yield { path: joinPath([...segments, name]), change: 'field added', live: example(shape.types, new Map()) };
    }
  }
  // An empty array says nothing of its elements: only two arrays that both had some are compared.
  if (recorded.items.size > 0 && live.items.size > 0) yield* itemDrifts(recorded.items, live.items, segments);
}

/** Elements by kind: a kind that appeared or went away, and the shape of each kind both have. */
function* itemDrifts(recorded: Map<string, Shape>, live: Map<string, Shape>, segments: string[]): Generator<Drift> {
  for (const [kind, shape] of recorded) {
    const other = live.get(kind);
    if (other) yield* shapeDrifts(shape, other, [...segments, element(kind)]);
    else yield { path: joinPath([...segments, element(kind)]), change: 'element kind removed' };
  }
  for (const kind of live.keys()) {
    if (!recorded.has(kind)) yield { path: joinPath([...segments, element(kind)]), change: 'element kind added' };
  }
}

/**
 * Numbers that moved by more than `tolerance`, at the same place in both values (arrays element by element, as
 * far as both go): the first per path, so an embedding counts once.
 */
export function numberDrifts(recorded: unknown, live: unknown, segments: string[], tolerance: number): Drift[] {
  const found = new Map<string, Drift>();
  const walk = (a: unknown, b: unknown, at: string[]) => {
    if (typeof a === 'number' && typeof b === 'number') {
      const path = joinPath(at);
      if (Math.abs(a - b) > tolerance && !found.has(path))
        found.set(path, { path, change: `number moved by more than ${tolerance}`, recorded: String(a), live: String(b) });
    } else if (Array.isArray(a) && Array.isArray(b)) {
      for (let i = 0; i < Math.min(a.length, b.length); i++)
        walk(a[i], b[i], [...at, element(kindOf(a[i]) === kindOf(b[i]) ? kindOf(a[i]) : '')]);
    } else if (isObject(a) && isObject(b)) {
      for (const name of Object.keys(a)) if (name in b && !isToolInput(name, a)) walk(a[name], b[name], [...at, name]);
    }
  };
  walk(recorded, live, segments);
  return [...found.values()];
}
