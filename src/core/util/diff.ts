import { isObject, type Json, memberPath } from './json';

/**
 * One field that differs between two JSON values; `path` is like `body.messages[2].content`, and
 * `segments` the keys and indexes it is made of (`['body', 'messages', 2, 'content']`).
 */
export type FieldDifference = { path: string; segments: readonly (string | number)[] } & (
  | { kind: 'changed'; from: Json; to: Json }
  | { kind: 'added'; to: Json }
  | { kind: 'removed'; from: Json }
);


/**
 * The leaf-level differences from `from` to `to`, in key order. Objects are compared key by key
 * and arrays index by index (a request's messages are appended, rarely inserted); anything else
 * that is not equal is one changed field. Written by hand rather than with a diff library: the
 * values are plain JSON, and what we need is the path spelling and a count to rank recordings by.
 */
export function diffJson(from: Json, to: Json, path = '', segments: readonly (string | number)[] = path ? [path] : []): FieldDifference[] {
  if (isObject(from) && isObject(to)) {
    const keys = [...new Set([...Object.keys(from), ...Object.keys(to)])].sort();
    return keys.flatMap((key) => {
      const at = { path: memberPath(path, key), segments: [...segments, key] };
      if (!(key in to)) return [{ kind: 'removed', ...at, from: from[key] } as const];
      if (!(key in from)) return [{ kind: 'added', ...at, to: to[key] } as const];
      return diffJson(from[key], to[key], at.path, at.segments);
    });
  }
  if (Array.isArray(from) && Array.isArray(to)) {
    return Array.from({ length: Math.max(from.length, to.length) }, (_, i) => {
      const at = { path: memberPath(path, i), segments: [...segments, i] };
      if (i >= to.length) return [{ kind: 'removed', ...at, from: from[i] } as const];
      if (i >= from.length) return [{ kind: 'added', ...at, to: to[i] } as const];
      return diffJson(from[i], to[i], at.path, at.segments);
    }).flat();
  }
  return JSON.stringify(from) === JSON.stringify(to) ? [] : [{ kind: 'changed', path, segments, from, to }];
}

/** `text` from `start` as at most `max` characters, with `…` where it was cut. */
function clip(text: string, start: number, max: number): string {
  const head = start > 0 ? '…' : '';
  const room = max - head.length;
  return text.length - start <= room ? head + text.slice(start) : `${head}${text.slice(start, start + room - 1)}…`;
}

const asText = (value: Json) => JSON.stringify(value) ?? 'undefined';

/** A value as one short line: JSON, cut to `max` characters with `…`. */
export function shorten(value: Json, max = 60): string {
  return clip(asText(value), 0, max);
}

/** Characters shown before the first difference of two long values, so the change is read in context. */
const CONTEXT = 20;

/**
 * Two values as short lines that show where they differ: cut to the same window around their first
 * differing character (a long prompt changed near its end would otherwise show two equal beginnings).
 */
export function shortenPair(from: Json, to: Json, max = 60): [string, string] {
  const [a, b] = [asText(from), asText(to)];
  let common = 0;
  while (common < a.length && a[common] === b[common]) common++;
  // The window ends no later than the longer value does: no room is spent on nothing.
  const start = Math.max(0, Math.min(common - CONTEXT, Math.max(a.length, b.length) - (max - 1)));
  return [clip(a, start, max), clip(b, start, max)];
}

/** `body.temperature: 0.7 → 0.2`, `body.seed: added 42`, `body.top_p: removed (was 1)`. */
export function describeDifference(difference: FieldDifference): string {
  switch (difference.kind) {
    case 'changed':
      return `${difference.path}: ${shortenPair(difference.from, difference.to).join(' → ')}`;
    case 'added':
      return `${difference.path}: added ${shorten(difference.to)}`;
    case 'removed':
      return `${difference.path}: removed (was ${shorten(difference.from)})`;
  }
}
