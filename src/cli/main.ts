#!/usr/bin/env node
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { importRecordings } from '../core/import';
import { RecordingStore } from '../core/store';

const USAGE = `Usage: jest-replay <command> [options]

Commands:
  import <path...>   Add llama-stack recordings (files or folders) to this project's recordings,
                     keyed by this project's key under their test id.

Options:
  --dir <path>       Recordings directory (default: $JEST_REPLAY_DIR or ./recordings)
  -h, --help         Show this help
`;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { dir: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  const [command, ...rest] = positionals;
  if (values.help || !command) {
    process.stdout.write(USAGE);
    return values.help ? 0 : 2;
  }
  const dir = path.resolve(values.dir ?? process.env.JEST_REPLAY_DIR ?? 'recordings');
  switch (command) {
    case 'import': {
      if (rest.length === 0) {
        process.stderr.write('jest-replay import: give at least one file or folder of llama-stack recordings.\n');
        return 2;
      }
      const result = await importRecordings(rest, new RecordingStore(dir));
      for (const { source, target } of result.imported) process.stdout.write(`imported ${source} -> ${path.relative(process.cwd(), target)}\n`);
      for (const { source, reason } of result.skipped) process.stdout.write(`skipped  ${source}: ${reason}\n`);
      process.stdout.write(`${result.imported.length} imported, ${result.skipped.length} skipped\n`);
      return 0;
    }
    default:
      process.stderr.write(`jest-replay: unknown command ${JSON.stringify(command)}\n\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: Error) => {
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  },
);
