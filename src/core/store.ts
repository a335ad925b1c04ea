import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RecordingFileError } from './errors';
import { applyIdNormalization, parseRecording, type Recording, serializedPieces } from './format';
import { KEY_FILE_LENGTH, SHARED_FOLDER, insideDir, modelListFileName, parseRecordingFileName, recordingFileName, testFolder } from './paths';

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
    for (const name of listDir(folder)) {
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
    const prefix = `models-${key.slice(0, KEY_FILE_LENGTH)}-`;
    return listDir(folder)
      .filter((name) => name.startsWith(prefix) && name.endsWith('.json'))
      .sort()
      .map((name) => path.join(folder, name));
  }

  async read(file: string): Promise<Recording> {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (error) {
      throw new RecordingFileError(file, (error as Error).message);
    }
    return applyIdNormalization(parseRecording(text, file));
  }

  /** Writes through a temporary file and a rename, so a reader never sees half a file. */
  async write(file: string, recording: Recording): Promise<void> {
    await fs.promises.mkdir(path.dirname(file), { recursive: true });
    const temporary = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      await writePieces(temporary, serializedPieces(recording));
      await fs.promises.rename(temporary, file);
    } catch (error) {
      await fs.promises.rm(temporary, { force: true });
      throw error;
    }
    this.remember(file);
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

/** Text is written about this much at a time: a huge stream's file is never one string in memory. */
const WRITE_BATCH_CHARS = 1 << 20;

async function writePieces(file: string, pieces: Iterable<string>): Promise<void> {
  const handle = await fs.promises.open(file, 'w');
  try {
    let batch = '';
    for (const piece of pieces) {
      batch += piece;
      if (batch.length < WRITE_BATCH_CHARS) continue;
      await handle.writeFile(batch);
      batch = '';
    }
    await handle.writeFile(batch);
  } finally {
    await handle.close();
  }
}

function listDir(folder: string): string[] {
  try {
    return fs.readdirSync(folder);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}
