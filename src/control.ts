import type { Interaction } from './core/session/interaction';

/**
 * The bridge between test code (which runs in Jest's sandbox) and the environment (which runs
 * outside it): the environment puts a control object on the sandbox's global under this
 * registry symbol, which is the same in every realm.
 */
export const CONTROL = Symbol.for('jest-replay.control');

export interface Control {
  setTestId(testId: string): void;
  setMode(mode: unknown): void;
  matchIgnore(paths: unknown[]): void;
  interactions(): Promise<Interaction[]>;
}
