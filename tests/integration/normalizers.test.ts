import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { FixtureProject, failureOf, statusOf } from '../support/fixture';
import { OPENAI_CLIENT } from '../support/snippets';
import { startUpstream } from '../support/upstream';

const CLI = path.resolve(__dirname, '..', '..', 'dist', 'cli', 'main.js');

/** A request whose body carries a value that changes every run. */
const TESTS = `${OPENAI_CLIENT}
test('volatile metadata', async () => {
  expect(await ask('hello', { metadata: { sent_at: process.env.SENT_AT } })).toBe('echo: hello');
});
`;

const NORMALIZER = `
// Keys ignore when a request was sent.
exports.normalizeBody = (body, { method, path }) => {
  if (method !== 'POST' || !path.endsWith('/chat/completions') || !body.metadata) return body;
  const { sent_at, ...metadata } = body.metadata;
  return { ...body, metadata };
};
`;

describe('normalizers', () => {
  const projects: FixtureProject[] = [];
  afterAll(() => projects.forEach((p) => p.remove()));
  const project = (config: Record<string, unknown>, files: Record<string, string> = {}) => {
    const p = new FixtureProject('normalizers', { 'tests/volatile.test.js': TESTS, 'normalize.js': NORMALIZER, ...files }, config);
    projects.push(p);
    return p;
  };

  test('adjust the key, not the recording: a request that differs only in what they drop replays', async () => {
    const p = project({ testEnvironmentOptions: { replay: { normalizers: '<rootDir>/normalize.js' } } });
    const upstream = await startUpstream();
    try {
      expect((await p.run({ RECORD: '1', UPSTREAM_BASE: upstream.baseURL, SENT_AT: '2026-01-01T00:00:00Z' })).code).toBe(0);
    } finally {
      await upstream.close();
    }
    const [file] = p.files();
    // the stored body is the one that was sent
    expect(JSON.parse(p.read(`recordings/${file}`)).request.body.metadata).toEqual({ sent_at: '2026-01-01T00:00:00Z' });
    const replay = await p.run({ SENT_AT: '2026-06-30T12:00:00Z' });
    expect(statusOf(replay)).toEqual({ 'volatile metadata': 'passed' });

    // diagnose and verify compute keys as the recorder does, with the config's normalizers; a flag replaces them
    const diagnose = (...args: string[]) => spawnSync(process.execPath, [CLI, 'diagnose', 'tests/volatile.test.js::volatile metadata', ...args], { cwd: p.dir, encoding: 'utf8' });
    expect(diagnose().status).toBe(0);
    expect(diagnose('--normalizers=').stdout).toContain('MISMATCH');
    const verify = (...args: string[]) => spawnSync(process.execPath, [CLI, 'verify', ...args], { cwd: p.dir, encoding: 'utf8' });
    expect(verify()).toMatchObject({ status: 0, stdout: '1 recording checked, no problems\n' });
    expect(verify('--normalizers=')).toMatchObject({ status: 1, stdout: expect.stringContaining('its name says key') });
    expect(verify('--normalizers', './normalize.js')).toMatchObject({ status: 0, stdout: '1 recording checked, no problems\n' });
  });

  test('a normalizers module that does not load stops the run before any test', async () => {
    const run = await project({ testEnvironmentOptions: { replay: { normalizers: './missing.js' } } }).run();
    expect(run.code).toBe(1);
    expect(run.output).toContain('jest-replay: cannot load testEnvironmentOptions.replay.normalizers ./missing.js');
    expect(run.tests).toEqual([]);
  });

  test('a normalizer that returns nothing fails the test that made the request, naming the module', async () => {
    const run = await project({ testEnvironmentOptions: { replay: { normalizers: './forgot-return.js' } } }, { 'forgot-return.js': 'exports.normalizeBody = (body) => { delete body.metadata; };\n' }).run();
    expect(failureOf(run, 'volatile metadata')).toContain('normalizers module ./forgot-return.js returned undefined; normalizeBody must return the body.');
  });
});
