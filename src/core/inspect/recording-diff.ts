import { structuredPatch } from 'diff';
import { diffJson } from '../util/diff';
import { applyIdNormalization, type Recording, streamItems, unwrap } from '../recording/format';
import { parseRecording } from '../recording/parse';
import { mintsIds, VolatileFields } from '../recording/volatile';
import { NO_TEST_ID } from './inspect';
import type { Json } from '../util/json';
import { describeRecording } from './transcript';
import { plural } from '../util/words';
import { cappedComment, COMMENT_LIMIT, inlineCode } from '../util/markdown';

export { COMMENT_LIMIT };

/**
 * What a re-recording changed, for review (the `diff` command): old and new recording files are
 * paired, and each pair is compared as `show` prints them (prompt, answer text, tool calls, status),
 * not as stored JSON, where a stream's answer is spread over dozens of chunks.
 */

/** One version of a recording file: its path as shown to the user (with `/`), and its text. */
export interface RecordingVersion {
  path: string;
  text: string;
}

export interface RecordingDiff {
  /**
   * `changed`: the same file, or a deleted file and a new one of the same test and endpoint;
   * `normalized`: such a pair that differs only in ids and timestamps (see `recording/volatile.ts`), not shown.
   */
  kind: 'changed' | 'added' | 'deleted' | 'normalized';
  /** What the lines are grouped under: the test id, else what the recording is. */
  title: string;
  before?: string;
  after?: string;
  /** Unified-diff lines: `@@ -a,b +c,d @@` hunk headers, then ` `, `-` and `+` lines. */
  lines: string[];
}

interface ReadVersion extends RecordingVersion {
  recording?: Recording;
  problem?: string;
}

function read(version: RecordingVersion): ReadVersion {
  try {
    return { ...version, recording: applyIdNormalization(parseRecording(version.text, version.path)) };
  } catch (error) {
    return { ...version, problem: (error as Error).message };
  }
}

/** The test folder: a test's recordings share it, and a re-recorded request lands in it again. */
const folderOf = (file: string) => file.slice(0, file.lastIndexOf('/') + 1);
const endpointOf = ({ request }: Recording) => `${request.method.toUpperCase()} ${request.endpoint}`;

/** How far apart two requests of the same test and endpoint are, to pair each old file with its re-recording. */
const requestDistance = (a: Recording, b: Recording) => diffJson(a.request.body as Json, b.request.body as Json).length;

/** Old and new versions paired: the same path first, then the nearest request of the same test folder and endpoint. */
function pair(before: ReadVersion[], after: ReadVersion[]): [ReadVersion | undefined, ReadVersion | undefined][] {
  const unpaired = new Set(after);
  const pairs: [ReadVersion | undefined, ReadVersion | undefined][] = [];
  const take = (old: ReadVersion, match: ReadVersion | undefined) => {
    if (match) unpaired.delete(match);
    pairs.push([old, match]);
  };
  const moved: ReadVersion[] = [];
  for (const old of before) {
    const same = after.find((version) => version.path === old.path);
    if (same) take(old, same);
    else moved.push(old);
  }
  for (const old of moved) {
    const candidates = [...unpaired].filter(
      (version) => old.recording && version.recording && folderOf(version.path) === folderOf(old.path) && endpointOf(version.recording) === endpointOf(old.recording),
    );
    take(old, candidates.sort((a, b) => requestDistance(old.recording!, a.recording!) - requestDistance(old.recording!, b.recording!))[0]);
  }
  return [...pairs, ...[...unpaired].map((version) => [undefined, version] as [undefined, ReadVersion])];
}

/** A recording with its ids and timestamps masked, as text: two files alike in it differ only in what normalization rewrites. */
function masked(recording: Recording): string {
  const volatile = VolatileFields.masking();
  const { body, ...response } = recording.response;
  const items = streamItems(body);
  const mask = (item: unknown) => (typeof item === 'string' ? volatile.line(item) : volatile.json(unwrap(item)));
  const request = { ...recording.request, body: volatile.json(recording.request.body) };
  const maskedResponse = { ...(volatile.json(response) as object), body: items ? [...items].map(mask) : mask(body) };
  return JSON.stringify({ ...recording, request, response: maskedResponse });
}

/**
 * Whether a pair's recordings, of an endpoint whose ids and timestamps are normalized, differ only in
 * those (a formatting change is a change, and so is another API's id).
 */
const onlyNormalized = (old: ReadVersion, next: ReadVersion) =>
  old.recording !== undefined &&
  next.recording !== undefined &&
  mintsIds(next.recording.request.endpoint) &&
  JSON.stringify(old.recording) !== JSON.stringify(next.recording) &&
  masked(old.recording) === masked(next.recording);

/**
 * Each change once: a hunk that an earlier file already showed is left as its header, which names
 * that file (a prompt shared by several tests changes each of their recordings alike).
 */
function withoutRepeats(diffs: RecordingDiff[]): RecordingDiff[] {
  const shownIn = new Map<string, string>();
  return diffs.map((diff) => {
    const file = (diff.after ?? diff.before)!;
    const lines: string[] = [];
    for (const hunk of hunksOf(diff.lines)) {
      const body = hunk.slice(1).join('\n');
      const first = shownIn.get(body);
      if (first === undefined) shownIn.set(body, file);
      lines.push(...(first === undefined ? hunk : [`${hunk[0]} the same change as in ${first}`]));
    }
    return { ...diff, lines };
  });
}

/** Unified-diff lines split into hunks, each from its `@@` header. */
function hunksOf(lines: string[]): string[][] {
  const hunks: string[][] = [];
  for (const line of lines) {
    if (line.startsWith('@@ ')) hunks.push([line]);
    else hunks[hunks.length - 1]?.push(line);
  }
  return hunks;
}

/** A version as `show` prints it; a file that is not a usable recording as its problem and its text. */
const readable = (version: ReadVersion | undefined): string =>
  version === undefined ? '' : `${(version.recording ? describeRecording(version.recording) : [`unreadable: ${version.problem}`, version.text]).join('\n')}\n`;

function titleOf(version: ReadVersion): string {
  if (!version.recording) return folderOf(version.path);
  return version.recording.test_id ?? NO_TEST_ID;
}

/**
 * The differences between the recordings before and after (each a list of the files that differ),
 * one entry per pair, by title then path. Two files that read alike but differ as stored (key order,
 * hand edits) are compared as stored, so no change goes unshown.
 */
export function diffRecordings(before: RecordingVersion[], after: RecordingVersion[]): RecordingDiff[] {
  const diffs = pair(before.map(read), after.map(read)).map(([old, next]): RecordingDiff => {
    const paths = { title: titleOf((next ?? old)!), before: old?.path, after: next?.path };
    if (old && next && onlyNormalized(old, next)) return { kind: 'normalized', ...paths, lines: [] };
    let [from, to] = [readable(old), readable(next)];
    if (from === to) [from, to] = [old!.text, next!.text];
    const { hunks } = structuredPatch(old?.path ?? '', next?.path ?? '', from, to, undefined, undefined, { context: 3 });
    return {
      kind: old && next ? 'changed' : old ? 'deleted' : 'added',
      ...paths,
      lines: hunks.flatMap((hunk) => [`@@ -${hunk.oldStart},${hunk.oldLines} +${hunk.newStart},${hunk.newLines} @@`, ...hunk.lines]),
    };
  });
  const byPath = (a: RecordingDiff, b: RecordingDiff) => (a.before ?? a.after)!.localeCompare((b.before ?? b.after)!);
  return withoutRepeats(diffs.sort((a, b) => a.title.localeCompare(b.title) || byPath(a, b)));
}

/** `changed  a.json → b.json`, `added  b.json`: which files one entry compares. */
function filesLine(diff: RecordingDiff, code = (text: string) => text): string {
  if (diff.kind !== 'changed') return `${diff.kind}  ${code((diff.after ?? diff.before)!)}`;
  return diff.before === diff.after ? `changed  ${code(diff.after!)}` : `changed  ${code(diff.before!)} → ${code(diff.after!)}`;
}

const differ = (count: number, base: string) => `${plural(count, 'recording')} ${count === 1 ? 'differs' : 'differ'} from ${base}`;

/** `3 recordings differ from HEAD: 1 changed, 1 added, 1 deleted`; `no changes: …` when none but normalized ones does. */
function summaryLine(diffs: RecordingDiff[], base: string): string {
  const normalized = diffs.filter((diff) => diff.kind === 'normalized').length;
  const shown = diffs.length - normalized;
  const which = shown === 0 ? differ(normalized, base) : `; ${normalized} more`;
  const also = normalized === 0 ? '' : `${which} only in normalized ids and timestamps`;
  if (shown === 0) return `no changes: ${normalized === 0 ? `no recording differs from ${base}` : also}`;
  const count = (kind: RecordingDiff['kind']) => `${diffs.filter((diff) => diff.kind === kind).length} ${kind}`;
  return `${differ(shown, base)}: ${count('changed')}, ${count('added')}, ${count('deleted')}${also}`;
}

/** Entries grouped under their title, in order; those that differ only in normalized fields are not shown. */
function byTitle(diffs: RecordingDiff[]): [string, RecordingDiff[]][] {
  const groups = new Map<string, RecordingDiff[]>();
  for (const diff of diffs.filter(({ kind }) => kind !== 'normalized')) groups.set(diff.title, [...(groups.get(diff.title) ?? []), diff]);
  return [...groups];
}

/** For a terminal: each title, then each pair's files and its diff lines, indented; a summary line last. */
export function formatDiffText(diffs: RecordingDiff[], base: string): string {
  const lines = byTitle(diffs).flatMap(([title, group]) => [title, ...group.flatMap((diff) => [`  ${filesLine(diff)}`, ...diff.lines.map((line) => `    ${line}`)]), '']);
  return [...lines, summaryLine(diffs, base)].join('\n');
}

/**
 * For a pull-request comment: the summary as a heading, each title in bold, each pair's diff in a `diff` block.
 * Everything taken from the recordings is code (titles and paths must be one line each: the command escapes
 * line breaks), so none of it is read as Markdown. Cut to `limit` characters, with a last line saying what was left
 * out and how to see it all.
 */
export function formatDiffMarkdown(diffs: RecordingDiff[], base: string, limit = COMMENT_LIMIT): string {
  const heading = `### jest-replay: ${summaryLine(diffs, inlineCode(base))}`;
  // One part per change, its title before the first change of each title.
  const parts = byTitle(diffs).flatMap(([title, group]) =>
    group.map((diff, i) => {
      const titleLine = i === 0 ? `**${inlineCode(title)}**\n\n` : '';
      return { head: `${titleLine}${filesLine(diff, inlineCode)}\n\n`, lines: diff.lines };
    }),
  );
  const omitted = (whole: number, characters: number) =>
    `*Truncated to fit a pull-request comment: ${plural(diffs.length - whole, 'change')} (${characters} characters) not shown. ` +
    `See them all with ${inlineCode(`npx jest-replay diff ${base}`)}.*`;
  return cappedComment(heading, parts, { language: 'diff', limit, omitted });
}
