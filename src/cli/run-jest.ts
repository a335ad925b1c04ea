import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ReplayConfigError } from '../core/errors';

/**
 * The project's own Jest, run as `jest` would be from here (`jest-replay drift` runs the suite in drift mode). Its
 * output goes to stderr, so what the command prints on stdout (a report to redirect to a file) stays clean.
 */

/** The `jest` binary installed for the project, as `npx jest` would run it. */
function jestBin(cwd: string): string {
  let manifest: string;
  try {
    manifest = require.resolve('jest/package.json', { paths: [cwd] });
  } catch {
    throw new ReplayConfigError(`jest-replay: cannot run Jest: no jest installed from ${cwd}.`);
  }
  const { bin } = JSON.parse(fs.readFileSync(manifest, 'utf8')) as { bin: string | Record<string, string> };
  return path.join(path.dirname(manifest), typeof bin === 'string' ? bin : bin.jest);
}

/** Runs Jest with `args` and these variables besides the command's own; resolves to its exit code. */
export function runJest(cwd: string, args: string[], env: Record<string, string>): Promise<number> {
  const bin = jestBin(cwd);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd, env: { ...process.env, ...env }, stdio: ['inherit', 2, 'inherit'] });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}
