import * as fs from 'node:fs';
import * as path from 'node:path';
import { RecordingFileError } from '../errors';
import { applyIdNormalization, parseRecording, type Recording } from '../recording/format';
import type { KeyRules } from '../keying/rules';
import { losslessFileText, parseLossless } from '../util/lossless-json';
import { plural } from '../util/words';
import { parseRecordingFileName, testFolder } from '../store/paths';
import { RecordingStore, readRecordingText } from '../store/store';
import { regularFilesIn, removeEmptyFolders, walkTree, writeFileAtomically } from '../store/storage';
import { keyVariants } from './keys';
import { placementProblems } from './placement';

/**
 * `jest-replay mv`: a renamed or moved test's recordings, re-keyed under its new id without a network
 * call. Each file gets its new folder and name (the key of its stored request under the new id, as the
 * recorder makes it) and its new `test_id`, nothing else; every new file is checked as `verify` checks
 * it before anything is written, and an old file goes only once every new one is on disk.
 */

export interface MoveRequest {
  from: string;
  to: string;
  /** Every test id that starts with `from` (a describe block, a test file), that start replaced by `to`. */
  prefix: boolean;
  /** Add to new ids that already have recordings. */
  merge: boolean;
  rules: KeyRules;
}

export interface PlannedMove {
  source: string;
  target: string;
  testId: string;
  text: string;
  /** The target already holds exactly this text (a merge of the same recording). */
  present: boolean;
}

export interface MovePlan {
  moves: PlannedMove[];
  /** Why nothing may move; empty when the plan can be carried out. */
  problems: string[];
}

/** Where the ids to move can be recorded: the old test's folder, the old test file's for a prefix naming one, else anywhere. */
function searchRoot(dir: string, { from, prefix }: MoveRequest): string {
  if (!prefix) return path.join(dir, testFolder(from));
  return from.includes('::') ? path.join(dir, path.dirname(testFolder(from))) : dir;
}

/** The file text with only its test id changed (numbers, fields and their order as they were). */
function withTestId(text: string, testId: string): string {
  const data = parseLossless(text) as { test_id: string };
  data.test_id = testId;
  return losslessFileText(data);
}

/** Where one recording goes, or why it cannot. */
function planOne(store: RecordingStore, file: string, recording: Recording, newId: string, rules: KeyRules): PlannedMove | string {
  const relative = (abs: string) => path.relative(store.dir, abs).split(path.sep).join('/');
  const name = parseRecordingFileName(path.basename(file));
  const stored = applyIdNormalization(recording);
  // The variant of the key its name holds: the same variant under the new id is its new name.
  const misplaced = !name || placementProblems(relative(file), recording, rules).length > 0;
  const variant = misplaced ? -1 : keyVariants(stored, rules).findIndex((key) => key.startsWith(name.stem));
  if (!name || variant === -1) {
    const why = 'its name or folder is not the one its request keys to (jest-replay verify says why): moved, it would not replay either';
    return `${relative(file)}: ${why}`;
  }
  const target = store.fileFor(newId, keyVariants(stored, rules, newId)[variant], name.ordinal);
  const text = withTestId(readRecordingText(file), newId);
  const problems = placementProblems(relative(target), parseRecording(text, relative(target)), rules);
  if (problems.length > 0) return `${relative(file)}: moved to ${relative(target)} it would not replay: ${problems.join('; ')}`;
  return { source: file, target, testId: newId, text, present: false };
}

/** New ids that already have recordings: refused, or with `merge` each same-named file must hold the same recording. */
function targetProblems(store: RecordingStore, moves: PlannedMove[], merge: boolean): string[] {
  const problems: string[] = [];
  for (const testId of new Set(moves.map((move) => move.testId))) {
    const existing = regularFilesIn(store.folderOf(testId)).filter((name) => parseRecordingFileName(name) !== undefined);
    if (existing.length === 0 || merge) continue;
    problems.push(`${testId} already has ${plural(existing.length, 'recording')}: --merge adds these beside them`);
  }
  if (!merge) return problems;
  for (const move of moves) {
    if (!fs.existsSync(move.target)) continue;
    if (fs.readFileSync(move.target, 'utf8') === move.text) move.present = true;
    else problems.push(`${path.relative(store.dir, move.target)} exists with another recording of the same request: delete one of the two`);
  }
  return problems;
}

/** What moving would do, read only: nothing is written. */
export function planMove(dir: string, request: MoveRequest): MovePlan {
  const store = new RecordingStore(dir);
  const renamed = (id: string | null): string | undefined => {
    if (id === null) return undefined;
    if (!request.prefix) return id === request.from ? request.to : undefined;
    return id.startsWith(request.from) ? request.to + id.slice(request.from.length) : undefined;
  };
  const root = searchRoot(dir, request);
  const moves: PlannedMove[] = [];
  const problems: string[] = [];
  for (const name of walkTree(root).files.filter((file) => file.endsWith('.json')).sort()) {
    const file = path.join(root, name);
    let recording: Recording;
    try {
      recording = parseRecording(readRecordingText(file), file);
    } catch (error) {
      // It may belong to an id being moved: better stop than leave part of a test behind.
      const problem = error instanceof RecordingFileError ? error.problem : (error as Error).message;
      problems.push(`${path.relative(dir, file)} cannot be read (${problem}): fix or delete it first`);
      continue;
    }
    const newId = renamed(recording.test_id);
    if (newId === undefined) continue;
    const planned = planOne(store, file, recording, newId, request.rules);
    if (typeof planned === 'string') problems.push(planned);
    else moves.push(planned);
  }
  return { moves, problems: problems.length > 0 ? problems : targetProblems(store, moves, request.merge) };
}

/**
 * Carries out a plan without problems: every new file is written atomically and read back, then the old
 * ones are removed (and the folders they leave empty). A failure before the removals leaves every old file.
 */
export function applyMove(dir: string, plan: MovePlan): void {
  for (const move of plan.moves.filter((m) => !m.present)) {
    fs.mkdirSync(path.dirname(move.target), { recursive: true });
    writeFileAtomically(move.target, move.text);
  }
  for (const move of plan.moves) {
    if (fs.readFileSync(move.target, 'utf8') !== move.text) throw new Error(`${move.target} does not hold what was written: nothing old removed`);
  }
  for (const move of plan.moves) {
    fs.rmSync(move.source);
    removeEmptyFolders(path.dirname(move.source), dir);
  }
}
