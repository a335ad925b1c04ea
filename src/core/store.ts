import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RecordingFileError } from './errors';
import { applyIdNormalization, parseRecording, type Recording, serializedPieces } from './format';
import { KEY_FILE_LENGTH, SHARED_FOLDER, insideDir, isModelListFileName, modelListFileName, parseRecordingFileName, recordingFileName, testFolder } from './paths';

/** What a write did to the file. */
export type WriteOutcome = 'created' | 'changed' | 'unchanged';

/** Ends every temporary file name; never read as a recording (`parseRecordingFileName` wants `.json`). */
export const TEMPORARY_SUFFIX = '.tmp';

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

  private index(folder: string): Map<string, number[]> {
    let index = this.folders.get(folder);
    if (index) return index;
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
    await fs.promises.mkdir(path.dirname(file), { recursive: true });
    const outcome = writeFileAtomically(file, serializedPieces(recording));
    if (outcome !== 'unchanged') this.remember(file);
    return outcome;
  }

  /** Every recording file of a test (not shared ones), parsed; files that do not parse are left out. */
  async recordingsOf(testId: string): Promise<FoundRecording[]> {
    const folder = this.folderOf(testId);
    const files = recordingFilesIn(folder).map((name) => path.join(folder, name));
    const found = await Promise.all(files.map((file) => this.read(file).then((recording) => ({ file, recording }), () => undefined)));
    return found.filter((entry): entry is FoundRecording => entry !== undefined);
  }

  /**
   * Deletes the recordings of a test that are not in `keep` (a re-recorded test's folder then holds
   * exactly what the run used); returns the deleted files. Other files in the folder are left alone.
   */
  removeOthers(testId: string, keep: ReadonlySet<string>): string[] {
    const folder = this.folderOf(testId);
    const stale = recordingFilesIn(folder).map((name) => path.join(folder, name)).filter((file) => !keep.has(file));
    for (const file of stale) fs.rmSync(file, { force: true });
    if (stale.length > 0) {
      this.folders.delete(folder);
      removeEmptyFolders(folder, this.dir);
    }
    return stale;
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

/** A recording file's text; a file that cannot be read is a `RecordingFileError` naming it as `shownAs`. */
export function readRecordingText(file: string, shownAs = file): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new RecordingFileError(shownAs, (error as Error).message);
  }
}

/** A recording file parsed and checked, its ids normalized as replay uses them; every problem names it as `shownAs`. */
export function readRecordingFile(file: string, shownAs = file): Recording {
  return applyIdNormalization(parseRecording(readRecordingText(file, shownAs), shownAs));
}

/** Text is written about this much at a time: a huge stream's file is never one string in memory. */
const WRITE_BATCH_CHARS = 1 << 20;

/**
 * Writes through a temporary file in the same folder and a rename, in one synchronous step while
 * SIGINT/SIGTERM are held: a reader never sees half a file, and Ctrl-C never leaves a temporary one.
 * A file whose bytes would not change is left as it was.
 */
export function writeFileAtomically(file: string, text: string | Iterable<string>): WriteOutcome {
  holdTerminationSignals();
  const temporary = `${file}.${process.pid}.${randomBytes(4).toString('hex')}${TEMPORARY_SUFFIX}`;
  try {
    const digest = writePieces(temporary, typeof text === 'string' ? [text] : text);
    const before = fileDigest(file);
    if (before === digest) {
      fs.rmSync(temporary);
      return 'unchanged';
    }
    fs.renameSync(temporary, file);
    return before === undefined ? 'created' : 'changed';
  } catch (error) {
    fs.rmSync(temporary, { force: true });
    throw error;
  }
}

/** Writes the pieces in batches; returns the sha256 of what was written. */
function writePieces(file: string, pieces: Iterable<string>): string {
  const hash = createHash('sha256');
  const fd = fs.openSync(file, 'w');
  try {
    let batch = '';
    const flush = () => {
      const bytes = Buffer.from(batch, 'utf8');
      hash.update(bytes);
      fs.writeSync(fd, bytes);
      batch = '';
    };
    for (const piece of pieces) {
      batch += piece;
      if (batch.length >= WRITE_BATCH_CHARS) flush();
    }
    flush();
  } finally {
    fs.closeSync(fd);
  }
  return hash.digest('hex');
}

/** The sha256 of a file's bytes, read a batch at a time; undefined when there is no file. */
function fileDigest(file: string): string | undefined {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const hash = createHash('sha256');
    const buffer = Buffer.allocUnsafe(WRITE_BATCH_CHARS);
    for (let read; (read = fs.readSync(fd, buffer, 0, buffer.length, null)) > 0; ) hash.update(buffer.subarray(0, read));
    return hash.digest('hex');
  } finally {
    fs.closeSync(fd);
  }
}

/** Removes `folder`, then its parents up to (not including) `root`, as long as they are empty. */
export function removeEmptyFolders(folder: string, root: string): void {
  for (let f = folder; f.startsWith(root + path.sep); f = path.dirname(f)) {
    try {
      fs.rmdirSync(f);
    } catch {
      return;
    }
  }
}

/** The names of the regular files in a folder: a link is not a recording (see `walkTree`). */
export const regularFilesIn = (folder: string): string[] =>
  listEntries(folder).filter((entry) => entry.isFile()).map((entry) => entry.name);
const recordingFilesIn = (folder: string) => regularFilesIn(folder).filter((name) => parseRecordingFileName(name) !== undefined).sort();

const TERMINATION_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];
let signalsHeld = false;

/**
 * While a listener is installed, Node delivers these signals to JavaScript between two ticks
 * instead of ending the process at once, so the synchronous write-and-rename of a recording always
 * completes. The listener then ends the process as the signal would have, unless someone else
 * (Jest's watch mode, the user) listens too and decides what happens.
 */
function holdTerminationSignals(): void {
  if (signalsHeld) return;
  signalsHeld = true;
  for (const signal of TERMINATION_SIGNALS) {
    const reraise = () => {
      process.removeListener(signal, reraise);
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    };
    process.on(signal, reraise);
  }
}

/**
 * Throws when `dir` cannot be written, or cannot be created where it does not exist yet (the file
 * system's own error: EACCES, EROFS…, or a file in the way); leaves nothing behind. A real write, not `access()`: that
 * answers yes to root on a folder it still cannot write (under a file, on a read-only mount).
 */
export function checkWritable(dir: string): void {
  let existing = dir;
  while (!fs.existsSync(existing) && path.dirname(existing) !== existing) existing = path.dirname(existing);
  if (!fs.statSync(existing).isDirectory()) throw new Error(`${existing} is a file, not a folder`);
  fs.rmdirSync(fs.mkdtempSync(path.join(existing, '.jest-replay-check-')));
}

/** The entries of a folder, with their types; none when it does not exist (ENOTDIR: a path under a file). */
export function listEntries(folder: string): fs.Dirent[] {
  try {
    return fs.readdirSync(folder, { withFileTypes: true });
  } catch (error) {
    const { code } = error as NodeJS.ErrnoException;
    if (code === 'ENOENT' || code === 'ENOTDIR') return [];
    throw error;
  }
}

/** The names in a folder; none when it does not exist. */
export const listDir = (folder: string): string[] => listEntries(folder).map((entry) => entry.name);

/** What is under a directory, relative to it with `/` separators. */
export interface Tree {
  files: string[];
  /** Symbolic links, with where they point (as written in the link). */
  links: { path: string; target: string }[];
}

/**
 * Every regular file under `dir`, and every symbolic link, which is never followed: a link may lead
 * outside the directory (where `prune` must not delete), dangle, or loop. Entry types come with the
 * listing: a stat per file made the run's closing summary cost most of a second for 100,000 recordings.
 */
export function walkTree(dir: string): Tree {
  const tree: Tree = { files: [], links: [] };
  const walk = (prefix: string) => {
    for (const entry of listEntries(path.join(dir, prefix))) {
      const file = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
      if (entry.isDirectory()) walk(file);
      else if (entry.isFile()) tree.files.push(file);
      else if (entry.isSymbolicLink()) tree.links.push({ path: file, target: fs.readlinkSync(path.join(dir, file)) });
    }
  };
  walk('');
  return tree;
}
