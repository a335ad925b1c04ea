import type { Config } from '@jest/types';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { checkPlacement, replayOptionsIn } from '../core/config';
import { ReplayConfigError } from '../core/errors';

/**
 * The project's Jest config, read by Jest's own reader (`jest-config`'s `readConfigs`, as `jest` itself
 * calls it) from the user's installation: the file Jest would find from the current folder (or the one
 * `--config` names), presets and `projects` resolved, a TypeScript config loaded as Jest loads it.
 */

/** One Jest project, as the command line needs it. */
export interface JestProject {
  /** Its `displayName`, if it has one. */
  name?: string;
  rootDir: string;
  /** Its `testEnvironmentOptions.replay`, as written (`resolveOptions` checks it). */
  options: unknown;
  /** Whether it runs under jest-replay: the preset's environment or global setup, or replay options of its own. */
  replays: boolean;
}

interface JestConfigModule {
  readConfigs(argv: Config.Argv, projectPaths: string[]): Promise<{ configs: Config.ProjectConfig[] }>;
}

/** What Jest 29 and 30 answer when no config file or package.json is found up to the file system's root. */
const NO_CONFIG = /^Could not find a config file/;

const realpath = (file: string) => fs.realpathSync.native(file);

/** `require.resolve` of `request` from `from`; undefined when it is not installed there. */
function resolveFrom(request: string, from: string): string | undefined {
  try {
    return require.resolve(request, { paths: [from] });
  } catch {
    return undefined;
  }
}

/** The user's `jest-config`: installed at the top (npm, yarn), or only as a dependency of their `jest` (pnpm). */
function jestConfigModule(cwd: string): JestConfigModule | undefined {
  const viaJest = resolveFrom('jest/package.json', cwd);
  const viaCli = viaJest && resolveFrom('jest-cli/package.json', path.dirname(viaJest));
  const file = resolveFrom('jest-config', cwd) ?? (viaCli && resolveFrom('jest-config', path.dirname(viaCli)));
  return file ? (require(file) as JestConfigModule) : undefined;
}

/** The preset's environment and global setup, of this command line's package and of the one the project's root resolves. */
function replayModules(rootDir: string): string[] {
  const resolved = resolveFrom('jest-replay/package.json', rootDir);
  const packages = [path.join(__dirname, '..', '..'), ...(resolved ? [path.dirname(resolved)] : [])];
  const modules = packages.flatMap((dir) => ['environment.js', 'global-setup.js'].map((name) => path.join(dir, 'dist', 'jest', name)));
  return modules.filter((file) => fs.existsSync(file)).map(realpath);
}

function replays(config: Config.ProjectConfig, options: unknown): boolean {
  if (options !== undefined) return true;
  const modules = replayModules(config.rootDir);
  const files = [config.testEnvironment, config.globalSetup].filter((file): file is string => !!file && fs.existsSync(file));
  return files.some((file) => modules.includes(realpath(file)));
}

/**
 * The projects of the Jest config found from `cwd`, or named by `configPath` (a path, as Jest's `--config`
 * takes it). Undefined when there is none: no Jest installed, or no config file nor package.json up to the root.
 */
export async function readJestProjects(cwd: string, configPath?: string): Promise<JestProject[] | undefined> {
  const jest = jestConfigModule(cwd);
  const shown = configPath ?? `found from ${cwd}`;
  if (!jest) {
    if (configPath === undefined) return undefined;
    throw new ReplayConfigError(`jest-replay: cannot read the Jest config ${shown}: no Jest installed here (no jest-config from ${cwd}).`);
  }
  let configs: Config.ProjectConfig[];
  try {
    const argv = { $0: 'jest-replay', _: [], ...(configPath === undefined ? {} : { config: configPath }) };
    ({ configs } = await jest.readConfigs(argv, [cwd]));
  } catch (error) {
    const message = stripVTControlCharacters((error as Error).message).trim();
    if (configPath === undefined && NO_CONFIG.test(message)) return undefined;
    throw new ReplayConfigError(`jest-replay: cannot read the Jest config ${shown}: ${message}`);
  }
  return configs.map((config) => {
    const options = replayOptionsIn(config.testEnvironmentOptions);
    const replaying = replays(config, options);
    // As the run does: an option written beside `replay` would otherwise be replaced by its default without a word.
    if (replaying) checkPlacement(config.testEnvironmentOptions);
    return { name: config.displayName?.name, rootDir: config.rootDir, options, replays: replaying };
  });
}
