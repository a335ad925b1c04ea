import type { ParseArgsConfig } from 'node:util';
import type { KeyRules } from '../core/keying/rules';

/** Exit codes, by convention: 0 all well, 1 problems found, 2 the command was used wrongly. */
export type ParseArgsOptions = NonNullable<ParseArgsConfig['options']>;

export const EXIT = { ok: 0, problems: 1, usage: 2 } as const;

/** A usage mistake: printed with the command's help, exit code 2. */
export class UsageError extends Error {}

/** What a command works on: one project's recordings, as its Jest config and the flags say (see `targets.ts`). */
export interface CommandContext {
  /** Recordings directory: `--dir`, else `$JEST_REPLAY_DIR` or the project's `dir` as the run resolves them (`<rootDir>/recordings`). */
  dir: string;
  /** The project's `rootDir` (the current folder when there is no Jest config). */
  rootDir: string;
  /** Where runs note what they used: the project's `usageDir`, else `<rootDir>/node_modules/.cache/jest-replay`. */
  usageDir: string;
  /** The project's key rules (`normalizers`, `matchIgnore`, `redact`), with `--normalizers` and `--match-ignore` instead when given. */
  rules(): KeyRules;
  values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  positionals: string[];
  out(text: string): void;
  err(text: string): void;
}

/** One `jest-replay <name>` command: its help text, its own options and what it does. */
export interface Command {
  name: string;
  /** One line for the command list. */
  summary: string;
  /** Arguments after the command name, e.g. `<path...>`. */
  args: string;
  /** Help text below the usage line: what it does. */
  help: string;
  options?: ParseArgsOptions;
  /** Its own options for the help's `Options:` list, as `[flag, what it does]`. */
  optionHelp?: [string, string][];
  /** Runs once per project when the Jest config has several with recordings of their own (else `--project` is needed). */
  eachProject?: boolean;
  run(context: CommandContext): Promise<number>;
}
