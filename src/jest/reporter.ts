import type { AggregatedResult, Test, TestContext } from '@jest/test-result';
import type { Config } from '@jest/types';
import * as path from 'node:path';
import { type ResolvedConfig, resolveConfig } from '../core/config';
import { type Mode, records } from '../core/mode';
import { type Counted, summarizeUsage } from '../core/store/unused';
import {
  type FileUsage,
  newRunId,
  type ShardUsage,
  readUsage,
  RUN_ID_VARIABLE,
  shardName,
  UNUSABLE_USAGE_VARIABLE,
  unusableUsageDirs,
  writeRunRecord,
} from '../core/store/usage';
import { displayPath } from './global-setup';
import { replayOptionsOf } from './options';
import { countHere, UnusedCounter } from './unused-counter';

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

/** What the summary skipped: folders of the recordings directory, and usage notes, it could not read. */
export interface Skipped {
  folders: Counted['unreadable'];
  notes: ShardUsage['unreadable'];
}

/** The run's closing lines for one recordings directory, where it left `unused` recordings. */
export function summaryLines(mode: Mode, dir: string, files: FileUsage[], unused: number, skipped: Skipped = { folders: [], notes: [] }): string[] {
  const summary = summarizeUsage(files);
  const lines = [
    `jest-replay: ${mode} mode — ${summary.replayed} replayed, ${summary.recorded} recorded, ${summary.missing} missing, ${unused} unused ` +
      `(recordings in ${displayPath(dir)}/)`,
  ];
  if (unused > 0) lines.push('  npx jest-replay prune lists the unused recordings; --yes deletes them');
  lines.push(...listed('not recorded (no connection was made)', summary.unreached));
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
  lines.push(...listed('skipped, cannot be read', skipped.folders.map((f) => `${displayPath(path.join(dir, f.path))} (${f.reason})`)));
  lines.push(...listed('skipped, not a usage note', skipped.notes.map((n) => `${displayPath(n.file)} (${n.reason})`)));
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
    if (config && config.mode !== 'live' && !this.counters.has(config.dir)) this.counters.set(config.dir, new UnusedCounter(config.dir));
  }

  async onRunComplete(testContexts: Set<TestContext>, results: AggregatedResult): Promise<void> {
    // The next run (watch mode) is a new one.
    delete process.env[RUN_ID_VARIABLE];
    const complete = isCompleteRun(this.globalConfig, results);
    const lines: string[] = [];
    const unusable = unusableUsageDirs(process.env[UNUSABLE_USAGE_VARIABLE]);
    for (const config of replayConfigs(testContexts)) {
      // Global setup said it cannot be used: there is nothing to read.
      if (unusable.includes(config.usageDir)) continue;
      // The run's result is its tests' result: a summary that fails is said, never thrown.
      try {
        lines.push(...(await this.summarize(config, complete)));
      } catch (error) {
        lines.push(`jest-replay: no summary for ${displayPath(config.dir)}: ${(error as Error).message}`);
      }
    }
    this.stopCounters();
    if (lines.length > 0 && !this.globalConfig.silent) process.stderr.write(`${lines.join('\n')}\n`);
  }

  /** The summary of the recordings directories a usage directory's notes name (other shards' notes are not read). */
  private async summarize(config: ResolvedConfig, complete: boolean): Promise<string[]> {
    const shard = this.globalConfig.shard;
    const [usage] = readUsage(config.usageDir, shardName(shard));
    const own = usage?.files.filter((f) => f.run === this.runId) ?? [];
    if (own.length === 0) return [];
    const { mode } = own[0];
    writeRunRecord(config.usageDir, shard, { mode, complete });
    const lines: string[] = [];
    // Projects sharing a usage directory may keep their recordings apart.
    const dirs = new Set(own.map((f) => path.resolve(config.rootDir, f.recordings)));
    for (const dir of dirs) {
      const files = own.filter((f) => path.resolve(config.rootDir, f.recordings) === dir);
      // A shard's share is complete for merging, but alone it is not the whole suite.
      const judged = complete && !shard;
      const { unused, unreadable } = await (this.counters.get(dir)?.count(files, judged) ?? countHere(dir, files, judged));
      lines.push(...summaryLines(mode, dir, files, unused, { folders: unreadable, notes: lines.length === 0 ? usage.unreadable : [] }));
    }
    return lines;
  }

  private stopCounters(): void {
    for (const counter of this.counters.values()) counter.stop();
    this.counters.clear();
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
