import { CONTROL, type Control, SKIPPED_LIVE_TEST } from './control';
import type { Interaction } from './core/session/interaction';
import type { Mode } from './core/mode';
import type { Json } from './core/util/json';

export type { ReplayOptions } from './core/config';
export type { RedactableRequest, RedactHook } from './core/keying/redact';
export type { BeforeRecordHook, RecordableResponse, RecordedRequest } from './core/recording/before-record';
export type { TestIdContext, TestIdResolver } from './jest/test-id';
export type { Mode } from './core/mode';
export type { BodyNormalizer } from './core/keying/normalizers';
export type { Interaction } from './core/session/interaction';
export type { Json } from './core/util/json';

/** The environment's control object; `call` names what needed it in the error. */
function control(call: string): Control {
  const found = (globalThis as { [CONTROL]?: Control })[CONTROL];
  if (!found) {
    throw new Error(
      `jest-replay: ${call} needs the jest-replay test environment. Add \`preset: "jest-replay"\` to your Jest config, ` +
        'or use `testEnvironment: "jest-replay/environment"`.',
    );
  }
  return found;
}

/**
 * Sets the id under which the current test's requests are keyed and stored, for example a
 * pytest node id to replay recordings made by llama-stack's Python suite. Call it in the test
 * (or its `beforeEach`) before the first request.
 */
export function setTestId(testId: string): void {
  control('setTestId()').setTestId(testId);
}

/** Per-test control, from inside a test (or its `beforeEach`, or a `beforeAll`/`afterAll` hook for that hook). */
export const replay = {
  /**
   * Handles the current test's requests in `mode` instead of the run's; before its first request.
   * Under CI, a run that replays refuses a mode that would reach the network.
   */
  mode(mode: Mode): void {
    control('replay.mode()').setMode(mode);
  },
  /** `mode('live')`: the current test's requests go to their servers, unrecorded. */
  live(): void {
    control('replay.live()').setMode('live');
  },
  /** Leaves these request body fields (`body.user`, `body.metadata.*`) out of the current test's keys; before its first request. */
  matchIgnore(...paths: string[]): void {
    control('replay.matchIgnore()').matchIgnore(paths);
  },
  /**
   * What the current test replayed and recorded so far, in request order, once its recordings are written. `Body`
   * types whole response bodies (`replay.interactions<ChatCompletion>()`), `Chunk` a stream's chunks; both are
   * read from the files as stored, unchecked.
   */
  interactions<Body = Json, Chunk = Json>(): Promise<Interaction<Body, Chunk>[]> {
    return control('replay.interactions()').interactions() as Promise<Interaction<Body, Chunk>[]>;
  },
};

/** Jest's `test` global, as `liveTest` needs it. */
type TestFunction = ((name: string, fn: () => unknown, timeout?: number) => void) & { skip(name: string, fn: () => unknown): void };

/**
 * Defines a test that always runs live (`replay.live()`: its requests go to their servers, nothing is recorded),
 * a smoke test against the real API, say. In a CI run that replays, where going live is refused, it is skipped
 * instead, and the run's summary says so. Call it where you would call `test`.
 */
export function liveTest(name: string, fn: () => unknown, timeout?: number): void {
  const test = (globalThis as { test?: TestFunction }).test;
  if (typeof test !== 'function') {
    throw new Error("jest-replay: liveTest() needs Jest's test global: call it in a test file, with injectGlobals left on.");
  }
  if (control('liveTest()').liveTestSkipped() !== undefined) {
    test.skip(name, Object.assign(() => fn(), { [SKIPPED_LIVE_TEST]: true }));
    return;
  }
  test(
    name,
    () => {
      replay.live();
      return fn();
    },
    timeout,
  );
}
