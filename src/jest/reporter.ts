import type { AggregatedResult, TestContext } from '@jest/test-result';
import type { Config } from '@jest/types';
import * as path from 'node:path';
import { type ResolvedConfig, resolveConfig } from '../core/config';
import { type FileUsage, listRecordings, newRunId, readUsage, RUN_ID_VARIABLE, shardName, summarizeUsage, unusedRecordings, writeRunRecord } from '../core/usage';
import { displayPath } from './global-setup';

/**
 * Whether this run covered every test file Jest knows of (for a shard: its whole share), so that a
 * recording no test asked for may be called unused. Any filter, interruption or test file that
 * did not run makes it partial.
 */
export function isCompleteRun(globalConfig: Config.GlobalConfig, results: AggregatedResult): boolean {
  const g = globalConfig as Config.GlobalConfig & { testPathPattern?: string };
  const filtered =
    Boolean(g.testNamePattern) ||
    (g.testPathPatterns?.patterns?.length ?? 0) > 0 ||
    Boolean(g.testPathPattern) ||
    g.nonFlagArgs?.length > 0 ||
    g.onlyChanged ||
    g.onlyFailures ||
    g.findRelatedTests ||
    g.lastCommit ||
    Boolean(g.changedSince);
  return !filtered && !results.wasInterrupted && results.numRuntimeErrorTestSuites === 0 && results.testResults.length === results.numTotalTestSuites;
}

/** The run's closing lines for one recordings directory. */
export function summaryLines(mode: string, dir: string, files: FileUsage[], complete: boolean): string[] {
  const summary = summarizeUsage(files);
  const unused = unusedRecordings(listRecordings(dir), files, complete).length;
  const lines = [
    `jest-replay: ${mode} mode — ${summary.replayed} replayed, ${summary.recorded} recorded, ${summary.missing} missing, ${unused} unused ` +
      `(recordings in ${displayPath(dir)}/)`,
  ];
  if (unused > 0) lines.push('  npx jest-replay prune lists the unused recordings; --yes deletes them');
  for (const { file, change } of summary.changes) lines.push(`  ${change.padEnd(8)} ${displayPath(path.join(dir, file))}`);
  return lines;
}

/**
 * `reporters: ['default', 'jest-replay/reporter']`: ends the run with what it replayed, recorded,
 * missed and left unused, and in record mode the files written or changed. It reads the usage
 * files the test files' environments wrote (they run in other processes; Jest gives environments
 * no way to add to a test result, which is why jest-snapshot's "obsolete" count is wired into
 * jest-circus itself), and notes for `prune` whether the run was complete. Writes to stderr, so
 * `jest --json` keeps a clean stdout.
 */
export default class ReplayReporter {
  private readonly runId: string;

  // Jest makes reporters after global setup and before workers: a run without our global setup gets its id here.
  constructor(private readonly globalConfig: Config.GlobalConfig) {
    this.runId = process.env[RUN_ID_VARIABLE] ??= newRunId();
  }

  onRunComplete(testContexts: Set<TestContext>, results: AggregatedResult): void {
    // The next run (watch mode) is a new one.
    delete process.env[RUN_ID_VARIABLE];
    const complete = isCompleteRun(this.globalConfig, results);
    const shard = this.globalConfig.shard;
    const lines: string[] = [];
    for (const config of replayConfigs(testContexts)) {
      const usage = readUsage(config.usageDir).find((s) => s.shard === shardName(shard));
      const own = usage?.files.filter((f) => f.run === this.runId) ?? [];
      if (own.length === 0) continue;
      const { mode } = own[0];
      writeRunRecord(config.usageDir, shard, { mode, complete });
      // Projects sharing a usage directory may keep their recordings apart.
      const dirs = new Set(own.map((f) => path.resolve(config.rootDir, f.recordings)));
      for (const dir of dirs) {
        const files = own.filter((f) => path.resolve(config.rootDir, f.recordings) === dir);
        // A shard's share is complete for merging, but alone it is not the whole suite.
        lines.push(...summaryLines(mode, dir, files, complete && !shard));
      }
    }
    if (lines.length > 0 && !this.globalConfig.silent) process.stderr.write(`${lines.join('\n')}\n`);
  }
}

/** Each project's options, once per usage directory; projects that cannot be resolved are not ours to report. */
function replayConfigs(testContexts: Set<TestContext>): ResolvedConfig[] {
  const byUsageDir = new Map<string, ResolvedConfig>();
  for (const { config } of testContexts) {
    let resolved: ResolvedConfig;
    try {
      const options = (config.testEnvironmentOptions as { replay?: unknown } | undefined)?.replay;
      resolved = resolveConfig({ rootDir: config.rootDir, options, env: process.env });
    } catch {
      continue;
    }
    if (!byUsageDir.has(resolved.usageDir)) byUsageDir.set(resolved.usageDir, resolved);
  }
  return [...byUsageDir.values()];
}

export { ReplayReporter };
