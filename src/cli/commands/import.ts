import * as path from 'node:path';
import { coverageByKind, importRecordings, planImport } from '../../core/inspect/import';
import { RecordingStore } from '../../core/store/store';
import { type Command, EXIT, UsageError } from '../command';
import { fromCwd, table } from '../format';
import { KEY_OPTION_HELP, KEY_OPTIONS } from '../key-options';

export const importCommand: Command = {
  name: 'import',
  summary: "add llama-stack recordings to this project's recordings",
  args: '<path...> [--check]',
  help: `Adds llama-stack recordings (files, or folders holding recordings/<hash>.json and
models-<hash>-<digest>.json) to the recordings directory, each keyed by this project's key
under its test id (with the normalizers, matchIgnore paths and redact hook of its Jest config, as its
recorder keys a live request), content unchanged but for credentials: credential headers (authorization,
x-api-key, cookie…) and URL credentials are dropped, body credentials (api_key, client_secret…) are replaced
by "<redacted>", and each is named; a file whose response holds one of them is skipped.
Reports what was imported and what was skipped, and why.`,
  options: { check: { type: 'boolean' }, ...KEY_OPTIONS },
  optionHelp: [
    ['--check', 'Write nothing: report, per kind of recording, how many files would replay and why others would not (exit 1 if any)'],
    ...KEY_OPTION_HELP,
  ],
  async run({ dir, values, positionals, rules, out }) {
    if (positionals.length === 0) throw new UsageError('give at least one file or folder of llama-stack recordings');
    const store = new RecordingStore(dir);
    if (values.check) {
      const coverage = coverageByKind(planImport(positionals, store, rules()));
      const rows = coverage.map(({ kind, files, replayable }) => {
        const verdict = replayable === files ? 'replay' : `${files - replayable} would not`;
        return [kind, `${replayable}/${files}`, verdict];
      });
      for (const line of table([['kind', 'files', ''], ...rows])) out(line.trimEnd());
      for (const { source, reason } of coverage.flatMap((c) => c.problems)) out(`would not replay ${fromCwd(source)}: ${reason}`);
      const files = coverage.reduce((n, c) => n + c.files, 0);
      const replayable = coverage.reduce((n, c) => n + c.replayable, 0);
      const percent = files === 0 ? 100 : Math.floor((replayable / files) * 1000) / 10;
      out(`${replayable} of ${files} files would replay (${percent}%); nothing written`);
      return replayable === files ? EXIT.ok : EXIT.problems;
    }
    const result = await importRecordings(positionals, store, rules());
    for (const { source, target, dropped } of result.imported) {
      const without = dropped.length > 0 ? `, without its credentials: ${dropped.join(', ')}` : '';
      out(`imported ${source} -> ${path.relative(process.cwd(), target)}${without}`);
    }
    for (const { source, reason } of result.skipped) out(`skipped  ${source}: ${reason}`);
    out(`${result.imported.length} imported, ${result.skipped.length} skipped`);
    return EXIT.ok;
  },
};
