import * as path from 'node:path';
import { applyIdNormalization, type Recording } from '../recording/format';
import { modelListDigest } from '../recording/model-list';
import type { KeyRules } from '../keying/rules';
import { KEY_FILE_LENGTH, SHARED_FOLDER, parseModelListFileName, parseRecordingFileName, testFolder } from '../store/paths';
import { keysOf } from './keys';

/**
 * Name and folder against content (`file` relative to the recordings directory, with `/`): a renamed, moved
 * or hand-edited file would never be found, or be found for another request. `rules` are the project's
 * (`normalizers`, `matchIgnore`, `redact`), as its recorder keyed the file (see `keysOf`).
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
    `its name says key ${stem}, but its request keys to ${keys[0].slice(0, KEY_FILE_LENGTH)} ` +
    '(the request was edited, or the file renamed): replay would never use it';
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
  if (!numbered) {
    return [`not a recording name: expected <key16>.json, <key16>.<n>.json or ${SHARED_FOLDER}/models-<key16>-<digest8>.json`];
  }
  const problems: string[] = [];
  const expected = recording.test_id === null ? SHARED_FOLDER : testFolder(recording.test_id).split(path.sep).join('/');
  if (folder !== expected) {
    problems.push(`it is in ${folder}/, but its test_id ${JSON.stringify(recording.test_id)} is looked up in ${expected}/`);
  }
  if (!keys.some((key) => key.startsWith(numbered.stem))) problems.push(keyMismatch(numbered.stem));
  return problems;
}
