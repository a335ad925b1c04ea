import * as path from 'node:path';
import { isRecordingIn, SHARED_FOLDER, testFolder } from './paths';
import { filesOf, type FolderTree } from './listing-cache';
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
  const { used, verdict } = judging(files, complete);
  const judgement: Judgement = { unused: [], kept: noneKept() };
  for (const file of recordings) {
    if (used.has(file)) continue;
    const why = verdict(folderOf(file));
    if (why === 'unused') judgement.unused.push(file);
    else judgement.kept[why]++;
  }
  return judgement;
}

const noneKept = (): Kept => ({ skipped: 0, failed: 0, notRun: 0, unknownIds: 0, shared: 0 });

/** The recordings a run used, and what it says of a recording it did not use, by the recording's folder (see `judgeRecordings`). */
function judging(files: FileUsage[], complete: boolean): { used: Set<string>; verdict: (folder: string) => keyof Kept | 'unused' } {
  const scopes = files.flatMap((f) => f.scopes);
  const used = new Set(scopes.flatMap(usedBy));
  const folders = new Map<string, ScopeStatus>();
  for (const scope of scopes) {
    const folder = testFolder(scope.id).split(path.sep).join('/');
    folders.set(folder, worse(folders.get(folder), scope.status));
  }
  const allPassed = scopes.every((s) => s.status === 'passed');
  const idsKnown = !files.some((f) => f.setsIds && f.scopes.some((s) => s.status !== 'passed'));
  const verdict = (folder: string): keyof Kept | 'unused' => {
    const status = folders.get(folder);
    if (status !== undefined) return status === 'passed' ? 'unused' : status;
    if (!complete) return 'notRun';
    if (folder === SHARED_FOLDER) return allPassed ? 'unused' : 'shared';
    return idsKnown ? 'unused' : 'unknownIds';
  };
  return { used, verdict };
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

/** What the summary says of a listed tree: how many recordings the run left unused, which it kept, and what could not be read. */
export interface Counted {
  unused: number;
  kept: Kept;
  unreadable: Tree['unreadable'];
}

/**
 * Counts what `judgeRecordings` would judge of the tree's recordings, folder by folder: a folder none of whose files the
 * run used or deleted counts as a whole, from its listing. The listing may have been made while the run went on: what
 * the run deleted since (`deleted`) is left out, and what it wrote is used anyway.
 */
export function countListed(tree: FolderTree, files: FileUsage[], complete: boolean, deleted: string[]): Counted {
  const { used, verdict } = judging(files, complete);
  const passedOver = new Set([...used, ...deleted]);
  const touched = new Set([...passedOver].map(folderOf));
  const counted: Counted = { unused: 0, kept: noneKept(), unreadable: tree.unreadable };
  for (const [prefix, listed] of tree.folders) {
    const folder = prefix === '' ? '.' : prefix;
    const count = touched.has(folder)
      ? filesOf(listed).filter((name) => isRecordingIn(prefix, name) && !passedOver.has(prefix === '' ? name : `${prefix}/${name}`)).length
      : listed.recordings;
    if (count === 0) continue;
    const why = verdict(folder);
    if (why === 'unused') counted.unused += count;
    else counted.kept[why] += count;
  }
  return counted;
}

/** The recordings a scope used: replayed, written, or kept when a re-recording failed (see `ScopeUsage.kept`). */
export const usedBy = (scope: ScopeUsage): string[] => [
  ...scope.replayed,
  ...scope.written.map((w) => w.file),
  ...(scope.kept ?? []).map((k) => k.file),
];

/** Recording files under the recordings directory (what `judgeRecordings` judges), relative, in the tree's order. */
export function listRecordings(dir: string, tree = walkTree(dir)): string[] {
  return tree.files.filter((file) => isRecordingIn(folderOf(file), file.slice(file.lastIndexOf('/') + 1)));
}

/** `path.posix.dirname` of a relative recording path, without its normalizing. */
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
