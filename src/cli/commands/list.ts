import * as fs from 'node:fs';
import { NO_TEST_ID, type RecordingFile, scanRecordings, summarize } from '../../core/inspect/inspect';
import { plural } from '../../core/util/words';
import { type Command, EXIT } from '../command';
import { formatSize, formatSummary, fromCwd, linkLines, table, unreadableLines } from '../format';
import { printable } from '../../core/util/printable';

export const listCommand: Command = {
  name: 'list',
  summary: 'recordings per test id, with endpoint, model and size',
  args: '[test-id-prefix]',
  help: `Lists the recordings directory by test id (as stored in each file): each recording's file name,
method and endpoint, model, "stream" for streamed responses, the status when it is not 200, and
its size. With a test-id prefix, only the ids that start with it.
Exit code 1 when a file cannot be read as a recording (listed at the end) or nothing is recorded.`,
  eachProject: true,
  async run({ dir, positionals, out, err }) {
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
    for (const id of ids) {
      out(printable(id));
      for (const line of table(byTest.get(id)!.map((e) => [e.relative.split('/').pop()!, formatSummary(summarize(e.recording!)), formatSize(e.size)]))) out(line);
    }
    const listed = ids.reduce((n, id) => n + byTest.get(id)!.length, 0);
    const bytes = ids.reduce((n, id) => n + byTest.get(id)!.reduce((m, e) => m + e.size, 0), 0);
    out(`${ids.length === 0 ? '' : '\n'}${plural(listed, 'recording')} for ${plural(ids.filter((id) => id !== NO_TEST_ID).length, 'test id')}, ${formatSize(bytes)}`);
    if (broken.length > 0) {
      out(`\n${broken.length === 1 ? '1 file is not a usable recording' : `${broken.length} files are not usable recordings`}:`);
      for (const entry of broken) out(`  ${entry.problem}`);
    }
    const links = [...linkLines(dir, scanned.links), ...unreadableLines(dir, scanned.unreadable)];
    if (links.length > 0) out(['', ...links].join('\n'));
    return broken.length > 0 || listed === 0 ? EXIT.problems : EXIT.ok;
  },
};
