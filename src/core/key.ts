import stableStringify from 'fast-json-stable-stringify';
import { type Json, sha256 } from './normalize';

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
