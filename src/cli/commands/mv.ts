import * as fs from 'node:fs';
import { idsRecordedForSameFile } from '../../core/inspect/inspect';
import { applyMove, planMove } from '../../core/inspect/move';
import { RecordingStore } from '../../core/store/store';
import { printable } from '../../core/util/printable';
import { plural } from '../../core/util/words';
import { type Command, EXIT, UsageError } from '../command';
import { fromCwd } from '../format';
import { KEY_OPTION_HELP, KEY_OPTIONS } from '../key-options';

export const mvCommand: Command = {
  name: 'mv',
  summary: "move a renamed test's recordings to its new id, re-keyed, without a network call",
  args: '<old-test-id> <new-test-id>',
  help: `Moves the recordings of a renamed or moved test from its old test id to its new one (ids as a miss
prints them: 'tests/chat.test.ts::chat::streams a reply'), as recording it again would have written
them, without a network call: each file goes to the new id's folder under the key its stored request
has for the new id (with the project's normalizers, matchIgnore paths and redact hook), with its test_id
and the stored ids made from its old key (rec-…) rewritten, nothing else: what recording it under the new
id would write. Every new file is checked as verify checks it before anything is
written; each is written atomically, and the old files are removed only once all new ones are on disk.
With --prefix, every test id that starts with the old prefix is moved: a renamed describe block
('tests/chat.test.ts::chat::' 'tests/chat.test.ts::conversation::') or a moved test file
('tests/chat.test.ts::' 'tests/llm/chat.test.ts::').
A new id that already has recordings is refused unless --merge. Exit code 1 when nothing could move.`,
  options: { prefix: { type: 'boolean' }, merge: { type: 'boolean' }, 'dry-run': { type: 'boolean' }, ...KEY_OPTIONS },
  optionHelp: [
    ['--prefix', 'Move every test id starting with <old-test-id>, that start replaced by <new-test-id>'],
    ['--merge', 'Add to a new id that already has recordings (the same request recorded under both must be the same)'],
    ['--dry-run', 'Print what would move; write nothing'],
    ...KEY_OPTION_HELP,
  ],
  async run({ dir, positionals, values, rules, out }) {
    if (positionals.length !== 2) throw new UsageError('give the old and the new test id (quote each: ids hold spaces and ::)');
    const [from, to] = positionals;
    const prefix = values.prefix === true;
    if (from === to) throw new UsageError('the old and new test ids are the same');
    if (prefix && (from.startsWith(to) || to.startsWith(from))) {
      throw new UsageError(`one prefix starts with the other (${from}, ${to}): the ids moved would be moved again`);
    }
    if (!fs.statSync(dir, { throwIfNoEntry: false })?.isDirectory()) throw new UsageError(`no recordings directory at ${dir}`);
    const plan = planMove(dir, { from, to, prefix, merge: values.merge === true, rules: rules() });
    if (plan.problems.length > 0) {
      for (const problem of plan.problems) out(`cannot move: ${printable(problem)}`);
      out('nothing moved');
      return EXIT.problems;
    }
    if (plan.moves.length === 0) {
      out(`no recordings under test ${prefix ? 'ids starting with' : 'id'} ${printable(from)}`);
      const others = prefix ? [] : idsRecordedForSameFile(new RecordingStore(dir), from);
      if (others.length > 0) out('recorded for the same test file (nearest first):');
      for (const id of others) out(`  ${printable(id)}`);
      return EXIT.problems;
    }
    const dryRun = values['dry-run'] === true;
    if (!dryRun) applyMove(dir, plan);
    for (const { source, target, present } of plan.moves) {
      out(`${dryRun ? 'would move' : 'moved'} ${fromCwd(source)} -> ${fromCwd(target)}${present ? ' (already there)' : ''}`);
    }
    const counted = `${plural(plan.moves.length, 'recording')} of ${plural(new Set(plan.moves.map((m) => m.testId)).size, 'test id')}`;
    out(`${counted} ${dryRun ? 'would move; nothing written' : 'moved'}`);
    return EXIT.ok;
  },
};
