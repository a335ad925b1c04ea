import { publicUrl } from '../keying/request';
import { credentialsOf } from '../keying/secrets';
import { carriesPlaceholder, placeholderError } from '../keying/placeholder-keys';
import { printable } from '../util/printable';
import type { TestScope } from './scope';

/** What the session answers when it must not replay or record a request, and why. */

/** A live request's URL as it may be printed or stored: without any credential it carries, nothing a terminal acts on. */
export const shownUrl = (request: Request) => printable(String(publicUrl(request.url, credentialsOf(request.url, request.headers))));

/** `METHOD url` of a live request, as messages and the run's summary show it. */
export const shownRequest = (request: Request) => `${request.method} ${shownUrl(request)}`;

export function outsideTestMessage(request: Request): string {
  return (
    `jest-replay: ${shownRequest(request)} was made outside a running test ` +
    '(at module load, or in a beforeEach/afterEach shared by test.concurrent tests, which cannot be charged to one test). ' +
    'Make the request inside a test, beforeEach/afterEach, or beforeAll/afterAll.'
  );
}

export function outlivedMessage(request: Request, scope: TestScope): string {
  return (
    `jest-replay: ${shownRequest(request)} was made outside a running test: it comes from a timer or ` +
    `promise started by "${printable(scope.testId)}", which has already ended. Await the request inside that test.`
  );
}

/** A request made after its test file ended: `from` is the test that started it, or the file when no test did. */
export function afterFileMessage(request: Request, testFile: string, from: string): string {
  return (
    `jest-replay: ${shownRequest(request)} was refused: it was made after the test file ${printable(testFile)} ended, ` +
    `by a timer, retry or promise started by ${printable(from)}. Nothing is sent once a test file has ended: ` +
    'await the request in its test, or cancel it (clearTimeout, an AbortController) in afterEach or afterAll.'
  );
}

/**
 * Ends the one-line text of a refusal that fails its test: the client's error (which repeats it) is
 * recognized by it and left out of the test's failure, where jest-replay's own message says it all.
 */
export const REFUSAL_MARKER = "Not a server error: this test's jest-replay failure says why.";

/** Whether a test's error is only a client's report of a refusal that failed the test (the marker, in it or its causes). */
export function echoesRefusal(error: unknown): boolean {
  for (let e = error, depth = 0; e !== null && e !== undefined && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const message = typeof e === 'object' ? (e as { message?: unknown }).message : e;
    if (typeof message === 'string' && message.includes(REFUSAL_MARKER)) return true;
  }
  return false;
}

/**
 * Fails the test with `problem` (its full message is the test's failure) and answers the request
 * with a one-line pointer to it, which clients repeat in their own error.
 */
export function failTest(scope: TestScope, problem: Error, headline: string): Response {
  scope.fail(problem);
  return refusal(`${headline} ${REFUSAL_MARKER}`);
}

/** Fails the test of a request about to leave with replay mode's placeholder key: a placeholder never reaches a server. */
export function refusePlaceholder(scope: TestScope, request: Request): Response | undefined {
  if (!carriesPlaceholder(request)) return undefined;
  const shown = shownRequest(request);
  return failTest(scope, placeholderError(shown), `jest-replay: ${shown} was not sent: it carries a placeholder key.`);
}

/**
 * The answer to a request that must fail, at once and for good: a 400, which no client retries (the AI
 * SDK retries 408, 409, 429 and 5xx; LangChain all but 400–407, 409 and 413; the openai and Anthropic
 * SDKs 408, 409, 429 and 5xx). `x-should-retry: false` tells the Stainless SDKs so in their own words.
 */
export function refusal(message: string): Response {
  return new Response(JSON.stringify({ error: { message, type: 'jest_replay_error', code: 'jest_replay_error' } }), {
    status: 400,
    headers: { 'content-type': 'application/json', 'x-should-retry': 'false', 'x-jest-replay': 'refused' },
  });
}
