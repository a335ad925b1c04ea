import type { Circus } from '@jest/types';
import { echoesRefusal } from '../core/session/messages';

/**
 * A test's failure as the user reads it: jest-replay's problems first (a miss, a refused request: the
 * cause of whatever else failed), and not again in the client's words. A client's error that only
 * repeats a refusal (the openai SDK's `400 jest-replay: …`, the AI SDK's `APICallError`) is left out,
 * unless the long form is asked for (`verbose`).
 */
export function reportProblems(test: Circus.TestEntry, problems: Error[], verbose: boolean): void {
  if (problems.length === 0) return;
  const own = test.errors.filter((entry) => verbose || !echoesRefusal(Array.isArray(entry) ? entry[0] : entry));
  test.errors.splice(0, test.errors.length, ...problems, ...own);
}
