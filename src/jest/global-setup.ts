import type { Config } from '@jest/types';
import * as path from 'node:path';
import { type ResolvedConfig, resolveConfig } from '../core/config';
import { loadNormalizers } from '../core/keying/normalizers';
import { unsetKeyVariables } from '../core/keying/placeholder-keys';
import { loadBeforeRecord } from '../core/recording/before-record';
import { ReplayConfigError } from '../core/errors';
import { records } from '../core/mode';
import { checkWritable } from '../core/store/storage';
import { newRunId, RUN_ID_VARIABLE, startUsage, UNUSABLE_USAGE_VARIABLE, unusableUsageDirs } from '../core/store/usage';
import { displayPath, replayOptionsOf } from './options';
import { CONFIG_ARGUMENT_VARIABLE, configArgument, RUN_COMMAND_VARIABLE, runCommand } from './run-command';
import { noteProject, SETTLED_VARIABLE } from './settle-run';

/** The one line a run starts with: the mode, where recordings are read and written, and the keys replay gives a placeholder. */
export function describeRun(config: ResolvedConfig, env: NodeJS.ProcessEnv = process.env): string {
  const line = `jest-replay: ${config.mode} mode, recordings in ${displayPath(config.dir)}`;
  const unset = config.mode === 'replay' && config.placeholderKeys ? unsetKeyVariables(env) : [];
  if (unset.length === 0) return line;
  const named = unset.length <= 3 ? unset.join(', ') : `${unset.slice(0, 2).join(', ')} and ${unset.length - 2} more`;
  return `${line}; unset API keys get a placeholder: ${named}`;
}

/** One message before any test runs, rather than a file system error in every test that records. */
function checkRecordingsWritable(config: ResolvedConfig): void {
  try {
    checkWritable(config.dir);
  } catch (error) {
    throw new ReplayConfigError(
      `jest-replay: ${config.mode} mode cannot write recordings to ${displayPath(config.dir)} (${(error as Error).message}). ` +
        'Make it a writable folder, or point testEnvironmentOptions.replay.dir or JEST_REPLAY_DIR at one.',
    );
  }
}

/**
 * Before any test writes, forgets the earlier usage this run supersedes (see core/usage.ts). A usage
 * directory that cannot be written costs the summary and prune, not the run: said here once, and
 * the test files and the reporter are told to leave it alone.
 */
function useUsageDir(usageDir: string, shard: Config.GlobalConfig['shard']): void {
  const unusable = new Set(unusableUsageDirs(process.env[UNUSABLE_USAGE_VARIABLE]));
  try {
    startUsage(usageDir, shard);
    unusable.delete(usageDir);
  } catch (error) {
    unusable.add(usageDir);
    process.stderr.write(
      `jest-replay: cannot use the usage cache ${displayPath(usageDir)} (${(error as Error).message}): ` +
        'no summary for this run, and prune cannot judge it. ' +
        'Make it writable, or point testEnvironmentOptions.replay.usageDir at a writable folder.\n',
    );
  }
  process.env[UNUSABLE_USAGE_VARIABLE] = [...unusable].join(path.delimiter);
}

/**
 * Resolves the mode and options once, before any test runs, so a wrong `JEST_REPLAY_MODE`,
 * `RECORD=1` under CI or a bad option stops the run with one clear message.
 */
export default async function globalSetup(globalConfig: Config.GlobalConfig, projectConfig: Config.ProjectConfig): Promise<void> {
  const options = replayOptionsOf(projectConfig);
  const config = resolveConfig({ rootDir: projectConfig.rootDir, options, env: process.env, ci: globalConfig.ci });
  if (records(config.mode)) checkRecordingsWritable(config);
  // stderr, so `jest --json` keeps a clean stdout.
  if (!globalConfig.silent) process.stderr.write(`${describeRun(config)}\n`);
  useUsageDir(config.usageDir, globalConfig.shard);
  // One id for the whole run, whichever project's global setup runs first; a new run (watch mode) gets a new one.
  if (process.env[SETTLED_VARIABLE] !== undefined || process.env[RUN_ID_VARIABLE] === undefined) process.env[RUN_ID_VARIABLE] = newRunId();
  delete process.env[SETTLED_VARIABLE];
  noteProject({ rootDir: config.rootDir, usageDir: config.usageDir });
  // Only this process sees Jest's own arguments (`--config`): the test files' processes read the command from here.
  process.env[RUN_COMMAND_VARIABLE] = runCommand({ env: process.env, execArgv: process.execArgv, args: process.argv.slice(2) });
  process.env[CONFIG_ARGUMENT_VARIABLE] = configArgument(process.argv.slice(2)) ?? '';
  // A normalizers or beforeRecord module that does not load stops the run here, not at the first request.
  loadNormalizers(config.normalizers, config.rootDir);
  if (config.beforeRecord) loadBeforeRecord(config.beforeRecord, config.rootDir);
}

export { globalSetup };
