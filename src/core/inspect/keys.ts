import type { Recording } from '../recording/format';
import { keyOfLlamaStackRecording } from '../recording/llama-stack';
import type { Json } from '../util/json';
import { thenIgnoring } from '../keying/match-ignore';
import type { RequestBody } from '../keying/request';
import { type KeyRules, keyUnder } from '../keying/rules';

/** The ways a stored body may have been keyed: JSON as JSON; a text body as its bytes, or as a JSON string. */
function keyedBodies(stored: unknown): RequestBody[] {
  if (stored === null || stored === undefined) return [{ kind: 'empty' }];
  if (typeof stored === 'string') return [{ kind: 'bytes', bytes: Buffer.from(stored) }, { kind: 'json', value: stored }];
  return [{ kind: 'json', value: stored as Json }];
}

/** The project's rules as its recorder applied them to this recording: with the test's own `match_ignore` paths. */
export const rulesOf = (recording: Recording, rules: KeyRules): KeyRules => ({
  ...rules,
  normalize: thenIgnoring(rules.normalize ?? ((body) => body), recording.match_ignore ?? []),
});

/**
 * The keys a recording's stored request may have been written under, for its test id or `testId`, always
 * in the same order (so the nth key for one id and the nth for another are keyed alike): as the recorder
 * computes them under the project's rules and the test's own `match_ignore` paths, and, for files imported
 * from llama-stack, as `import` computes it from the recorded endpoint.
 */
export function keyVariants(recording: Recording, rules: KeyRules = {}, testId = recording.test_id): string[] {
  const own = rulesOf(recording, rules);
  const { request } = recording;
  const imported = keyOfLlamaStackRecording(recording, own, testId).key;
  if (!URL.canParse(request.url)) return [imported];
  const method = request.method.toUpperCase();
  const url = new URL(request.url);
  return [...keyedBodies(request.body).map((body) => keyUnder(own, { method, url, body }, testId)), imported];
}

/** The distinct keys a recording may have been written under (see `keyVariants`). */
export const keysOf = (recording: Recording, rules?: KeyRules): string[] => [...new Set(keyVariants(recording, rules))];
