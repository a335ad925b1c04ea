import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  diffRecordings,
  formatDiffMarkdown,
  formatDiffText,
  type RecordingDiff,
  type RecordingVersion,
} from '../../core/inspect/recording-diff';
import { type Command, EXIT, UsageError } from '../command';
import { printable } from '../../core/util/printable';

/** Runs git where the user runs the command; its own message when it fails. */
function git(args: string[]): string {
  try {
    return execFileSync('git', args, { encoding: 'utf8', maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    const stderr = String((error as { stderr?: unknown }).stderr ?? '').trim();
    throw new Error(`git ${args.join(' ')} failed: ${stderr || (error as Error).message}`);
  }
}

/**
 * A change as printed: title, paths and lines each on one line, escaped (a test id or a value could hold a line
 * break, which Markdown would read as the end of the code around it), so a size limit counts what is printed.
 */
const printableDiff = (diff: RecordingDiff): RecordingDiff => ({
  ...diff,
  title: printable(diff.title),
  before: diff.before === undefined ? undefined : printable(diff.before),
  after: diff.after === undefined ? undefined : printable(diff.after),
  lines: diff.lines.map(printable),
});

/** NUL-separated output (`-z`), so no file name is quoted or split. */
const fields = (output: string) => output.split('\0').filter((field) => field !== '');

export const diffCommand: Command = {
  name: 'diff',
  summary: 'what a re-recording changed, request and response as text (for review)',
  args: '[git-rev]',
  help: `Compares the recordings in the work tree (untracked files included) with those of a git
revision (default: HEAD), as \`jest-replay show\` prints them: prompt, answer text of streams
included, tool calls, status. A deleted file and a new one of the same test and endpoint are
shown as one change (a re-recorded request gets a new key), nearest request first. With --markdown,
what comes from the recordings is code (never read as Markdown) and the comment is cut to 65,536
characters, a pull request comment's limit, with a last line saying how much was left out.
Run it in the git repository, e.g. \`jest-replay diff origin/main --markdown\` for a pull request.`,
  options: { markdown: { type: 'boolean' } },
  optionHelp: [['--markdown', 'Print Markdown for a pull-request comment (each change in a diff block)']],
  async run({ dir, positionals, values, out }) {
    if (positionals.length > 1) throw new UsageError(`give at most one git revision, got ${positionals.join(' ')}`);
    const [rev = 'HEAD'] = positionals;
    const top = git(['rev-parse', '--show-toplevel']).trim();
    try {
      if (rev.startsWith('-')) throw new Error('an option');
      git(['rev-parse', '--verify', '--quiet', `${rev}^{commit}`]);
    } catch {
      throw new UsageError(`${rev} is not a commit of the git repository at ${top}`);
    }
    const spec = path.relative(process.cwd(), dir) || '.';
    const changed = fields(git(['diff', '--name-status', '--no-renames', '-z', rev, '--', spec]));
    const untracked = fields(git(['ls-files', '--others', '--exclude-standard', '--full-name', '-z', '--', spec]));
    // Paths from git are relative to the repository's top; show them relative to where the user is.
    const shown = (file: string) => path.relative(fs.realpathSync(process.cwd()), path.join(top, file)).split(path.sep).join('/');
    const before: RecordingVersion[] = [];
    const after: RecordingVersion[] = [];
    const readNew = (file: string) => after.push({ path: shown(file), text: fs.readFileSync(path.join(top, file), 'utf8') });
    for (let i = 0; i + 1 < changed.length; i += 2) {
      const [status, file] = [changed[i], changed[i + 1]];
      if (!file.endsWith('.json')) continue;
      if (status !== 'A') before.push({ path: shown(file), text: git(['show', `${rev}:${file}`]) });
      if (status !== 'D') readNew(file);
    }
    for (const file of untracked.filter((name) => name.endsWith('.json'))) readNew(file);
    const diffs = diffRecordings(before, after).map(printableDiff);
    out(values.markdown ? formatDiffMarkdown(diffs, printable(rev)) : formatDiffText(diffs, printable(rev)));
    return EXIT.ok;
  },
};
