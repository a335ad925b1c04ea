import * as path from 'node:path';
import { diagnoseTest, summarize } from '../../core/inspect/inspect';
import { KEY_FILE_LENGTH } from '../../core/store/paths';
import { RecordingStore } from '../../core/store/store';
import { type Command, EXIT, UsageError } from '../command';
import { KEY_OPTION_HELP, KEY_OPTIONS } from '../key-options';
import { formatSummary, fromCwd, table } from '../format';
import { printable } from '../../core/util/printable';

export const diagnoseCommand: Command = {
  name: 'diagnose',
  summary: "why a test's requests do or do not replay",
  args: '<test-id>',
  help: `For one test id (as printed by a miss, e.g. 'tests/chat.test.ts::chat::streams a reply'):
the folder replay reads, each recording in it with the key its stored request produces now,
and every file replay cannot match (a name that is not its key, a foreign test_id, a broken
file). When nothing is recorded under the id, the ids recorded for the same test file, nearest
first: a renamed test or describe block keeps its recordings under its old id.
A miss's key that is not listed here means the request itself changed since it was recorded:
compare it with \`jest-replay show <file>\`, then re-record.
Exit code 1 when something is missing or cannot match.`,
  options: KEY_OPTIONS,
  optionHelp: KEY_OPTION_HELP,
  async run({ dir, positionals, rules, out }) {
    if (positionals.length !== 1) throw new UsageError('give one test id (quote it: it contains spaces and ::)');
    const diagnosis = diagnoseTest(new RecordingStore(dir), positionals[0], rules());
    out(`test id:  ${printable(diagnosis.testId)}`);
    out(`folder:   ${fromCwd(diagnosis.folder)}`);
    if (diagnosis.files.length > 0) {
      out('recordings (file, request, key its stored request produces now):');
      const rows = diagnosis.files.map((file) => [
        path.basename(file.file),
        file.recording ? formatSummary(summarize(file.recording)) : 'unreadable',
        file.key ? `${file.key.slice(0, KEY_FILE_LENGTH)}…` : '-',
        file.problems.length > 0 ? 'MISMATCH' : (file.ordinal ?? 1) > 1 ? `ok (identical request #${file.ordinal})` : 'ok',
      ]);
      for (const line of table(rows)) out(line);
    }
    if (diagnosis.problems.length > 0) {
      out('\nproblems:');
      for (const problem of diagnosis.problems) out(`  - ${problem}`);
    }
    if (diagnosis.otherIds.length > 0) {
      out('\nrecorded for the same test file under other ids (nearest first):');
      for (const id of diagnosis.otherIds) out(`  ${printable(id)}`);
    }
    return diagnosis.problems.length > 0 ? EXIT.problems : EXIT.ok;
  },
};
