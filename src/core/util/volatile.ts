import type { Json } from './json';

/**
 * Values that change on every run without changing what a request means: a timestamp, a UUID, a
 * random id. Told apart by their shape only, and only when both the recorded and the new value
 * have the same shape: `"2024-05-01T10:00:00Z" → "2024-06-02T11:30:00Z"` is one, a changed prompt
 * that mentions a date is not.
 */

const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** `call_4f8b2a…`, `req-9XkQ…`, a bare hex or base62 token: an optional word prefix, then 12+ random characters. */
const RANDOM_ID = /^([A-Za-z]+[_-])?([A-Za-z0-9]{12,})$/;
const HEX = /^[0-9a-f]+$/i;
/** From 2001 to 2286, in seconds or milliseconds since 1970. */
const EPOCH_SECONDS = [1e9, 1e10] as const;
const EPOCH_MILLISECONDS = [1e12, 1e13] as const;

const asEpoch = (value: Json): number | undefined =>
  typeof value === 'number' ? value : typeof value === 'string' && /^\d+(\.\d+)?$/.test(value) ? Number(value) : undefined;
const within = (n: number, [low, high]: readonly [number, number]) => n >= low && n < high;

function epochKind(from: Json, to: Json): string | undefined {
  const [a, b] = [asEpoch(from), asEpoch(to)];
  if (a === undefined || b === undefined || typeof from !== typeof to) return undefined;
  if (within(a, EPOCH_SECONDS) && within(b, EPOCH_SECONDS)) return 'epoch seconds';
  if (within(a, EPOCH_MILLISECONDS) && within(b, EPOCH_MILLISECONDS)) return 'epoch milliseconds';
  return undefined;
}

/** A random part: all hex, or letters and digits mixed (a word has no digits, a number no letters). */
const looksRandom = (text: string) => /\d/.test(text) && (HEX.test(text) || /[A-Za-z]/.test(text));

function randomIdKind(from: string, to: string): string | undefined {
  const [a, b] = [RANDOM_ID.exec(from), RANDOM_ID.exec(to)];
  if (!a || !b || a[1] !== b[1] || a[2].length !== b[2].length) return undefined;
  return looksRandom(a[2]) && looksRandom(b[2]) ? 'random id' : undefined;
}

/** What both values look like when each is a volatile value of the same kind (`timestamp`, `UUID`…), else undefined. */
export function volatileKind(from: Json, to: Json): string | undefined {
  const epoch = epochKind(from, to);
  if (epoch) return epoch;
  if (typeof from !== 'string' || typeof to !== 'string') return undefined;
  if (ISO_TIMESTAMP.test(from) && ISO_TIMESTAMP.test(to)) return 'timestamp';
  if (UUID.test(from) && UUID.test(to)) return 'UUID';
  return randomIdKind(from, to);
}
