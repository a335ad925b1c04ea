import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FixtureProject, failureOf, statusOf } from '../support/fixture';
import { OPENAI_CLIENT, askTest } from '../support/snippets';
import { startUpstream } from '../support/upstream';

const CLI = path.resolve(__dirname, '..', '..', 'dist', 'cli', 'main.js');

const TESTS = `${OPENAI_CLIENT}
${askTest('first', 'one')}${askTest('second', 'two')}${askTest('third', 'three')}
test('streams', async () => {
  let text = '';
  for await (const chunk of await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'four' }], stream: true })) text += chunk.choices[0]?.delta?.content ?? '';
  expect(text).toBe('echo: four');
});
test('lists models', async () => {
  const ids = [];
  for await (const model of client.models.list()) ids.push(model.id);
  expect(ids).toContain('gpt-4o');
});
`;

const project = new FixtureProject('trust-verify', { 'tests/t.test.js': TESTS });
/** Recording of a test, by its title, relative to the project. */
const fileOf = (title: string) => `recordings/${project.files().find((f) => f.startsWith(`tests/t.test.js/${title}-`))}`;
let pristine: Record<string, string>;

beforeAll(async () => {
  const upstream = await startUpstream();
  try {
    expect(statusOf(await project.run({ RECORD: '1', UPSTREAM_BASE: upstream.baseURL }))).toEqual({ first: 'passed', second: 'passed', third: 'passed', streams: 'passed', 'lists models': 'passed' });
  } finally {
    await upstream.close();
  }
  pristine = project.snapshot();
});
afterAll(() => project.remove());
afterEach(() => {
  fs.rmSync(path.join(project.dir, 'recordings'), { recursive: true, force: true });
  for (const [file, text] of Object.entries(pristine)) project.write(`recordings/${file}`, text);
});

const verify = (...args: string[]) => spawnSync(process.execPath, [CLI, 'verify', ...args], { cwd: project.dir, encoding: 'utf8' });
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const edit = (file: string, change: (text: string) => string) => project.write(file, change(project.read(file)));

test('a broken recording fails only the test that needs it, naming the file and the problem', async () => {
  edit(fileOf('first'), (text) => text.slice(0, text.length / 2));
  edit(fileOf('third'), (text) => text.replace('openai.types.chat.chat_completion.ChatCompletion', 'openai.types.chat.NoSuchThing'));
  const run = await project.run();
  expect(statusOf(run)).toEqual({ first: 'failed', second: 'passed', third: 'failed', streams: 'passed', 'lists models': 'passed' });
  expect(failureOf(run, 'first')).toContain(`jest-replay: cannot use recording ${path.join(project.dir, fileOf('first'))}: invalid JSON`);
  expect(failureOf(run, 'third')).toContain(`jest-replay: cannot use recording ${path.join(project.dir, fileOf('third'))}: unknown "__type__" "openai.types.chat.NoSuchThing" at response.body`);
});

describe('jest-replay verify', () => {
  test('passes what this project records: exit 0', () => {
    const result = verify();
    expect(result.stdout).toBe('5 recordings checked, no problems\n');
    expect(result.status).toBe(0);
  });

  test('one line per problem, with the path; exit 1', () => {
    const broken = fileOf('first');
    const typed = fileOf('third');
    const leaky = fileOf('streams');
    const renamed = fileOf('second').replace(/[0-9a-f]{16}\.json$/, '0123456789abcdef.json');
    edit(broken, (text) => text.slice(0, 50));
    edit(typed, (text) => text.replace('"openai.types.chat.chat_completion.ChatCompletion"', '"banana"'));
    edit(leaky, (text) => text.replace('"content-type": "application/json"', '"content-type": "application/json",\n      "authorization": "Bearer sk-live-abcdefghijklmnopqrstu"'));
    fs.renameSync(path.join(project.dir, fileOf('second')), path.join(project.dir, renamed));
    const result = verify();
    expect(result.status).toBe(1);
    const lines = result.stdout.trim().split('\n');
    expect(lines).toHaveLength(7);
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(new RegExp(`^${escape(broken)}: invalid JSON \\(.*\\); the file may be truncated or hand-edited$`)),
        `${typed}: unknown "__type__" "banana" at response.body: it is not a Python class path (package.module.Class)`,
        `${leaky}: looks like it holds a credential: an API key ("sk-…") on line 8`,
        `${leaky}: looks like it holds a credential: a bearer token ("Bearer …") on line 8`,
        `${leaky}: looks like it holds a credential: a credential header "authorization" on line 8`,
        expect.stringMatching(new RegExp(`^${escape(renamed)}: its name says key 0123456789abcdef, but its request keys to [0-9a-f]{16} `)),
      ]),
    );
    expect(lines[lines.length - 1]).toBe('5 recordings checked, 6 problems');
    expect(result.stdout).not.toContain('sk-live');
  });

  test("passes this repository's recordings and llama-stack's sample once imported", () => {
    const REPO = path.resolve(__dirname, '..', '..');
    expect(verify('--dir', path.join(REPO, 'recordings')).status).toBe(0);
    const imported = path.join(project.dir, 'imported');
    spawnSync(process.execPath, [CLI, 'import', path.join(REPO, 'tests', 'fixtures', 'llama-stack-sample'), '--dir', imported], { encoding: 'utf8' });
    const result = verify('--dir', imported);
    expect(result.stdout).toBe('19 recordings checked, no problems\n');
    expect(result.status).toBe(0);
  });

  test('usage errors exit 2; --help exits 0', () => {
    const extra = verify('recordings');
    expect(extra.status).toBe(2);
    expect(extra.stderr).toContain('jest-replay verify: takes no arguments, got recordings (name the recordings directory with --dir)');
    const missing = verify('--dir', 'no-such-dir');
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain(`jest-replay verify: no recordings directory at ${path.join(project.dir, 'no-such-dir')}`);
    const help = verify('--help');
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('Usage: jest-replay verify');
  });
});
