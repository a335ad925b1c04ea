import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * A Python with the `openai` package (and its pydantic and httpx), for tests that check files with the
 * Python side's own classes: a virtual environment made once and kept under node_modules/.cache.
 * pip installs from the local package indexes pip is configured with, when there are any, so it
 * never waits on an unreachable PyPI; elsewhere it uses PyPI, without retries.
 */
const REPO = path.resolve(__dirname, '..', '..');
const VENV = path.join(REPO, 'node_modules', '.cache', 'jest-replay-python', 'openai-2');
const REQUIREMENT = 'openai>=2,<3';

const run = (command: string, args: string[]) => spawnSync(command, args, { encoding: 'utf8', timeout: 300_000 });
const failure = (result: ReturnType<typeof run>) =>
  result.error?.message ?? result.stderr.trim().split('\n').pop() ?? `exit code ${result.status}`;
const pythonIn = (venv: string) => path.join(venv, 'bin', 'python');
const works = (venv: string) => run(pythonIn(venv), ['-c', 'import openai, httpx, pydantic']).status === 0;

/** The package indexes on this machine that pip's configuration names (`file://` URLs). */
function localIndexes(): string[] {
  const config = run('python3', ['-m', 'pip', 'config', 'list']);
  const urls = [...(config.stdout ?? '').matchAll(/index-url='([^']*)'/g)].flatMap((match) => match[1].split(/\s+/));
  return urls.filter((url) => url.startsWith('file://') && fs.existsSync(new URL(url)));
}

/** The venv's python, or why there is none. */
export function pythonWithOpenAI(): { python: string } | { problem: string } {
  if (works(VENV)) return { python: pythonIn(VENV) };
  const version = run('python3', ['--version']);
  if (version.status !== 0) return { problem: `python3 is not available (${failure(version)})` };
  const building = `${VENV}.${process.pid}`;
  fs.rmSync(building, { recursive: true, force: true });
  fs.mkdirSync(path.dirname(building), { recursive: true });
  const venv = run('python3', ['-m', 'venv', building]);
  if (venv.status !== 0) return { problem: `python3 -m venv failed (${failure(venv)})` };
  const [index] = localIndexes();
  const source = index ? ['--index-url', index] : ['--retries', '0', '--timeout', '20'];
  const pip = run(pythonIn(building), [
    '-m',
    'pip',
    'install',
    '--quiet',
    '--no-input',
    '--disable-pip-version-check',
    ...source,
    REQUIREMENT,
  ]);
  if (pip.status !== 0 || !works(building)) {
    fs.rmSync(building, { recursive: true, force: true });
    return { problem: `pip could not install ${REQUIREMENT} (${failure(pip)})` };
  }
  fs.rmSync(VENV, { recursive: true, force: true });
  fs.renameSync(building, VENV);
  return { python: pythonIn(VENV) };
}
