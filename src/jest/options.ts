import type { Config } from '@jest/types';

/** A project's `testEnvironmentOptions.replay`, as the user wrote it (`resolveConfig` checks it). */
export const replayOptionsOf = (projectConfig: Config.ProjectConfig): unknown =>
  (projectConfig.testEnvironmentOptions as { replay?: unknown } | undefined)?.replay;

/** `JEST_REPLAY_VERBOSE=1`: misses in their long form (every differing field, both ways to record, the client's own error kept). */
export const VERBOSE_VARIABLE = 'JEST_REPLAY_VERBOSE';
