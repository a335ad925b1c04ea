import { bodyForKey, requestKey } from './key';
import type { BodyNormalizer } from './normalizers';
import { type RedactHook, redactRequest } from './redact';
import type { RequestBody } from './request';

/**
 * A project's own rules on keys, beyond the fixed normalization: its `normalizers` and configured
 * `matchIgnore` paths (as one function, see `thenIgnoring`) and its `redact` hook. The recorder applies
 * them to live requests; the command line applies them to stored ones, to find the key a file must have.
 */
export interface KeyRules {
  normalize?: BodyNormalizer;
  redact?: RedactHook;
}

/** The key of a request under `rules`, as the recorder makes it: redacted, normalized, then hashed with the test id. */
export function keyUnder(rules: KeyRules, request: { method: string; url: URL; body: RequestBody }, testId: string | null): string {
  const { method, url, body } = rules.redact ? redactRequest(rules.redact, request) : request;
  const normalized = bodyForKey(body);
  const keyBody = rules.normalize ? rules.normalize(normalized, { method, path: url.pathname }) : normalized;
  return requestKey({ method, url, body: keyBody, testId });
}
