import { constants } from 'node:buffer';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LinkedFolderError, RecordingFileError } from '../errors';
import { applyIdNormalization, type Recording, serializedPieces } from '../recording/format';
import { parseRecording } from '../recording/parse';
import { readLargeRecording } from './large-recording';
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
/** Recordings from this size on are replayed from their file, a batch at a time (see large-recording.ts). */
const INCREMENTAL_FROM = 16 * 2 ** 20;
/** Parsed recordings a test file keeps for its next request that needs one again (a model list, a retry): so many, so small. */
const KEPT_PARSED = 64;
const KEPT_PARSED_MAX_BYTES = 256 * 1024;

export interface FoundRecording {
  file: string;
  recording: Recording;
}

/** A folder as listed once: its files' names, and its recordings by key stem (ordinals present, ascending). */
interface ListedFolder {
  names: Set<string>;
  index: Map<string, number[]>;
}

/**
 * The recordings directory: where a test's recordings live, lookup by key and ordinal,
 * atomic writes. Each test folder is listed once (never the whole tree), so lookups cost the
 * same with a hundred or a hundred thousand recordings.
 */
export class RecordingStore {
  private readonly folders = new Map<string, ListedFolder>();
  /** Test id → its folder: named by a hash of the id, made once. */
  private readonly testFolders = new Map<string | null, string>();
  /** Small recordings as parsed for replay, the most recently used last. */
  private readonly parsed = new Map<string, Recording>();

  constructor(readonly dir: string) {}

  /** Absolute folder of a test's recordings; `null` is the folder of shared recordings (model lists). */
  folderOf(testId: string | null): string {
    let folder = this.testFolders.get(testId);
    if (folder === undefined) {
      folder = insideDir(this.dir, testId === null ? SHARED_FOLDER : testFolder(testId));
      this.testFolders.set(testId, folder);
    }
    return folder;
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

  private listed(folder: string): ListedFolder {
    let listed = this.folders.get(folder);
    if (listed) return listed;
    this.checkFolder(folder);
    listed = { names: new Set(), index: new Map() };
    for (const name of regularFilesIn(folder)) addName(listed, name);
    this.folders.set(folder, listed);
    return listed;
  }

  /**
   * The file for the nth identical request of a test: the nth recording, or the last one when
   * they have run out (a retried request replays its final answer). `null` looks among the
   * session-level recordings (llama-stack's recordings made outside any test).
   */
  locate(testId: string | null, key: string, ordinal: number): string | undefined {
    const folder = this.folderOf(testId);
    const ordinals = this.listed(folder).index.get(key.slice(0, KEY_FILE_LENGTH));
    if (!ordinals || ordinals.length === 0) return undefined;
    const chosen = ordinals.includes(ordinal) ? ordinal : ordinal > ordinals[ordinals.length - 1] ? ordinals[ordinals.length - 1] : undefined;
    return chosen === undefined ? undefined : path.join(folder, recordingFileName(key, chosen));
  }

  /** Every shared model-list file of a key (one per set of model ids). */
  locateModelLists(key: string): string[] {
    const folder = this.folderOf(null);
    return [...this.listed(folder).names]
      .filter((name) => isModelListFileName(name, `${key.slice(0, KEY_FILE_LENGTH)}-`))
      .sort()
      .map((name) => path.join(folder, name));
  }

  async read(file: string): Promise<Recording> {
    return readRecordingFile(file);
  }

  /**
   * A recording to replay, not to be changed: a small one parsed once per test file (a model list every test asks
   * for, a retried request); a large stream's chunks left in its file, read as they are sent (see large-recording.ts).
   */
  async readForReplay(file: string): Promise<Recording> {
    const kept = this.parsed.get(file);
    if (kept) {
      this.parsed.delete(file);
      this.parsed.set(file, kept);
      return kept;
    }
    const { recording, size } = withRecordingFile(file, file, (fd, size) => ({
      recording: (size >= INCREMENTAL_FROM ? readLargeRecording(file, file) : undefined) ?? parsedRecording(textOf(fd, file), file),
      size,
    }));
    if (size <= KEPT_PARSED_MAX_BYTES) {
      this.parsed.set(file, recording);
      if (this.parsed.size > KEPT_PARSED) this.parsed.delete(this.parsed.keys().next().value!);
    }
    return recording;
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
    this.parsed.delete(file);
    const listed = this.folders.get(path.dirname(file));
    if (listed) addName(listed, path.basename(file));
  }
}

function addName(listed: ListedFolder, name: string): void {
  if (listed.names.has(name)) return;
  listed.names.add(name);
  const parsed = parseRecordingFileName(name);
  if (!parsed) return;
  const ordinals = listed.index.get(parsed.stem) ?? [];
  ordinals.push(parsed.ordinal);
  ordinals.sort((a, b) => a - b);
  listed.index.set(parsed.stem, ordinals);
}

/**
 * Opens a recording file for `read`, which gets its descriptor and size: one path lookup, not a `stat` and then an
 * `open`. A file that cannot be read is a `RecordingFileError` naming it as `shownAs`; so is a file longer than the
 * longest string V8 can make (recordings are ASCII: a byte per character), before any of it is read.
 */
function withRecordingFile<T>(file: string, shownAs: string, read: (fd: number, size: number) => T): T {
  const fd = readingStep(shownAs, () => fs.openSync(file, 'r'));
  try {
    const size = readingStep(shownAs, () => fs.fstatSync(fd).size);
    if (size > MAX_STRING_LENGTH) {
      const mb = (bytes: number) => `${Math.floor(bytes / 1e6)} MB`;
      throw new RecordingFileError(shownAs, `it is ${mb(size)}, more than the ${mb(MAX_STRING_LENGTH)} Node can read as text: nothing in it can be used`);
    }
    return read(fd, size);
  } finally {
    fs.closeSync(fd);
  }
}

/** A file system step on a recording file, its failure a `RecordingFileError` naming the file as `shownAs`. */
function readingStep<T>(shownAs: string, step: () => T): T {
  try {
    return step();
  } catch (error) {
    throw new RecordingFileError(shownAs, (error as Error).message);
  }
}

/** The whole text of an open recording file. */
const textOf = (fd: number, shownAs: string): string => readingStep(shownAs, () => fs.readFileSync(fd, 'utf8'));

/** A recording file's text; a file that cannot be read, or is too long to be text, is a `RecordingFileError` naming it as `shownAs`. */
export function readRecordingText(file: string, shownAs = file): string {
  return withRecordingFile(file, shownAs, (fd) => textOf(fd, shownAs));
}

/** A recording's text parsed and checked, its ids normalized as replay uses them. */
const parsedRecording = (text: string, shownAs: string): Recording => applyIdNormalization(parseRecording(text, shownAs));

/** A recording file parsed and checked, its ids normalized as replay uses them; every problem names it as `shownAs`. */
export function readRecordingFile(file: string, shownAs = file): Recording {
  return parsedRecording(readRecordingText(file, shownAs), shownAs);
}

const recordingFilesIn = (folder: string) => regularFilesIn(folder).filter((name) => parseRecordingFileName(name) !== undefined).sort();
