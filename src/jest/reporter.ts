import type { AggregatedResult, Test, TestContext } from '@jest/test-result';
import type { Config } from '@jest/types';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { type ResolvedConfig, resolveConfig } from '../core/config';
import { type Mode, records } from '../core/mode';
import {
  countUnused,
  type FileUsage,
  listRecordings,
  newRunId,
  readUsage,
  RUN_ID_VARIABLE,
  shardName,
  summarizeUsage,
  UNUSABLE_USAGE_VARIABLE,
  unusableUsageDirs,
  writeRunRecord,
} from '../core/store/usage';
import { printable } from '../core/util/printable';
import { displayPath } from './global-setup';
import { replayOptionsOf } from './options';

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

/** At most this many requests that could not be sent (or were refused late) are listed; the rest are counted. */
const SHOWN_UNREACHED = 5;

/** The run's closing lines for one recordings directory, where it left `unused` recordings. */
export function summaryLines(mode: Mode, dir: string, files: FileUsage[], unused: number): string[] {
  const summary = summarizeUsage(files);
  const lines = [
    `jest-replay: ${mode} mode — ${summary.replayed} replayed, ${summary.recorded} recorded, ${summary.missing} missing, ${unused} unused ` +
      `(recordings in ${displayPath(dir)}/)`,
  ];
  if (unused > 0) lines.push('  npx jest-replay prune lists the unused recordings; --yes deletes them');
  for (const request of summary.unreached.slice(0, SHOWN_UNREACHED)) lines.push(`  not recorded (no connection was made): ${request}`);
  if (summary.unreached.length > SHOWN_UNREACHED) lines.push(`  … and ${summary.unreached.length - SHOWN_UNREACHED} more not recorded`);
  for (const { request, from, after } of summary.late.slice(0, SHOWN_UNREACHED)) {
    lines.push(`  refused after its ${after === 'file' ? 'test file' : 'test'} ended: ${request} (started by ${printable(from)})`);
  }
  const moreLate = summary.late.length - SHOWN_UNREACHED;
  if (moreLate > 0) lines.push(`  … and ${moreLate} more refused after their test ended`);
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
    const shard = this.globalConfig.shard;
    const lines: string[] = [];
    const unusable = unusableUsageDirs(process.env[UNUSABLE_USAGE_VARIABLE]);
    for (const config of replayConfigs(testContexts)) {
      // Global setup said it cannot be used: there is nothing to read.
      if (unusable.includes(config.usageDir)) continue;
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
        const judged = complete && !shard;
        const unused = this.counters.get(dir)?.count(files, judged) ?? countHere(dir, files, judged);
        lines.push(...summaryLines(mode, dir, files, await unused));
      }
    }
    this.stopCounters();
    if (lines.length > 0 && !this.globalConfig.silent) process.stderr.write(`${lines.join('\n')}\n`);
  }

  private stopCounters(): void {
    for (const counter of this.counters.values()) counter.stop();
    this.counters.clear();
  }
}

/** Counts the unused recordings of `dir` on this thread, listing it now. */
const countHere = (dir: string, files: FileUsage[], complete: boolean) => countUnused(listRecordings(dir), files, complete);

/** What the counting thread runs: it lists the tree at once, and judges it when the run's usage arrives. */
const COUNTER_CODE = `
const { parentPort, workerData } = require('node:worker_threads');
const usage = require(workerData.usage);
const listed = usage.listRecordings(workerData.dir);
parentPort.on('message', ({ files, complete }) => parentPort.postMessage(usage.countUnused(listed, files, complete)));
`;

/**
 * Counts the unused recordings of a tree on another thread: listing and judging a large tree
 * takes long enough that the summary at the end of a run would otherwise wait for it. Counts on
 * this thread instead when that thread fails (the reporter run from TypeScript sources, say).
 */
class UnusedCounter {
  private readonly worker: Worker;
  /** Rejects when the thread fails or ends. */
  private readonly ended: Promise<never>;

  constructor(private readonly dir: string) {
    this.worker = new Worker(COUNTER_CODE, { eval: true, workerData: { usage: require.resolve('../core/store/usage'), dir } });
    // The run never waits for a count it does not use.
    this.worker.unref();
    this.ended = new Promise<never>((_, reject) => {
      this.worker.once('error', reject);
      this.worker.once('exit', (code) => reject(new Error(`the thread counting ${dir} ended with exit code ${code}`)));
    });
    this.ended.catch(() => undefined);
  }

  count(files: FileUsage[], complete: boolean): Promise<number> {
    const answer = new Promise<number>((resolve) => this.worker.once('message', resolve));
    this.worker.postMessage({ files, complete });
    return Promise.race([answer, this.ended]).catch(() => countHere(this.dir, files, complete));
  }

  stop(): void {
    void this.worker.terminate();
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
