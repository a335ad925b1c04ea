import type { Interaction } from './core/session/interaction';

/**
 * The bridge between test code (which runs in Jest's sandbox) and the environment (which runs
 * outside it): the environment puts a control object on the sandbox's global under this
 * registry symbol, which is the same in every realm.
 */
export const CONTROL = Symbol.for('jest-replay.control');

/** Marks the body of a test `liveTest` defined as skipped, so the environment reports it as a live test this run skipped. */
export const SKIPPED_LIVE_TEST = Symbol.for('jest-replay.skipped-live-test');

export interface Control {
  setTestId(testId: string): void;
  /** Why a test that runs live is skipped in this run (a CI run that replays), or undefined when it runs. */
  liveTestSkipped(): string | undefined;
  setMode(mode: unknown): void;
  matchIgnore(paths: unknown[]): void;
  interactions(): Promise<Interaction[]>;
}
