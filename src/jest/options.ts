import type { Config } from '@jest/types';

/** A project's `testEnvironmentOptions.replay`, as the user wrote it (`resolveConfig` checks it). */
export const replayOptionsOf = (projectConfig: Config.ProjectConfig): unknown =>
  (projectConfig.testEnvironmentOptions as { replay?: unknown } | undefined)?.replay;
