import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseRecording } from '../../src/core/recording/parse';
import { childEnv, type FixtureProject, JEST_BIN } from '../support/fixture';
import { useProjects, useUpstream } from '../support/lifecycle';
import { OPENAI_CLIENT } from '../support/snippets';

const upstream = useUpstream();
const project = useProjects('concurrency');

/** `count` test files of `tests` tests each; every test asks its own question and lists the models. */
function manyTests(count: number, tests: number, content: (file: number, test: number) => string): Record<string, string> {
  const files: Record<string, string> = {};
  for (let f = 0; f < count; f++) {
    let body = OPENAI_CLIENT;
    for (let t = 0; t < tests; t++) {
      body += `test('t${t}', async () => {
  const question = ${content(f, t)};
  expect(await ask(question)).toBe('echo: ' + question);
  expect((await client.models.list()).data.length).toBe(2);
});\n`;
    }
    files[`tests/f${f}.test.js`] = body;
  }
  return files;
}

/** Every file under the recordings directory, and whether it is a complete recording. */
function inspect(p: FixtureProject): { recordings: string[]; others: string[] } {
  const all = p.files();
  for (const file of all.filter((f) => f.endsWith('.json'))) parseRecording(p.read(path.join('recordings', file)), file);
  return { recordings: all.filter((f) => f.endsWith('.json')), others: all.filter((f) => !f.endsWith('.json')) };
}

/** Whether a temporary file is there (names only: files come and go while we look). */
const writing = (dir: string) => fs.existsSync(dir) && (fs.readdirSync(dir, { recursive: true }) as string[]).some((f) => f.endsWith('.tmp'));

function groupAlive(group: number): boolean {
  try {
    process.kill(-group, 0);
    return true;
  } catch {
    return false;
  }
}

test('200 tests recording at once in 4 workers write only whole files, and replay passes', async () => {
  const p = project(manyTests(8, 25, (f, t) => `'file ${f} test ${t}'`));
  const recorded = await p.run({ RECORD: '1', UPSTREAM_BASE: upstream().baseURL }, ['--maxWorkers=4']);
  expect(recorded.code).toBe(0);
  const { recordings, others } = inspect(p);
  expect(others).toEqual([]);
  // One per test, and one model list that all 200 tests wrote.
  expect(recordings.filter((f) => f.startsWith('tests/'))).toHaveLength(200);
  expect(recordings.filter((f) => f.startsWith('_shared/'))).toHaveLength(1);
  for (const file of recordings.filter((f) => f.startsWith('tests/'))) {
    const data = JSON.parse(p.read(path.join('recordings', file)));
    const [, testFile, title] = /^tests\/f(\d)\.test\.js::t(\d+)$/.exec(data.test_id)!;
    expect(data.request.body.messages[0].content).toBe(`file ${testFile} test ${title}`);
  }
  const replayed = await p.run({}, ['--maxWorkers=4']);
  expect(replayed.code).toBe(0);
  expect(replayed.tests.filter((t) => t.status === 'passed')).toHaveLength(200);
});

test('a recording run stopped with SIGINT while writing leaves no partial or temporary file', async () => {
  // Large recordings (the question and its echo, ~16 MB a file) so that a write lasts long enough to be seen under way.
  const p = project(manyTests(2, 30, (f, t) => `'${f}-${t} ' + 'x'.repeat(8_000_000)`));
  const child = spawn(process.execPath, [JEST_BIN, '--no-cache', '--maxWorkers=2'], {
    cwd: p.dir,
    env: childEnv({ RECORD: '1', UPSTREAM_BASE: upstream().baseURL }),
    detached: true,
    stdio: 'ignore',
  });
  let running = true;
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  void exited.then(() => (running = false));
  // Wait (bounded by the test timeout) until a write is under way: its temporary file is there.
  while (running && !writing(path.join(p.dir, 'recordings'))) await new Promise((r) => setTimeout(r, 1));
  expect(running).toBe(true);
  // The whole process group, as Ctrl-C in a terminal does.
  process.kill(-child.pid!, 'SIGINT');
  await exited;
  // Jest's workers are in the group too, and may outlive Jest by the rest of a write.
  while (groupAlive(child.pid!)) await new Promise((r) => setTimeout(r, 10));
  const { recordings, others } = inspect(p);
  expect(others).toEqual([]);
  // Stopped before the end.
  expect(recordings.filter((f) => f.startsWith('tests/')).length).toBeLessThan(60);
});
