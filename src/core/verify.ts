import * as path from 'node:path';
import { decodeResponse } from './codec';
import { RecordingFileError } from './errors';
import { applyIdNormalization, parseRecording, type Recording } from './format';
import { keysOf } from './inspect';
import { modelListDigest } from './model-list';
import { KEY_FILE_LENGTH, SHARED_FOLDER, parseRecordingFileName, testFolder } from './paths';
import { replayedResponse } from './replay';
import { publicUrl } from './request';

/**
 * The checks of `jest-replay verify`, on one file's text and its path relative to the
 * recordings directory: it parses and has the schema replay needs, it replays, its name and
 * folder are the ones its content keys to, and it holds nothing that looks like a credential.
 */

/** Text that looks like a credential, by the shape of well-known keys; none belongs in a recording. */
const CREDENTIAL_PATTERNS: [RegExp, (match: RegExpExecArray) => string][] = [
  [/\bsk-[A-Za-z0-9_-]{16,}/, () => 'an API key ("sk-…")'],
  [/\bBearer\s+[A-Za-z0-9._~+/-]{8,}/, () => 'a bearer token ("Bearer …")'],
  [/\bAIza[0-9A-Za-z_-]{30,}/, () => 'a Google API key ("AIza…")'],
  [/"(authorization|proxy-authorization|x-api-key|api-key|x-goog-api-key|cookie|set-cookie)"\s*:/i, (m) => `a credential header "${m[1].toLowerCase()}"`],
];

const MODEL_LIST_NAME = /^models-([0-9a-f]{16})-([0-9a-f]{8})\.json$/;

/** Problems of text that looks like a credential, each with its line (never the text itself). */
export function credentialProblems(text: string): string[] {
  const problems: string[] = [];
  for (const [pattern, describe] of CREDENTIAL_PATTERNS) {
    const match = pattern.exec(text);
    if (match) problems.push(`looks like it holds a credential: ${describe(match)} on line ${text.slice(0, match.index).split('\n').length}`);
  }
  return problems;
}

/** Name and folder against content: a renamed, moved or hand-edited file would never be found, or be found for another request. */
function placementProblems(file: string, recording: Recording): string[] {
  const name = path.posix.basename(file);
  const folder = path.posix.dirname(file);
  const keys = keysOf(applyIdNormalization(recording));
  const keyMismatch = (stem: string) =>
    `its name says key ${stem}, but its request keys to ${keys[0].slice(0, KEY_FILE_LENGTH)} (the request was edited, or the file renamed): replay would never use it`;
  const modelList = MODEL_LIST_NAME.exec(name);
  if (modelList) {
    const problems: string[] = [];
    if (folder !== SHARED_FOLDER) problems.push(`a model list belongs in ${SHARED_FOLDER}/`);
    if (!keys.some((key) => key.startsWith(modelList[1]))) problems.push(keyMismatch(modelList[1]));
    const digest = modelListDigest(recording);
    if (digest !== modelList[2]) problems.push(`its name says model digest ${modelList[2]}, but its models give ${digest}`);
    return problems;
  }
  const numbered = parseRecordingFileName(name);
  if (!numbered) return [`not a recording name: expected <key16>.json, <key16>.<n>.json or ${SHARED_FOLDER}/models-<key16>-<digest8>.json`];
  const problems: string[] = [];
  const expected = recording.test_id === null ? SHARED_FOLDER : testFolder(recording.test_id).split(path.sep).join('/');
  if (folder !== expected) problems.push(`it is in ${folder}/, but its test_id ${JSON.stringify(recording.test_id)} is looked up in ${expected}/`);
  if (!keys.some((key) => key.startsWith(numbered.stem))) problems.push(keyMismatch(numbered.stem));
  return problems;
}

/**
 * Every problem of one recording file; `file` is its path relative to the recordings directory,
 * with `/`. Empty when replay can use it as it is.
 */
export function verifyRecording(file: string, text: string): string[] {
  const problems = credentialProblems(text);
  let recording: Recording;
  try {
    recording = parseRecording(text, file);
    // As replay builds it: a status or header no fetch Response can carry fails here too.
    replayedResponse(decodeResponse(recording.response));
  } catch (error) {
    return [error instanceof RecordingFileError ? error.problem : `cannot be replayed: ${(error as Error).message}`, ...problems];
  }
  const { url } = recording.request;
  if (URL.canParse(url) && publicUrl(url).toString() !== new URL(url).toString()) {
    problems.push('"request.url" holds credentials (user:password@, or a key, token or signature parameter)');
  }
  return [...placementProblems(file, recording), ...problems];
}
