import type { AggregatedResult, Test, TestContext } from '@jest/test-result';
import type { Config } from '@jest/types';
import * as path from 'node:path';
import { type ResolvedConfig, resolveConfig } from '../core/config';
import { type Mode, records } from '../core/mode';
import { type Counted, summarizeUsage } from '../core/store/unused';
import type { CleanUp } from '../core/store/clean-up';
import { listingFile } from '../core/store/listing-cache';
import { ReplayError } from '../core/errors';
import {
  type FileUsage,
  newRunId,
  RUN_ID_VARIABLE,
  type ShardUsage,
  UNUSABLE_USAGE_VARIABLE,
  unusableUsageDirs,
  writeRunRecord,
} from '../core/store/usage';
import { printable } from '../core/util/printable';
import { displayPath, replayOptionsOf } from './options';
import { clashesOf, settleRun, type SettledDir } from './settle-run';
import { type CountedDir, countHere, UnusedCounter } from './unused-counter';

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

/** At most this many requests that could not be sent (or paths that could not be read) are listed; the rest are counted. */
const SHOWN = 5;

/** `  what: first`, … at most `SHOWN` lines, then how many more. */
const listed = (what: string, items: string[]) => [
  ...items.slice(0, SHOWN).map((item) => `  ${what}: ${item}`),
  ...(items.length > SHOWN ? [`  … and ${items.length - SHOWN} more ${what}`] : []),
];

/** What the end of the run did and skipped: stale recordings it deleted, clashes, folders and usage notes it could not read. */
export interface Settlement {
  cleanUp: CleanUp;
  clashes: string[];
  folders: Counted['unreadable'];
  notes: ShardUsage['unreadable'];
}

const NOTHING_SETTLED: Settlement = { cleanUp: { deleted: [], clashes: [] }, clashes: [], folders: [], notes: [] };

/** The run's closing lines for one recordings directory, where it left `unused` recordings. */
export function summaryLines(mode: Mode, dir: string, files: FileUsage[], unused: number, settled: Settlement = NOTHING_SETTLED): string[] {
  const summary = summarizeUsage(files, settled.cleanUp.deleted);
  const lines = [
    `jest-replay: ${mode} mode — ${summary.replayed} replayed, ${summary.recorded} recorded, ${summary.missing} missing, ${unused} unused ` +
      `(recordings in ${displayPath(dir)}/)`,
  ];
  if (unused > 0) lines.push('  npx jest-replay prune lists the unused recordings; --yes deletes them');
  lines.push(...listed('not recorded (no connection was made)', summary.unreached));
  for (const { request, from, after } of summary.late.slice(0, SHOWN)) {
    lines.push(`  refused after its ${after === 'file' ? 'test file' : 'test'} ended: ${request} (started by ${printable(from)})`);
  }
  if (summary.late.length > SHOWN) lines.push(`  … and ${summary.late.length - SHOWN} more refused after their test ended`);
  const ignored = [...summary.ignored.values()].reduce((sum, count) => sum + count, 0);
  const nothingElse = summary.recorded + summary.replayed + summary.missing + summary.unreached.length === 0;
  // `ignoreHosts: ['127.0.0.1']` meant for an app under test also silences a local LLM server.
  if (records(mode) && ignored > 0 && nothingElse) {
    const hosts = [...summary.ignored.keys()].join(', ');
    lines.push(
      `  nothing was recorded: every request (${ignored}) went to a host in ignoreHosts (${hosts}), never recorded; ` +
        'a local LLM server must not be listed there (list your own app as host:port)',
    );
  }
  for (const { file, change } of summary.changes) lines.push(`  ${change.padEnd(8)} ${displayPath(path.join(dir, file))}`);
  for (const { file, got } of summary.kept) {
    lines.push(`  kept     ${displayPath(path.join(dir, file))} (re-recording got ${got}: a failure never replaces a good recording)`);
  }
  lines.push(...listed('skipped, cannot be read', settled.folders.map((f) => `${displayPath(path.join(dir, f.path))} (${f.reason})`)));
  lines.push(...listed('skipped, not a usage note', settled.notes.map((n) => `${displayPath(n.file)} (${n.reason})`)));
  lines.push(...settled.clashes);
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
  /** Per recordings directory, the count of its unused recordings, under way since its first test file started. */
  private readonly counters = new Map<string, UnusedCounter>();
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
    if (config && config.mode !== 'live' && !this.counters.has(config.dir)) {
      this.counters.set(config.dir, new UnusedCounter(countedDir(config)));
    }
  }

  async onRunComplete(testContexts: Set<TestContext>, results: AggregatedResult): Promise<void> {
    // The next run (watch mode) is a new one.
    delete process.env[RUN_ID_VARIABLE];
    const complete = isCompleteRun(this.globalConfig, results);
    const lines: string[] = [];
    this.clashes = [];
    // Global setup said these cannot be used: there is nothing to read.
    const unusable = unusableUsageDirs(process.env[UNUSABLE_USAGE_VARIABLE]);
    const projects = replayConfigs(testContexts).filter((config) => !unusable.includes(config.usageDir));
    // The run's result is its tests' result (and its clashes'): a summary that fails is said, never thrown.
    try {
      for (const settled of settleRun(projects, this.runId, this.globalConfig.shard)) {
        try {
          lines.push(...(await this.summarize(settled, complete)));
        } catch (error) {
          lines.push(`jest-replay: no summary for ${displayPath(settled.dir)}: ${(error as Error).message}`);
        }
      }
    } catch (error) {
      lines.push(`jest-replay: no summary for this run: ${(error as Error).message}`);
    }
    this.stopCounters();
    if (lines.length > 0 && !this.globalConfig.silent) process.stderr.write(`${lines.join('\n')}\n`);
  }

  /** Jest fails a run whose reporter has an error: a record run whose test files clashed is not green. */
  getLastError(): Error | undefined {
    return this.clashes.length > 0 ? new ReplayError(this.clashes.join('\n')) : undefined;
  }

  /** The summary of one recordings directory, for its usage directories' notes of this shard. */
  private async summarize(settled: SettledDir, complete: boolean): Promise<string[]> {
    const { dir, files, cleanUp } = settled;
    const shard = this.globalConfig.shard;
    const { mode } = files[0];
    for (const usageDir of settled.usageDirs) writeRunRecord(usageDir, shard, { mode, complete });
    // A shard's share is complete for merging, but alone it is not the whole suite.
    const judged = complete && !shard;
    const counter = this.counters.get(dir);
    const counted = counter ? counter.count(files, judged, cleanUp.deleted) : countHere({ dir }, files, judged, cleanUp.deleted);
    const { unused, unreadable } = await counted;
    const clashes = clashesOf(settled);
    this.clashes.push(...clashes);
    const problems = settled.problem ? [settled.problem] : [];
    return [...summaryLines(mode, dir, files, unused, { cleanUp, clashes, folders: unreadable, notes: settled.notes }), ...problems];
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
