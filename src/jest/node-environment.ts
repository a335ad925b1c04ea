import * as path from 'node:path';
import type { TestEnvironment } from 'jest-environment-node';

/** A file of the jest-runner package: loaded in every process that runs test files, in band or in a worker. */
const JEST_RUNNER_FILE = /[\\/]jest-runner[\\/]build[\\/][^\\/]+\.js$/;

/** The folder of the jest-runner package among the loaded modules, if Jest is running. */
export function runnerPackageDir(loadedModules: string[]): string | undefined {
  const file = loadedModules.find((f) => JEST_RUNNER_FILE.test(f));
  return file && path.dirname(path.dirname(file));
}

/**
 * A folder of the jest-runner of the project's Jest (jest → @jest/core → jest-runner), followed as each package sees
 * its own dependencies: under a strict layout (Yarn Plug'n'Play) jest-replay sees `jest`, its peer, and not Jest's own.
 */
function installedRunnerDir(): string | undefined {
  try {
    const from = (name: string, dir?: string) => path.dirname(require.resolve(name, dir ? { paths: [dir] } : undefined));
    return from('jest-runner', from('@jest/core', from('jest')));
  } catch {
    return undefined;
  }
}

/**
 * Jest's node environment from the Jest that runs the tests (jest-runner depends on it), so a
 * Jest 29 run gets Jest 29's environment, with its own mocks, fake timers and globals, rather
 * than the Jest 30 one jest-replay is built against. Outside a Jest run, the project's Jest's.
 */
export function runnersNodeEnvironment(): typeof TestEnvironment {
  const runner = runnerPackageDir(Object.keys(require.cache)) ?? installedRunnerDir();
  let file: string;
  try {
    file = require.resolve('jest-environment-node', runner ? { paths: [runner] } : undefined);
  } catch {
    file = require.resolve('jest-environment-node');
  }
  return (require(file) as typeof import('jest-environment-node')).TestEnvironment;
}
