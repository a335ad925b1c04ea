import * as path from 'node:path';
import { idsRecordedForSameFile } from '../inspect/inspect';
import { explainMiss } from './miss';
import { publicUrl, storedBody } from '../keying/request';
import { credentialsOf } from '../keying/secrets';
import type { RecordingStore } from '../store/store';
import type { KeyedRequest } from './identify';
import type { TestScope } from './scope';

/** What the session answers when it must not replay or record a request, and why. */

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const shellQuote = (text: string) => (/^[\w./:=@-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`);

/** A live request's URL as it may be printed or stored: without any credential it carries. */
export const shownUrl = (request: Request) => publicUrl(request.url, credentialsOf(request.url, request.headers));

export function outsideTestMessage(request: Request): string {
  return (
    `jest-replay: ${request.method} ${shownUrl(request)} was made outside a running test ` +
    '(at module load, or in a beforeEach/afterEach shared by test.concurrent tests, which cannot be charged to one test). ' +
    'Make the request inside a test, beforeEach/afterEach, or beforeAll/afterAll.'
  );
}

export function outlivedMessage(request: Request, scope: TestScope): string {
  return (
    `jest-replay: ${request.method} ${shownUrl(request)} was made outside a running test: it comes from a timer or ` +
    `promise started by "${scope.testId}", which has already ended. Await the request inside that test.`
  );
}

/** Why a request has no recording in replay mode, what came closest, and the command that records it. */
export async function missMessage(store: RecordingStore, rootDir: string, scope: TestScope, keyed: KeyedRequest): Promise<string> {
  const { method, url, body, key, ordinal } = keyed;
  const display = (file: string) => path.relative(rootDir, file);
  const expected = display(store.fileFor(scope.testId, key, ordinal));
  const recordings = await store.recordingsOf(scope.testId);
  const otherIds = recordings.length === 0 ? idsRecordedForSameFile(store, scope.testId) : [];
  const explanation = explainMiss({ method, url, body: storedBody(body), ordinal }, recordings, display, otherIds);
  const testPath = scope.info.testPath;
  const only = scope.info.fullName ? ` -t ${shellQuote(`^${escapeRegExp(scope.info.fullName)}$`)}` : '';
  return [
    'jest-replay: no recording for this request (mode: replay).',
    `  test id:  ${scope.testId}`,
    `  request:  ${method} ${url}`,
    `  key:      ${key}${ordinal > 1 ? ` (identical request #${ordinal} in this test)` : ''}`,
    `  expected: ${expected}`,
    ...explanation,
    'Record it with real credentials:',
    `  RECORD=1 npx jest ${shellQuote(testPath)}${only}`,
    `or record only what is missing: JEST_REPLAY_MODE=record-if-missing npx jest ${shellQuote(testPath)}`,
    ...(scope.mode === 'replay' ? ["This test sets replay.mode('replay'): remove that call while recording it."] : []),
  ].join('\n');
}

/**
 * Fails the test with `problem` (its full message is the test's failure) and answers the request
 * with a one-line pointer to it: the SDK's error is printed too, and the message must be read once.
 */
export function failTest(scope: TestScope, problem: Error, headline: string): Response {
  scope.fail(problem);
  return refusal(`${headline} Not a server error: this test's jest-replay failure says why.`);
}

/**
 * The answer to a request that must fail: a 500 the SDKs surface at once. `x-should-retry:
 * false` stops the openai and anthropic SDKs from retrying with back-off, so a miss costs no time.
 */
export function refusal(message: string): Response {
  return new Response(JSON.stringify({ error: { message, type: 'jest_replay_error', code: 'jest_replay_error' } }), {
    status: 500,
    headers: { 'content-type': 'application/json', 'x-should-retry': 'false', 'x-jest-replay': 'refused' },
  });
}
