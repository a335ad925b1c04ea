import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FixtureProject, statusOf } from '../support/fixture';
import { startUpstream } from '../support/upstream';
import { OPENAI_CLIENT } from '../support/snippets';

/**
 * One configuration for tests and command line: a project recorded with every option that changes
 * where recordings live or how requests are keyed (a custom dir and usageDir, matchIgnore in config
 * and in a test, normalizers, redact, a testIdResolver), then checked by the CLI run in it with no
 * flag, as a team runs `jest-replay verify` in CI.
 */
const TESTS = `${OPENAI_CLIENT}
const { replay } = require('jest-replay');
describe('chat', () => {
  test('config ignores the user', async () => {
    expect(await ask('config', { user: process.env.USER_NAME })).toBe('echo: config');
  });
  test('its own matchIgnore', async () => {
    replay.matchIgnore('body.metadata.session');
    expect(await ask('own', { metadata: { session: process.env.SESSION } })).toBe('echo: own');
  });
  test('normalized', async () => {
    expect(await ask('normalized', { metadata: { sent_at: process.env.SENT_AT } })).toBe('echo: normalized');
  });
  test('redacted', async () => {
    expect(await ask('hello from session-' + process.env.SESSION_HEX)).toMatch(/^echo: hello from session-/);
  });
});
`;

const FILES = {
  'tests/chat.test.js': TESTS,
  'normalize.js': `exports.normalizeBody = (body) => {
  if (!body || !body.metadata || !('sent_at' in body.metadata)) return body;
  const { sent_at, ...metadata } = body.metadata;
  return { ...body, metadata };
};\n`,
  'redact.js': `const hide = (body) => JSON.parse(JSON.stringify(body).replace(/session-[0-9a-f]+/g, 'session-<redacted>'));
module.exports = ({ method, url, body }) => ({ method, url, body: hide(body) });\n`,
  'ids.js': `exports.resolveTestId = ({ defaultId }) => defaultId.replace(/^tests\\//, 'suite/');\n`,
};

const REPLAY = {
  dir: '<rootDir>/test/recordings',
  usageDir: '<rootDir>/.usage',
  matchIgnore: ['body.user'],
  normalizers: '<rootDir>/normalize.js',
  redact: '<rootDir>/redact.js',
  testIdResolver: '<rootDir>/ids.js',
};

const ID = (title: string) => `suite/chat.test.js::chat::${title}`;

describe('every command reads the project’s Jest config', () => {
  const project = new FixtureProject('cli-config', FILES, { testEnvironmentOptions: { replay: REPLAY } });
  const recordings = () => project.files('test/recordings');
  const recordingOf = (title: string) => {
    const file = recordings().find((f) => JSON.parse(project.read(`test/recordings/${f}`)).test_id === ID(title));
    return JSON.parse(project.read(`test/recordings/${file}`));
  };

  beforeAll(async () => {
    const upstream = await startUpstream();
    try {
      const env = { UPSTREAM_BASE: upstream.baseURL, USER_NAME: 'alice', SESSION: 's1', SENT_AT: '2026-01-01T00:00:00Z' };
      Object.assign(env, { SESSION_HEX: 'aa11' });
      expect(Object.values(statusOf(await project.run({ RECORD: '1', ...env })))).toEqual(Array(4).fill('passed'));
    } finally {
      await upstream.close();
    }
    // Every option keys: other values, no server, and everything replays.
    const replayed = await project.run({ USER_NAME: 'bob', SESSION: 's2', SENT_AT: '2026-06-30T12:00:00Z', SESSION_HEX: 'bb22' });
    expect(Object.values(statusOf(replayed))).toEqual(Array(4).fill('passed'));
  });
  afterAll(() => project.remove());

  test('a test’s own matchIgnore paths are stored in its recording, in a field of their own; others have none', () => {
    expect(recordings()).toHaveLength(4);
    expect(recordingOf('its own matchIgnore').match_ignore).toEqual(['body.metadata.session']);
    const fields = ['test_id', 'match_ignore', 'request', 'response', 'id_normalization_mapping'];
    expect(Object.keys(recordingOf('its own matchIgnore'))).toEqual(fields);
    expect(recordingOf('config ignores the user')).not.toHaveProperty('match_ignore');
  });

  test('verify passes with no flag, from the project or any folder under it', async () => {
    const verified = await project.cli(['verify']);
    expect(verified).toMatchObject({ code: 0, stdout: '4 recordings checked, no problems\n' });
    expect(await project.cli(['verify'], { cwd: 'tests' })).toMatchObject({ code: 0, stdout: '4 recordings checked, no problems\n' });
  });

  test('list, diagnose, show and prune read the configured dir, usageDir and keys', async () => {
    const listed = await project.cli(['list']);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain(`${ID('normalized')}\n`);
    expect(listed.stdout).toContain('4 recordings for 4 test ids');
    for (const title of ['config ignores the user', 'its own matchIgnore', 'normalized', 'redacted']) {
      const diagnosed = await project.cli(['diagnose', ID(title)]);
      expect([title, diagnosed.code, diagnosed.stdout]).toEqual([title, 0, expect.stringContaining('ok')]);
    }
    const file = recordings().find((f) => f.includes('/chat_its_own_matchIgnore-'))!;
    const shown = await project.cli(['show', path.basename(file).slice(0, 8)]);
    expect(shown).toMatchObject({ code: 0, stdout: expect.stringContaining(`file:     test/recordings/${file}`) });
    expect(shown.stdout).toContain("ignored:  body.metadata.session (its test's replay.matchIgnore(): not in its key)\n");
    const pruned = await project.cli(['prune']);
    expect(pruned).toMatchObject({ code: 0, stdout: expect.stringContaining('0 unused (0 recordings, 0 temporary files; complete run)') });
  });

  test('import keys llama-stack recordings under the same rules, so verify passes them; --match-ignore= keys without', async () => {
    const data = { id: 'rec-1', object: 'chat.completion', created: 0, model: 'm', choices: [] };
    const completion = { __type__: 'openai.types.chat.chat_completion.ChatCompletion', __data__: data };
    const body = { model: 'm', messages: [{ role: 'user', content: 'hi' }], user: 'alice' };
    const url = 'http://localhost:8321/v1/v1/chat/completions';
    const request = { method: 'POST', url, headers: {}, body, endpoint: '/v1/chat/completions', model: 'm' };
    const file = { test_id: 'tests/integration/test_chat.py::test_chat', request, response: { body: completion, is_streaming: false } };
    project.write('llama/recordings/0123.json', JSON.stringify(file, null, 2));
    const imported = await project.cli(['import', 'llama', '--dir', 'imported']);
    expect(imported).toMatchObject({ code: 0, stdout: expect.stringContaining('1 imported, 0 skipped') });
    expect(await project.cli(['verify', '--dir', 'imported'])).toMatchObject({ code: 0, stdout: '1 recording checked, no problems\n' });
    await project.cli(['import', 'llama', '--dir', 'unignored', '--match-ignore=']);
    expect(project.files('unignored')).not.toEqual(project.files('imported'));
    const unignored = await project.cli(['verify', '--dir', 'unignored']);
    expect(unignored).toMatchObject({ code: 1, stdout: expect.stringContaining('its name says key') });
  });

  test('flags override the config: --match-ignore= and --normalizers= (none), --dir, --usage', async () => {
    const unignored = await project.cli(['verify', '--match-ignore=']);
    expect(unignored.code).toBe(1);
    expect(unignored.stdout).toMatch(/config_ignores_the_user-[0-9a-f]{8}\/[0-9a-f]{16}\.json: its name says key/);
    expect(unignored.stdout).toContain('4 recordings checked, 1 problem');
    const unnormalized = await project.cli(['verify', '--normalizers=']);
    expect(unnormalized.stdout).toMatch(/normalized-[0-9a-f]{8}\/[0-9a-f]{16}\.json: its name says key/);
    const elsewhere = await project.cli(['verify', '--dir', 'nowhere']);
    expect(elsewhere).toMatchObject({ code: 2, stderr: expect.stringContaining(`no recordings directory at ${project.dir}/nowhere`) });
    const usage = await project.cli(['prune', '--usage', 'no-usage']);
    expect(usage).toMatchObject({ code: 1, stderr: expect.stringContaining(`under ${path.join(project.dir, 'no-usage')}`) });
  });

  test('a config in package.json is found as jest finds it, from the folder the command runs in', async () => {
    const jest = { rootDir: '..', preset: 'jest-replay', testEnvironmentOptions: { replay: REPLAY } };
    project.write('pkg/package.json', JSON.stringify({ name: 'pkg', jest }));
    expect(await project.cli(['verify'], { cwd: 'pkg' })).toMatchObject({ code: 0, stdout: '4 recordings checked, no problems\n' });
  });

  test('JEST_REPLAY_DIR wins over the config, relative to rootDir as for the run', async () => {
    const run = await project.cli(['verify'], { cwd: 'tests', env: { JEST_REPLAY_DIR: 'elsewhere' } });
    expect(run).toMatchObject({ code: 2, stderr: expect.stringContaining(`no recordings directory at ${project.dir}/elsewhere`) });
  });

  test('--config points elsewhere, a TypeScript config included; projects: the one that uses jest-replay needs no flag', async () => {
    project.write('configs/replay.config.ts', [
      '/** @jest-config-loader-options {"transpileOnly": true} */',
      "import type { Config } from 'jest';",
      `const config: Config = { rootDir: '..', preset: 'jest-replay', testEnvironmentOptions: { replay: ${JSON.stringify(REPLAY)} } };`,
      'export default config;',
      '',
    ].join('\n'));
    const typescript = await project.cli(['verify', '--config', 'configs/replay.config.ts']);
    expect(typescript).toMatchObject({ code: 0, stdout: '4 recordings checked, no problems\n' });
    const projects = [
      { displayName: 'unit', testEnvironment: 'node' },
      { displayName: 'llm', preset: 'jest-replay', testEnvironmentOptions: { replay: REPLAY } },
    ];
    project.write('projects.config.js', `module.exports = ${JSON.stringify({ projects })};\n`);
    const several = await project.cli(['verify', '--config', 'projects.config.js']);
    expect(several).toMatchObject({ code: 0, stdout: '4 recordings checked, no problems\n' });
  });

  test('several projects with recordings of their own: verify, list and prune run for each; other commands take --project', async () => {
    fs.mkdirSync(path.join(project.dir, 'other'), { recursive: true });
    const projects = [
      { displayName: 'llm', preset: 'jest-replay', testEnvironmentOptions: { replay: REPLAY } },
      { displayName: 'e2e', preset: 'jest-replay', testEnvironmentOptions: { replay: { dir: '<rootDir>/other' } } },
    ];
    project.write('two.config.js', `module.exports = ${JSON.stringify({ projects })};\n`);
    const verified = await project.cli(['verify', '--config', 'two.config.js']);
    expect(verified.code).toBe(0);
    expect(verified.stdout).toBe(
      'project llm (recordings in test/recordings):\n4 recordings checked, no problems\n\n' +
        'project e2e (recordings in other):\n0 recordings checked, no problems\n',
    );
    const listed = await project.cli(['list', '--config', 'two.config.js']);
    expect(listed.stdout).toMatch(/^project llm \(recordings in test\/recordings\):\n[^]*\n\nproject e2e \(recordings in other\):\n/);
    const ambiguous = await project.cli(['diagnose', ID('normalized'), '--config', 'two.config.js']);
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.stderr).toContain(
      'jest-replay diagnose: two.config.js has several projects with recordings of their own (llm, e2e): choose one with --project <name>',
    );
    expect(await project.cli(['diagnose', ID('normalized'), '--config', 'two.config.js', '--project', 'llm'])).toMatchObject({ code: 0 });
    const unknown = await project.cli(['list', '--config', 'two.config.js', '--project', 'lm']);
    const suggested = 'jest-replay list: --project lm: no such project in two.config.js. Did you mean llm? Projects: llm, e2e';
    expect(unknown).toMatchObject({ code: 2, stderr: expect.stringContaining(suggested) });
  });

  test('a broken config is named; a folder with no Jest config up to the root still works with --dir', async () => {
    project.write('broken.config.js', 'module.exports = {;\n');
    const broken = await project.cli(['list', '--config', 'broken.config.js']);
    expect(broken.code).toBe(2);
    expect(broken.stderr).toContain('jest-replay list: cannot read the Jest config broken.config.js: ');
    const typo = { preset: 'jest-replay', testEnvironmentOptions: { replay: { directory: 'x' } } };
    project.write('typo.config.js', `module.exports = ${JSON.stringify(typo)};\n`);
    const mistyped = await project.cli(['list', '--config', 'typo.config.js']);
    expect(mistyped.code).toBe(2);
    expect(mistyped.stderr).toContain('jest-replay list: unknown option testEnvironmentOptions.replay.directory.');
    // An option beside `replay` stops the run: the command line must not quietly use the default in its place.
    const misplaced = { preset: 'jest-replay', testEnvironmentOptions: { dir: 'x' } };
    project.write('misplaced.config.js', `module.exports = ${JSON.stringify(misplaced)};\n`);
    const beside = await project.cli(['list', '--config', 'misplaced.config.js']);
    expect(beside.code).toBe(2);
    expect(beside.stderr).toContain(
      'jest-replay list: testEnvironmentOptions.dir is a jest-replay option, read only under testEnvironmentOptions.replay: move dir under',
    );
    const plain = fs.mkdtempSync(path.join(os.tmpdir(), 'jest-replay-plain-'));
    try {
      fs.cpSync(path.join(project.dir, 'test', 'recordings'), path.join(plain, 'recs'), { recursive: true });
      const listed = await project.cli(['list', '--dir', 'recs'], { cwd: plain });
      expect(listed).toMatchObject({ code: 0, stdout: expect.stringContaining('4 recordings for 4 test ids') });
    } finally {
      fs.rmSync(plain, { recursive: true, force: true });
    }
  });
});
