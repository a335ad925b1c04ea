import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CI_INFO_VARIABLES } from '../src/core/ci';
import type { Sample } from './runner';

/**
 * Generated Jest projects, run by the real `jest` binary in a child process as users run it.
 * They live under bench/.work (git-ignored) so `openai`, nock and Polly resolve from this repo's
 * node_modules, and `jest-replay` resolves to this repo (its built `dist/`).
 */
export const REPO = path.resolve(__dirname, '..');
export const WORK = path.join(REPO, 'bench', '.work');
const JEST_BIN = path.join(REPO, 'node_modules', 'jest', 'bin', 'jest.js');
/** Preloaded into every measured process: reports its CPU time and peak RSS (see child-usage.js). */
const CHILD_USAGE = path.join(__dirname, 'child-usage.js');
/** Variables that would change the mode of a child run behind the benchmark's back. */
const SCRUBBED_ENV = [...CI_INFO_VARIABLES, 'RECORD', 'JEST_REPLAY_MODE', 'JEST_REPLAY_DIR', 'JEST_WORKER_ID'];

export class BenchProject {
  readonly dir: string;

  /** A fresh, empty project folder (whatever an earlier run left there is removed). */
  constructor(name: string) {
    this.dir = path.join(WORK, name);
    fs.rmSync(this.dir, { recursive: true, force: true });
    fs.mkdirSync(path.join(this.dir, 'node_modules'), { recursive: true });
    fs.symlinkSync(REPO, path.join(this.dir, 'node_modules', 'jest-replay'), 'dir');
  }

  path(...parts: string[]): string {
    return path.join(this.dir, ...parts);
  }

  write(file: string, content: string): void {
    fs.mkdirSync(path.dirname(this.path(file)), { recursive: true });
    fs.writeFileSync(this.path(file), content);
  }

  /** A Jest config file; plain CommonJS tests, so no transform. */
  writeConfig(file: string, config: Record<string, unknown>): void {
    this.write(file, `module.exports = ${JSON.stringify({ transform: {}, ...config }, null, 2)};\n`);
  }

  /**
   * Runs Jest in band (one process: steadier timings on a shared machine, and the CPU time and peak RSS
   * of the whole run are the test process's own). A failing run rejects: a benchmark of a broken suite
   * means nothing.
   */
  runJest(config: string, env: Record<string, string> = {}): Promise<Sample> {
    return measure([JEST_BIN, '--config', config, '--runInBand', '--silent'], this.dir, env);
  }
}

/** A bare Node process that does nothing: the floor of peak RSS. */
export const bareNode = (): Promise<Sample> => measure(['-e', ''], WORK, {});

function measure(args: string[], cwd: string, env: Record<string, string>): Promise<Sample> {
  const usageFile = path.join(WORK, `usage-${process.pid}.json`);
  fs.mkdirSync(WORK, { recursive: true });
  fs.rmSync(usageFile, { force: true });
  const childEnv: NodeJS.ProcessEnv = { ...process.env };
  for (const name of SCRUBBED_ENV) delete childEnv[name];
  Object.assign(childEnv, env, { BENCH_USAGE_FILE: usageFile });
  const start = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--require', CHILD_USAGE, ...args], { cwd, env: childEnv });
    let output = '';
    child.stdout.on('data', (data) => (output += data));
    child.stderr.on('data', (data) => (output += data));
    child.on('error', reject);
    child.on('close', (code) => {
      const wall = performance.now() - start;
      if (code !== 0) return reject(new Error(`node ${args.join(' ')} in ${cwd} exited with ${code}:\n${output.slice(-4000)}`));
      const { cpuMs, rssMiB } = JSON.parse(fs.readFileSync(usageFile, 'utf8')) as { cpuMs: number; rssMiB: number };
      resolve({ wall, cpu: cpuMs, rss: rssMiB });
    });
  });
}
