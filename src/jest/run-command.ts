import { shellQuote } from '../core/util/shell';

/**
 * The command that runs Jest as the user started this run, for the re-record command a miss prints:
 * the package manager's runner, `NODE_OPTIONS` for native ESM, the same `--config`, and the test's
 * project when the run has several. Global setup works it out from the main process (only it sees
 * Jest's arguments) and hands it to the test files' processes in `RUN_COMMAND_VARIABLE`.
 */

export const RUN_COMMAND_VARIABLE = 'JEST_REPLAY_RUN_COMMAND';

const ESM_FLAG = '--experimental-vm-modules';

/**
 * Jest's `--config` as given on its command line, in global setup (the only process that sees it), for jest-replay's
 * command line in the test files' processes: the `mv` line a miss prints reads the same config.
 */
export const CONFIG_ARGUMENT_VARIABLE = 'JEST_REPLAY_CONFIG_ARGUMENT';

/** `pnpm exec <bin>`, `yarn <bin>`, `bunx <bin>` or `npx <bin>`, from the user agent npm, pnpm, yarn and bun set for what they run. */
function runner(userAgent: string | undefined, bin = 'jest'): string {
  const name = /^([\w-]+)\//.exec(userAgent ?? '')?.[1];
  if (name === 'pnpm') return `pnpm exec ${bin}`;
  if (name === 'yarn') return `yarn ${bin}`;
  if (name === 'bun') return `bunx ${bin}`;
  return `npx ${bin}`;
}

/** `--config <path>` as given on Jest's command line (`--config x`, `--config=x`, `-c x`), if it was. */
export function configArgument(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const inline = /^(?:--config|-c)=(.+)$/.exec(argv[i]);
    if (inline) return inline[1];
    if ((argv[i] === '--config' || argv[i] === '-c') && argv[i + 1] !== undefined) return argv[i + 1];
  }
  return undefined;
}

export interface RunCommandInput {
  env: NodeJS.ProcessEnv;
  /** Node's own flags for this process (`process.execArgv`). */
  execArgv: readonly string[];
  /** Jest's arguments (`process.argv.slice(2)` in the main process), or none where they cannot be seen. */
  args: readonly string[];
}

/** The command, without the test file and name, e.g. `NODE_OPTIONS=--experimental-vm-modules pnpm exec jest --config e2e.config.js`. */
export function runCommand({ env, execArgv, args }: RunCommandInput): string {
  const nodeOptions = env.NODE_OPTIONS?.includes(ESM_FLAG) ? env.NODE_OPTIONS.trim() : execArgv.includes(ESM_FLAG) ? ESM_FLAG : undefined;
  const config = configArgument(args);
  return [
    ...(nodeOptions ? [`NODE_OPTIONS=${shellQuote(nodeOptions)}`] : []),
    runner(env.npm_config_user_agent),
    ...(config ? ['--config', shellQuote(config)] : []),
  ].join(' ');
}

/** The command for one test's project: `--selectProjects <name>` when the run has several projects and this one has a name. */
export function forProject(command: string, project: { name?: string; several: boolean }): string {
  return project.several && project.name ? `${command} --selectProjects ${shellQuote(project.name)}` : command;
}

/** jest-replay's command line, started as Jest was: its runner, and the options that follow a command's arguments. */
export interface CliCommand {
  /** `npx jest-replay`, `pnpm exec jest-replay`… */
  runner: string;
  /** ` --config e2e.config.js --project api`, or empty: the same config, and the test's project when the run has several. */
  options: string;
}

export function cliCommand(env: NodeJS.ProcessEnv, project: { name?: string; several: boolean }): CliCommand {
  const config = env[CONFIG_ARGUMENT_VARIABLE];
  const options = [...(config ? ['--config', shellQuote(config)] : [])];
  if (project.several && project.name) options.push('--project', shellQuote(project.name));
  return { runner: runner(env.npm_config_user_agent, 'jest-replay'), options: options.map((option) => ` ${option}`).join('') };
}
