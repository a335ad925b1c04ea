import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CI_INFO_VARIABLES } from '../../src/core/ci';

/**
 * Small Jest projects that use the preset as a user would, run by the real `jest` binary in a
 * child process. They live under tests/.work (git-ignored) so `openai` and the other test
 * dependencies resolve from this repo's node_modules, and `jest-replay` resolves to this repo.
 */
const REPO = path.resolve(__dirname, '..', '..');
const WORK = path.join(REPO, 'tests', '.work');
export const JEST_BIN = path.join(REPO, 'node_modules', 'jest', 'bin', 'jest.js');
const CLI_BIN = path.join(REPO, 'dist', 'cli', 'main.js');

export interface TestResult {
  fullName: string;
  status: 'passed' | 'failed' | 'pending' | 'todo' | 'skipped' | 'disabled';
  failureMessages: string[];
}

export interface ProcessRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface JestRun extends ProcessRun {
  /** Parsed from `--json --outputFile`; absent when Jest stopped before running tests. */
  results?: { numFailedTests: number; numPassedTests: number; testResults: { assertionResults: TestResult[]; message: string }[] };
  tests: TestResult[];
  /** All of Jest's output and failure messages, for assertions on what the user reads. */
  output: string;
}

/** What runs Jest: by default this repo's Node and Jest 30; the compatibility matrix swaps either. */
export interface Runner {
  node?: string;
  nodeArgs?: string[];
  jest?: string;
}

export class FixtureProject {
  readonly dir: string;

  constructor(name: string, files: Record<string, string>, config: Record<string, unknown> = {}) {
    this.dir = path.join(WORK, `${name}-${randomBytes(3).toString('hex')}`);
    fs.mkdirSync(path.join(this.dir, 'node_modules'), { recursive: true });
    fs.symlinkSync(REPO, path.join(this.dir, 'node_modules', 'jest-replay'), 'dir');
    this.write('jest.config.js', `module.exports = ${JSON.stringify({ preset: 'jest-replay', transform: {}, ...config }, null, 2)};\n`);
    for (const [file, content] of Object.entries(files)) this.write(file, content);
  }

  write(file: string, content: string): void {
    fs.mkdirSync(path.dirname(path.join(this.dir, file)), { recursive: true });
    fs.writeFileSync(path.join(this.dir, file), content);
  }

  /** Makes `node_modules/<name>` of the project point at another package folder (another major of a client). */
  link(name: string, target: string): void {
    fs.symlinkSync(target, path.join(this.dir, 'node_modules', name), 'dir');
  }

  read(file: string): string {
    return fs.readFileSync(path.join(this.dir, file), 'utf8');
  }

  /** Files under a folder of the project (default: recordings/), relative to it, sorted; symbolic links are not followed. */
  files(folder = 'recordings'): string[] {
    const root = path.join(this.dir, folder);
    const walk = (relative: string): string[] =>
      fs.readdirSync(path.join(root, relative), { withFileTypes: true }).flatMap((entry) => {
        const file = relative === '' ? entry.name : `${relative}/${entry.name}`;
        return entry.isDirectory() ? walk(file) : entry.isFile() ? [file] : [];
      });
    return fs.existsSync(root) ? walk('').sort() : [];
  }

  /** Every recording file's text, by path relative to recordings/. */
  snapshot(folder = 'recordings'): Record<string, string> {
    return Object.fromEntries(this.files(folder).map((f) => [f, this.read(path.join(folder, f))]));
  }

  remove(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  /** Runs `jest` in the project. The environment is scrubbed of mode variables (and CI's) unless given. */
  async run(env: Record<string, string | undefined> = {}, args: string[] = [], runner: Runner = {}): Promise<JestRun> {
    const resultsFile = path.join(this.dir, `results-${randomBytes(3).toString('hex')}.json`);
    const jestArgs = [...(runner.nodeArgs ?? []), runner.jest ?? JEST_BIN, '--json', `--outputFile=${resultsFile}`, '--no-cache', ...args];
    const { code, stdout, stderr } = await this.spawn(jestArgs, env, runner.node);
    const results = fs.existsSync(resultsFile) ? JSON.parse(fs.readFileSync(resultsFile, 'utf8')) : undefined;
    fs.rmSync(resultsFile, { force: true });
    const tests: TestResult[] = results?.testResults.flatMap((r: { assertionResults: TestResult[] }) => r.assertionResults) ?? [];
    const messages = results?.testResults.map((r: { message: string }) => r.message).join('\n') ?? '';
    return { code, stdout, stderr, results, tests, output: `${stderr}\n${messages}` };
  }

  /** Runs `jest` with exactly these arguments (no `--json` file), e.g. to read what a user sees on stdout. */
  runJest(args: string[], env: Record<string, string | undefined> = {}): Promise<ProcessRun> {
    return this.spawn([JEST_BIN, '--no-cache', ...args], env);
  }

  /**
   * Runs the `jest-replay` command line in the project (or in `cwd`, relative to it), with mode variables scrubbed
   * as for `run`, by this repo's Node or the runner given.
   */
  cli(args: string[], { env = {}, cwd = '.', ...runner }: Runner & { env?: Record<string, string | undefined>; cwd?: string } = {}): Promise<ProcessRun> {
    return this.spawn([...(runner.nodeArgs ?? []), CLI_BIN, ...args], env, runner.node, path.resolve(this.dir, cwd));
  }

  private spawn(args: string[], env: Record<string, string | undefined>, node = process.execPath, cwd = this.dir): Promise<ProcessRun> {
    return new Promise((resolve, reject) => {
      const child = spawn(node, args, { cwd, env: childEnv(env) });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
  }
}

/**
 * This process's environment without mode variables, CI's (every variable ci-info reads: the suite may itself run in CI)
 * and the package manager's (the one that runs this suite, npm test or pnpm test, must not change the commands misses
 * print), with `env` on top.
 */
export function childEnv(env: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const clean: Record<string, string | undefined> = { ...process.env };
  const scrubbed = [...CI_INFO_VARIABLES, 'RECORD', 'JEST_REPLAY_MODE', 'JEST_REPLAY_DIR', 'JEST_REPLAY_RUN', 'JEST_WORKER_ID'];
  for (const name of [...scrubbed, 'npm_config_user_agent']) delete clean[name];
  return { ...clean, ...env };
}

export const statusOf = (run: JestRun): Record<string, string> =>
  Object.fromEntries(run.tests.map((t) => [t.fullName, t.status]));

export const failureOf = (run: JestRun, fullName: string): string =>
  run.tests.find((t) => t.fullName === fullName)?.failureMessages.join('\n') ?? '';
