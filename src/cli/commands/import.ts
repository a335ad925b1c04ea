import * as path from 'node:path';
import { importRecordings } from '../../core/import';
import { RecordingStore } from '../../core/store';
import { type Command, EXIT, UsageError } from '../command';

export const importCommand: Command = {
  name: 'import',
  summary: "add llama-stack recordings to this project's recordings",
  args: '<path...>',
  help: `Adds llama-stack recordings (files, or folders holding recordings/<hash>.json and
models-<hash>-<digest>.json) to the recordings directory, each keyed by this project's key
under its test id, content unchanged but for credentials: credential headers (authorization, x-api-key…)
and URL credentials are dropped, and named; a file whose response holds one of them is skipped.
Reports what was imported and what was skipped, and why.`,
  async run({ dir, positionals, out }) {
    if (positionals.length === 0) throw new UsageError('give at least one file or folder of llama-stack recordings');
    const result = await importRecordings(positionals, new RecordingStore(dir));
    for (const { source, target, dropped } of result.imported) {
      const without = dropped.length > 0 ? `, without its credentials: ${dropped.join(', ')}` : '';
      out(`imported ${source} -> ${path.relative(process.cwd(), target)}${without}`);
    }
    for (const { source, reason } of result.skipped) out(`skipped  ${source}: ${reason}`);
    out(`${result.imported.length} imported, ${result.skipped.length} skipped`);
    return EXIT.ok;
  },
};
