import * as path from 'node:path';
import { decodeResponse } from '../recording/codec';
import { RecordingFileError } from '../errors';
import { applyIdNormalization, parseRecording, type Recording } from '../recording/format';
import { keysOf } from './keys';
import { modelListDigest } from '../recording/model-list';
import type { KeyRules } from '../keying/rules';
import { KEY_FILE_LENGTH, SHARED_FOLDER, parseModelListFileName, parseRecordingFileName, testFolder } from '../store/paths';
import { replayedResponse } from '../session/replay';
import { CREDENTIAL_HEADERS, publicUrl } from '../keying/request';

/**
 * The checks of `jest-replay verify`, on one file's text and its path relative to the
 * recordings directory: it parses and has the schema replay needs, it replays, its name and
 * folder are the ones its content keys to, and it holds nothing that looks like a credential.
 */

/** Names of `sk-` keys by their prefix; others are plain API keys. */
const SK_KINDS: Record<string, string> = { 'sk-ant-': 'an Anthropic key', 'sk-proj-': 'an OpenAI project key' };

/**
 * Text that looks like a credential, by the shape of well-known keys; none belongs in a recording.
 * A bearer token must hold more than letters, so prose ("Bearer authentication") is no credential.
 */
const CREDENTIAL_PATTERNS: [RegExp, (match: RegExpExecArray) => string][] = [
  [/\b(sk-(?:ant-|proj-)?)[A-Za-z0-9_-]{16,}/, (m) => `${SK_KINDS[m[1]] ?? 'an API key'} ("${m[1]}…")`],
  [/\bsk_(?:live_|test_)?[A-Za-z0-9]{16,}/, () => 'a secret key ("sk_…")'],
  [/\bxai-[A-Za-z0-9]{20,}/, () => 'an xAI key ("xai-…")'],
  [/\bgsk_[A-Za-z0-9]{20,}/, () => 'a Groq key ("gsk_…")'],
  [/\bhf_[A-Za-z0-9]{30,}/, () => 'a Hugging Face token ("hf_…")'],
  [/\b(gh[pousr]_|github_pat_)[A-Za-z0-9_]{30,}/, (m) => `a GitHub token ("${m[1]}…")`],
  [/\bAKIA[0-9A-Z]{16}\b/, () => 'an AWS access key id ("AKIA…")'],
  [/\bAIza[0-9A-Za-z_-]{30,}/, () => 'a Google API key ("AIza…")'],
  [/\bbearer\s+(?=[\w.~+/-]*[\d_.~+/-])[\w.~+/-]{8,}/i, () => 'a bearer token ("Bearer …")'],
  [/\beyJ[\w-]{8,}\.eyJ[\w-]{8,}/, () => 'a JSON Web Token ("eyJ….eyJ…")'],
  [new RegExp(`"(${CREDENTIAL_HEADERS.join('|')})"\\s*:`, 'i'), (m) => `a credential header "${m[1].toLowerCase()}"`],
];

/** Problems of text that looks like a credential, each with its line (never the text itself). */
export function credentialProblems(text: string): string[] {
  const problems: string[] = [];
  for (const [pattern, describe] of CREDENTIAL_PATTERNS) {
    const match = pattern.exec(text);
    if (match) problems.push(`looks like it holds a credential: ${describe(match)} on line ${text.slice(0, match.index).split('\n').length}`);
  }
  return problems;
}

/**
 * Name and folder against content (`file` relative to the recordings directory, with `/`): a renamed, moved
 * or hand-edited file would never be found, or be found for another request.
 */
export function placementProblems(file: string, recording: Recording, rules: KeyRules = {}): string[] {
  const name = path.posix.basename(file);
  const folder = path.posix.dirname(file);
  let keys: string[];
  try {
    keys = keysOf(applyIdNormalization(recording), rules);
  } catch (error) {
    // A normalizer or redact hook written for live requests may throw on a stored one.
    return [`its key cannot be computed: ${(error as Error).message}`];
  }
  const keyMismatch = (stem: string) =>
    `its name says key ${stem}, but its request keys to ${keys[0].slice(0, KEY_FILE_LENGTH)} (the request was edited, or the file renamed): replay would never use it`;
  const modelList = parseModelListFileName(name);
  if (modelList) {
    const problems: string[] = [];
    if (folder !== SHARED_FOLDER) problems.push(`a model list belongs in ${SHARED_FOLDER}/`);
    if (!keys.some((key) => key.startsWith(modelList.stem))) problems.push(keyMismatch(modelList.stem));
    const digest = modelListDigest(recording);
    if (digest !== modelList.digest) problems.push(`its name says model digest ${modelList.digest}, but its models give ${digest}`);
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
 * with `/`. Empty when replay can use it as it is. `rules` are the project's (`normalizers`,
 * `matchIgnore`, `redact`), without which a file keyed with them looks misnamed.
 */
export function verifyRecording(file: string, text: string, rules?: KeyRules): string[] {
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
  return [...placementProblems(file, recording, rules), ...problems];
}
