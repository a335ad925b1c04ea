import type { Config } from '@jest/types';
import * as path from 'node:path';
import { ReplayConfigError } from '../core/errors';
import { RUN_ID_VARIABLE } from '../core/store/usage';
import { displayPath } from './options';
import { clashesOf, projectsOfRun, SETTLED_VARIABLE, settleRun } from './settle-run';

/**
 * The end of a run whose config replaced the preset's reporters (Jest runs the global teardown after them): the
 * stale recordings of re-recorded tests are deleted all the same, and clashes fail the run. When the reporter ran,
 * it did both already, and this does nothing.
 */
export default async function globalTeardown(globalConfig: Config.GlobalConfig): Promise<void> {
  if (process.env[SETTLED_VARIABLE] !== undefined) return;
  const settled = settleRun(projectsOfRun(), process.env[RUN_ID_VARIABLE], globalConfig.shard);
  const lines = settled.flatMap(({ dir, cleanUp, problem }) => [
    ...cleanUp.deleted.map((file) => `jest-replay: deleted  ${displayPath(path.join(dir, file))} (its test was re-recorded without it)`),
    ...(problem ? [problem] : []),
  ]);
  if (lines.length > 0 && !globalConfig.silent) process.stderr.write(`${lines.join('\n')}\n`);
  const clashes = settled.flatMap(clashesOf);
  if (clashes.length > 0) throw new ReplayConfigError(clashes.join('\n'));
}

export { globalTeardown };
