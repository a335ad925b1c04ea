import { decodeResponse } from '../recording/codec';
import { RecordingFileError } from '../errors';
import { type Recording, streamItems } from '../recording/format';
import { parseRecording } from '../recording/parse';
import type { KeyRules } from '../keying/rules';
import { placementProblems } from './placement';
import { replayedResponse } from '../session/replay';
import { REDACTED, withoutStoredBodyCredentials } from '../keying/body-credentials';
import { CREDENTIAL_HEADER } from '../keying/credential-names';
import { publicUrl } from '../keying/request';
import { type SeamSearch, StreamChannels, streamPlace } from '../recording/stream-channels';

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
const KEY_SHAPES: [RegExp, (match: RegExpExecArray) => string][] = [
  // Each kind by its own prefix: `sk-proj-` and the start of what follows it is no plain `sk-` key.
  [/\b(sk-(?:ant-|proj-)|sk-(?!ant-|proj-))[A-Za-z0-9_-]{16,}/, (m) => `${SK_KINDS[m[1]] ?? 'an API key'} ("${m[1]}…")`],
  [/\bsk_(?:live_|test_)?[A-Za-z0-9]{16,}/, () => 'a secret key ("sk_…")'],
  [/\bxai-[A-Za-z0-9]{20,}/, () => 'an xAI key ("xai-…")'],
  [/\bgsk_[A-Za-z0-9]{20,}/, () => 'a Groq key ("gsk_…")'],
  [/\bhf_[A-Za-z0-9]{30,}/, () => 'a Hugging Face token ("hf_…")'],
  [/\b(gh[pousr]_|github_pat_)[A-Za-z0-9_]{30,}/, (m) => `a GitHub token ("${m[1]}…")`],
  [/\bAKIA[0-9A-Z]{16}\b/, () => 'an AWS access key id ("AKIA…")'],
  [/\bAIza[0-9A-Za-z_-]{30,}/, () => 'a Google API key ("AIza…")'],
  [/\bbearer\s+(?=[\w.~+/-]*[\d_.~+/-])[\w.~+/-]{8,}/i, () => 'a bearer token ("Bearer …")'],
  [/\beyJ[\w-]{8,}\.eyJ[\w-]{8,}/, () => 'a JSON Web Token ("eyJ….eyJ…")'],
];

/** A credential header stored as a JSON member (a body field the recorder replaced is no credential any more). */
const HEADER_MEMBER = new RegExp(`"(${CREDENTIAL_HEADER})"\\s*:(?!\\s*${JSON.stringify(REDACTED)})`, 'i');

/** Problems of text that looks like a credential, each with its line (never the text itself). */
export function credentialProblems(text: string): string[] {
  const problems: string[] = [];
  const shapes: typeof KEY_SHAPES = [...KEY_SHAPES, [HEADER_MEMBER, (m) => `a credential header "${m[1].toLowerCase()}"`]];
  for (const [pattern, describe] of shapes) {
    const match = pattern.exec(text);
    if (match) problems.push(`looks like it holds a credential: ${describe(match)} on line ${text.slice(0, match.index).split('\n').length}`);
  }
  return problems;
}

/**
 * Key shapes split across the items of a stream, in any of its texts (see `StreamChannels`). Each
 * shape is searched for at its shortest (its last `{16,}` as `{16}`), so a key is found once, at the
 * item that completes it; the window keeps enough of the text before for any shape but a JWT with a
 * header of over 200 characters.
 */
const SPLIT_SHAPES = KEY_SHAPES.map(([pattern, describe]) => {
  const shortest = pattern.source.replace(/\{(\d+),\}(?!.*\{\d+,\})/, '{$1}');
  return [new RegExp(shortest, `${pattern.flags}g`), describe] as const;
});
/** How the shapes above begin (any letter case): text before a seam that holds none of these starts no split key there. */
const SHAPE_START = /sk[-_]|xai-|gsk_|hf_|gh[pousr]_|github_pat_|akia|aiza|bearer|eyj/i;
const splitKeyShapes: SeamSearch<string> = {
  overlap: 256,
  find: (window, seam, cut) =>
    !SHAPE_START.test(window.slice(0, seam + 10)) ? [] : SPLIT_SHAPES.flatMap(([pattern, describe]) =>
      [...window.matchAll(pattern)]
        .filter((m) => m.index < seam && m.index + m[0].length > seam && !(cut && m.index === 0))
        .map((m) => ({ found: describe(m), at: m.index, length: m[0].length })),
    ),
};

function splitKeyProblems(recording: Recording): string[] {
  const items = streamItems(recording.response.body);
  if (!recording.response.is_streaming || !items) return [];
  const problems = new Set<string>();
  const channels = new StreamChannels(splitKeyShapes, (kind, first, last) =>
    problems.add(`looks like it holds a credential: ${kind} split across ${streamPlace(first, last)}`),
  );
  let index = 0;
  for (const item of items) channels.add(item, index++);
  return [...problems];
}

/** Credential fields of the stored request body (a recording made before they were replaced, or by another tool). */
const bodyCredentialProblems = (recording: Recording): string[] =>
  [...new Set(withoutStoredBodyCredentials(recording.request).found.map(({ source }) => source))].map(
    (source) => `request.body holds a credential: its ${source} (jest-replay stores ${JSON.stringify(REDACTED)} in its place)`,
  );

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
  problems.push(...bodyCredentialProblems(recording), ...splitKeyProblems(recording));
  return [...placementProblems(file, recording, rules), ...problems];
}
