import type { LateRequest } from '../store/usage';
import { afterFileMessage, outlivedMessage, refusal, shownRequest } from './messages';
import type { TestScope } from './scope';

/**
 * Requests made by code that outlived its test (a timer, a retry, a promise nobody awaited), or its
 * whole test file: each is refused, and noted once for the run's summary.
 */
export class LateRequests {
  private readonly noted: LateRequest[] = [];
  private fileEnded?: { testFile: string; onLate: () => void };

  /** What was refused so far, in order. */
  readonly list: readonly LateRequest[] = this.noted;

  /** Whether the test file has ended. */
  get ended(): boolean {
    return this.fileEnded !== undefined;
  }

  /** The test file has ended: from now on every request of its code is late, and `onLate` hears of each new one. */
  end(testFile: string, onLate: () => void): void {
    this.fileEnded = { testFile, onLate };
  }

  /** Refuses a request started by `scope` after it ended, or by the file's code (any scope, or none) after the file ended. */
  refuse(request: Request, scope: TestScope | undefined): Response {
    const file = this.fileEnded;
    const from = scope?.testId ?? file?.testFile ?? '';
    const late: LateRequest = { request: shownRequest(request), from, after: file ? 'file' : 'test' };
    if (!this.noted.some((l) => l.request === late.request && l.from === late.from && l.after === late.after)) {
      this.noted.push(late);
      file?.onLate();
    }
    return refusal(file ? afterFileMessage(request, file.testFile, from) : outlivedMessage(request, scope!));
  }
}
