import * as fs from 'node:fs';
import * as path from 'node:path';
import { ReplayConfigError } from '../errors';
import { checkWritable, listDir, writeFileAtomically } from '../store/storage';
import { relativePosix, type ScopeStatus } from '../store/usage';

/**
 * The folder a drift run writes to, never the recordings directory: what each request got live, as a
 * recording (`live/`, laid out as the recordings are), and per test file a note of which recording each
 * request would have replayed (`notes/`), for `jest-replay drift` to compare and `--accept` to move.
 * `drift.json` marks the folder as a drift run's: only such a folder (or an empty one) is ever cleared.
 */

const LIVE = 'live';
const NOTES = 'notes';
const MARKER = 'drift.json';

/** Where a drift run writes the live exchanges, as recordings under their test's folder. */
export const liveDirOf = (driftDir: string) => path.join(driftDir, LIVE);

/** What one request of a drift run did. */
export interface RequestNote {
  /** `METHOD url`, as stored (no credential). */
  request: string;
  /** Which of its test's identical requests it was. */
  ordinal: number;
  /** The recordings replay would have answered it from, relative to the recordings directory (several for a merged model list). */
  recordings: string[];
  /** When it keys to no recording: why, as a miss says it (the file looked for, the nearest recording and how it differs). */
  unkeyed?: string[];
  /** The live exchange, relative to the live folder, once written. */
  live?: string;
  /** Why no live exchange was written (no connection, a credential in it…). */
  problem?: string;
}

/** A test (or beforeAll/afterAll hook) of a drift run, and what its requests did. */
export interface ScopeNote {
  id: string;
  status: ScopeStatus;
  requests: RequestNote[];
}

/** One test file of a drift run. */
export interface DriftNote {
  testFile: string;
  /** The recordings directory, relative to rootDir with `/`. */
  recordings: string;
  scopes: ScopeNote[];
}

const inside = (folder: string, file: string) => {
  const relative = path.relative(folder, file);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
};

/** Why `driftDir` must not take a drift run checking the recordings in `dir`, if it must not. */
export function driftDirProblem(driftDir: string, dir: string): string | undefined {
  if (inside(dir, driftDir) || inside(driftDir, dir)) {
    const overlap = `the drift check's folder ${driftDir} and the recordings directory ${dir} overlap`;
    return `${overlap}: a drift run never writes into the recordings. Name another folder.`;
  }
  const stat = fs.statSync(driftDir, { throwIfNoEntry: false });
  if (stat && !stat.isDirectory()) return `the drift check's folder ${driftDir} is a file. Name a folder.`;
  const names = stat ? listDir(driftDir) : [];
  if (names.length > 0 && !names.includes(MARKER)) {
    const busy = `the drift check's folder ${driftDir} holds other files and no earlier drift check (${MARKER})`;
    return `${busy}: it would be cleared. Name a new or empty folder.`;
  }
  return undefined;
}

/**
 * Clears an earlier drift run's folder and marks it as this one's (with its recordings directory, relative to rootDir),
 * before any test runs; a folder that must not be used stops the run.
 */
export function startDriftRun(driftDir: string, dir: string, rootDir: string): void {
  const problem = driftDirProblem(driftDir, dir);
  if (problem) throw new ReplayConfigError(`jest-replay: ${problem}`);
  try {
    checkWritable(driftDir);
  } catch (error) {
    throw new ReplayConfigError(
      `jest-replay: drift mode cannot write to ${driftDir} (${(error as Error).message}). Make it writable, or name another folder.`,
    );
  }
  for (const folder of [LIVE, NOTES]) fs.rmSync(path.join(driftDir, folder), { recursive: true, force: true });
  fs.mkdirSync(driftDir, { recursive: true });
  const marker = { recordings: relativePosix(rootDir, dir), started: new Date().toISOString() };
  writeFileAtomically(path.join(driftDir, MARKER), `${JSON.stringify(marker)}\n`);
}

/** Writes a test file's note (again, when a late request changed it), atomically. */
export function writeDriftNote(driftDir: string, note: DriftNote, name: string): void {
  fs.mkdirSync(path.join(driftDir, NOTES), { recursive: true });
  writeFileAtomically(path.join(driftDir, NOTES, `${name}.json`), `${JSON.stringify(note)}\n`);
}

const strings = (value: unknown) => Array.isArray(value) && value.every((item) => typeof item === 'string');
const isRequestNote = (r: RequestNote) => typeof r?.request === 'string' && Number.isInteger(r.ordinal) && strings(r.recordings);
const isScopeNote = (s: ScopeNote) =>
  typeof s?.id === 'string' && typeof s.status === 'string' && Array.isArray(s.requests) && s.requests.every(isRequestNote);
const isDriftNote = (n: DriftNote) =>
  typeof n?.testFile === 'string' && typeof n.recordings === 'string' && Array.isArray(n.scopes) && n.scopes.every(isScopeNote);

/** The last drift run in a folder, as `jest-replay drift` reads it. */
export interface DriftRun {
  /** The recordings directory it checked (relative to rootDir, with `/`), and when it started (ISO 8601). */
  recordings: string;
  started: string;
  notes: DriftNote[];
  /** Files of its notes folder that are not notes. */
  unreadable: string[];
}

/** The last drift run in `driftDir`; undefined when there was none. */
export function readDriftRun(driftDir: string): DriftRun | undefined {
  let marker: Pick<DriftRun, 'recordings' | 'started'>;
  try {
    marker = JSON.parse(fs.readFileSync(path.join(driftDir, MARKER), 'utf8')) as Pick<DriftRun, 'recordings' | 'started'>;
  } catch {
    return undefined;
  }
  const notes: DriftNote[] = [];
  const unreadable: string[] = [];
  for (const name of listDir(path.join(driftDir, NOTES))
    .filter((n) => n.endsWith('.json'))
    .sort()) {
    const file = path.join(driftDir, NOTES, name);
    try {
      const note = JSON.parse(fs.readFileSync(file, 'utf8')) as DriftNote;
      if (!isDriftNote(note)) throw new Error('not a drift note');
      notes.push(note);
    } catch {
      unreadable.push(file);
    }
  }
  return { ...marker, notes, unreadable };
}
