#!/usr/bin/env node
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { type Command, EXIT, UsageError } from './command';
import { diagnoseCommand } from './commands/diagnose';
import { diffCommand } from './commands/diff';
import { importCommand } from './commands/import';
import { listCommand } from './commands/list';
import { pruneCommand } from './commands/prune';
import { showCommand } from './commands/show';
import { verifyCommand } from './commands/verify';

/** Every command, in the order `--help` lists them. */
const COMMANDS: Command[] = [listCommand, showCommand, diffCommand, diagnoseCommand, verifyCommand, pruneCommand, importCommand];

const COMMON_OPTIONS = `Options:
  --dir <path>   Recordings directory (default: $JEST_REPLAY_DIR, else ./recordings)
  -h, --help     Show help`;

function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => `${c.name} ${c.args}`.length));
  const lines = COMMANDS.map((c) => `  ${`${c.name} ${c.args}`.padEnd(width)}  ${c.summary}`);
  return `Usage: jest-replay <command> [options]\n\nCommands:\n${lines.join('\n')}\n\n${COMMON_OPTIONS}\n\nRun jest-replay <command> --help for a command's own help.\n`;
}

const commandUsage = (command: Command) => `Usage: jest-replay ${command.name} ${command.args} [options]\n\n${command.help}\n\n${COMMON_OPTIONS}\n`;

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '-h' || name === '--help') {
    process.stdout.write(usage());
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    process.stderr.write(`jest-replay: unknown command ${JSON.stringify(name)}\n\n${usage()}`);
    return EXIT.usage;
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: rest,
      allowPositionals: true,
      options: { dir: { type: 'string' }, help: { type: 'boolean', short: 'h' }, ...command.options },
    });
  } catch (error) {
    process.stderr.write(`jest-replay ${command.name}: ${(error as Error).message}\n\n${commandUsage(command)}`);
    return EXIT.usage;
  }
  if (parsed.values.help) {
    process.stdout.write(commandUsage(command));
    return EXIT.ok;
  }
  // An empty JEST_REPLAY_DIR means unset, as it does for the Jest run.
  const dir = path.resolve(String(parsed.values.dir ?? (process.env.JEST_REPLAY_DIR?.trim() || 'recordings')));
  try {
    return await command.run({
      dir,
      values: parsed.values,
      positionals: parsed.positionals,
      out: (text) => process.stdout.write(`${text}\n`),
      err: (text) => process.stderr.write(`${text}\n`),
    });
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`jest-replay ${command.name}: ${error.message}\n\n${commandUsage(command)}`);
      return EXIT.usage;
    }
    throw error;
  }
}

// `jest-replay list | head` closes the pipe early: that is the reader's choice, not a failure.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(EXIT.ok);
  throw error;
});

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: Error) => {
    process.stderr.write(`jest-replay: ${error.message}\n`);
    process.exit(EXIT.problems);
  },
);
