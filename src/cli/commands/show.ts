import * as fs from 'node:fs';
import * as path from 'node:path';
import { findByKeyPrefix } from '../../core/inspect/inspect';
import { readRecordingFile } from '../../core/store/store';
import { describeRecording } from '../../core/inspect/transcript';
import { type Command, EXIT, UsageError } from '../command';
import { formatSize, fromCwd } from '../format';
import { printable } from '../../core/util/printable';

/** Nothing matches: a problem (exit 1), not a usage mistake. */
class NotFound extends Error {}

/** A file path (as given, or inside the recordings directory), else a key prefix of one file. */
function resolveTarget(dir: string, target: string): string {
  for (const candidate of [path.resolve(target), path.resolve(dir, target)]) {
    if (fs.existsSync(candidate) && fs.statSync(candidate).isFile()) return candidate;
  }
  if (!/^[0-9a-f]{4,64}$/i.test(target)) throw new UsageError(`${target} is neither a recording file nor a key prefix (4 to 64 hex digits)`);
  const matches = fs.existsSync(dir) ? findByKeyPrefix(dir, target) : [];
  if (matches.length === 1) return matches[0];
  if (matches.length === 0) throw new NotFound(`no recording in ${fromCwd(dir)} has a key starting with ${target}`);
  throw new UsageError(`key prefix ${target} matches ${matches.length} recordings; give more digits or a path:\n${matches.map((m) => `  ${fromCwd(m)}`).join('\n')}`);
}

export const showCommand: Command = {
  name: 'show',
  summary: 'one recording, request and response, streams joined into text',
  args: '<file|key-prefix>',
  help: `Prints one recording readably: test id, request (method, URL, stored headers, body) and
response (status, body). A stream is shown as the text it adds up to (chat and completion deltas,
Responses API text deltas, Anthropic text deltas, Ollama message content) and its tool calls.
The recording is a file path, or a key prefix (as in a miss message) of a file in the directory.`,
  options: { raw: { type: 'boolean' } },
  optionHelp: [['--raw', "Also print a stream's stored chunks"]],
  async run({ dir, positionals, values, out, err }) {
    if (positionals.length !== 1) throw new UsageError('give one recording file or key prefix');
    let file: string;
    try {
      file = resolveTarget(dir, positionals[0]);
    } catch (error) {
      if (!(error instanceof NotFound)) throw error;
      err(`jest-replay show: ${error.message}`);
      return EXIT.problems;
    }
    let recording;
    try {
      recording = readRecordingFile(file, fromCwd(file));
    } catch (error) {
      err((error as Error).message);
      return EXIT.problems;
    }
    out(`file:     ${fromCwd(file)} (${formatSize(fs.statSync(file).size)})`);
    // The test id on one line: a newline in it would pass for the next field.
    const shown = { ...recording, test_id: recording.test_id === null ? null : printable(recording.test_id) };
    for (const line of describeRecording(shown, { raw: Boolean(values.raw) })) out(line);
    return EXIT.ok;
  },
};
