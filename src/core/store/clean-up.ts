import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseRecordingFileName, testFolder } from './paths';
import { linkOnTheWay, regularFilesIn, removeEmptyFolders } from './storage';
import type { FileUsage } from './usage';
import { usedBy } from './unused';

/**
 * The end of a record run: a re-recorded test's folder is left holding exactly what the run used. This is done
 * once, when every test file's usage is known (test files run in other processes, and may share a test id:
 * `setTestId`, or Jest projects sharing a recordings directory), never by one test file alone, which would delete
 * what another wrote.
 */

/** A test id that several test files recorded under in one run: their recordings share one folder. */
export interface Clash {
  testId: string;
  /** The test files, relative to their rootDir (the same file twice when two projects ran it). */
  testFiles: string[];
}

export interface CleanUp {
  /** Recordings deleted, relative to the recordings directory with `/`. */
  deleted: string[];
  clashes: Clash[];
}

/**
 * What the end of a run deletes, judged from its usage: in the folder of a test id whose every scope (tests and
 * hooks) ran in `record` mode and passed, the recordings none of them wrote or replayed. A test id that scopes of
 * several test files wrote under is a clash: its folder is left alone. `listFolder` gives a folder's recordings.
 */
export function staleRecordings(files: FileUsage[], listFolder: (folder: string) => string[]): CleanUp {
  const byId = new Map<string, { owns: boolean; used: Set<string>; writers: FileUsage[] }>();
  for (const file of files) {
    for (const scope of file.scopes) {
      const id = byId.get(scope.id) ?? { owns: true, used: new Set<string>(), writers: [] };
      id.owns &&= scope.mode === 'record' && scope.status === 'passed';
      for (const used of usedBy(scope)) id.used.add(used);
      if (scope.written.length > 0 && !id.writers.includes(file)) id.writers.push(file);
      byId.set(scope.id, id);
    }
  }
  const cleanUp: CleanUp = { deleted: [], clashes: [] };
  for (const [testId, { owns, used, writers }] of byId) {
    if (writers.length > 1) cleanUp.clashes.push({ testId, testFiles: writers.map((f) => f.testFile) });
    else if (owns) cleanUp.deleted.push(...listFolder(testFolder(testId).split(path.sep).join('/')).filter((file) => !used.has(file)));
  }
  return cleanUp;
}

/** Deletes the stale recordings of a run (see `staleRecordings`) under `dir`; never through a symbolic link. */
export function cleanUpRun(dir: string, files: FileUsage[]): CleanUp {
  const listFolder = (folder: string) => {
    const absolute = path.join(dir, folder);
    if (linkOnTheWay(dir, absolute)) return [];
    return regularFilesIn(absolute).filter((name) => parseRecordingFileName(name) !== undefined).map((name) => `${folder}/${name}`);
  };
  const cleanUp = staleRecordings(files, listFolder);
  for (const file of cleanUp.deleted) {
    fs.rmSync(path.join(dir, file), { force: true });
    removeEmptyFolders(path.dirname(path.join(dir, file)), dir);
  }
  return cleanUp;
}

/** What a clash costs, and what to do: the message that fails a record run. */
export function clashMessage({ testId, testFiles }: Clash, folder: string): string {
  const files = new Set(testFiles).size === 1 ? `${testFiles[0]} (run by ${testFiles.length} projects)` : testFiles.join(' and ');
  return (
    `jest-replay: ${files} recorded under the same test id ${JSON.stringify(testId)}: their recordings share one ` +
    `folder (${folder}/), where they overwrite and would delete each other's. Nothing in it was deleted. ` +
    'Give each test file ids of its own (setTestId, testIdResolver, or projects with their own recordings directory).'
  );
}
