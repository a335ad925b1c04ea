import * as fs from 'node:fs';
import * as path from 'node:path';
import { RecordingFileError } from '../errors';
import { applyIdNormalization } from '../recording/format';
import { parseRecording } from '../recording/parse';
import { normalizedId } from '../recording/volatile';
import type { KeyRules } from '../keying/rules';
import { losslessFileText, parseLossless } from '../util/lossless-json';
import { plural } from '../util/words';
import { parseRecordingFileName, testFolder } from '../store/paths';
import { RecordingStore, readRecordingText } from '../store/store';
import { linkOnTheWay, regularFilesIn, removeEmptyFolders, walkTree, writeFileAtomically } from '../store/storage';
import { keyVariants } from './keys';
import { placementProblems } from './placement';

/**
 * `jest-replay mv`: a renamed or moved test's recordings, re-keyed under its new id without a network
 * call. Each file gets its new folder and name (the key of its stored request under the new id, as the
 * recorder makes it), its new `test_id` and the stored ids its new key makes, nothing else; every new file is checked as `verify` checks
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

/** A recording to move, checked: its text, new id, name, and the variant of the key its name holds (see `keyVariants`). */
interface Source {
  file: string;
  text: string;
  newId: string;
  stem: string;
  ordinal: number;
  variant: number;
}

const relativeIn = (dir: string, file: string) => path.relative(dir, file).split(path.sep).join('/');

/** A recording that may move, or why it cannot: it must already be where its key puts it. */
function checkSource(dir: string, file: string, text: string, newId: string, rules: KeyRules): Source | string {
  const recording = parseRecording(text, file);
  const name = parseRecordingFileName(path.basename(file));
  const misplaced = !name || placementProblems(relativeIn(dir, file), recording, rules).length > 0;
  const variant = misplaced ? -1 : keyVariants(applyIdNormalization(recording), rules).findIndex((key) => key.startsWith(name.stem));
  if (!name || variant === -1) {
    const why = 'its name or folder is not the one its request keys to (jest-replay verify says why): moved, it would not replay either';
    return `${relativeIn(dir, file)}: ${why}`;
  }
  return { file, text, newId, stem: name.stem, ordinal: name.ordinal, variant };
}

/** The text with the stored ids the map names (`rec-<12 hex of a key>`, in any of their forms) replaced. */
const withIds = (text: string, ids: Map<string, string>) =>
  ids.size === 0 ? text : text.replace(/rec-[0-9a-f]{12}/g, (id) => ids.get(id) ?? id);

/**
 * The new key and text of each recording. Its stored ids are made from its key (see volatile.ts), and a later
 * request of the test may quote them, so its key depends on them: keys are found together, each file's ids of
 * moved recordings rewritten, until no key changes (a request quotes only earlier answers, so this ends
 * within as many rounds as files). The files are then what recording under the new ids writes.
 */
function rekey(sources: Source[], rules: KeyRules): { source: Source; text: string; key: string }[] {
  let ids = new Map<string, string>();
  for (let round = 0; ; round++) {
    const rekeyed = sources.map((source) => {
      const text = withTestId(withIds(source.text, ids), source.newId);
      const recording = applyIdNormalization(parseRecording(text, source.file));
      return { source, text, key: keyVariants(recording, rules, source.newId)[source.variant] };
    });
    const next = new Map(rekeyed.map(({ source, key }) => [normalizedId(source.stem), normalizedId(key)]));
    if (round >= sources.length || [...next].every(([id, moved]) => ids.get(id) === moved)) return rekeyed;
    ids = next;
  }
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
  const sources: Source[] = [];
  const problems: string[] = [];
  for (const name of walkTree(root).files.filter((file) => file.endsWith('.json')).sort()) {
    const file = path.join(root, name);
    let checked: Source | string | undefined;
    try {
      const text = readRecordingText(file);
      const newId = renamed(parseRecording(text, file).test_id);
      checked = newId === undefined ? undefined : checkSource(dir, file, text, newId, request.rules);
    } catch (error) {
      // It may belong to an id being moved: better stop than leave part of a test behind.
      const problem = error instanceof RecordingFileError ? error.problem : (error as Error).message;
      checked = `${path.relative(dir, file)} cannot be read (${problem}): fix or delete it first`;
    }
    if (typeof checked === 'string') problems.push(checked);
    else if (checked) sources.push(checked);
  }
  if (problems.length > 0) return { moves: [], problems };
  const moves: PlannedMove[] = [];
  for (const { source, text, key } of rekey(sources, request.rules)) {
    const target = store.fileFor(source.newId, key, source.ordinal);
    const misplaced = placementProblems(relativeIn(dir, target), parseRecording(text, target), request.rules);
    const shown = relativeIn(dir, source.file);
    if (misplaced.length > 0) problems.push(`${shown}: moved, it would not replay: ${misplaced.join('; ')}`);
    // Nothing is written through a link: it may lead outside the recordings directory.
    const link = linkOnTheWay(dir, path.dirname(target));
    if (link) problems.push(`${shown}: its new folder is reached through the symbolic link ${relativeIn(dir, link)}: nothing is written through it`);
    moves.push({ source: source.file, target, testId: source.newId, text, present: false });
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
    const written = fs.readFileSync(move.target, 'utf8');
    if (written !== move.text) throw new Error(`${move.target} does not hold what was written: nothing old removed`);
  }
  for (const move of plan.moves) {
    fs.rmSync(move.source);
    removeEmptyFolders(path.dirname(move.source), dir);
  }
}
