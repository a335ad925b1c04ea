import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Recording } from '../recording/format';
import { nearest } from '../util/nearest';
import type { KeyRules } from '../keying/rules';
import { keysOf } from './keys';
import { isModelListFileName, KEY_FILE_LENGTH, parseRecordingFileName } from '../store/paths';
import { linkOnTheWay, listEntries, regularFilesIn, type Tree, walkTree } from '../store/storage';
import { type RecordingStore, readRecordingFile } from '../store/store';

/**
 * Reading a recordings directory for people: what is recorded for which test, and why a
 * request that should replay does not (the `list`, `show` and `diagnose` commands).
 */

export interface RecordingFile {
  file: string;
  /** Relative to the recordings directory, with `/`. */
  relative: string;
  size: number;
  recording?: Recording;
  /** Why the file cannot be used, when it cannot. */
  problem?: string;
}

function recordingFileAt(dir: string, file: string): RecordingFile {
  const relative = path.relative(dir, file).split(path.sep).join('/');
  const size = fs.statSync(file).size;
  try {
    return { file, relative, size, recording: readRecordingFile(file, relative) };
  } catch (error) {
    return { file, relative, size, problem: (error as Error).message };
  }
}

const jsonFilesIn = (folder: string): string[] =>
  regularFilesIn(folder).filter((name) => name.endsWith('.json')).sort().map((name) => path.join(folder, name));

/** The `.json` files of a tree (links are not followed: see `walkTree`), relative with `/`, in path order. */
export const jsonFilesUnder = (tree: Tree): string[] => tree.files.filter((name) => name.endsWith('.json')).sort();

/** Every recording file under `dir`, read and checked, in path order; and the links not followed. */
export function scanRecordings(dir: string): { files: RecordingFile[] } & Pick<Tree, 'links' | 'unreadable'> {
  const tree = walkTree(dir);
  const files = jsonFilesUnder(tree).map((name) => recordingFileAt(dir, path.join(dir, name)));
  return { files, links: tree.links, unreadable: tree.unreadable };
}

/** What stands for the test id of recordings that have none, where recordings are shown by test id. */
export const NO_TEST_ID = '(no test id: shared model lists and session-level recordings)';

/** One line's worth of what a recording holds. */
export interface RecordingSummary {
  method: string;
  endpoint: string;
  model: string;
  streaming: boolean;
  status: number;
}

export function summarize(recording: Recording): RecordingSummary {
  const { request, response } = recording;
  return {
    method: request.method.toUpperCase(),
    endpoint: request.endpoint,
    model: request.model,
    streaming: response.is_streaming,
    status: response.status ?? (response.is_exception ? Number(response.exception_data?.status_code ?? 500) : 200),
  };
}

/** Files whose name starts with the given key prefix (`<key>…` or `models-<key>…`), anywhere under `dir`; a whole key matches its file. */
export function findByKeyPrefix(dir: string, prefix: string): string[] {
  const lower = prefix.toLowerCase().slice(0, KEY_FILE_LENGTH);
  return jsonFilesUnder(walkTree(dir))
    .filter((name) => {
      const base = path.posix.basename(name);
      return base.startsWith(lower) || isModelListFileName(base, lower);
    })
    .map((name) => path.join(dir, name));
}

export interface DiagnosedFile extends RecordingFile {
  /** The key its stored request produces now: the one its name matches, if any (see `keysOf`). */
  key?: string;
  /** The nth identical request of the test, from the file name. */
  ordinal?: number;
  /** What is wrong with it, if anything. */
  problems: string[];
}

export interface TestDiagnosis {
  testId: string;
  /** Where the recorder looks for this test's recordings. */
  folder: string;
  files: DiagnosedFile[];
  /** Test ids recorded for the same test file, nearest first: a renamed test or describe shows up here. */
  otherIds: string[];
  problems: string[];
}

function diagnoseFile(entry: RecordingFile, testId: string, rules: KeyRules): DiagnosedFile {
  const parsed = parseRecordingFileName(path.basename(entry.file));
  const problems = entry.problem ? [entry.problem] : [];
  const recording = entry.recording;
  if (!recording) return { ...entry, ordinal: parsed?.ordinal, problems };
  let keys: string[];
  try {
    keys = keysOf(recording, rules);
  } catch (error) {
    return { ...entry, ordinal: parsed?.ordinal, problems: [...problems, `its key cannot be computed: ${(error as Error).message}`] };
  }
  const named = parsed && keys.find((key) => key.startsWith(parsed.stem));
  if (recording.test_id !== testId) {
    problems.push(`its test_id is ${JSON.stringify(recording.test_id)}, not this test's: replay never reads it here`);
  }
  if (!parsed) problems.push('its name is not <16 hex of the key>[.<n>].json: replay never reads it');
  else if (!named) {
    problems.push(
      `its name says key ${parsed.stem}…, but its stored request keys to ${keys[0].slice(0, KEY_FILE_LENGTH)}… ` +
        '(renamed or hand-edited, or recorded by a version that keyed differently): replay looks for it under the other name',
    );
  }
  return { ...entry, key: named ?? keys[0], ordinal: parsed?.ordinal, problems };
}

/** Test ids recorded under the folder of a test file (`<dir>/<file part of the id>/*`). */
function idsRecordedBeside(store: RecordingStore, testId: string): string[] {
  const fileFolder = path.dirname(store.folderOf(testId));
  if (fileFolder === store.dir) return [];
  const ids = new Set<string>();
  for (const entry of listEntries(fileFolder)) {
    if (!entry.isDirectory()) continue;
    for (const file of jsonFilesIn(path.join(fileFolder, entry.name))) {
      const id = recordingFileAt(store.dir, file).recording?.test_id;
      if (id && id !== testId) ids.add(id);
    }
  }
  return [...ids];
}

/** Test ids recorded for the same test file as `testId`, nearest first: where a renamed test's recordings are. */
export function idsRecordedForSameFile(store: RecordingStore, testId: string): string[] {
  return nearest(testId, idsRecordedBeside(store, testId), { all: true });
}

/**
 * Everything a test's replay depends on: the folder it reads, each file there with the key its
 * stored request produces now, and what cannot match. With nothing recorded, the ids recorded for
 * the same test file (a renamed test keeps its old recordings under its old id).
 */
export function diagnoseTest(store: RecordingStore, testId: string, rules: KeyRules = {}): TestDiagnosis {
  const folder = store.folderOf(testId);
  const link = linkOnTheWay(store.dir, folder);
  if (link) {
    const problem =
      `its folder is reached through the symbolic link ${link}: replay never reads through a link (it may lead outside the recordings directory)`;
    return { testId, folder, files: [], otherIds: [], problems: [problem] };
  }
  const files = jsonFilesIn(folder).map((file) => diagnoseFile(recordingFileAt(store.dir, file), testId, rules));
  const problems: string[] = [];
  if (files.length === 0) problems.push(fs.existsSync(folder) ? 'the folder holds no recordings' : 'nothing is recorded for this test id (its folder does not exist)');
  for (const file of files) for (const problem of file.problems) problems.push(`${path.basename(file.file)}: ${problem}`);
  const otherIds = files.length === 0 ? idsRecordedForSameFile(store, testId) : [];
  return { testId, folder, files, otherIds, problems };
}
