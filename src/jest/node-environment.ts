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
 * Jest's node environment from the Jest that runs the tests (jest-runner depends on it), so a
 * Jest 29 run gets Jest 29's environment, with its own mocks, fake timers and globals, rather
 * than the Jest 30 one jest-replay is built against. Outside a Jest run, jest-replay's own.
 */
export function runnersNodeEnvironment(): typeof TestEnvironment {
  const runner = runnerPackageDir(Object.keys(require.cache));
  let file: string;
  try {
    file = require.resolve('jest-environment-node', runner ? { paths: [runner] } : undefined);
  } catch {
    file = require.resolve('jest-environment-node');
  }
  return (require(file) as typeof import('jest-environment-node')).TestEnvironment;
}
