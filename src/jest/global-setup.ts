import type { Config } from '@jest/types';
import * as path from 'node:path';
import { type ResolvedConfig, resolveConfig } from '../core/config';
import { loadNormalizers } from '../core/normalizers';
import { newRunId, RUN_ID_VARIABLE, startUsage } from '../core/usage';

/** A path as the user reads it: relative to where they ran jest, unless it is outside. */
export function displayPath(file: string): string {
  const relative = path.relative(process.cwd(), file) || '.';
  return relative.startsWith('..') ? file : relative;
}

/** The one line a run starts with: the mode and where recordings are read and written. */
export function describeRun(config: ResolvedConfig): string {
  return `jest-replay: ${config.mode} mode, recordings in ${displayPath(config.dir)}`;
}

/**
 * Resolves the mode and options once, before any test runs, so a wrong `JEST_REPLAY_MODE`,
 * `RECORD=1` under CI or a bad option stops the run with one clear message.
 */
export default async function globalSetup(globalConfig: Config.GlobalConfig, projectConfig: Config.ProjectConfig): Promise<void> {
  const options = (projectConfig.testEnvironmentOptions as { replay?: unknown } | undefined)?.replay;
  const config = resolveConfig({ rootDir: projectConfig.rootDir, options, env: process.env });
  // Before any test writes: earlier usage this run supersedes must not count (see core/usage.ts).
  startUsage(config.usageDir, globalConfig.shard);
  process.env[RUN_ID_VARIABLE] = newRunId();
  // stderr, so `jest --json` keeps a clean stdout.
  if (!globalConfig.silent) process.stderr.write(`${describeRun(config)}\n`);
  // A normalizers module that does not load stops the run here, not at the first request.
  loadNormalizers(config.normalizers, config.rootDir);
}

export { globalSetup };
