import * as fs from 'node:fs';
import * as path from 'node:path';
import { findByKeyPrefix, summarize } from '../../core/inspect';
import { applyIdNormalization, parseRecording, unwrap } from '../../core/format';
import { streamTranscript } from '../../core/transcript';
import { type Command, EXIT, UsageError } from '../command';
import { formatSize, fromCwd, printable } from '../format';

const indent = (text: string) => text.split('\n').map((line) => `  ${line}`).join('\n');
const pretty = (value: unknown) => JSON.stringify(value, null, 2);
/** Stored objects without their `__type__` wrappers. */
const plain = (body: unknown) => (Array.isArray(body) ? body.map(unwrap) : unwrap(body));

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
The recording is a file path, or a key prefix (as in a miss message) of a file in the directory.

Options:
  --raw          Also print a stream's stored chunks`,
  options: { raw: { type: 'boolean' } },
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
      recording = applyIdNormalization(parseRecording(fs.readFileSync(file, 'utf8'), fromCwd(file)));
    } catch (error) {
      err((error as Error).message);
      return EXIT.problems;
    }
    const { request, response } = recording;
    const summary = summarize(recording);
    out(`file:     ${fromCwd(file)} (${formatSize(fs.statSync(file).size)})`);
    out(`test id:  ${printable(recording.test_id ?? '(none: shared or session-level)')}`);
    out(`request:  ${summary.method} ${request.url}`);
    if (request.model) out(`model:    ${request.model}`);
    for (const [name, value] of Object.entries(request.headers)) out(`header:   ${name}: ${value}`);
    if (request.body !== null && request.body !== undefined) out(`body:\n${indent(typeof request.body === 'string' ? request.body : pretty(request.body))}`);
    out('');
    if (response.is_exception) {
      out(`response: exception ${response.exception_message ?? ''}`.trimEnd());
      if (response.exception_data) out(indent(pretty(response.exception_data)));
    } else if (summary.streaming && Array.isArray(response.body)) {
      const { text, toolCalls } = streamTranscript(response.body);
      out(`response: ${summary.status}, a stream of ${response.body.length} chunks`);
      out(`text:\n${indent(text)}`);
      if (toolCalls.length > 0) out(`tool calls:\n${indent(toolCalls.join('\n'))}`);
      if (values.raw) out(`chunks:\n${indent(pretty(plain(response.body)))}`);
    } else {
      out(`response: ${summary.status}`);
      out(`body:\n${indent(typeof response.body === 'string' ? response.body : pretty(plain(response.body)))}`);
    }
    return EXIT.ok;
  },
};
