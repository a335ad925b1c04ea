import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Config } from '@jest/types';
import { readConfig } from 'jest-config';
import Runtime from 'jest-runtime';
import { JEST_BIN, statusOf } from '../support/fixture';
import { useProjects, useUpstream } from '../support/lifecycle';
import { OPENAI_CLIENT, askTest } from '../support/snippets';

/** Jest's file map and the default recordings folder inside rootDir; watch mode over it. */

const upstream = useUpstream();
const project = useProjects('file-map');
const RECORDING = 'recordings/tests/a.test.js/a-12345678/0123456789abcdef.json';

test("the recordings are left out of Jest's file map, their test folders not even walked; the folder's tests and modules, and the project's own patterns, stay", async () => {
  const p = project(
    {
      'tests/a.test.js': "test('a', () => expect(1).toBe(1));\n",
      [RECORDING]: '{"kept": "out of the file map"}\n',
      // Found if Jest's crawler walked the test folder: it is not walked at all.
      [path.posix.join(path.posix.dirname(RECORDING), 'stray.js')]: 'module.exports = 3;\n',
      'recordings/own.test.js': `test('own', () => expect(require('./${RECORDING.slice('recordings/'.length)}').kept).toBeTruthy());\n`,
      'recordings/helper.js': 'module.exports = 1;\n',
      'build/skipped.js': 'module.exports = 2;\n',
    },
    { modulePathIgnorePatterns: ['<rootDir>/build/'] },
  );
  const { projectConfig } = await readConfig({} as Config.Argv, p.dir);
  expect(projectConfig.modulePathIgnorePatterns).toEqual([`${p.dir}/recordings/.+\\.json$`, `${p.dir}/recordings/.+-[0-9a-f]{8}$`, `${p.dir}/build/`]);
  const { hasteFS } = await (await Runtime.createHasteMap(projectConfig, { maxWorkers: 1, resetCache: true, watchman: false })).build();
  const files = hasteFS.getAllFiles().map((file) => path.relative(p.dir, file));
  const own = files.filter((file) => !file.startsWith('node_modules')).sort();
  expect(own).toEqual(['jest.config.js', 'recordings/helper.js', 'recordings/own.test.js', 'tests/a.test.js']);
  // A test in the folder still runs, and may still require a recording.
  expect(statusOf(await p.run())).toEqual({ a: 'passed', own: 'passed' });
});

/** Runs `jest --watchAll` in the project, taking each step once its output matched `after` `times` times; resolves with its output. */
function watch(dir: string, steps: { after: string; times: number; then: () => void }[]): Promise<string> {
  const env = { ...process.env, CI: '' };
  const child = spawn(process.execPath, [JEST_BIN, '--watchAll', '--no-cache'], { cwd: dir, env, detached: true });
  let output = '';
  return new Promise((resolve, reject) => {
    const check = () => {
      const step = steps[0];
      if (step && (output.match(new RegExp(step.after, 'gm')) ?? []).length >= step.times) {
        steps.shift();
        step.then();
      }
      if (steps.length === 0) {
        process.kill(-child.pid!, 'SIGKILL');
        resolve(output);
      }
    };
    child.stdout.on('data', (data) => ((output += data), check()));
    child.stderr.on('data', (data) => ((output += data), check()));
    child.on('error', reject);
    child.on('exit', () => steps.length > 0 && reject(new Error(`jest --watchAll ended early:\n${output}`)));
  });
}

test('watch mode: a change under recordings/ starts a run (--watchAll), which counts what the folder holds now', async () => {
  const p = project({ 'tests/a.test.js': `${OPENAI_CLIENT}${askTest('asks', 'watched')}` });
  expect((await p.run({ RECORD: '1', UPSTREAM_BASE: upstream().baseURL })).code).toBe(0);
  const [recorded] = p.files();
  const summary = /^jest-replay: replay mode — 1 replayed, 0 recorded, 0 missing, (\d) unused/.source;
  const output = await watch(p.dir, [
    {
      after: summary,
      times: 1,
      // A recording no test asks for, alone: --watchAll still sees the folder's changes, so a second run.
      then: () => {
        const folder = path.join(p.dir, 'recordings', path.dirname(recorded));
        fs.copyFileSync(path.join(p.dir, 'recordings', recorded), path.join(folder, 'ffffffffffffffff.json'));
      },
    },
    { after: summary, times: 2, then: () => undefined },
  ]);
  expect([...output.matchAll(new RegExp(summary, 'gm'))].map((match) => match[1])).toEqual(['0', '1']);
});

test("the next run lists again only the folders whose modification time changed; prune lists them all", async () => {
  const p = project({ 'tests/a.test.js': `${OPENAI_CLIENT}${askTest('asks', 'listed')}` });
  expect((await p.run({ RECORD: '1', UPSTREAM_BASE: upstream().baseURL })).code).toBe(0);
  const [recorded] = p.files();
  const folder = path.join(p.dir, 'recordings', path.dirname(recorded));
  // Every folder changed a minute ago: its listing can be trusted while its time stays.
  const minuteAgo = new Date(Date.now() - 60_000);
  for (let f = folder; f.startsWith(p.dir); f = path.dirname(f)) fs.utimesSync(f, minuteAgo, minuteAgo);
  const summary = (run: { stderr: string }) => /replay mode — 1 replayed, 0 recorded, 0 missing, (\d) unused/.exec(run.stderr)?.[1];
  expect(summary(await p.run())).toBe('0');
  // A recording slipped into the test's folder with its time set back is not seen; a new folder's is.
  fs.copyFileSync(path.join(folder, path.basename(recorded)), path.join(folder, 'ffffffffffffffff.json'));
  fs.utimesSync(folder, minuteAgo, minuteAgo);
  p.write('recordings/tests/gone.test.js/gone-12345678/eeeeeeeeeeeeeeee.json', p.read(path.join('recordings', recorded)));
  expect(summary(await p.run())).toBe('1');
  expect((await p.cli(['prune'])).stdout).toContain('2 unused (2 recordings');
});
