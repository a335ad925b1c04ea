import stableStringify from 'fast-json-stable-stringify';
import { sha256 } from '../util/hash';
import type { Json } from '../util/json';
import type { RequestBody } from './request';

/** Model lists are session infrastructure in llama-stack: one recording serves every test. */
const SHARED_ENDPOINTS = [/(^|\/)v1\/models$/, /^\/api\/tags$/];

export function isSharedEndpoint(method: string, pathname: string): boolean {
  return method.toUpperCase() === 'GET' && SHARED_ENDPOINTS.some((pattern) => pattern.test(pathname));
}

/** Path plus query with its parameters sorted, so `?b=1&a=2` and `?a=2&b=1` key alike. */
export function keyedPath(url: URL): string {
  const params = new URLSearchParams(url.search);
  params.sort();
  const query = params.toString();
  return query ? `${url.pathname}?${query}` : url.pathname;
}

/** Long decimals inside strings (`"0.30000000000000004"`) are rounded like numbers, as llama-stack does. */
const LONG_DECIMAL_IN_STRING = /-?\d+\.\d{4,}/g;

/** Floats compare at 5 decimals: `0`, `0.0` and `1e-7` noise must not change a key. */
export function roundNumber(value: number): number {
  if (Number.isInteger(value) || !Number.isFinite(value) || Math.abs(value) >= 1e21) return value;
  return Number(value.toFixed(5));
}

const roundDecimalsInString = (value: string): string =>
  value.replace(LONG_DECIMAL_IN_STRING, (match) => Number(match).toFixed(5));

/** Recursively normalizes a JSON value for hashing; the stored body keeps the original values. */
export function normalizeForKey(value: Json): Json {
  if (typeof value === 'number') return roundNumber(value);
  if (typeof value === 'string') return roundDecimalsInString(value);
  if (Array.isArray(value)) return value.map(normalizeForKey);
  if (value !== null && typeof value === 'object') {
    const out: { [key: string]: Json } = {};
    for (const [k, v] of Object.entries(value)) out[k] = normalizeForKey(v);
    return out;
  }
  return value;
}

/** What a body contributes to the key: normalized JSON, or the sha256 of its bytes. */
export function bodyForKey(body: RequestBody): Json {
  if (body.kind === 'empty') return null;
  return body.kind === 'json' ? normalizeForKey(body.value) : { sha256: sha256(body.bytes) };
}

export interface KeyInput {
  method: string;
  url: URL;
  /** Already normalized (see `bodyForKey`). */
  body: Json;
  testId: string | null;
}

/**
 * sha256 of the canonical JSON of method, path with sorted query, normalized body and test id.
 * Headers never take part: they carry credentials and SDK versions, not meaning.
 */
export function requestKey({ method, url, body, testId }: KeyInput): string {
  const upper = method.toUpperCase();
  const canonical: Record<string, Json> = { method: upper, path: keyedPath(url), body };
  if (!isSharedEndpoint(upper, url.pathname)) canonical.test_id = testId;
  return sha256(stableStringify(canonical));
}
