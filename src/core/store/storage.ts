import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * File system primitives of the recordings and usage directories: atomic writes that Ctrl-C cannot
 * cut in half, listings that never follow a link, and clean-up of emptied folders.
 */

/** What a write did to the file. */
export type WriteOutcome = 'created' | 'changed' | 'unchanged';

/** Ends every temporary file name; never read as a recording (`parseRecordingFileName` wants `.json`). */
export const TEMPORARY_SUFFIX = '.tmp';

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

/**
 * The first symbolic link on the way from `root` (itself not looked at: it may be a link) down to `target`, if any.
 * A folder reached through a link may be anywhere: nothing is read, written or deleted through it.
 */
export function linkOnTheWay(root: string, target: string): string | undefined {
  const relative = path.relative(root, target);
  let at = root;
  for (const segment of relative === '' ? [] : relative.split(path.sep)) {
    at = path.join(at, segment);
    let stat: fs.Stats;
    try {
      stat = fs.lstatSync(at);
    } catch (error) {
      // Nothing there (or a file on the way): nothing beyond it can be reached, through a link or not.
      if (['ENOENT', 'ENOTDIR'].includes((error as NodeJS.ErrnoException).code!)) return undefined;
      throw error;
    }
    if (stat.isSymbolicLink()) return at;
  }
  return undefined;
}

/** The names of the regular files in a folder: a link is not a recording (see `walkTree`). */
export const regularFilesIn = (folder: string): string[] =>
  listEntries(folder).filter((entry) => entry.isFile()).map((entry) => entry.name);

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
  /** Folders that could not be listed, and why (`EACCES`…): skipped, never a reason to fail (`''` is the directory itself). */
  unreadable: { path: string; reason: string }[];
}

export const reasonOf = (error: unknown) => (error as NodeJS.ErrnoException).code ?? (error as Error).message;

/**
 * Every regular file under `dir`, and every symbolic link, which is never followed: a link may lead
 * outside the directory (where `prune` must not delete), dangle, or loop. Entry types come with the
 * listing: a stat per file would be most of what the run's closing summary costs in a large tree. A
 * folder that cannot be read (its permissions, `/proc` under `dir=/`) is noted and skipped.
 */
export function walkTree(dir: string): Tree {
  const tree: Tree = { files: [], links: [], unreadable: [] };
  const walk = (prefix: string) => {
    let entries: fs.Dirent[];
    try {
      entries = listEntries(path.join(dir, prefix));
    } catch (error) {
      tree.unreadable.push({ path: prefix, reason: reasonOf(error) });
      return;
    }
    for (const entry of entries) {
      const file = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
      if (entry.isDirectory()) walk(file);
      else if (entry.isFile()) tree.files.push(file);
      else if (entry.isSymbolicLink()) tree.links.push({ path: file, target: linkTarget(path.join(dir, file)) });
    }
  };
  walk('');
  return tree;
}

/** Where a link points, as written in it; why not, when that cannot be read. */
export function linkTarget(link: string): string {
  try {
    return fs.readlinkSync(link);
  } catch (error) {
    return `(cannot be read: ${reasonOf(error)})`;
  }
}
