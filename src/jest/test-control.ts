import type { Control } from '../control';
import { liveRefusal, type Mode, testMode } from '../core/mode';
import type { Interaction } from '../core/session/interaction';
import type { TestScope } from '../core/session/scope';

/**
 * What `setTestId`, `replay` and `liveTest` call from inside the test file's sandbox, in a run of `mode` (`jestCi`:
 * Jest's own CI detection): the scope of the test calling, found by `scope` (undefined in a live run, where nothing
 * is intercepted and these change nothing).
 */
export function testControl(
  run: { mode: Mode; jestCi: boolean },
  scope: (call: string) => TestScope | undefined,
  interactions: (scope: TestScope) => Promise<Interaction[]>,
): Control {
  return {
    setTestId: (id) => scope('setTestId()')?.setTestId(id),
    setMode: (mode) => {
      const checked = testMode(mode, run.mode, process.env, run.jestCi);
      scope('replay.mode()')?.setMode(checked);
    },
    liveTestSkipped: () => liveRefusal(run.mode, process.env, run.jestCi),
    matchIgnore: (paths) => scope('replay.matchIgnore()')?.ignore(paths),
    interactions: async () => {
      const current = scope('replay.interactions()');
      return current ? interactions(current) : [];
    },
  };
}
