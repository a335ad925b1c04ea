#!/usr/bin/env node
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { nearest } from '../core/util/nearest';
import { type Command, EXIT, type ParseArgsOptions, UsageError } from './command';
import { diagnoseCommand } from './commands/diagnose';
import { diffCommand } from './commands/diff';
import { exportCommand } from './commands/export';
import { importCommand } from './commands/import';
import { listCommand } from './commands/list';
import { mvCommand } from './commands/mv';
import { pruneCommand } from './commands/prune';
import { showCommand } from './commands/show';
import { verifyCommand } from './commands/verify';
import { table } from './format';
import { keyRules } from './key-options';
import { heading, targetsOf } from './targets';
import { ReplayConfigError } from '../core/errors';
import { printableLines } from '../core/util/printable';

/** Every command, in the order `--help` lists them. */
const COMMANDS: Command[] = [
  listCommand,
  showCommand,
  diffCommand,
  diagnoseCommand,
  verifyCommand,
  pruneCommand,
  mvCommand,
  importCommand,
  exportCommand,
];

/** Options every command takes, after its own in the one `Options:` list of its help. */
const COMMON_OPTIONS: [string, string][] = [
  ['--dir <path>', "Recordings directory (default: $JEST_REPLAY_DIR, else the project's dir, else <rootDir>/recordings)"],
  ['--config <path>', 'The Jest config to read the options from (default: the one jest finds from here)'],
  ['--project <name>', "The config's project (displayName) whose recordings to use, when it has several"],
  ['-h, --help', 'Show help'],
];

const optionsList = (options: [string, string][]) => `Options:\n${table(options).join('\n')}`;

function usage(): string {
  const lines = table(COMMANDS.map((c) => [`${c.name} ${c.args}`.trimEnd(), c.summary]));
  const options = optionsList([...COMMON_OPTIONS, ['-v, --version', "Print jest-replay's version"]]);
  return `Usage: jest-replay <command> [options]\n\nCommands:\n${lines.join('\n')}\n\n${options}\n\nRun jest-replay help <command> (or jest-replay <command> --help) for a command's own help.\n`;
}

const commandUsage = (command: Command) =>
  `Usage: jest-replay ${command.name} ${command.args} [options]\n\n${command.help}\n\n${optionsList([...(command.optionHelp ?? []), ...COMMON_OPTIONS])}\n`;

/** The version of the package this command line belongs to. */
const version = (): string => JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')).version;

/** `unknown command "shwo". Did you mean show?` */
function unknownCommand(name: string): string {
  const [suggestion] = nearest(name, COMMANDS.map((c) => c.name));
  return `jest-replay: unknown command ${JSON.stringify(name)}.${suggestion ? ` Did you mean ${suggestion}?` : ''}\n\n${usage()}`;
}

/**
 * What is wrong with the arguments parseArgs refused, in our words: an unknown option with the
 * nearest known one, an option missing its value or given one it does not take.
 */
function argumentProblem(args: string[], options: ParseArgsOptions, error: Error): string {
  const { tokens } = parseArgs({ args, options, allowPositionals: true, strict: false, tokens: true });
  for (const token of tokens) {
    if (token.kind !== 'option') continue;
    const option = options[token.name];
    if (!option) {
      const [suggestion] = nearest(token.rawName, Object.keys(options).map((name) => `--${name}`));
      return `unknown option ${token.rawName}.${suggestion ? ` Did you mean ${suggestion}?` : ''}`;
    }
    if (option.type === 'string' && (token.value === undefined || (!token.inlineValue && token.value.startsWith('-')))) return `${token.rawName} needs a value`;
    if (option.type === 'boolean' && token.value !== undefined) return `${token.rawName} takes no value`;
  }
  return error.message;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '-h' || name === '--help' || (name === 'help' && rest.length === 0)) {
    process.stdout.write(usage());
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  if (name === '-v' || name === '--version') {
    process.stdout.write(`${version()}\n`);
    return EXIT.ok;
  }
  const wanted = name === 'help' ? rest[0] : name;
  const command = COMMANDS.find((c) => c.name === wanted);
  if (!command) {
    process.stderr.write(unknownCommand(wanted));
    return EXIT.usage;
  }
  if (name === 'help') {
    process.stdout.write(commandUsage(command));
    return EXIT.ok;
  }
  const options: ParseArgsOptions = {
    dir: { type: 'string' },
    config: { type: 'string' },
    project: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
    ...command.options,
  };
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: rest, allowPositionals: true, options });
  } catch (error) {
    process.stderr.write(`jest-replay ${command.name}: ${argumentProblem(rest, options, error as Error)}\n\n${commandUsage(command)}`);
    return EXIT.usage;
  }
  if (parsed.values.help) {
    process.stdout.write(commandUsage(command));
    return EXIT.ok;
  }
  // Test ids and recorded values reach the terminal escaped, whatever the command prints.
  const out = (text: string) => process.stdout.write(`${printableLines(text)}\n`);
  const err = (text: string) => process.stderr.write(`${printableLines(text)}\n`);
  try {
    const cwd = process.cwd();
    const { targets, shownAs } = await targetsOf(parsed.values, cwd, process.env);
    // One JSON document per run: `--json` takes one project.
    if (targets.length > 1 && (!command.eachProject || parsed.values.json)) {
      const names = targets.flatMap((target) => target.names).join(', ');
      throw new UsageError(`${shownAs} has several projects with recordings of their own (${names}): choose one with --project <name>`);
    }
    let code: number = EXIT.ok;
    for (const [i, target] of targets.entries()) {
      if (targets.length > 1) out(`${i > 0 ? '\n' : ''}${heading(target)}`);
      const { dir, rootDir, usageDir } = target.options;
      const context = { dir, rootDir, usageDir, rules: () => keyRules(target.options, parsed.values, cwd) };
      code = Math.max(code, await command.run({ ...context, values: parsed.values, positionals: parsed.positionals, out, err }));
    }
    return code;
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`jest-replay ${command.name}: ${error.message}\n\n${commandUsage(command)}`);
      return EXIT.usage;
    }
    // A Jest config that cannot be read, or a bad option or module in it: named, without the help.
    if (error instanceof ReplayConfigError) {
      err(`jest-replay ${command.name}: ${error.message.replace(/^jest-replay: /, '')}`);
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
    process.stderr.write(`jest-replay: ${printableLines(error.message)}\n`);
    process.exit(EXIT.problems);
  },
);
