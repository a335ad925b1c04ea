import { cappedComment, type CommentPart, COMMENT_LIMIT, inlineCode } from '../util/markdown';
import { printable } from '../util/printable';
import { plural } from '../util/words';
import type { DriftGroup, DriftOccurrence, DriftReport } from './report';

/**
 * A drift report for a terminal, for an issue or pull-request comment (Markdown, escaped and cut to fit), and as
 * JSON. Everything taken from the recordings and the live answers (test ids, paths, values) is printed escaped, on
 * one line (and in Markdown as code), so neither can act on a terminal or add to a comment.
 */

/** How the report is run again, and how a test is accepted: `npx jest-replay drift` and the options it was given. */
export interface ReportCommands {
  /** `npx jest-replay drift --last`, with `--out` and `--config` as given. */
  again: string;
  /** `npx jest-replay drift --accept`, likewise. */
  accept: string;
  /** The live folder, as the user reads it. */
  liveDir: string;
}

const requests = (count: number) => plural(count, 'request');

/** `5 changes in 3 of 6 tests against the live API (7 of 11 requests drifted, 1 not checked, 2 tests failed; text not compared)`. */
export function summaryLine(report: DriftReport): string {
  const { groups, requests: sent, drifted, tests, driftedTests, unchecked, failed, text } = report;
  const also = [
    ...(unchecked.length > 0 ? [`${unchecked.length} not checked`] : []),
    ...(failed.length > 0 ? [`${plural(failed.length, 'test')} failed`] : []),
  ];
  const extra = `${also.map((part) => `, ${part}`).join('')}; ${text ? 'text compared' : 'text not compared'}`;
  if (groups.length === 0)
    return `jest-replay drift: no drift in ${plural(tests, 'test')} against the live API (${requests(sent)} checked${extra})`;
  return (
    `jest-replay drift: ${plural(groups.length, 'change')} in ${driftedTests} of ${plural(tests, 'test')} against the live API ` +
    `(${drifted} of ${requests(sent)} drifted${extra})`
  );
}

/** `3 → "3"`, `was 3`, `now 3`: the values a request had, if any. */
function values({ recordedValue, liveValue }: DriftOccurrence): string {
  if (recordedValue !== undefined && liveValue !== undefined) return `: ${recordedValue} → ${liveValue}`;
  if (recordedValue !== undefined) return `: was ${recordedValue}`;
  return liveValue === undefined ? '' : `: now ${liveValue}`;
}

/** `POST /v1/chat/completions #2`: a request as the report names it (its method and path). */
function requestName(request: string, ordinal: number): string {
  const [method, url] = request.split(' ');
  let where = url;
  if (URL.canParse(url)) where = `${new URL(url).pathname}${new URL(url).search}`;
  return `${method} ${where}${ordinal > 1 ? ` #${ordinal}` : ''}`;
}

/** One line per request a change touches; a request that no longer keys adds why, on lines of its own (already indented). */
const occurrenceLines = (group: DriftGroup): string[] =>
  group.occurrences.flatMap((o) => [
    printable(`${o.testId}  ${requestName(o.request, o.ordinal)}${values(o)}`),
    ...(o.details ?? []).map(printable),
  ]);

const heading = (group: DriftGroup) => {
  const tests = new Set(group.occurrences.map((o) => o.testId)).size;
  return { title: printable(`${group.path}: ${group.change}`), count: `${requests(group.occurrences.length)} in ${plural(tests, 'test')}` };
};

/** The requests that were not compared, and the tests that failed against the live API. */
function otherSections(report: DriftReport): { title: string; lines: string[] }[] {
  const sections = [];
  if (report.unchecked.length > 0) {
    const lines = report.unchecked.map((u) => printable(`${u.testId}  ${requestName(u.request, u.ordinal)}: ${u.reason}`));
    sections.push({ title: `not checked (${requests(report.unchecked.length)})`, lines });
  }
  if (report.failed.length > 0)
    sections.push({ title: `failed against the live API (${plural(report.failed.length, 'test')})`, lines: report.failed.map(printable) });
  return sections;
}

export function formatDriftText(report: DriftReport, commands: ReportCommands): string {
  const lines: string[] = [];
  for (const group of report.groups) {
    const { title, count } = heading(group);
    lines.push(`${title} (${count})`, ...occurrenceLines(group).map((line) => `  ${line}`), '');
  }
  for (const { title, lines: inside } of otherSections(report)) lines.push(`${title}:`, ...inside.map((line) => `  ${line}`), '');
  if (report.requests > 0) lines.push(`live exchanges in ${commands.liveDir}/ (jest-replay show <file> prints one)`);
  if (report.groups.length > 0) lines.push(`accept a test's live exchanges as its recordings: ${commands.accept} '<test id>'`);
  return [...lines, summaryLine(report)].join('\n');
}

/** For an issue or a pull-request comment: the summary as a heading, each change with the requests it touches in a block. */
export function formatDriftMarkdown(report: DriftReport, commands: ReportCommands, limit = COMMENT_LIMIT): string {
  const parts: CommentPart[] = report.groups.map((group) => {
    const { title, count } = heading(group);
    return { head: `**${inlineCode(title)}** — ${count}\n\n`, lines: occurrenceLines(group) };
  });
  for (const { title, lines } of otherSections(report)) parts.push({ head: `**${title}**\n\n`, lines });
  const accept =
    report.groups.length > 0 ? `\n\nAccept a test's live exchanges as its recordings: ${inlineCode(`${commands.accept} '<test id>'`)}` : '';
  const omitted = (whole: number, characters: number) =>
    `*Truncated to fit a comment: ${plural(parts.length - whole, 'section')} (${characters} characters) not shown. ` +
    `See them all with ${inlineCode(commands.again)}.*`;
  return cappedComment(`### ${summaryLine(report)}${accept}`, parts, { language: 'text', limit, omitted });
}

/** The report as JSON, for tools. */
export function formatDriftJson(report: DriftReport): string {
  const { groups, unchecked, failed, ...counts } = report;
  const changes = groups.map(({ path, change, occurrences }) => ({ path, change, requests: occurrences }));
  return JSON.stringify({ summary: summaryLine(report), ...counts, changes, notChecked: unchecked, failedTests: failed }, null, 2);
}
