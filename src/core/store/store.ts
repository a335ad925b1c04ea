import { constants } from 'node:buffer';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LinkedFolderError, RecordingFileError } from '../errors';
import { applyIdNormalization, parseRecording, type Recording, serializedPieces } from '../recording/format';
import {
  KEY_FILE_LENGTH,
  SHARED_FOLDER,
  insideDir,
  isModelListFileName,
  modelListFileName,
  parseRecordingFileName,
  recordingFileName,
  testFolder,
} from './paths';
import { linkOnTheWay, regularFilesIn, type WriteOutcome, writeFileAtomically } from './storage';

const MAX_STRING_LENGTH = constants.MAX_STRING_LENGTH;

export interface FoundRecording {
  file: string;
  recording: Recording;
}

/**
 * The recordings directory: where a test's recordings live, lookup by key and ordinal,
 * atomic writes. Each test folder is listed once (never the whole tree), so lookups cost the
 * same with a hundred or a hundred thousand recordings.
 */
export class RecordingStore {
  /** folder → key stem → ordinals present, ascending. */
  private readonly folders = new Map<string, Map<string, number[]>>();

  constructor(readonly dir: string) {}

  /** Absolute folder of a test's recordings; `null` is the folder of shared recordings (model lists). */
  folderOf(testId: string | null): string {
    return insideDir(this.dir, testId === null ? SHARED_FOLDER : testFolder(testId));
  }

  fileFor(testId: string | null, key: string, ordinal: number): string {
    return path.join(this.folderOf(testId), recordingFileName(key, ordinal));
  }

  modelListFile(key: string, digest: string): string {
    return path.join(this.folderOf(null), modelListFileName(key, digest));
  }

  /** Throws a `LinkedFolderError` when `folder` is reached through a symbolic link under the recordings directory. */
  checkFolder(folder: string): void {
    const link = linkOnTheWay(this.dir, folder);
    if (link) throw new LinkedFolderError(folder, link);
  }

  private index(folder: string): Map<string, number[]> {
    let index = this.folders.get(folder);
    if (index) return index;
    this.checkFolder(folder);
    index = new Map();
    for (const name of regularFilesIn(folder)) {
      const parsed = parseRecordingFileName(name);
      if (!parsed) continue;
      const ordinals = index.get(parsed.stem) ?? [];
      ordinals.push(parsed.ordinal);
      index.set(parsed.stem, ordinals);
    }
    for (const ordinals of index.values()) ordinals.sort((a, b) => a - b);
    this.folders.set(folder, index);
    return index;
  }

  /**
   * The file for the nth identical request of a test: the nth recording, or the last one when
   * they have run out (a retried request replays its final answer). `null` looks among the
   * session-level recordings (llama-stack's recordings made outside any test).
   */
  locate(testId: string | null, key: string, ordinal: number): string | undefined {
    const folder = this.folderOf(testId);
    const ordinals = this.index(folder).get(key.slice(0, KEY_FILE_LENGTH));
    if (!ordinals || ordinals.length === 0) return undefined;
    const chosen = ordinals.includes(ordinal) ? ordinal : ordinal > ordinals[ordinals.length - 1] ? ordinals[ordinals.length - 1] : undefined;
    return chosen === undefined ? undefined : path.join(folder, recordingFileName(key, chosen));
  }

  /** Every shared model-list file of a key (one per set of model ids). */
  locateModelLists(key: string): string[] {
    const folder = this.folderOf(null);
    this.checkFolder(folder);
    return regularFilesIn(folder)
      .filter((name) => isModelListFileName(name, `${key.slice(0, KEY_FILE_LENGTH)}-`))
      .sort()
      .map((name) => path.join(folder, name));
  }

  async read(file: string): Promise<Recording> {
    return readRecordingFile(file);
  }

  /**
   * Writes through a temporary file and a rename, so a reader never sees half a file, and says
   * whether the file is new, changed or byte-for-byte the same (then it is left untouched).
   * `check` sees the exact text first, as pieces (a huge stream's file is never one string in
   * memory), and may refuse it by throwing: then nothing is written.
   */
  async write(file: string, recording: Recording, check?: (text: Iterable<string>) => void): Promise<WriteOutcome> {
    check?.(serializedPieces(recording));
    this.checkFolder(path.dirname(file));
    await fs.promises.mkdir(path.dirname(file), { recursive: true });
    const outcome = writeFileAtomically(file, serializedPieces(recording));
    if (outcome !== 'unchanged') this.remember(file);
    return outcome;
  }

  /** Writes a recording's file text as it is (an imported file), atomically, as `write` does. */
  async writeText(file: string, text: string): Promise<WriteOutcome> {
    await fs.promises.mkdir(path.dirname(file), { recursive: true });
    const outcome = writeFileAtomically(file, text);
    if (outcome !== 'unchanged') this.remember(file);
    return outcome;
  }

  /** Every recording file of a test (not shared ones), parsed; files that do not parse are left out. */
  async recordingsOf(testId: string): Promise<FoundRecording[]> {
    const folder = this.folderOf(testId);
    this.checkFolder(folder);
    const files = recordingFilesIn(folder).map((name) => path.join(folder, name));
    const found = await Promise.all(files.map((file) => this.read(file).then((recording) => ({ file, recording }), () => undefined)));
    return found.filter((entry): entry is FoundRecording => entry !== undefined);
  }

  private remember(file: string): void {
    const index = this.folders.get(path.dirname(file));
    const parsed = parseRecordingFileName(path.basename(file));
    if (!index || !parsed) return;
    const ordinals = index.get(parsed.stem) ?? [];
    if (!ordinals.includes(parsed.ordinal)) ordinals.push(parsed.ordinal);
    ordinals.sort((a, b) => a - b);
    index.set(parsed.stem, ordinals);
  }
}

/**
 * A recording file's text; a file that cannot be read is a `RecordingFileError` naming it as `shownAs`. A file
 * longer than the longest string V8 can make is refused before any of it is read (recordings are ASCII: a byte
 * per character).
 */
export function readRecordingText(file: string, shownAs = file): string {
  try {
    const { size } = fs.statSync(file);
    if (size > MAX_STRING_LENGTH) {
      const mb = (bytes: number) => `${Math.floor(bytes / 1e6)} MB`;
      throw new Error(`it is ${mb(size)}, more than the ${mb(MAX_STRING_LENGTH)} Node can read as text: nothing in it can be used`);
    }
    return fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new RecordingFileError(shownAs, (error as Error).message);
  }
}

/** A recording file parsed and checked, its ids normalized as replay uses them; every problem names it as `shownAs`. */
export function readRecordingFile(file: string, shownAs = file): Recording {
  return applyIdNormalization(parseRecording(readRecordingText(file, shownAs), shownAs));
}

const recordingFilesIn = (folder: string) => regularFilesIn(folder).filter((name) => parseRecordingFileName(name) !== undefined).sort();
