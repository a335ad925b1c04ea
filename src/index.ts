import { CONTROL, type Control } from './control';

export type { ReplayOptions } from './core/config';
export type { RedactableRequest, RedactHook } from './core/redact';
export type { TestIdContext, TestIdResolver } from './core/test-id';
export type { Mode } from './core/mode';
export type { BodyNormalizer } from './core/normalizers';

/**
 * Sets the id under which the current test's requests are keyed and stored, for example a
 * pytest node id to replay recordings made by llama-stack's Python suite. Call it in the test
 * (or its `beforeEach`) before the first request.
 */
export function setTestId(testId: string): void {
  const control = (globalThis as { [CONTROL]?: Control })[CONTROL];
  if (!control) {
    throw new Error(
      'jest-replay: setTestId() needs the jest-replay test environment. Add `preset: "jest-replay"` to your Jest config, ' +
        'or use `testEnvironment: "jest-replay/environment"`.',
    );
  }
  control.setTestId(testId);
}
