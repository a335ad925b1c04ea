import * as fs from 'node:fs';
import * as path from 'node:path';
import { FixtureProject, failureOf, statusOf } from '../support/fixture';
import { OPENAI_CLIENT, askTest } from '../support/snippets';
import { useProjects, useUpstream } from '../support/lifecycle';

const upstream = useUpstream();
const project = useProjects('scoping');
const requestsTo = (content: string) => upstream().requests.filter((r) => r.body.includes(JSON.stringify(content))).length;
const testIdsIn = (p: FixtureProject, folder = 'recordings') =>
  p.files(folder).map((f) => JSON.parse(p.read(path.join(folder, f))).test_id).sort();

async function recordThenReplay(p: FixtureProject) {
  const recorded = await p.run({ RECORD: '1', UPSTREAM_BASE: upstream().baseURL });
  const replayed = await p.run();
  return { recorded, replayed };
}

test('skipped and todo tests do nothing; duplicate names get distinct, deterministic ids', async () => {
  const p = project({
    'tests/a.test.js': `${OPENAI_CLIENT}
describe('group', () => {
${askTest('same', 'first of two')}${askTest('same', 'second of two')}${askTest('skipped', 'never asked', 'test.skip')}  test.todo('later');
});`,
  });
  const { recorded, replayed } = await recordThenReplay(p);
  expect(recorded.code).toBe(0);
  expect(requestsTo('never asked')).toBe(0);
  expect(testIdsIn(p)).toEqual(['tests/a.test.js::group::same', 'tests/a.test.js::group::same (2)']);
  expect(replayed.code).toBe(0);
  expect(replayed.tests.map((t) => t.status).sort()).toEqual(['passed', 'passed', 'pending', 'todo']);
});

test('a request from a timer that outlived its test is refused, not attributed to the next test', async () => {
  const p = project({
    'tests/a.test.js': `${OPENAI_CLIENT}
test('starts a timer', () => {
  setTimeout(() => ask('late request').catch((e) => { globalThis.late = e.message; }), 30);
});
test('runs after it', async () => {
  await new Promise((r) => setTimeout(r, 150));
  expect(globalThis.late).toContain('was made outside a running test');
});`,
  });
  const run = await p.run({ RECORD: '1', UPSTREAM_BASE: upstream().baseURL });
  expect(statusOf(run)).toEqual({ 'starts a timer': 'passed', 'runs after it': 'passed' });
  expect(requestsTo('late request')).toBe(0);
  expect(p.files()).toEqual([]);
  expect(run.stderr).toContain(
    `  refused after its test ended: POST ${upstream().baseURL}/chat/completions (started by tests/a.test.js::starts a timer)`,
  );
});

test('beforeAll/afterAll requests are recorded under the hook, and replay', async () => {
  const p = project({
    'tests/a.test.js': `${OPENAI_CLIENT}
describe('suite', () => {
  let greeting;
  beforeAll(async () => { greeting = await ask('set up'); });
  test('uses it', () => expect(greeting).toBe('echo: set up'));
});`,
  });
  const { recorded, replayed } = await recordThenReplay(p);
  expect(recorded.code).toBe(0);
  expect(testIdsIn(p)).toEqual(['tests/a.test.js::suite::beforeAll']);
  expect(statusOf(replayed)).toEqual({ 'suite uses it': 'passed' });
  fs.rmSync(path.join(p.dir, 'recordings'), { recursive: true });
  const missing = await p.run();
  expect(missing.code).toBe(1);
  expect(missing.output).toContain('test id:  tests/a.test.js::suite::beforeAll');
});

test('setTestId keys a test under an explicit (pytest) id; titles and ids never escape the recordings folder', async () => {
  const p = project({
    'tests/a.test.js': `${OPENAI_CLIENT}
const { setTestId } = require('jest-replay');
test('pytest id', async () => {
  setTestId('tests/integration/test_chat.py::test_chat[txt=openai/gpt-4o]');
  expect(await ask('from pytest')).toBe('echo: from pytest');
});
test('../../etc/passwd', async () => { expect(await ask('traversal title')).toBe('echo: traversal title'); });
test('hostile id', async () => {
  setTestId('../../../outside/x.py::..');
  expect(await ask('traversal id')).toBe('echo: traversal id');
});
test('too late', async () => {
  await ask('first');
  expect(() => setTestId('x')).toThrow('must be called before the test\\'s first request');
});`,
  });
  const { recorded, replayed } = await recordThenReplay(p);
  expect(recorded.code).toBe(0);
  expect(statusOf(replayed)).toEqual({ 'pytest id': 'passed', '../../etc/passwd': 'passed', 'hostile id': 'passed', 'too late': 'passed' });
  // Nothing was written outside recordings/.
  expect(fs.readdirSync(p.dir).filter((f) => !/^(recordings|tests|node_modules|jest\.config\.js)$/.test(f))).toEqual([]);
  const files = p.files();
  expect(files).toContainEqual(expect.stringMatching(/^tests\/integration\/test_chat\.py\/test_chat_txt_openai_gpt-4o_-[0-9a-f]{8}\/[0-9a-f]{16}\.json$/));
  expect(files).toContainEqual(expect.stringMatching(/^tests\/a\.test\.js\/___\.\._etc_passwd-[0-9a-f]{8}\/[0-9a-f]{16}\.json$/));
  expect(files).toContainEqual(expect.stringMatching(/^__\/__\/__\/outside\/x\.py\/__-[0-9a-f]{8}\/[0-9a-f]{16}\.json$/));
  expect(testIdsIn(p)).toContain('tests/integration/test_chat.py::test_chat[txt=openai/gpt-4o]');
});

test('a testIdResolver module maps ids, like snapshotResolver', async () => {
  const p = project(
    {
      'tests/a.test.js': `${OPENAI_CLIENT}describe('chat', () => { ${askTest('works', 'resolved')} });`,
      'replay-ids.js': `module.exports = { resolveTestId: ({ titles, defaultId }) => 'suite.py::' + titles.join('__') + '|' + defaultId.length };`,
    },
    { testEnvironmentOptions: { replay: { testIdResolver: '<rootDir>/replay-ids.js' } } },
  );
  const { recorded, replayed } = await recordThenReplay(p);
  expect(recorded.code).toBe(0);
  expect(testIdsIn(p)).toEqual([`suite.py::chat__works|${'tests/a.test.js::chat::works'.length}`]);
  expect(statusOf(replayed)).toEqual({ 'chat works': 'passed' });
  expect(await p.cli(['verify'])).toMatchObject({ code: 0, stdout: '1 recording checked, no problems\n' });
});

describe('configuration', () => {
  test("testEnvironmentOptions.replay.dir, overridden by JEST_REPLAY_DIR; the node environment's own options still apply", async () => {
    const p = project(
      { 'tests/a.test.js': `${OPENAI_CLIENT}${askTest('asks', 'where to')}` },
      { testEnvironmentOptions: { customExportConditions: ['node', 'node-addons'], replay: { dir: '<rootDir>/fixtures/http' } } },
    );
    const configured = await p.run({ RECORD: '1', UPSTREAM_BASE: upstream().baseURL });
    expect(configured.output).toContain('jest-replay: record mode, recordings in fixtures/http');
    expect(p.files('fixtures/http')).toHaveLength(1);
    expect(await p.cli(['verify'])).toMatchObject({ code: 0, stdout: '1 recording checked, no problems\n' });
    const overridden = await p.run({ RECORD: '1', UPSTREAM_BASE: upstream().baseURL, JEST_REPLAY_DIR: 'elsewhere' });
    expect(overridden.output).toContain('recordings in elsewhere');
    expect(p.files('elsewhere')).toHaveLength(1);
  });

  test('an unknown option stops the run before any test, naming the option', async () => {
    const p = project(
      { 'tests/a.test.js': `${OPENAI_CLIENT}${askTest('asks', 'bad config')}` },
      { testEnvironmentOptions: { replay: { directory: 'x' } } },
    );
    const run = await p.run();
    expect(run.code).not.toBe(0);
    expect(run.output).toContain('jest-replay: unknown option testEnvironmentOptions.replay.directory');
    expect(run.tests).toEqual([]);
  });

  test('a jest-replay option directly under testEnvironmentOptions stops the run, saying where it goes', async () => {
    const p = project(
      { 'tests/a.test.js': `${OPENAI_CLIENT}${askTest('asks', 'misplaced')}` },
      { testEnvironmentOptions: { customExportConditions: ['node'], dir: '<rootDir>/fixtures', matchIgnore: ['body.user'] } },
    );
    const run = await p.run();
    expect(run.code).toBe(1);
    expect(run.tests).toEqual([]);
    expect(run.output).toContain(
      'jest-replay: testEnvironmentOptions.dir and testEnvironmentOptions.matchIgnore are jest-replay options, read only under ' +
        'testEnvironmentOptions.replay: move dir and matchIgnore under testEnvironmentOptions.replay',
    );
    expect(run.output).not.toMatch(/^\s+at /m);
  });

  test('composing by hand: own environment class via withReplay, own global setup calling ours', async () => {
    const p = project(
      {
        'tests/a.test.js': `${OPENAI_CLIENT}test('asks', async () => { expect(CUSTOM).toBe('mine'); expect(await ask('composed')).toBe('echo: composed'); });`,
        'env.js': `const { TestEnvironment } = require('jest-environment-node');
const { withReplay } = require('jest-replay/environment');
module.exports = class MyEnvironment extends withReplay(TestEnvironment) {
  async setup() { await super.setup(); this.global.CUSTOM = 'mine'; }
};`,
        'setup.js': `const replaySetup = require('jest-replay/global-setup').default;
module.exports = async (globalConfig, projectConfig) => { await replaySetup(globalConfig, projectConfig); process.stderr.write('my setup ran\\n'); };`,
      },
      { preset: undefined, testEnvironment: '<rootDir>/env.js', globalSetup: '<rootDir>/setup.js' },
    );
    const { recorded, replayed } = await recordThenReplay(p);
    expect(recorded.output).toContain('jest-replay: record mode');
    expect(recorded.output).toContain('my setup ran');
    expect(recorded.code).toBe(0);
    expect(p.files()).toHaveLength(1);
    expect(statusOf(replayed)).toEqual({ asks: 'passed' });
    expect(failureOf(replayed, 'asks')).toBe('');
  });
});

test('test.concurrent: every request is charged to its own test', async () => {
  const concurrent = (title: string, delay: number) =>
    `test.concurrent(${JSON.stringify(title)}, async () => {
  await new Promise((r) => setTimeout(r, ${delay}));
  expect(await ask(${JSON.stringify(`concurrent ${title}`)})).toBe(${JSON.stringify(`echo: concurrent ${title}`)});
  await new Promise((r) => setTimeout(r, ${60 - delay}));
});\n`;
  const p = project({ 'tests/a.test.js': `${OPENAI_CLIENT}${concurrent('one', 30)}${concurrent('two', 0)}${concurrent('three', 15)}` });
  const { recorded, replayed } = await recordThenReplay(p);
  expect(recorded.code).toBe(0);
  for (const file of p.files()) {
    const data = JSON.parse(p.read(path.join('recordings', file)));
    const title = data.test_id.split('::')[1];
    expect(data.request.body.messages[0].content).toBe(`concurrent ${title}`);
  }
  expect(testIdsIn(p)).toEqual(['tests/a.test.js::one', 'tests/a.test.js::three', 'tests/a.test.js::two']);
  expect(statusOf(replayed)).toEqual({ one: 'passed', two: 'passed', three: 'passed' });
});
