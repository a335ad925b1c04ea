import { ReplayError } from '../errors';
import type { Json } from '../util/json';
import type { RequestBody } from './request';
import { loadFunction } from '../util/user-module';

/** What a `redact` hook receives and returns: the request as it is keyed and stored. */
export interface RedactableRequest {
  method: string;
  /** Without URL credentials (they are removed before the hook runs). */
  url: string;
  /** Parsed JSON, the text of a non-JSON body, or null when empty. */
  body: Json;
}

/** The contract of a `testEnvironmentOptions.replay.redact` module. */
export type RedactHook = (request: RedactableRequest) => RedactableRequest;

const OPTION = 'testEnvironmentOptions.replay.redact';

/** The project's `redact` module's hook, resolved from its root. */
export const loadRedact = (spec: string, rootDir: string): RedactHook =>
  loadFunction<RedactHook>('redact', spec, rootDir, 'redact', 'redact({ method, url, body })');

function bodyForHook(body: RequestBody): Json {
  if (body.kind === 'json') return body.value;
  if (body.kind === 'empty') return null;
  return Buffer.from(body.bytes).toString('utf8');
}

function bodyFromHook(original: RequestBody, returned: Json): RequestBody {
  if (original.kind === 'json') return { kind: 'json', value: returned };
  // Non-JSON bodies are keyed by their bytes: only a changed text replaces them.
  if (original.kind === 'bytes' && typeof returned === 'string' && returned !== bodyForHook(original)) return { kind: 'bytes', bytes: Buffer.from(returned, 'utf8') };
  return original;
}

/**
 * Runs the project's hook on a request before it is keyed, so record and replay compute the
 * same key however the project's volatile values (session ids, user names) vary, and the
 * stored request holds the replaced values only.
 */
export function redactRequest(hook: RedactHook, request: { method: string; url: URL; body: RequestBody }): { method: string; url: URL; body: RequestBody } {
  const body = bodyForHook(request.body);
  const returned = hook({ method: request.method, url: request.url.toString(), body: structuredClone(body) });
  if (!returned || typeof returned.method !== 'string' || typeof returned.url !== 'string' || !('body' in returned)) {
    throw new ReplayError(`jest-replay: the ${OPTION} hook must return { method, url, body }, got ${JSON.stringify(returned)}.`);
  }
  let url: URL;
  try {
    url = new URL(returned.url);
  } catch {
    throw new ReplayError(`jest-replay: the ${OPTION} hook returned an invalid url ${JSON.stringify(returned.url)}.`);
  }
  return { method: returned.method.toUpperCase(), url, body: bodyFromHook(request.body, returned.body) };
}
