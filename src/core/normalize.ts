import { createHash } from 'node:crypto';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

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

export const sha256 = (data: string | Uint8Array): string => createHash('sha256').update(data).digest('hex');

/** A request body as the recorder sees it: parsed JSON, or raw bytes when it is not JSON. */
export type RequestBody = { kind: 'empty' } | { kind: 'json'; value: Json } | { kind: 'bytes'; bytes: Uint8Array };

export function parseRequestBody(bytes: Uint8Array | null | undefined): RequestBody {
  if (!bytes || bytes.byteLength === 0) return { kind: 'empty' };
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  try {
    return { kind: 'json', value: JSON.parse(text) as Json };
  } catch {
    return { kind: 'bytes', bytes };
  }
}

/** What a body contributes to the key: normalized JSON, or the sha256 of its bytes. */
export function bodyForKey(body: RequestBody): Json {
  switch (body.kind) {
    case 'empty':
      return null;
    case 'json':
      return normalizeForKey(body.value);
    case 'bytes':
      return { sha256: sha256(body.bytes) };
  }
}
