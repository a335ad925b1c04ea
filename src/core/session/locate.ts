import { requestKey } from '../keying/key';
import type { RecordingStore } from '../store/store';
import type { KeyedRequest } from './identify';

/**
 * The recordings replay answers a request from: a shared endpoint's (merged from every test); else the test's own
 * recording, else a session-level one (recorded with no test id, as llama-stack does for requests made during
 * session setup), as llama-stack's lookup falls back to them. A drift run looks its requests up the same way.
 */
export function recordingsFor(
  store: RecordingStore,
  testId: string,
  { method, url, keyBody, key, ordinal, shared }: KeyedRequest,
): string[] {
  if (shared) return store.locateModelLists(key);
  const own = store.locate(testId, key, ordinal);
  if (own) return [own];
  const session = store.locate(null, requestKey({ method, url, body: keyBody, testId: null }), ordinal);
  return session ? [session] : [];
}
