/**
 * Markdown for a pull-request or issue comment, where what comes from recordings and servers must never be read as
 * Markdown (no heading, HTML, link or @mention, no closed code block) and the whole must fit GitHub's limit.
 */

/** GitHub refuses a pull-request or issue comment longer than this many characters. */
export const COMMENT_LIMIT = 65_536;

/** A fence longer than any run of backticks in the text, so the text cannot close it. */
const fence = (text: string, shortest: number) => '`'.repeat(Math.max(shortest, ...(text.match(/`+/g) ?? []).map((run) => run.length + 1)));

/** Text as code: nothing in it is read as Markdown (no heading, HTML, link or @mention); it must be one line. */
export const inlineCode = (text: string) => {
  const ticks = fence(text, 1);
  return `${ticks}${ticks.length > 1 ? ` ${text} ` : text}${ticks}`;
};

/** Lines as a fenced block that none of them can close. */
const codeBlock = (lines: string[], language: string, ticks = fence(lines.join('\n'), 3)) =>
  `${ticks}${language}\n${lines.join('\n')}\n${ticks}`;

/** One part of a comment: its head (Markdown, with what it quotes as code) and the lines of its code block. */
export interface CommentPart {
  head: string;
  lines: string[];
}

/**
 * A heading, then each part's head and its lines in a code block, joined by blank lines; cut to `limit` characters
 * when longer: a part too long for the room left keeps the lines that fit, in a block still closed, and `omitted`
 * (given how many parts were shown whole and how many characters were left out) says what was left out, last.
 */
export function cappedComment(
  heading: string,
  parts: CommentPart[],
  {
    language,
    limit = COMMENT_LIMIT,
    omitted,
  }: { language: string; limit?: number; omitted: (whole: number, characters: number) => string },
): string {
  const whole = [heading, ...parts.map(({ head, lines }) => `${head}${codeBlock(lines, language)}`)].join('\n\n');
  if (whole.length <= limit) return whole;
  let room = limit - omitted(0, whole.length).length - 2;
  const shown = [heading];
  room -= heading.length;
  let complete = 0;
  for (const { head, lines } of parts) {
    const ticks = fence(lines.join('\n'), 3);
    let size = 2 + head.length + codeBlock([], language, ticks).length - 1;
    let count = 0;
    while (count < lines.length && size + lines[count].length + 1 <= room) size += lines[count++].length + 1;
    if (count === 0) break;
    const part = `${head}${codeBlock(lines.slice(0, count), language, ticks)}`;
    shown.push(part);
    room -= 2 + part.length;
    if (count < lines.length) break;
    complete++;
  }
  const text = shown.join('\n\n');
  return `${text}\n\n${omitted(complete, whole.length - text.length)}`;
}
