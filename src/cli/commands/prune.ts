import * as fs from 'node:fs';
import * as path from 'node:path';
import { judgeRecordings, keptLine, leftoverTemporaryFiles, listRecordings } from '../../core/store/unused';
import { mergeShards, readUsage } from '../../core/store/usage';
import { removeEmptyFolders, walkTree } from '../../core/store/storage';
import { plural } from '../../core/util/words';
import { type Command, EXIT } from '../command';
import { fromCwd, linkLines, unreadableLines } from '../format';

export const pruneCommand: Command = {
  name: 'prune',
  summary: 'list (or with --yes delete) recordings the last run did not use',
  args: '[--yes]',
  help: `Lists the recordings that the last jest run (every shard of it, merged) did not use; with
--yes deletes them. Recordings of tests that were skipped (test.skip, test.todo) or failed are kept,
and said so; recordings of tests the run never saw (deleted or renamed tests) go only after a
complete run (every test file, no -t, no path filter, no test.only, every shard), and shared ones
(model lists) only after a complete run in which every test passed. Recordings written since that
run (moved with mv, imported, pulled) are kept: it never saw them. Also deletes temporary files
left by a recording process that was killed. It reads the project's Jest config for the recordings
and usage directories.`,
  options: { usage: { type: 'string' }, yes: { type: 'boolean' } },
  optionHelp: [
    ['--usage <path>', "Where runs note what they used (default: the project's usageDir, else <rootDir>/node_modules/.cache/jest-replay)"],
    ['--yes', 'Delete what is listed (without it, nothing is deleted)'],
  ],
  eachProject: true,
  async run({ dir, rootDir, usageDir: configured, values, out, err }) {
    const usageDir = values.usage === undefined ? configured : path.resolve(String(values.usage));
    const shards = readUsage(usageDir);
    for (const { file, reason } of shards.flatMap((shard) => shard.unreadable)) {
      err(`skipped ${fromCwd(file)}: not a usage note (${reason})`);
    }
    const merged = mergeShards(shards);
    // Usage names its recordings directory relative to rootDir.
    const files = merged.files.filter((f) => path.resolve(rootDir, f.recordings) === dir);
    if (files.length === 0) {
      err(`jest-replay prune: no usage of ${dir} under ${usageDir}: run jest (replay or record mode) first. Nothing deleted.`);
      return EXIT.problems;
    }
    // Links are never followed: one may lead outside the recordings directory (see walkTree).
    const tree = walkTree(dir);
    const judged = judgeRecordings(listRecordings(dir, tree).sort(), files, merged.complete);
    // A recording written after the run's last note (moved by mv, imported, pulled) is one the run never saw.
    const notedAt = Math.max(...walkTree(usageDir).files.map((file) => fs.statSync(path.join(usageDir, file)).mtimeMs));
    const judgedUnused = judged.unused.map((file) => path.join(dir, file));
    const unused = judgedUnused.filter((file) => fs.statSync(file).mtimeMs <= notedAt);
    const leftovers = leftoverTemporaryFiles(dir, tree);
    const doomed = [...unused, ...leftovers];
    const verb = values.yes ? 'deleted' : 'would delete';
    for (const file of doomed) {
      if (values.yes) {
        fs.rmSync(file, { force: true });
        removeEmptyFolders(path.dirname(file), dir);
      }
      out(`${verb} ${path.relative(process.cwd(), file)}`);
    }
    for (const line of [...linkLines(dir, tree.links), ...unreadableLines(dir, tree.unreadable)]) out(line);
    const kept = keptLine(judged.kept);
    if (kept) out(kept);
    const newer = judgedUnused.length - unused.length;
    if (newer > 0) out(`kept ${plural(newer, 'recording')} written since the last run (moved, imported or pulled): run jest to judge them`);
    const scope = merged.complete ? 'complete run' : `partial run (${merged.why}): recordings of the tests it did not run are kept`;
    out(`${doomed.length} ${values.yes ? 'deleted' : 'unused'} (${plural(unused.length, 'recording')}, ${plural(leftovers.length, 'temporary file')}; ${scope})` + (values.yes || doomed.length === 0 ? '' : '. Run with --yes to delete them.'));
    return EXIT.ok;
  },
};
