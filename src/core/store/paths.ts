import * as path from 'node:path';
import { sha256 } from '../util/hash';

/** Folder (under the recordings directory) for recordings that no single test owns, such as model lists. */
export const SHARED_FOLDER = '_shared';
const MAX_SEGMENT = 64;
const HASH_LENGTH = 8;
/** File names use this many hex digits of the key: unique within a folder, short enough for Windows paths. */
export const KEY_FILE_LENGTH = 16;
const WINDOWS_RESERVED = /^(con|prn|aux|nul|com\d|lpt\d)(\.|$)/i;

const shortHash = (text: string) => sha256(text).slice(0, HASH_LENGTH);

/** A conservative character set, and no leading dot (so never `.`, `..` or a hidden folder). */
const slug = (raw: string): string =>
  raw.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^\.+/, (dots) => '_'.repeat(dots.length));

/**
 * One path segment that is valid on Linux, macOS and Windows: no trailing dot, no reserved
 * device names, bounded length (a shortened segment ends with a hash of the original).
 */
export function safeSegment(raw: string): string {
  let segment = slug(raw).replace(/\.+$/, '_') || '_';
  if (WINDOWS_RESERVED.test(segment)) segment = `_${segment}`;
  if (segment.length > MAX_SEGMENT) segment = `${segment.slice(0, MAX_SEGMENT - HASH_LENGTH - 1)}-${shortHash(raw)}`;
  return segment;
}

/**
 * Relative folder for a test id: the file part (`a/b.test.ts`) as folders, then one folder for the
 * rest of the id, suffixed with a hash of the whole id. The hash keeps two ids apart even when
 * sanitizing, shortening or a case-insensitive file system would merge them.
 */
export function testFolder(testId: string): string {
  const separator = testId.indexOf('::');
  const filePart = separator === -1 ? '' : testId.slice(0, separator);
  const testPart = separator === -1 ? testId : testId.slice(separator + 2);
  const fileSegments = filePart.split(/[\\/]+/).filter((s) => s !== '').map((s) => safeSegment(s));
  let leaf = `${slug(testPart).slice(0, MAX_SEGMENT - HASH_LENGTH - 1)}-${shortHash(testId)}`;
  if (WINDOWS_RESERVED.test(leaf)) leaf = `_${leaf}`;
  return path.join(...fileSegments, leaf);
}

/** `<key16>.json` for the first recording of a request, `<key16>.<n>.json` for the nth identical one. */
export function recordingFileName(key: string, ordinal: number): string {
  const stem = key.slice(0, KEY_FILE_LENGTH);
  return ordinal <= 1 ? `${stem}.json` : `${stem}.${ordinal}.json`;
}

const MODEL_LIST_PREFIX = 'models-';
const MODEL_LIST_NAME = new RegExp(`^${MODEL_LIST_PREFIX}([0-9a-f]{${KEY_FILE_LENGTH}})-([0-9a-f]{8})\\.json$`);

/** Shared model lists keep llama-stack's naming: one file per key and set of model ids. */
export function modelListFileName(key: string, digest: string): string {
  return `${MODEL_LIST_PREFIX}${key.slice(0, KEY_FILE_LENGTH)}-${digest}.json`;
}

/** Whether a file name is a model list's; with `keyPrefix`, one of the model lists whose key starts so. */
export const isModelListFileName = (name: string, keyPrefix = '') =>
  name.startsWith(`${MODEL_LIST_PREFIX}${keyPrefix}`) && name.endsWith('.json');

/** Parses a model list's file name back into key prefix and model digest. */
export function parseModelListFileName(name: string): { stem: string; digest: string } | undefined {
  const match = MODEL_LIST_NAME.exec(name);
  return match ? { stem: match[1], digest: match[2] } : undefined;
}

const RECORDING_NAME = /^([0-9a-f]{16})(?:\.(\d+))?\.json$/;

/** Whether a file of a folder (relative to the recordings directory, posix) is a recording a run may use: a request's, or a model list's in the shared folder. */
export const isRecordingIn = (folder: string, name: string): boolean =>
  RECORDING_NAME.test(name) || (folder === SHARED_FOLDER && isModelListFileName(name));

/** Parses a recording file name back into key prefix and ordinal. */
export function parseRecordingFileName(name: string): { stem: string; ordinal: number } | undefined {
  const match = RECORDING_NAME.exec(name);
  if (!match) return undefined;
  return { stem: match[1], ordinal: match[2] ? Number(match[2]) : 1 };
}

/** Resolves a relative recording path and proves it stays inside the recordings directory. */
export function insideDir(dir: string, relative: string): string {
  const full = path.resolve(dir, relative);
  const rel = path.relative(dir, full);
  if (rel.startsWith('..') || path.isAbsolute(rel)) {
    throw new Error(`jest-replay: refusing recording path ${full}: it is outside ${dir}`);
  }
  return full;
}
