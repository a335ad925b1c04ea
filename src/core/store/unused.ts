import * as path from 'node:path';
import { isModelListFileName, isRecordingFileName, SHARED_FOLDER, testFolder } from './paths';
import { walkTreeListed } from './listing-cache';
import { TEMPORARY_SUFFIX, type Tree, walkTree } from './storage';
import { plural } from '../util/words';
import { addTokens, NO_TOKENS, type Tokens } from '../recording/tokens';
import type { FileUsage, LateRequest, ScopeStatus, ScopeUsage } from './usage';

/**
 * What a run's usage says of the recordings directory: what it replayed, recorded and changed (the summary),
 * and which recordings no test needs any more (`prune`).
 */

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
  /** Distinct requests that went to their server because their test ran live, with the test's id. */
  live: { request: string; from: string }[];
  /** Tests that run live which the run skipped (a CI run that replays refuses them). */
  skippedLive: string[];
  /** The tokens the responses replayed and recorded report, in all and by test file. */
  tokens: TokenUse;
  tokensByFile: { testFile: string; tokens: TokenUse }[];
}

/** The tokens a run replayed (saved) and recorded (spent). */
export interface TokenUse {
  replayed: Tokens;
  recorded: Tokens;
}

/** The tokens of some scopes, summed. */
function tokenUse(scopes: ScopeUsage[]): TokenUse {
  const sum = (side: keyof TokenUse) => scopes.reduce((total, s) => addTokens(total, s.tokens?.[side] ?? NO_TOKENS), NO_TOKENS);
  return { replayed: sum('replayed'), recorded: sum('recorded') };
}

/** Each value once, in order (values alike as JSON are one). */
const distinct = <T>(values: T[]): T[] => [...new Map(values.map((value) => [JSON.stringify(value), value])).values()];

/** What a run did, from its usage and the stale recordings its end deleted (see clean-up.ts). */
export function summarizeUsage(files: FileUsage[], deleted: string[] = []): UsageSummary {
  const scopes = files.flatMap((f) => f.scopes);
  const written = new Map(scopes.flatMap((s) => s.written).map((w) => [w.file, w.outcome]));
  const changes: UsageSummary['changes'] = [];
  for (const [file, outcome] of written) if (outcome !== 'unchanged') changes.push({ file, change: outcome === 'created' ? 'new' : 'changed' });
  for (const file of new Set(deleted)) changes.push({ file, change: 'deleted' });
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
    late: distinct(files.flatMap((f) => f.late ?? [])),
    kept: scopes.flatMap((s) => s.kept ?? []),
    live: distinct(scopes.flatMap((s) => (s.live ?? []).map((request) => ({ request, from: s.id })))),
    skippedLive: scopes.filter((s) => s.status === 'skipped' && s.mode === 'live').map((s) => s.id),
    tokens: tokenUse(scopes),
    tokensByFile: [...new Set(files.map((f) => f.testFile))]
      .sort()
      .map((testFile) => ({ testFile, tokens: tokenUse(files.filter((f) => f.testFile === testFile).flatMap((f) => f.scopes)) })),
  };
}

/**
 * Recordings no test used that are kept all the same, by why: their test was skipped (`test.skip`, `test.todo`, a
 * skipped `describe`'s hooks) or failed (it may have stopped before its later requests); the run did not run their
 * test (a partial run); a test that did not run to its end may set its own id (`setTestId`), so any folder may be
 * its; shared ones (model lists) when a test that may use them did not pass.
 */
export interface Kept {
  skipped: number;
  failed: number;
  notRun: number;
  unknownIds: number;
  shared: number;
}

export interface Judgement {
  /** Recordings no test needs: `prune` deletes them. */
  unused: string[];
  kept: Kept;
}

/** A folder's scopes as one status: one skipped scope keeps it as skipped, then one failed as failed. */
const worse = (a: ScopeStatus | undefined, b: ScopeStatus): ScopeStatus =>
  a === 'skipped' || b === 'skipped' ? 'skipped' : a === 'failed' || b === 'failed' ? 'failed' : 'passed';

/**
 * The recordings no test needs, judged from a run's usage (`recordings` lists the candidates, relative to the
 * recordings directory):
 * - a recording some test replayed or wrote is used;
 * - in the folder of a test that ran, a recording is unused when every run of that id passed, kept when one was
 *   skipped or failed;
 * - a recording of a test id the run never saw (a deleted or renamed test) is unused after a complete run, unless a
 *   test that did not run to its end is in a file that sets ids of its own; a shared one (model lists,
 *   session-level recordings) after a complete run in which every test passed.
 */
export function judgeRecordings(recordings: string[], files: FileUsage[], complete: boolean): Judgement {
  const scopes = files.flatMap((f) => f.scopes);
  const used = new Set(scopes.flatMap(usedBy));
  const folders = new Map<string, ScopeStatus>();
  for (const scope of scopes) {
    const folder = testFolder(scope.id).split(path.sep).join('/');
    folders.set(folder, worse(folders.get(folder), scope.status));
  }
  const allPassed = scopes.every((s) => s.status === 'passed');
  const idsKnown = !files.some((f) => f.setsIds && f.scopes.some((s) => s.status !== 'passed'));
  const judgement: Judgement = { unused: [], kept: { skipped: 0, failed: 0, notRun: 0, unknownIds: 0, shared: 0 } };
  for (const file of recordings) {
    if (used.has(file)) continue;
    const folder = folderOf(file);
    const status = folders.get(folder);
    let verdict: keyof Kept | 'unused';
    if (status !== undefined) verdict = status === 'passed' ? 'unused' : status;
    else if (!complete) verdict = 'notRun';
    else if (folder === SHARED_FOLDER) verdict = allPassed ? 'unused' : 'shared';
    else verdict = idsKnown ? 'unused' : 'unknownIds';
    if (verdict === 'unused') judgement.unused.push(file);
    else judgement.kept[verdict]++;
  }
  return judgement;
}

/** `kept 3 recordings no test used: 2 of skipped or todo tests, 1 of failed tests`, or undefined when none is kept. */
export function keptLine(kept: Kept): string | undefined {
  const parts: [number, string][] = [
    [kept.skipped, 'of skipped or todo tests'],
    [kept.failed, 'of failed tests'],
    [kept.notRun, 'of tests this run did not run'],
    [kept.unknownIds, 'of test ids no test ran (a skipped or failed test may set its own id with setTestId)'],
    [kept.shared, 'shared (model lists), as a test that did not pass may use them'],
  ];
  const shown = parts.filter(([count]) => count > 0);
  if (shown.length === 0) return undefined;
  const total = shown.reduce((sum, [count]) => sum + count, 0);
  return `kept ${plural(total, 'recording')} no test used: ${shown.map(([count, why]) => `${count} ${why}`).join(', ')}`;
}

/**
 * Judges a listing of the tree that may have been made while the run went on: what it deleted since is left
 * out, and what it wrote is used anyway.
 */
export function judgeListed(listed: string[], files: FileUsage[], complete: boolean, deleted: string[] = []): Judgement {
  const gone = new Set(deleted);
  return judgeRecordings(gone.size > 0 ? listed.filter((file) => !gone.has(file)) : listed, files, complete);
}

/** A listing of the recordings directory as the summary judges it: its recordings, and the folders it could not read. */
export interface ListedTree {
  recordings: string[];
  unreadable: Tree['unreadable'];
}

/** With `listing`, the file where the last listing is kept: only the folders that changed since are listed again. */
export function listTree(dir: string, listing?: string): ListedTree {
  const tree = listing ? walkTreeListed(dir, listing) : walkTree(dir);
  return { recordings: listRecordings(dir, tree), unreadable: tree.unreadable };
}

/** What the summary says of a listed tree: how many recordings the run left unused, which it kept, and what could not be read. */
export interface Counted {
  unused: number;
  kept: Kept;
  unreadable: Tree['unreadable'];
}

export function countListed(listed: ListedTree, files: FileUsage[], complete: boolean, deleted: string[]): Counted {
  const { unused, kept } = judgeListed(listed.recordings, files, complete, deleted);
  return { unused: unused.length, kept, unreadable: listed.unreadable };
}

/** The recordings a scope used: replayed, written, or kept when a re-recording failed (see `ScopeUsage.kept`). */
export const usedBy = (scope: ScopeUsage): string[] => [
  ...scope.replayed,
  ...scope.written.map((w) => w.file),
  ...(scope.kept ?? []).map((k) => k.file),
];

/** Recording files under the recordings directory (what `judgeRecordings` judges), relative, in the tree's order. */
export function listRecordings(dir: string, tree = walkTree(dir)): string[] {
  return tree.files.filter((file) => {
    const name = file.slice(file.lastIndexOf('/') + 1);
    return isRecordingFileName(name) || (folderOf(file) === SHARED_FOLDER && isModelListFileName(name));
  });
}

/** `path.posix.dirname` of a relative recording path, without its normalizing (a tree of 100,000 is judged at every run's end). */
const folderOf = (file: string): string => {
  const slash = file.lastIndexOf('/');
  return slash === -1 ? '.' : file.slice(0, slash);
};

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
