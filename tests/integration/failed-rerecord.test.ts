import { failureOf, FixtureProject, type JestRun, statusOf } from '../support/fixture';
import { startUpstream, type Upstream } from '../support/upstream';

/**
 * A re-recording that gets an auth failure, a rate limit, a server error or a broken connection where
 * a good recording exists keeps that recording, fails its test saying so, and is listed in the
 * summary; `recordFailedRequests` records the failure on purpose. Each test catches its client's
 * error, so what fails it is jest-replay's word alone.
 */
const TESTS = `
const { default: OpenAI } = require('openai');
const client = new OpenAI({ apiKey: 'sk-fixture-SECRET-value', baseURL: process.env.UPSTREAM_BASE, maxRetries: 0 });
const ask = (content, failure) => {
  const headers = process.env.BROKEN ? { 'x-upstream-fail': failure } : {};
  return client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content }] }, { headers }).catch((error) => error);
};
test('auth failure', () => ask('one', '401'));
test('rate limited', () => ask('two', '429'));
test('server error', () => ask('three', '503'));
test('broken connection', () => ask('four', 'reset'));
test('an error never recorded well before', async () => {
  if (process.env.BROKEN) await ask('five', '401');
});
`;

describe('a failed re-record never replaces a good recording', () => {
  const project = new FixtureProject('failed-rerecord', { 'tests/kept.test.js': TESTS });
  let upstream: Upstream;
  let good: Record<string, string>;
  let broken: JestRun;
  const record = (env: Record<string, string> = {}, args: string[] = []) =>
    project.run({ RECORD: '1', UPSTREAM_BASE: upstream.baseURL, ...env }, args);
  const fileOf = (test: string) => project.files().filter((file) => file.startsWith(`tests/kept.test.js/${test.replace(/ /g, '_')}-`));

  beforeAll(async () => {
    upstream = await startUpstream();
    expect(Object.values(statusOf(await record()))).toEqual(Array(5).fill('passed'));
    good = project.snapshot();
    broken = await record({ BROKEN: '1' });
  });
  afterAll(async () => {
    await upstream.close();
    project.remove();
  });

  test('the good recording stays, byte for byte, and the test fails saying what came back and why', () => {
    expect(statusOf(broken)).toEqual({
      'auth failure': 'failed',
      'rate limited': 'failed',
      'server error': 'failed',
      'broken connection': 'failed',
      'an error never recorded well before': 'passed',
    });
    for (const test of ['auth failure', 'rate limited', 'server error', 'broken connection']) {
      const [file] = fileOf(test);
      expect(project.read(`recordings/${file}`)).toBe(good[file]);
    }
    const [auth] = fileOf('auth failure');
    expect(failureOf(broken, 'auth failure')).toContain(
      `jest-replay: kept recordings/${auth}: re-recording POST /v1/chat/completions got 401 Unauthorized, and that recording holds a successful response (200). ` +
        'A failure that says nothing about the request (wrong credentials, a rate limit, a server error, a broken connection) never replaces a good recording: ' +
        'fix its cause and record again, or set testEnvironmentOptions.replay.recordFailedRequests to true to record failures over successes.',
    );
    expect(failureOf(broken, 'rate limited')).toContain('got 429 Too Many Requests');
    expect(failureOf(broken, 'server error')).toContain('got 503 Service Unavailable');
    expect(failureOf(broken, 'broken connection')).toMatch(
      /got a broken connection \((UND_ERR_SOCKET: other side closed|ECONNRESET: [^)]+)\)/,
    );
  });

  test('the summary lists each kept recording with what came back', () => {
    for (const [test, got] of [
      ['auth failure', '401 Unauthorized'],
      ['server error', '503 Service Unavailable'],
    ]) {
      expect(broken.stderr).toContain(
        `  kept     recordings/${fileOf(test)[0]} (re-recording got ${got}: a failure never replaces a good recording)\n`,
      );
    }
    expect(broken.stderr).not.toMatch(/^ {2}(changed|deleted) /m);
  });

  test('an error with no good recording before is recorded, as always', () => {
    const [file] = fileOf('an error never recorded well before');
    expect(JSON.parse(project.read(`recordings/${file}`)).response.status).toBe(401);
    expect(broken.stderr).toContain(`  new      recordings/${file}\n`);
  });

  test('recordFailedRequests: true records the failure over the good recording', async () => {
    project.write(
      'jest.config.js',
      `module.exports = ${JSON.stringify({ preset: 'jest-replay', transform: {}, testEnvironmentOptions: { replay: { recordFailedRequests: true } } })};\n`,
    );
    const run = await record({ BROKEN: '1' }, ['-t', 'auth failure']);
    expect(statusOf(run)['auth failure']).toBe('passed');
    const [file] = fileOf('auth failure');
    expect(JSON.parse(project.read(`recordings/${file}`)).response.status).toBe(401);
    expect(run.stderr).toContain(`  changed  recordings/${file}\n`);
  });
});
