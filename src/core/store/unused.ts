import * as path from 'node:path';
import { isModelListFileName, SHARED_FOLDER, parseRecordingFileName, testFolder } from './paths';
import { walkTreeListed } from './listing-cache';
import { TEMPORARY_SUFFIX, type Tree, walkTree } from './storage';
import type { FileUsage, LateRequest, ScopeUsage } from './usage';

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
}

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
  const used = new Set(scopes.flatMap(usedBy));
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
export function countUnused(listed: string[], files: FileUsage[], complete: boolean, deleted: string[] = []): number {
  const gone = new Set(deleted);
  return unusedRecordings(gone.size > 0 ? listed.filter((file) => !gone.has(file)) : listed, files, complete).length;
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

/** What the summary says of a listed tree: how many recordings the run left unused, and what could not be read. */
export interface Counted {
  unused: number;
  unreadable: Tree['unreadable'];
}

export const countListed = (listed: ListedTree, files: FileUsage[], complete: boolean, deleted: string[]): Counted => ({
  unused: countUnused(listed.recordings, files, complete, deleted),
  unreadable: listed.unreadable,
});

/** The recordings a scope used: replayed, written, or kept when a re-recording failed (see `ScopeUsage.kept`). */
export const usedBy = (scope: ScopeUsage): string[] => [
  ...scope.replayed,
  ...scope.written.map((w) => w.file),
  ...(scope.kept ?? []).map((k) => k.file),
];

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
