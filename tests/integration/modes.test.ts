import { failureOf, statusOf } from '../support/fixture';
import { OPENAI_CLIENT, askTest } from '../support/snippets';
import { useProjects, useUpstream } from '../support/lifecycle';

const upstream = useUpstream();
const project = useProjects('modes');
const requestsTo = (content: string) =>
  upstream().requests.filter((r) => r.body.includes(JSON.stringify(content))).length;

describe('replay mode (the default)', () => {
  test('a request with no recording fails its test at once, with everything needed to fix it', async () => {
    const p = project({
      'tests/miss.test.js': `${OPENAI_CLIENT}
describe('weather', () => {
  test('asks about rain', async () => {
    // The code under test swallows the error: the test must fail all the same.
    const error = await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'rain?' }] }).catch((e) => e);
    expect(error.status).toBe(400);
    expect(error.headers.get('x-should-retry')).toBe('false');
  });
});
${askTest('unrelated passes', 'x').replace('async () => {', 'async () => { expect(1).toBe(1); return;')}`,
    });
    const run = await p.run();
    expect(run.code).toBe(1);
    expect(statusOf(run)).toEqual({ 'weather asks about rain': 'failed', 'unrelated passes': 'passed' });
    const message = failureOf(run, 'weather asks about rain');
    expect(message).toContain('jest-replay: no recording for this request (mode: replay).');
    expect(message).toContain('test id:  tests/miss.test.js::weather::asks about rain');
    expect(message).toContain('request:  POST http://127.0.0.1:9/v1/chat/completions');
    expect(message).toMatch(/key: {6}[0-9a-f]{64}/);
    expect(message).toMatch(/expected: recordings\/tests\/miss\.test\.js\/weather_asks_about_rain-[0-9a-f]{8}\/[0-9a-f]{16}\.json/);
    expect(message).toContain("RECORD=1 npx jest tests/miss.test.js -t '^weather asks about rain$'");
    // The SDK did not retry: one attempt, one miss (a retry would add a miss per attempt).
    expect(message.match(/no recording for this request/g)).toHaveLength(1);
    expect(p.files()).toEqual([]);
  });

  test('never reaches the network, even for a server that is up', async () => {
    const p = project({ 'tests/a.test.js': `${OPENAI_CLIENT}${askTest('asks', 'offline please')}` });
    const run = await p.run({ UPSTREAM_BASE: upstream().baseURL });
    expect(run.code).toBe(1);
    expect(requestsTo('offline please')).toBe(0);
  });
});

/** A configuration error is its message alone: no stack frames, no error class, no "Jest: Got error running globalSetup". */
function expectNoStack(output: string): void {
  expect(output).not.toMatch(/^\s+at /m);
  expect(output).not.toMatch(/ReplayConfigError|Got error running/);
}

describe('mode selection', () => {
  test('an unknown mode stops the run before any test, naming the valid modes', async () => {
    const p = project({ 'tests/a.test.js': `${OPENAI_CLIENT}${askTest('asks', 'never sent')}` });
    const run = await p.run({ JEST_REPLAY_MODE: 'recrod', UPSTREAM_BASE: upstream().baseURL });
    expect(run.code).not.toBe(0);
    expect(run.output).toContain('jest-replay: unknown mode JEST_REPLAY_MODE="recrod". Use one of: replay, record, record-if-missing, live.');
    expectNoStack(run.output);
    expect(run.tests).toEqual([]);
    expect(requestsTo('never sent')).toBe(0);
  });

  test('RECORD=1 alone is refused under CI (a CI variable ci-info knows, or jest --ci); an explicit JEST_REPLAY_MODE=record is not', async () => {
    const p = project({ 'tests/a.test.js': `${OPENAI_CLIENT}${askTest('asks', 'ci recording')}` });
    const refusals = [
      [{ CI: 'true' }, [], 'RECORD=1 is refused because CI is set'],
      [{ TEAMCITY_VERSION: '2025.03' }, [], 'RECORD=1 is refused because TEAMCITY_VERSION is set (TeamCity)'],
      [{}, ['--ci'], 'RECORD=1 is refused because Jest runs with --ci (or ci: true in its config)'],
    ] as const;
    for (const [env, args, message] of refusals) {
      const refused = await p.run({ ...env, RECORD: '1', UPSTREAM_BASE: upstream().baseURL }, [...args]);
      expect(refused.code).not.toBe(0);
      expect(refused.output).toContain(message);
      expect(refused.output).toContain('JEST_REPLAY_MODE=record');
      expectNoStack(refused.output);
      expect(refused.tests).toEqual([]);
    }
    expect(requestsTo('ci recording')).toBe(0);

    const explicit = await p.run({ CI: 'true', RECORD: '1', JEST_REPLAY_MODE: 'record', UPSTREAM_BASE: upstream().baseURL });
    expect(explicit.output).toContain('jest-replay: record mode, recordings in recordings');
    expect(statusOf(explicit)).toEqual({ asks: 'passed' });
    expect(requestsTo('ci recording')).toBe(1);
    expect(p.files()).toHaveLength(1);
  });

  test.each([
    ['the preset', {}],
    ['the environment alone', { preset: undefined, testEnvironment: 'jest-replay/environment' }],
  ])('an unknown option stops the run with its message and no stack trace, through %s', async (_, config) => {
    const options = { testEnvironmentOptions: { replay: { ignoreHost: ['x'] } } };
    const p = project({ 'tests/a.test.js': `${OPENAI_CLIENT}${askTest('asks', 'never sent')}` }, { ...config, ...options });
    const run = await p.run({ UPSTREAM_BASE: upstream().baseURL });
    expect(run.code).not.toBe(0);
    expect(run.output).toContain('jest-replay: unknown option testEnvironmentOptions.replay.ignoreHost. Did you mean ignoreHosts?');
    expectNoStack(run.output);
    expect(requestsTo('never sent')).toBe(0);
  });

  test('live mode passes everything through and writes nothing', async () => {
    const p = project({ 'tests/a.test.js': `${OPENAI_CLIENT}${askTest('asks', 'live one')}` });
    const run = await p.run({ JEST_REPLAY_MODE: 'live', UPSTREAM_BASE: upstream().baseURL });
    expect(run.output).toContain('jest-replay: live mode');
    expect(statusOf(run)).toEqual({ asks: 'passed' });
    expect(requestsTo('live one')).toBe(1);
    expect(p.files()).toEqual([]);
  });

  test('record-if-missing replays what exists and records only what is missing', async () => {
    const p = project({ 'tests/a.test.js': `${OPENAI_CLIENT}${askTest('first', 'kept one')}` });
    expect((await p.run({ RECORD: '1', UPSTREAM_BASE: upstream().baseURL })).code).toBe(0);
    const before = p.snapshot();
    p.write('tests/a.test.js', `${OPENAI_CLIENT}${askTest('first', 'kept one')}${askTest('second', 'new one')}`);
    const run = await p.run({ JEST_REPLAY_MODE: 'record-if-missing', UPSTREAM_BASE: upstream().baseURL });
    expect(run.output).toContain('jest-replay: record-if-missing mode');
    expect(statusOf(run)).toEqual({ first: 'passed', second: 'passed' });
    expect(requestsTo('kept one')).toBe(1);
    expect(requestsTo('new one')).toBe(1);
    const after = p.snapshot();
    expect(Object.keys(after)).toHaveLength(2);
    for (const [file, text] of Object.entries(before)) expect(after[file]).toBe(text);
  });
});
