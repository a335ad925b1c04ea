import * as fs from 'node:fs';
import { NO_TEST_ID, type RecordingFile, scanRecordings, summarize } from '../../core/inspect/inspect';
import { addTokens, NO_TOKENS, type Tokens, tokensOf } from '../../core/recording/tokens';
import { plural } from '../../core/util/words';
import { type Command, EXIT } from '../command';
import { formatSize, formatSummary, fromCwd, linkLines, table, unreadableLines } from '../format';
import { printable } from '../../core/util/printable';

/** The test file a test id names (`tests/a.test.ts` of `tests/a.test.ts::chat`); an id without `::` names none but itself. */
const testFileOf = (testId: string) => (testId === NO_TEST_ID ? NO_TEST_ID : testId.split('::')[0]);

/** The tokens of recordings, summed: what replaying them saves, each time the suite runs, against a live run. */
const tokensIn = (entries: RecordingFile[]): Tokens =>
  entries.reduce((sum, e) => addTokens(sum, tokensOf(e.recording!) ?? NO_TOKENS), NO_TOKENS);
const bytesIn = (entries: RecordingFile[]): number => entries.reduce((n, e) => n + e.size, 0);

export const listCommand: Command = {
  name: 'list',
  summary: 'recordings per test id, with endpoint, model, size and tokens',
  args: '[test-id-prefix] [--json]',
  help: `Lists the recordings directory by test id (as stored in each file): each recording's file name,
method and endpoint, model, "stream" for streamed responses, the status when it is not 200, and
its size; then the prompt and completion tokens the recordings' stored usage reports, per test
file: what the suite would cost if it ran live. With a test-id prefix, only the ids that start
with it. --json prints the same as one JSON object.
Exit code 1 when a file cannot be read as a recording (listed at the end) or nothing is recorded.`,
  options: { json: { type: 'boolean' } },
  optionHelp: [['--json', 'Print recordings, test files and tokens as JSON (one project: --project)']],
  eachProject: true,
  async run({ dir, positionals, values, out, err }) {
    if (!fs.existsSync(dir)) {
      err(`jest-replay list: no recordings directory at ${fromCwd(dir)}`);
      return EXIT.problems;
    }
    const [prefix = ''] = positionals;
    const scanned = scanRecordings(dir);
    const byTest = new Map<string, RecordingFile[]>();
    const broken: RecordingFile[] = [];
    for (const entry of scanned.files) {
      if (!entry.recording) broken.push(entry);
      else if ((entry.recording.test_id ?? '').startsWith(prefix)) {
        const id = entry.recording.test_id ?? NO_TEST_ID;
        byTest.set(id, [...(byTest.get(id) ?? []), entry]);
      }
    }
    const ids = [...byTest.keys()].sort((a, b) => (a === NO_TEST_ID ? 1 : b === NO_TEST_ID ? -1 : a.localeCompare(b)));
    const entries = ids.flatMap((id) => byTest.get(id)!);
    const byFile = new Map<string, RecordingFile[]>();
    for (const id of ids) byFile.set(testFileOf(id), [...(byFile.get(testFileOf(id)) ?? []), ...byTest.get(id)!]);
    const bytes = bytesIn(entries);
    const skipped = [...linkLines(dir, scanned.links), ...unreadableLines(dir, scanned.unreadable)];
    const code = broken.length > 0 || entries.length === 0 ? EXIT.problems : EXIT.ok;
    if (values.json) {
      const recordings = entries.map((e) => ({
        file: fromCwd(e.file),
        testId: e.recording!.test_id,
        testFile: testFileOf(e.recording!.test_id ?? NO_TEST_ID),
        ...summarize(e.recording!),
        bytes: e.size,
        tokens: tokensOf(e.recording!) ?? null,
      }));
      const testFiles = [...byFile].map(([testFile, files]) => ({
        testFile,
        recordings: files.length,
        bytes: bytesIn(files),
        tokens: tokensIn(files),
      }));
      const problems = broken.map((e) => e.problem);
      out(JSON.stringify({ recordings, testFiles, tokens: tokensIn(entries), bytes, problems, skipped }, null, 2));
      return code;
    }
    for (const id of ids) {
      out(printable(id));
      for (const line of table(byTest.get(id)!.map((e) => [e.relative.split('/').pop()!, formatSummary(summarize(e.recording!)), formatSize(e.size)]))) out(line);
    }
    const testIds = plural(ids.filter((id) => id !== NO_TEST_ID).length, 'test id');
    out(`${ids.length === 0 ? '' : '\n'}${plural(entries.length, 'recording')} for ${testIds}, ${formatSize(bytes)}`);
    const tokens = [...byFile]
      .map(([testFile, files]) => [printable(testFile), tokensIn(files)] as const)
      .filter(([, t]) => t.prompt + t.completion > 0);
    if (tokens.length > 0) {
      out('\nTokens by test file (from the stored usage: what a live run would send and receive):');
      for (const line of table(tokens.map(([testFile, t]) => [testFile, `${t.prompt} prompt, ${t.completion} completion`]))) out(line);
    }
    if (broken.length > 0) {
      out(`\n${broken.length === 1 ? '1 file is not a usable recording' : `${broken.length} files are not usable recordings`}:`);
      for (const entry of broken) out(`  ${entry.problem}`);
    }
    if (skipped.length > 0) out(['', ...skipped].join('\n'));
    return code;
  },
};
