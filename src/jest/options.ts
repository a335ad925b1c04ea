import type { Config } from '@jest/types';
import * as path from 'node:path';
import { checkPlacement, replayOptionsIn } from '../core/config';

/** A project's `testEnvironmentOptions.replay`, as the user wrote it (`resolveConfig` checks it); a misplaced option throws. */
export function replayOptionsOf(projectConfig: Config.ProjectConfig): unknown {
  checkPlacement(projectConfig.testEnvironmentOptions);
  return replayOptionsIn(projectConfig.testEnvironmentOptions);
}

/** A path as the user reads it: relative to where they ran jest, unless it is outside. */
export function displayPath(file: string): string {
  const relative = path.relative(process.cwd(), file) || '.';
  return relative.startsWith('..') ? file : relative;
}

/** `JEST_REPLAY_VERBOSE=1`: misses in their long form (every differing field, both ways to record, the client's own error kept). */
export const VERBOSE_VARIABLE = 'JEST_REPLAY_VERBOSE';
