import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Mode } from '../mode';
import type { Tokens } from '../recording/tokens';
import { checkWritable, type WriteOutcome, listDir, writeFileAtomically } from './storage';

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
  /** The mode its requests were handled in (absent in older notes): a `record` scope that passed owns its folder. */
  mode?: Mode;
  replayed: string[];
  written: { file: string; outcome: WriteOutcome }[];
  /** Requests that found no recording, `METHOD url`. */
  missed: string[];
  /** Requests not recorded because no connection to their server was made, `METHOD url (CODE)` (absent in older notes). */
  unreached?: string[];
  /** Good recordings a failed re-recording did not replace, with what it got (absent when none). */
  kept?: { file: string; got: string }[];
  /** Requests sent to their server because the test ran live, `METHOD url` (absent when none). */
  live?: string[];
  /** The tokens the responses it replayed and recorded report, summed (absent when none reports any). */
  tokens?: { replayed?: Tokens; recorded?: Tokens };
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
  /** Requests left alone because of `ignoreHosts`, by host (absent in older notes). */
  ignored?: Record<string, number>;
  /** Requests refused because their test, or the whole file, had ended (absent in older notes). */
  late?: LateRequest[];
  /** Some of its tests did not run because others are focused (`test.only`): the run is partial. */
  focused?: boolean;
  /** It may set test ids of its own (`setTestId`): a test of it that did not run to its end may own any folder. */
  setsIds?: boolean;
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
  /** What made it partial (`-t one`, `test.only in tests/a.test.js`…), when it was. */
  why?: string;
}

export interface ShardUsage {
  /** `all`, or `shard-<i>-of-<n>`. */
  shard: string;
  run?: RunRecord;
  files: FileUsage[];
  /** Files of the shard's folder that are not usage notes, and why: left out. */
  unreadable: { file: string; reason: string }[];
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
export const LISTING_PREFIX = 'listing-';
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
    // The recordings' last listing is no usage: the next run starts from it (see listing-cache.ts).
    if (name.startsWith(LISTING_PREFIX)) continue;
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

const strings = (value: unknown) => Array.isArray(value) && value.every((item) => typeof item === 'string');
const isScopeUsage = (scope: unknown): scope is ScopeUsage => {
  const s = scope as ScopeUsage | null;
  return typeof s?.id === 'string' && ['passed', 'failed', 'skipped'].includes(s.status) && strings(s.replayed) && strings(s.missed) &&
    Array.isArray(s.written) && s.written.every((w) => typeof w?.file === 'string') && (s.unreached === undefined || strings(s.unreached));
};
const isFileUsage = (usage: unknown): usage is FileUsage => {
  const u = usage as FileUsage | null;
  return typeof u?.mode === 'string' && typeof u.recordings === 'string' && typeof u.testFile === 'string' &&
    Array.isArray(u.scopes) && u.scopes.every(isScopeUsage);
};
const isRunRecord = (run: unknown): run is RunRecord => typeof (run as RunRecord | null)?.complete === 'boolean';

/** A note's content, if it is one: a file another tool wrote, or that a crash cut short, is not. */
function readNote(file: string, isNote: (value: unknown) => boolean): { value: unknown } | { reason: string } {
  let value: unknown;
  try {
    value = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    return { reason: (error as NodeJS.ErrnoException).code ?? 'not JSON' };
  }
  return isNote(value) ? { value } : { reason: "not jest-replay's usage note" };
}

/**
 * Every shard's usage under a usage directory (with `shard`, that one's only). A file that is not a
 * usage note (corrupt, cut short, another tool's) is left out and named in `unreadable`: one bad file
 * must not cost the summary, nor `prune`.
 */
export function readUsage(usageDir: string, shard?: string): ShardUsage[] {
  return listDir(usageDir)
    .filter((name) => (shard === undefined ? name === ALL || SHARD_NAME.test(name) : name === shard))
    .sort()
    .map((name) => {
      const folder = path.join(usageDir, name);
      const usage: ShardUsage = { shard: name, files: [], unreadable: [] };
      for (const entry of listDir(folder).filter((file) => file.endsWith('.json')).sort()) {
        const file = path.join(folder, entry);
        const read = readNote(file, entry === RUN_FILE ? isRunRecord : isFileUsage);
        if ('reason' in read) usage.unreadable.push({ file, reason: read.reason });
        else if (entry === RUN_FILE) usage.run = read.value as RunRecord;
        else usage.files.push(read.value as FileUsage);
      }
      return usage;
    });
}

/**
 * The usage of several shards as one run: complete when the unsharded run was, or when every
 * shard 1..n of one count n is there and was; `why` says what made it partial.
 */
export function mergeShards(shards: ShardUsage[]): { complete: boolean; files: FileUsage[]; why?: string } {
  const files = shards.flatMap((s) => s.files);
  const done = new Set(shards.filter((s) => s.run?.complete).map((s) => s.shard));
  const counts = [...done].map((name) => SHARD_NAME.exec(name)).filter((m) => m !== null).map((m) => Number(m[2]));
  const complete = done.has(ALL) || counts.some((n) => Array.from({ length: n }, (_, i) => `shard-${i + 1}-of-${n}`).every((name) => done.has(name)));
  return complete ? { complete, files } : { complete, files, why: partialShards(shards) };
}

/** What kept merged shards from being a complete run: each shard's own reason, and the shards that are missing. */
function partialShards(shards: ShardUsage[]): string {
  const reasons: string[] = [];
  const counts = new Set<number>();
  for (const { shard, run } of shards) {
    const match = SHARD_NAME.exec(shard);
    if (match) counts.add(Number(match[2]));
    const name = match ? `shard ${match[1]}/${match[2]}` : 'the run';
    if (!run) reasons.push(`${name} has no run record (the reporter did not run)`);
    else if (!run.complete) reasons.push(match ? `${name}: ${run.why ?? 'partial'}` : (run.why ?? 'partial'));
  }
  for (const n of counts) {
    const missing = Array.from({ length: n }, (_, i) => i + 1).filter((i) => !shards.some((s) => s.shard === `shard-${i}-of-${n}`));
    if (missing.length > 0) reasons.push(`${missing.map((i) => `shard ${i}/${n}`).join(', ')} missing`);
  }
  return reasons.join('; ') || 'partial';
}
