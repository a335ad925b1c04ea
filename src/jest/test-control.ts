import type { Control } from '../control';
import { liveRefusal, type Mode, testMode } from '../core/mode';
import type { Interaction } from '../core/session/interaction';
import type { TestScope } from '../core/session/scope';

/**
 * What `setTestId`, `replay` and `liveTest` call from inside the test file's sandbox: the scope of the test calling,
 * found by `scope` (undefined in a live run, where nothing is intercepted and these change nothing).
 */
export function testControl(
  run: Mode,
  scope: (call: string) => TestScope | undefined,
  interactions: (scope: TestScope) => Promise<Interaction[]>,
): Control {
  return {
    setTestId: (id) => scope('setTestId()')?.setTestId(id),
    setMode: (mode) => {
      const checked = testMode(mode, run, process.env);
      scope('replay.mode()')?.setMode(checked);
    },
    liveTestSkipped: () => liveRefusal(run),
    matchIgnore: (paths) => scope('replay.matchIgnore()')?.ignore(paths),
    interactions: async () => {
      const current = scope('replay.interactions()');
      return current ? interactions(current) : [];
    },
  };
}
