import type { StoredRequest } from '../recording/format';
import { isCredentialHeader, isCredentialParam } from './credential-names';
import { isLoopback } from './hosts';
import { sha256 } from '../util/hash';
import { type Json, parseJson, parsedExactly } from '../util/json';

/** A request body as the recorder sees it: parsed JSON, or raw bytes when it is not JSON. */
export type RequestBody = { kind: 'empty' } | { kind: 'json'; value: Json } | { kind: 'bytes'; bytes: Uint8Array };

export const bodyText = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');

/**
 * JSON as JSON; anything else, and JSON that parsing would change (a member given twice, an integer
 * beyond 2^53), as its bytes: two requests that differ must never key alike.
 */
export function parseRequestBody(bytes: Uint8Array | null | undefined): RequestBody {
  if (!bytes || bytes.byteLength === 0) return { kind: 'empty' };
  const text = bodyText(bytes);
  const parsed = parseJson(text);
  return parsed && parsedExactly(text, parsed.value) ? { kind: 'json', value: parsed.value as Json } : { kind: 'bytes', bytes };
}

/** Request headers stored by default: they describe the payload, never the caller. */
export const STORED_REQUEST_HEADERS = ['content-type', 'accept', 'openai-beta', 'anthropic-version', 'anthropic-beta'];

/**
 * The URL as it may be stored and keyed: no `user:password@`, no credential query parameters,
 * none whose value is one of `credentials` (those the request carries elsewhere, say in a header, see `credentialsOf`).
 * Parameters are dropped, not masked, so a recording keys alike whatever credential a run uses.
 */
export function publicUrl(raw: string, credentials: readonly { value: string }[] = []): URL {
  const url = new URL(raw);
  url.username = '';
  url.password = '';
  const params = [...url.searchParams];
  const kept = params.filter(([name, value]) => !isCredentialParam(name) && !credentials.some((credential) => credential.value === value));
  if (kept.length < params.length) url.search = new URLSearchParams(kept).toString();
  return url;
}

/**
 * The URL as stored. A loopback server's port is left out: a local server (llama-stack, Ollama, a test
 * double) often gets a new port when it restarts, and the host is not part of the key, so storing the
 * port would rewrite every recording on each re-recording. The result is still a URL that parses.
 */
export function storedUrl(url: URL): string {
  if (!isLoopback(url.hostname) || url.port === '') return url.toString();
  const stable = new URL(url);
  stable.port = '';
  return stable.toString();
}

/** A redirect target as it may be stored: a signed URL (`?X-Amz-Signature=…`, `?sig=…`) loses its credentials. */
export function publicLocation(location: string): string {
  const base = 'http://relative.invalid';
  try {
    const url = publicUrl(new URL(location, base).toString());
    return url.origin === base ? `${url.pathname}${url.search}${url.hash}` : url.toString();
  } catch {
    return location;
  }
}

export function storedHeaders(headers: Headers, extra: readonly string[]): Record<string, string> {
  const stored: Record<string, string> = {};
  for (const name of [...STORED_REQUEST_HEADERS, ...extra]) {
    const value = headers.get(name);
    if (value !== null && !isCredentialHeader(name)) stored[name.toLowerCase()] = value;
  }
  // A multipart boundary is random per request: storing it would make every re-recording a diff.
  if (stored['content-type']) stored['content-type'] = stored['content-type'].replace(/;\s*boundary=[^;]*/i, '');
  return stored;
}

/** The body as stored: JSON as JSON (never a JSON string), text as text, other bytes by digest. */
export function storedBody(body: RequestBody): unknown {
  switch (body.kind) {
    case 'empty':
      return null;
    case 'json':
      return body.value;
    case 'bytes': {
      const text = Buffer.from(body.bytes).toString('utf8');
      return Buffer.from(text, 'utf8').equals(Buffer.from(body.bytes)) ? text : { sha256: sha256(body.bytes) };
    }
  }
}

export function storedRequest(input: { method: string; url: URL; headers: Headers; body: RequestBody; extraHeaders: readonly string[] }): StoredRequest {
  return {
    method: input.method.toUpperCase(),
    url: storedUrl(input.url),
    headers: storedHeaders(input.headers, input.extraHeaders),
    body: storedBody(input.body),
    endpoint: input.url.pathname,
    model: modelOf(input.body),
  };
}

/** The `model` a request names, in a JSON body or a multipart field (audio uploads). */
function modelOf(body: RequestBody): string {
  if (body.kind !== 'json' || !body.value || typeof body.value !== 'object' || Array.isArray(body.value)) return '';
  const { model, multipart } = body.value as Record<string, Json>;
  if (typeof model === 'string') return model;
  const field = Array.isArray(multipart) ? multipart.find((part) => (part as Record<string, Json>)?.name === 'model') : undefined;
  const value = (field as Record<string, Json> | undefined)?.value;
  return typeof value === 'string' ? value : '';
}

/** `text` with every id of `replaced` (as received → as stored) in its stored form. */
function withStoredIds(text: string, replaced: ReadonlyMap<string, string>): string {
  let out = text;
  for (const [received, stored] of replaced) if (out.includes(received)) out = out.split(received).join(stored);
  return out;
}

/**
 * Replaces the ids earlier responses of the test file were received with by their stored form, so a
 * request sending one back (`previous_response_id`, a tool call's id) keys alike in record and replay.
 */
export function substituteIds(body: RequestBody, replaced: ReadonlyMap<string, string>): RequestBody {
  if (body.kind !== 'json' || replaced.size === 0) return body;
  const text = JSON.stringify(body.value);
  const stored = withStoredIds(text, replaced);
  return stored === text ? body : { kind: 'json', value: JSON.parse(stored) as Json };
}

/** The same for a URL: a response fetched by its id (`GET /v1/responses/<id>`). */
export function substituteUrlIds(url: URL, replaced: ReadonlyMap<string, string>): URL {
  const text = url.toString();
  const stored = withStoredIds(text, replaced);
  return stored === text ? url : new URL(stored);
}

/**
 * The body of a request as keyed and stored. A multipart upload (audio transcription) becomes
 * its fields, with each file part as its name, type, size and sha256: never the random
 * boundary, never the file's bytes.
 */
export async function readRequestBody(bytes: Uint8Array | null, contentType: string): Promise<RequestBody> {
  if (!bytes || !/^multipart\/form-data/i.test(contentType)) return parseRequestBody(bytes);
  const form = await new Request('http://multipart.invalid/', { method: 'POST', headers: { 'content-type': contentType }, body: bytes }).formData();
  const parts: Json[] = [];
  for (const [name, value] of form.entries()) {
    if (typeof value === 'string') parts.push({ name, value });
    else {
      const file = new Uint8Array(await value.arrayBuffer());
      parts.push({ name, filename: value.name, content_type: value.type, size: file.byteLength, sha256: sha256(file) });
    }
  }
  return { kind: 'json', value: { multipart: parts } };
}
