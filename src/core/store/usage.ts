import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Mode } from '../mode';
import { isModelListFileName, SHARED_FOLDER, parseRecordingFileName, testFolder } from './paths';
import { checkWritable, TEMPORARY_SUFFIX, type WriteOutcome, listDir, walkTree, writeFileAtomically } from './storage';

/**
 * What each run used of the recordings directory, so that a later step (the reporter's summary,
 * `jest-replay prune`) can tell which recordings no test needs any more.
 *
 * Test files run in worker processes, the reporter in the main one, and CI shards on other
 * machines: they share nothing but files. So every test file's environment writes its usage to
 * `<usageDir>/<shard>/<file>.json` when it ends, the reporter adds `run.json` (was the run complete?),
 * and `prune` merges the shard folders it finds. All paths are relative (recordings to the
 * recordings directory, the rest to rootDir) with `/`, so shards from other machines merge.
 */

export type ScopeStatus = 'passed' | 'failed' | 'skipped';

/** One test (or beforeAll/afterAll hook) of a run. */
export interface ScopeUsage {
  id: string;
  status: ScopeStatus;
  replayed: string[];
  written: { file: string; outcome: WriteOutcome }[];
  /** Requests that found no recording, `METHOD url`. */
  missed: string[];
  /** Requests not recorded because no connection to their server was made, `METHOD url (CODE)` (absent in older notes). */
  unreached?: string[];
  /** Good recordings a failed re-recording did not replace, with what it got (absent when none). */
  kept?: { file: string; got: string }[];
}

/** One test file of a run, as its environment saw it. */
export interface FileUsage {
  /** The run it belongs to (see `RUN_ID_VARIABLE`), when known. */
  run?: string;
  mode: Mode;
  /** Recordings directory, relative to rootDir. */
  recordings: string;
  testFile: string;
  scopes: ScopeUsage[];
  /** Stale recordings deleted when their test was re-recorded. */
  removed: string[];
  /** Requests left alone because of `ignoreHosts`, by host (absent in older notes). */
  ignored?: Record<string, number>;
  /** Requests refused because their test, or the whole file, had ended (absent in older notes). */
  late?: LateRequest[];
}

/** A request made by code that outlived its test (`after: 'test'`) or its test file (`after: 'file'`), refused. */
export interface LateRequest {
  /** `METHOD url`. */
  request: string;
  /** The test id that started it, or the test file when no test did. */
  from: string;
  after: 'test' | 'file';
}

/** The whole run, as the reporter saw it. */
export interface RunRecord {
  mode: Mode;
  /** Every test file Jest knows ran, unfiltered and uninterrupted (per shard: its whole share). */
  complete: boolean;
}

export interface ShardUsage {
  /** `all`, or `shard-<i>-of-<n>`. */
  shard: string;
  run?: RunRecord;
  files: FileUsage[];
}

export interface ShardConfig {
  shardIndex: number;
  shardCount: number;
}

/**
 * Names the current run for every process of it: set in the main process (global setup, or the
 * reporter) before Jest starts its workers, which inherit it; the reporter then reads only the
 * usage of its own run, even where nothing cleared an earlier run's files.
 */
export const RUN_ID_VARIABLE = 'JEST_REPLAY_RUN';
export const newRunId = () => `${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;

/**
 * The usage directories global setup found unusable (unwritable, under a file), `path.delimiter`-separated,
 * for the workers and the reporter: the run goes on without its notes, said once, as with `RUN_ID_VARIABLE`.
 */
export const UNUSABLE_USAGE_VARIABLE = 'JEST_REPLAY_UNUSABLE_USAGE';
export const unusableUsageDirs = (value: string | undefined): string[] => (value ? value.split(path.delimiter) : []);

const RUN_FILE = 'run.json';
const ALL = 'all';
const SHARD_NAME = /^shard-(\d+)-of-(\d+)$/;

export const shardName = (shard: ShardConfig | undefined): string => (shard ? `shard-${shard.shardIndex}-of-${shard.shardCount}` : ALL);

/** Where a run keeps its usage files by default: a cache, outside the recordings and out of git. */
export const defaultUsageDir = (rootDir: string) => path.join(rootDir, 'node_modules', '.cache', 'jest-replay');

/** `/`-separated path of `file` relative to `from`. */
export const relativePosix = (from: string, file: string) => path.relative(from, file).split(path.sep).join('/');

/**
 * Forgets earlier usage that this run supersedes, before any test writes: its own shard, and
 * for an unsharded run every shard (for a sharded one, the unsharded run and other shard counts).
 * Throws when the usage directory cannot be written.
 */
export function startUsage(usageDir: string, shard: ShardConfig | undefined): void {
  checkWritable(usageDir);
  const own = shardName(shard);
  for (const name of listDir(usageDir)) {
    const match = SHARD_NAME.exec(name);
    const superseded = name === own || !shard || name === ALL || (match !== null && Number(match[2]) !== shard.shardCount);
    if (superseded) fs.rmSync(path.join(usageDir, name), { recursive: true, force: true });
  }
}

export function writeFileUsage(usageDir: string, shard: ShardConfig | undefined, usage: FileUsage, uniqueName: string): void {
  const folder = path.join(usageDir, shardName(shard));
  fs.mkdirSync(folder, { recursive: true });
  writeFileAtomically(path.join(folder, `${uniqueName}.json`), `${JSON.stringify(usage)}\n`);
}

export function writeRunRecord(usageDir: string, shard: ShardConfig | undefined, run: RunRecord): void {
  const folder = path.join(usageDir, shardName(shard));
  fs.mkdirSync(folder, { recursive: true });
  writeFileAtomically(path.join(folder, RUN_FILE), `${JSON.stringify(run)}\n`);
}

/** Every shard's usage under a usage directory. */
export function readUsage(usageDir: string): ShardUsage[] {
  return listDir(usageDir)
    .filter((name) => name === ALL || SHARD_NAME.test(name))
    .sort()
    .map((shard) => {
      const folder = path.join(usageDir, shard);
      const entries = listDir(folder)
        .filter((name) => name.endsWith('.json'))
        .map((name) => [name, JSON.parse(fs.readFileSync(path.join(folder, name), 'utf8'))] as const);
      const run = entries.find(([name]) => name === RUN_FILE)?.[1] as RunRecord | undefined;
      return { shard, run, files: entries.filter(([name]) => name !== RUN_FILE).map(([, usage]) => usage as FileUsage) };
    });
}

/**
 * The usage of several shards as one run: complete when the unsharded run was, or when every
 * shard 1..n of one count n is there and was.
 */
export function mergeShards(shards: ShardUsage[]): { complete: boolean; files: FileUsage[] } {
  const files = shards.flatMap((s) => s.files);
  const done = new Set(shards.filter((s) => s.run?.complete).map((s) => s.shard));
  const counts = [...done].map((name) => SHARD_NAME.exec(name)).filter((m) => m !== null).map((m) => Number(m[2]));
  const complete = done.has(ALL) || counts.some((n) => Array.from({ length: n }, (_, i) => `shard-${i + 1}-of-${n}`).every((name) => done.has(name)));
  return { complete, files };
}

export interface UsageSummary {
  replayed: number;
  recorded: number;
  missing: number;
  /** Recordings this run wrote that are new or differ from before, and stale ones re-recording deleted. */
  changes: { file: string; change: 'new' | 'changed' | 'deleted' }[];
  /** Distinct requests not recorded because no connection was made (see `ScopeUsage.unreached`). */
  unreached: string[];
  /** Requests left alone because of `ignoreHosts`, by host. */
  ignored: Map<string, number>;
  /** Distinct requests refused because their test or test file had ended (see `FileUsage.late`). */
  late: LateRequest[];
  /** Good recordings a failed re-recording kept (see `ScopeUsage.kept`). */
  kept: { file: string; got: string }[];
}

export function summarizeUsage(files: FileUsage[]): UsageSummary {
  const scopes = files.flatMap((f) => f.scopes);
  const written = new Map(scopes.flatMap((s) => s.written).map((w) => [w.file, w.outcome]));
  const changes: UsageSummary['changes'] = [];
  for (const [file, outcome] of written) if (outcome !== 'unchanged') changes.push({ file, change: outcome === 'created' ? 'new' : 'changed' });
  for (const file of new Set(files.flatMap((f) => f.removed))) changes.push({ file, change: 'deleted' });
  changes.sort((a, b) => a.file.localeCompare(b.file));
  const ignored = new Map<string, number>();
  for (const [host, count] of files.flatMap((f) => Object.entries(f.ignored ?? {}))) ignored.set(host, (ignored.get(host) ?? 0) + count);
  return {
    replayed: new Set(scopes.flatMap((s) => s.replayed)).size,
    recorded: written.size,
    missing: scopes.reduce((sum, s) => sum + s.missed.length, 0),
    changes,
    unreached: [...new Set(scopes.flatMap((s) => s.unreached ?? []))],
    ignored,
    late: [...new Map(files.flatMap((f) => f.late ?? []).map((l) => [JSON.stringify(l), l])).values()],
    kept: scopes.flatMap((s) => s.kept ?? []),
  };
}

/**
 * The recordings no test needs, judged conservatively from a run's usage:
 * - a recording some test replayed or wrote is used;
 * - in the folder of a test that ran, a recording is unused only if every run of that id passed
 *   (a failed test may have stopped before its later requests; a skipped or filtered-out one made none);
 * - a recording of a test id the run never saw (a deleted or renamed test, or one filtered out),
 *   and a shared one (model lists, session-level recordings), is unused only when the run was
 *   complete and every test in it passed.
 * `recordings` lists the candidates, relative to the recordings directory.
 */
export function unusedRecordings(recordings: string[], files: FileUsage[], complete: boolean): string[] {
  const scopes = files.flatMap((f) => f.scopes);
  const used = new Set(scopes.flatMap((s) => [...s.replayed, ...s.written.map((w) => w.file), ...(s.kept ?? []).map((k) => k.file)]));
  const settled = new Map<string, boolean>();
  for (const scope of scopes) {
    const folder = testFolder(scope.id).split(path.sep).join('/');
    settled.set(folder, (settled.get(folder) ?? true) && scope.status === 'passed');
  }
  const clean = complete && scopes.every((s) => s.status === 'passed');
  return recordings.filter((file) => {
    if (used.has(file)) return false;
    const folder = path.posix.dirname(file);
    if (folder === SHARED_FOLDER || !settled.has(folder)) return clean;
    return settled.get(folder) === true;
  });
}

/**
 * How many recordings a run left unused, judged from a listing of the tree that may have been made
 * while the run went on: what it deleted since is left out, and what it wrote is used anyway.
 */
export function countUnused(listed: string[], files: FileUsage[], complete: boolean): number {
  const removed = new Set(files.flatMap((f) => f.removed));
  return unusedRecordings(removed.size > 0 ? listed.filter((file) => !removed.has(file)) : listed, files, complete).length;
}

/** Recording files under the recordings directory (what `unusedRecordings` judges), relative, sorted. */
export function listRecordings(dir: string, tree = walkTree(dir)): string[] {
  return tree.files
    .filter((file) => {
      const name = path.posix.basename(file);
      return parseRecordingFileName(name) !== undefined || (path.posix.dirname(file) === SHARED_FOLDER && isModelListFileName(name));
    })
    .sort();
}

/** `<file>.json.<pid>.<hex>.tmp`, as `writeFileAtomically` names them. */
const TEMPORARY_FILE = new RegExp(`\\.json\\.(\\d+)\\.[0-9a-f]+\\${TEMPORARY_SUFFIX}$`);

/**
 * Temporary files left by a recording process that died without a chance to clean up (SIGKILL, a
 * crash); those of a process still running are its writes in flight, and left alone.
 */
export function leftoverTemporaryFiles(dir: string, tree = walkTree(dir)): string[] {
  return tree.files
    .filter((file) => {
      const match = TEMPORARY_FILE.exec(file);
      return match !== null && !isRunning(Number(match[1]));
    })
    .map((file) => path.join(dir, file));
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
