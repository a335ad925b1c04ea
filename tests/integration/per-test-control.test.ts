import * as path from 'node:path';
import { failureOf, statusOf } from '../support/fixture';
import { useProjects, useUpstream } from '../support/lifecycle';
import { OPENAI_CLIENT } from '../support/snippets';

const upstream = useUpstream();
const project = useProjects('per-test-control');
const requestsTo = (content: string) => upstream().requests.filter((r) => r.body.includes(JSON.stringify(content))).length;

const HEADER = `${OPENAI_CLIENT}const { replay } = require('jest-replay');\n`;

describe('replay.mode()', () => {
  const TESTS = `${HEADER}
test('records what it misses', async () => {
  replay.mode('record-if-missing');
  expect(await ask('own mode')).toBe('echo: own mode');
});
test('pinned', async () => {
  if (process.env.PIN) replay.mode('replay');
  expect(await ask('pinned')).toBe('echo: pinned');
});
test('unknown mode', () => {
  expect(() => replay.mode('recrod')).toThrow('replay.mode("recrod"): unknown mode. Use one of: replay, record, record-if-missing, live');
});
`;

  test('sets the mode of its test only: recorded in a replay run, then replayed; pinned to replay, kept in a record run', async () => {
    const p = project({ 'tests/modes.test.js': TESTS });
    const env = { UPSTREAM_BASE: upstream().baseURL };
    const first = await p.run({ ...env, PIN: '1' });
    expect(statusOf(first)).toEqual({ 'records what it misses': 'passed', pinned: 'failed', 'unknown mode': 'passed' });
    expect(failureOf(first, 'pinned')).toContain('jest-replay: no recording for this request (mode: replay).');
    // RECORD=1 alone would not record a test pinned to replay: the message says so
    expect(failureOf(first, 'pinned')).toContain("This test sets replay.mode('replay'): remove that call while recording it.");
    expect(requestsTo('own mode')).toBe(1);
    expect(requestsTo('pinned')).toBe(0);
    expect(p.files()).toHaveLength(1);

    const second = await p.run(env);
    expect(statusOf(second)['records what it misses']).toBe('passed');
    expect(requestsTo('own mode')).toBe(1);

    // A record run: the test's own record-if-missing replays what it has instead of re-recording it.
    expect((await p.run({ ...env, RECORD: '1' })).code).toBe(0);
    expect(requestsTo('own mode')).toBe(1);
    expect(requestsTo('pinned')).toBe(1);
    const recorded = p.snapshot();
    expect(Object.keys(recorded)).toHaveLength(2);

    // Pinned to replay in a record run: replayed, and its recording is not deleted as stale.
    const pinned = await p.run({ ...env, RECORD: '1', PIN: '1' });
    expect(statusOf(pinned)).toEqual({ 'records what it misses': 'passed', pinned: 'passed', 'unknown mode': 'passed' });
    expect(requestsTo('pinned')).toBe(1);
    expect(p.snapshot()).toEqual(recorded);
  });
});

describe('replay.live()', () => {
  // Hostnames resolved to the loopback upstream by a custom lookup: nothing leaves the machine even when the guard lets it through.
  const TESTS = `${HEADER}
const net = require('net');
const lookup = (host, options, callback) =>
  options.all ? callback(null, [{ address: '127.0.0.1', family: 4 }]) : callback(null, '127.0.0.1', 4);
const connect = (host) => new Promise((resolve) => {
  const socket = net.connect({ host, port: Number(new URL(process.env.UPSTREAM_BASE).port), lookup });
  socket.once('error', (error) => resolve(error.code));
  socket.once('connect', () => { socket.destroy(); resolve('connected'); });
});
// node:http sees the response as the interceptor answers it: a compressed one must arrive decoded, not still marked compressed.
const gzipped = () => new Promise((resolve, reject) => {
  const headers = { 'content-type': 'application/json', 'x-upstream-encoding': 'gzip' };
  const request = require('http').request(process.env.UPSTREAM_BASE + '/chat/completions', { method: 'POST', headers }, (response) => {
    const parts = [];
    response.on('data', (d) => parts.push(d));
    response.on('end', () => {
      const content = JSON.parse(Buffer.concat(parts).toString('utf8')).choices[0].message.content;
      resolve({ encoding: response.headers['content-encoding'] ?? null, content });
    });
  });
  request.on('error', reject);
  request.end(JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'live zipped' }] }));
});
test('live', async () => {
  replay.live();
  expect(await ask('live test')).toBe('echo: live test');
  expect(await gzipped()).toEqual({ encoding: null, content: 'echo: live zipped' });
  expect(await connect('api.example.test')).toBe('connected');
  expect(() => replay.mode('replay')).toThrow("jest-replay: replay.mode() must be called before the test's first request.");
});
test('guarded', async () => {
  expect(await connect('api.example.test')).toBe('ERR_JEST_REPLAY_NETWORK_ISOLATED');
});
`;

  test('reaches the server in a replay run, records nothing, and its sockets are not guarded (other tests stay guarded)', async () => {
    const p = project({ 'tests/live.test.js': TESTS });
    const run = await p.run({ UPSTREAM_BASE: upstream().baseURL });
    expect(statusOf(run)).toEqual({ live: 'passed', guarded: 'failed' });
    expect(failureOf(run, 'guarded')).toContain('jest-replay: connection to api.example.test');
    expect(requestsTo('live test')).toBe(1);
    expect(p.files()).toEqual([]);
  });

  test('under CI (jest --ci) a replay run refuses it before any request; a run whose JEST_REPLAY_MODE reaches the network allows it', async () => {
    const p = project({ 'tests/live.test.js': TESTS });
    const before = requestsTo('live test');
    const refused = await p.run({ UPSTREAM_BASE: upstream().baseURL }, ['--ci']);
    expect(statusOf(refused).live).toBe('failed');
    expect(failureOf(refused, 'live')).toContain('jest-replay: replay.mode("live") is refused: Jest runs with --ci (or ci: true in its config) and the run replays');
    expect(requestsTo('live test')).toBe(before);

    const allowed = await p.run({ CI: 'true', JEST_REPLAY_MODE: 'record-if-missing', UPSTREAM_BASE: upstream().baseURL });
    expect(statusOf(allowed).live).toBe('passed');
    expect(requestsTo('live test')).toBe(before + 1);
    expect(p.files()).toEqual([]);
  });
});

describe('matchIgnore', () => {
  const TESTS = `${HEADER}
test('config', async () => {
  expect(await ask('config', { user: process.env.USER_NAME })).toBe('echo: config');
});
test('per test', async () => {
  replay.matchIgnore('body.metadata.*');
  expect(await ask('per test', { metadata: { session: process.env.SESSION } })).toBe('echo: per test');
});
test('neither', async () => {
  expect(await ask('neither', { metadata: { session: process.env.SESSION } })).toBe('echo: neither');
});
test('bad path', () => {
  expect(() => replay.matchIgnore('metadata')).toThrow('jest-replay: replay.matchIgnore(): "metadata" must start with "body."');
});
`;

  test('in config and per test, keeps fields out of the key: a changed value still replays; the recording keeps it', async () => {
    const p = project({ 'tests/ignore.test.js': TESTS }, { testEnvironmentOptions: { replay: { matchIgnore: ['body.user'] } } });
    expect((await p.run({ RECORD: '1', UPSTREAM_BASE: upstream().baseURL, USER_NAME: 'alice', SESSION: 's1' })).code).toBe(0);
    const stored = p.files().map((file) => JSON.parse(p.read(`recordings/${file}`)).request.body);
    expect(stored).toContainEqual(expect.objectContaining({ user: 'alice' }));
    expect(stored).toContainEqual(expect.objectContaining({ metadata: { session: 's1' } }));

    const replay = await p.run({ USER_NAME: 'bob', SESSION: 's2' });
    expect(statusOf(replay)).toEqual({ config: 'passed', 'per test': 'passed', neither: 'failed', 'bad path': 'passed' });
    expect(failureOf(replay, 'neither')).toContain('body.metadata.session: "s1" → "s2"');

    // diagnose and verify key as the recorder does: the config's paths, and the test's own stored in its file
    const diagnose = (...args: string[]) => p.cli(['diagnose', 'tests/ignore.test.js::config', ...args]);
    expect((await diagnose()).code).toBe(0);
    expect((await diagnose('--match-ignore=')).stdout).toContain('MISMATCH');
    expect(await p.cli(['verify'])).toMatchObject({ code: 0, stdout: '3 recordings checked, no problems\n' });
    const configFileMismatch = /\/config-[0-9a-f]{8}\/[0-9a-f]{16}\.json: its name says key/;
    const unignored = await p.cli(['verify', '--match-ignore=']);
    expect(unignored.stdout).toMatch(configFileMismatch);
    expect(unignored.stdout).toContain('3 recordings checked, 1 problem');
    const wrong = await diagnose('--match-ignore', 'user');
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('--match-ignore: "user" must start with "body."');
  });

  test('a bad path in config stops the run before any test, naming the option and the path', async () => {
    const p = project({ 'tests/ignore.test.js': TESTS }, { testEnvironmentOptions: { replay: { matchIgnore: ['user'] } } });
    const run = await p.run();
    expect(run.code).toBe(1);
    expect(run.output).toContain('jest-replay: testEnvironmentOptions.replay.matchIgnore: "user" must start with "body."');
    expect(run.tests).toEqual([]);
  });
});

describe('replay.interactions()', () => {
  const TESTS = `${HEADER}
const fs = require('fs');
test('plain and streamed', async () => {
  expect(await ask('plain')).toBe('echo: plain');
  const stream = await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'streamed' }], stream: true });
  for await (const chunk of stream) void chunk;
  fs.writeFileSync(process.env.OUT, JSON.stringify(await replay.interactions()));
});
`;

  test('lists what the test recorded, then what it replayed, in request order, with requests and responses as stored', async () => {
    const p = project({ 'tests/interactions.test.js': TESTS });
    const out = (name: string) => path.join(p.dir, name);
    expect((await p.run({ RECORD: '1', UPSTREAM_BASE: upstream().baseURL, OUT: out('recorded.json') })).code).toBe(0);
    expect((await p.run({ OUT: out('replayed.json') })).code).toBe(0);
    const recorded = JSON.parse(p.read('recorded.json'));
    const replayed = JSON.parse(p.read('replayed.json'));

    expect(recorded.map((i: { source: string }) => i.source)).toEqual(['recorded', 'recorded']);
    expect(replayed.map((i: { source: string }) => i.source)).toEqual(['replayed', 'replayed']);
    const files = p.files().map((file) => `recordings/${file}`);
    for (const list of [recorded, replayed]) {
      const [plain, streamed] = list;
      expect(files).toContain(plain.file);
      expect(files).toContain(streamed.file);
      const body = expect.objectContaining({ messages: [{ role: 'user', content: 'plain' }] });
      // As stored: a loopback server's port is left out of the url.
      const storedUrl = Object.assign(new URL(`${upstream().baseURL}/chat/completions`), { port: '' }).href;
      expect(plain.request).toEqual({ method: 'POST', url: storedUrl, body });
      expect(plain.response.status).toBe(200);
      expect(plain.response.body.choices[0].message.content).toBe('echo: plain');
      expect(streamed.request.body.stream).toBe(true);
      type Chunk = { choices: { delta: { content?: string } }[] };
      const deltas = streamed.response.chunks.map((chunk: Chunk) => chunk.choices[0]?.delta.content);
      const text = deltas.join('');
      expect(text).toBe('echo: streamed');
    }
    expect(replayed.map((i: { file: string }) => i.file)).toEqual(recorded.map((i: { file: string }) => i.file));
  });
});
