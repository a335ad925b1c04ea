import type { AggregatedResult, Test, TestContext } from '@jest/test-result';
import type { Config } from '@jest/types';
import { type ResolvedConfig, resolveConfig } from '../core/config';
import { listingFile } from '../core/store/listing-cache';
import { ReplayError } from '../core/errors';
import { newRunId, RUN_ID_VARIABLE, UNUSABLE_USAGE_VARIABLE, unusableUsageDirs, writeRunRecord } from '../core/store/usage';
import { displayPath, replayOptionsOf } from './options';
import { partialReasons, testFilesNotRun } from './partial-run';
import { summaryData, summaryLines } from './summary';
import { writeFileAtomically } from '../core/store/storage';
import * as path from 'node:path';
import { clashesOf, settleRun, type SettledDir } from './settle-run';
import { type CountedDir, type Counter, countHere, startCounting } from './unused-counter';
import { driftRunLines } from './drift-summary';

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
  /** Per recordings directory, the count of its unused recordings, under way since its first test file started. */
  private readonly counters = new Map<string, Counter>();
  private projectsSeen = new WeakSet<Config.ProjectConfig>();
  /** The clashes of the last run (see `getLastError`). */
  private clashes: string[] = [];

  // Jest makes reporters after global setup and before workers: a run without our global setup gets its id here.
  constructor(private readonly globalConfig: Config.GlobalConfig) {
    this.runId = process.env[RUN_ID_VARIABLE] ??= newRunId();
  }

  onRunStart(): void {
    this.stopCounters();
    this.projectsSeen = new WeakSet();
  }

  onTestFileStart(test: Test): void {
    // Resolved once per project, not once per test file.
    if (this.projectsSeen.has(test.context.config)) return;
    this.projectsSeen.add(test.context.config);
    const config = replayConfigOf(test.context.config);
    // Live and drift runs replay nothing: no recording is used or unused.
    if (!config || config.mode === 'live' || config.mode === 'drift' || this.counters.has(config.dir)) return;
    this.counters.set(config.dir, startCounting(countedDir(config)));
  }

  async onRunComplete(testContexts: Set<TestContext>, results: AggregatedResult): Promise<void> {
    // The next run (watch mode) is a new one.
    delete process.env[RUN_ID_VARIABLE];
    const lines: string[] = [];
    const directories: Record<string, unknown>[] = [];
    let partial: { reasons: string[]; notRun: string[] } = { reasons: [], notRun: [] };
    this.clashes = [];
    // Global setup said these cannot be used: there is nothing to read.
    const unusable = unusableUsageDirs(process.env[UNUSABLE_USAGE_VARIABLE]);
    const projects = replayConfigs(testContexts).filter((config) => !unusable.includes(config.usageDir));
    // The run's result is its tests' result (and its clashes'): a summary that fails is said, never thrown.
    try {
      const settled = settleRun(projects, this.runId, this.globalConfig.shard);
      const reasons = partialReasons(this.globalConfig, results, settled.flatMap((dir) => dir.files));
      partial = { reasons, notRun: reasons.length > 0 ? testFilesNotRun(testContexts, results) : [] };
      for (const dir of settled) {
        try {
          const summary = await this.summarize(dir, partial);
          lines.push(...summary.lines);
          directories.push(summary.data);
        } catch (error) {
          lines.push(`jest-replay: no summary for ${displayPath(dir.dir)}: ${(error as Error).message}`);
        }
      }
    } catch (error) {
      lines.push(`jest-replay: no summary for this run: ${(error as Error).message}`);
    }
    lines.push(...driftRunLines(projects));
    this.stopCounters();
    const file = process.env[SUMMARY_FILE_VARIABLE]?.trim();
    if (file) {
      const complete = partial.reasons.length === 0 && !this.globalConfig.shard;
      const shard = this.globalConfig.shard ?? null;
      lines.push(...writeSummaryFile(file, { mode: projects[0]?.mode, complete, ...partial, shard, directories }));
    }
    if (lines.length > 0 && !this.globalConfig.silent) process.stderr.write(`${lines.join('\n')}\n`);
  }

  /** Jest fails a run whose reporter has an error: a record run whose test files clashed is not green. */
  getLastError(): Error | undefined {
    return this.clashes.length > 0 ? new ReplayError(this.clashes.join('\n')) : undefined;
  }

  /** The summary of one recordings directory, for its usage directories' notes of this shard; `reasons` made the run partial. */
  private async summarize(settled: SettledDir, { reasons, notRun }: { reasons: string[]; notRun: string[] }): Promise<DirectorySummary> {
    const { dir, files, cleanUp } = settled;
    const shard = this.globalConfig.shard;
    const { mode } = files[0];
    const complete = reasons.length === 0;
    const record = { mode, complete, ...(complete ? {} : { why: reasons.join('; ') }) };
    for (const usageDir of settled.usageDirs) writeRunRecord(usageDir, shard, record);
    // A shard's share is complete for merging, but alone it is not the whole suite.
    const shown = shard ? [...reasons, `shard ${shard.shardIndex}/${shard.shardCount}`] : reasons;
    const judged = complete && !shard;
    const counter = this.counters.get(dir);
    const counted = counter ? counter.count(files, judged, cleanUp.deleted) : countHere({ dir }, files, judged, cleanUp.deleted);
    const { unused, kept, unreadable } = await counted;
    const clashes = clashesOf(settled);
    this.clashes.push(...clashes);
    const problems = settled.problem ? [settled.problem] : [];
    const run = { mode, dir, files, judged: { unused, kept }, partial: { reasons: shown, notRun } };
    const settlement = { cleanUp, clashes, folders: unreadable, notes: settled.notes };
    return { lines: [...summaryLines(run, settlement), ...problems], data: summaryData(run, settlement) };
  }

  private stopCounters(): void {
    for (const counter of this.counters.values()) counter.stop();
    this.counters.clear();
  }
}

/** A recordings directory to count, its listing kept in its usage directory unless global setup found that unusable. */
function countedDir({ dir, usageDir }: ResolvedConfig): CountedDir {
  const usable = !unusableUsageDirs(process.env[UNUSABLE_USAGE_VARIABLE]).includes(usageDir);
  return usable ? { dir, listing: listingFile(usageDir, dir) } : { dir };
}

/** `JEST_REPLAY_SUMMARY_FILE=<path>`: the run's summary is also written there, as JSON (relative to where jest runs). */
export const SUMMARY_FILE_VARIABLE = 'JEST_REPLAY_SUMMARY_FILE';

/** One recordings directory's summary: the lines printed, and the same as data for the summary file. */
interface DirectorySummary {
  lines: string[];
  data: Record<string, unknown>;
}

/** Writes the summary file; what went wrong is a line of the summary, never the run's failure. */
export function writeSummaryFile(file: string, summary: Record<string, unknown>): string[] {
  try {
    writeFileAtomically(path.resolve(file), `${JSON.stringify(summary, null, 2)}\n`);
    return [];
  } catch (error) {
    return [`jest-replay: could not write the summary to ${file} (${SUMMARY_FILE_VARIABLE}): ${(error as Error).message}`];
  }
}

/** A project's options; undefined for a project that cannot be resolved, which is not ours to report. */
function replayConfigOf(config: Config.ProjectConfig): ResolvedConfig | undefined {
  try {
    return resolveConfig({ rootDir: config.rootDir, options: replayOptionsOf(config), env: process.env });
  } catch {
    return undefined;
  }
}

/** Each project's options, once per usage directory. */
function replayConfigs(testContexts: Set<TestContext>): ResolvedConfig[] {
  const byUsageDir = new Map<string, ResolvedConfig>();
  for (const { config } of testContexts) {
    const resolved = replayConfigOf(config);
    if (resolved && !byUsageDir.has(resolved.usageDir)) byUsageDir.set(resolved.usageDir, resolved);
  }
  return [...byUsageDir.values()];
}

export { ReplayReporter };
