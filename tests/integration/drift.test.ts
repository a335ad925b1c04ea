import * as fs from 'node:fs';
import * as path from 'node:path';
import { FixtureProject, type ProcessRun, statusOf } from '../support/fixture';
import { startUpstream, type Upstream } from '../support/upstream';

/**
 * `jest-replay drift`: a suite recorded against the loopback upstream is run again against a drifted one (renamed
 * and retyped fields, a new stream event kind, other tool arguments, a retired model, other text everywhere), in
 * drift mode under CI with the explicit JEST_REPLAY_MODE=drift a scheduled job sets. One record run, one drift run;
 * then the command line reports the last run again and accepts one test.
 */
const TESTS = `
const { default: OpenAI } = require('openai');
const baseURL = process.env.UPSTREAM_BASE || 'http://127.0.0.1:9/v1';
const client = new OpenAI({ apiKey: 'sk-fixture-SECRET-value', baseURL, maxRetries: 0 });
const user = (content) => [{ role: 'user', content }];
const parameters = { type: 'object', properties: { query: { type: 'string' } } };
const tools = [{ type: 'function', function: { name: 'lookup', parameters } }];
const chat = (messages, extra = {}, options) => client.chat.completions.create({ model: 'gpt-4o', messages, ...extra }, options);
const text = async (answer) => (await answer).choices[0].message.content;
describe('drift', () => {
  test('chat', async () => expect(await text(chat(user('rain')))).toMatch(/rain/));
  test('chat again', async () => expect(await text(chat(user('snow')))).toMatch(/snow/));
  test('responses stream', async () => {
    let said = '';
    for await (const event of await client.responses.create({ model: 'gpt-4o', input: 'sun', stream: true })) {
      if (event.type === 'response.output_text.delta') said += event.delta;
    }
    expect(said).toMatch(/sun/);
  });
  test('tool round trip', async () => {
    const { message } = (await chat(user('wind'), { tools })).choices[0];
    const result = { role: 'tool', tool_call_id: message.tool_calls[0].id, content: 'windy' };
    expect(await text(chat([...user('wind'), message, result], { tools }))).toMatch(/windy/);
  });
  test('embeddings', async () => {
    expect((await client.embeddings.create({ model: 'text-embedding-3-small', input: 'fog' })).data).toHaveLength(1);
  });
  test('completions', async () => {
    expect((await client.completions.create({ model: 'gpt-4o', prompt: 'hail' })).choices[0].text).toMatch(/hail/);
  });
  test('echoes the key', async () => {
    const headers = process.env.ECHO_AUTH ? { 'x-upstream-echo-auth': '1' } : {};
    expect(await text(chat(user('key'), {}, { headers }))).toMatch(/key/);
  });
  test('quotes the key', async () => {
    expect(await text(chat(user(process.env.ECHO_AUTH ? 'my key is sk-fixture-SECRET-value' : 'my key')))).toMatch(/key/);
  });
});
`;

/** Another test file, left out of the drift run by the path given to Jest through the command. */
const OTHER = `
test('elsewhere', async () => {
  const url = (process.env.UPSTREAM_BASE || 'http://127.0.0.1:9/v1') + '/completions';
  const body = JSON.stringify({ model: 'gpt-4o', prompt: 'other' });
  expect((await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body })).status).toBe(200);
});
`;

const id = (title: string) => `tests/drift.test.js::drift::${title}`;
const DRIFT_DIR = 'node_modules/.cache/jest-replay/drift';

/** The `path: change` headings of a text report, each with its count. */
const headingsOf = (stdout: string) => stdout.split('\n').filter((line) => /^\S.*\(\d+ requests? in \d+ tests?\)$/.test(line));

describe('jest-replay drift', () => {
  const project = new FixtureProject('drift', { 'tests/drift.test.js': TESTS, 'tests/other.test.js': OTHER });
  let live: Upstream;
  let drifted: Upstream;
  let recorded: Record<string, string>;
  let drift: ProcessRun;

  beforeAll(async () => {
    [live, drifted] = await Promise.all([startUpstream(), startUpstream({ drifted: true })]);
    const run = await project.run({ RECORD: '1', UPSTREAM_BASE: live.baseURL });
    expect(Object.values(statusOf(run)).every((status) => status === 'passed')).toBe(true);
    recorded = project.snapshot();
    const env = { UPSTREAM_BASE: drifted.baseURL, ECHO_AUTH: '1', CI: 'true', JEST_REPLAY_MODE: 'drift' };
    drift = await project.cli(['drift', 'tests/drift.test.js'], { env });
  });
  afterAll(async () => {
    await Promise.all([live.close(), drifted.close()]);
    project.remove();
  });

  test('exactly the structural drifts, each once with the requests it touches and both values; not the text change', () => {
    expect(drift.code).toBe(1);
    expect(headingsOf(drift.stdout)).toEqual([
      'body.usage.input_tokens: field added (3 requests in 3 tests)',
      'body.usage.prompt_tokens: field removed (3 requests in 3 tests)',
      'body.usage.total_tokens: type changed: number → string (3 requests in 3 tests)',
      'request: no longer keys to any recording (2 requests in 2 tests)',
      'events[response.usage.delta]: event kind added (1 request in 1 test)',
      'status: status changed: 200 → 404 (1 request in 1 test)',
      'tool_calls[lookup].arguments.q: field added (1 request in 1 test)',
      'tool_calls[lookup].arguments.query: field removed (1 request in 1 test)',
    ]);
    expect(drift.stdout).toContain(`\n  ${id('chat')}  POST /v1/chat/completions: 3 → "3"\n`);
    expect(drift.stdout).toContain(`\n  ${id('tool round trip')}  POST /v1/chat/completions: was "wind"\n`);
    // The request a changed tool call made: the file replay looked for, and the field that moved it, as a miss shows it.
    expect(drift.stdout).toMatch(
      new RegExp(
        `\\n  ${id('tool round trip')}  POST /v1/chat/completions\\n` +
          '    expected: recordings/tests/drift\\.test\\.js/drift_tool_round_trip-[0-9a-f]{8}/[0-9a-f]{16}\\.json\\n',
      ),
    );
    expect(drift.stdout).toContain(
      '      body.messages[1].tool_calls[0].function.arguments: "{\\"query\\":\\"wind\\"}" → "{\\"q\\":\\"wind\\"}"\n',
    );
    // How a request that quotes the key differs would quote it: not written to the drift folder, nor shown.
    expect(drift.stdout).toMatch(
      new RegExp(
        `\\n  ${id('quotes the key')}  POST /v1/chat/completions\\n    expected: recordings/[^\\n]+\\n` +
          '    \\(how it differs from its nearest recording is not shown: the request holds its header authorization\\)\\n',
      ),
    );
    // The answers' text changed everywhere (the completions test's only change): no drift by default.
    expect(drift.stdout).not.toContain('text changed');
    expect(drift.stdout).not.toContain('/v1/completions');
    const file = `${DRIFT_DIR}/live/tests/drift.test.js/drift_echoes_the_key-[0-9a-f]{8}/[0-9a-f]{16}\\.json`;
    const credential = 'it would contain a credential of the live request: the header authorization at response\\.body[^\\n]+\\.\\n';
    expect(drift.stdout).toMatch(
      new RegExp(`not checked \\(1 request\\):\\n  ${id('echoes the key')}  POST /v1/chat/completions: not writing ${file}: ${credential}`),
    );
    const failed = [id('embeddings'), id('echoes the key'), id('quotes the key')];
    expect(drift.stdout).toContain(`failed against the live API (3 tests):\n  ${failed.join('\n  ')}\n`);
    expect(drift.stdout).toContain("accept a test's live exchanges as its recordings: npx jest-replay drift --accept '<test id>'\n");
    expect(
      drift.stdout.endsWith(
        'jest-replay drift: 8 changes in 6 of 8 tests against the live API ' +
          '(7 of 9 requests drifted, 1 not checked, 3 tests failed; text not compared)\n',
      ),
    ).toBe(true);
  });

  test('the recordings are byte-identical; the live exchanges are in the drift folder, no credential; usage notes untouched', () => {
    expect(project.snapshot()).toEqual(recorded);
    const liveFiles = project.files(`${DRIFT_DIR}/live`);
    expect(liveFiles).toHaveLength(7);
    expect(liveFiles.every((file) => !file.startsWith('tests/other.test.js'))).toBe(true);
    for (const file of project.files(DRIFT_DIR)) expect(project.read(`${DRIFT_DIR}/${file}`)).not.toContain('SECRET');
    expect(drift.stderr).toContain(
      'jest-replay: drift mode, recordings in recordings (never written), live exchanges in node_modules/.cache/jest-replay/drift/live',
    );
    expect(drift.stderr).toContain(
      'jest-replay: drift mode — 9 requests of 8 tests sent to the live API, 7 written to node_modules/.cache/jest-replay/drift/live/ ' +
        '(the recordings are untouched); compare them with their recordings: npx jest-replay drift --last',
    );
    // The record run's notes, which prune judges by, are the last run's still.
    expect(fs.readdirSync(path.join(project.dir, 'node_modules/.cache/jest-replay/all')).length).toBeGreaterThan(1);
  });

  test('--last reports again without running Jest: --json, --markdown (for a comment), --report-only, --ignore, --text', async () => {
    const json = await project.cli(['drift', '--last', '--json']);
    expect(json.code).toBe(1);
    const report = JSON.parse(json.stdout);
    expect(report).toMatchObject({
      requests: 9,
      drifted: 7,
      tests: 8,
      driftedTests: 6,
      text: false,
      failedTests: [id('embeddings'), id('echoes the key'), id('quotes the key')],
    });
    expect(report.changes).toHaveLength(8);
    expect(report.changes.find((c: { path: string }) => c.path === 'status').requests).toEqual([
      expect.objectContaining({
        testId: id('embeddings'),
        request: expect.stringMatching(/^POST http:\/\/127\.0\.0\.1:\d+\/v1\/embeddings$/),
        ordinal: 1,
      }),
    ]);
    const markdown = await project.cli(['drift', '--last', '--markdown', '--report-only']);
    expect(markdown.code).toBe(0);
    expect(markdown.stdout).toMatch(/^### jest-replay drift: 8 changes in 6 of 8 tests against the live API \(/);
    expect(markdown.stdout).toContain('**`body.usage.total_tokens: type changed: number → string`** — 3 requests in 3 tests\n\n```text\n');
    const narrowed = await project.cli(['drift', '--last', '--ignore', 'body.usage', '--ignore', 'events[response.usage.delta]', '--text']);
    expect(headingsOf(narrowed.stdout)).toEqual([
      'text: text changed (4 requests in 4 tests)',
      'request: no longer keys to any recording (2 requests in 2 tests)',
      'status: status changed: 200 → 404 (1 request in 1 test)',
      'tool_calls[lookup].arguments.q: field added (1 request in 1 test)',
      'tool_calls[lookup].arguments.query: field removed (1 request in 1 test)',
    ]);
  });

  test('nothing drifted (a run in its own folder, --out): exit 0, a failed test listed, not a cause for 1; nothing to accept', async () => {
    const chat = Object.keys(recorded).find((file) => file.includes('/drift_chat-'))!;
    project.write('quiet/drift.json', JSON.stringify({ recordings: 'recordings', started: new Date().toISOString() }));
    project.write(`quiet/live/${chat}`, recorded[chat]);
    const request = { request: 'POST http://127.0.0.1:1/v1/chat/completions', ordinal: 1, recordings: [chat], live: chat };
    const note = {
      testFile: 'tests/drift.test.js',
      recordings: 'recordings',
      scopes: [{ id: id('chat'), status: 'failed', requests: [request] }],
    };
    project.write('quiet/notes/one.json', JSON.stringify(note));
    expect(await project.cli(['drift', '--last', '--out', 'quiet'])).toMatchObject({
      code: 0,
      stdout:
        `failed against the live API (1 test):\n  ${id('chat')}\n\nlive exchanges in quiet/live/ (jest-replay show <file> prints one)\n` +
        'jest-replay drift: no drift in 1 test against the live API (1 request checked, 1 test failed; text not compared)\n',
    });
    expect(await project.cli(['drift', '--accept', '--out', 'quiet'])).toMatchObject({
      code: 0,
      stdout: 'nothing to accept: no test drifted in the last drift run\n',
    });
  });

  test('refused under CI without an explicit JEST_REPLAY_MODE=drift, before Jest runs', async () => {
    const marker = project.read(`${DRIFT_DIR}/drift.json`);
    const refused = await project.cli(['drift'], { env: { CI: 'true' } });
    expect(refused).toMatchObject({ code: 2, stdout: '' });
    expect(refused.stderr).toBe(
      'jest-replay drift: refused because CI is set: a drift check calls the real API with real credentials. ' +
        'If you mean it (a scheduled job with the key in a secret), set JEST_REPLAY_MODE=drift explicitly.\n',
    );
    // No Jest ran: the last drift run is as it was.
    expect(project.read(`${DRIFT_DIR}/drift.json`)).toBe(marker);
    // A run that stops before its tests does not report the last run as its own.
    const none = await project.cli(['drift', 'tests/no-such.test.js']);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain(
      'jest-replay drift: Jest exited with 1 before any test ran in drift mode: nothing was checked (its output above says why)\n',
    );
    expect(await project.cli(['drift', '--last', '--out', 'tests'])).toMatchObject({
      code: 1,
      stderr: 'jest-replay drift: no drift run in tests: run jest-replay drift first\n',
    });
  });

  test('--dir names the recordings the run is checked against, as JEST_REPLAY_DIR does', async () => {
    const env = { UPSTREAM_BASE: live.baseURL };
    const unmoved = await project.cli(['drift', '--out', 'other-drift', 'tests/other.test.js'], { env });
    expect(unmoved.code).toBe(0);
    const elsewhere = await project.cli(['drift', '--dir', 'elsewhere', '--out', 'other-drift', 'tests/other.test.js'], { env });
    expect(elsewhere.code).toBe(1);
    expect(elsewhere.stdout).toContain('tests/other.test.js::elsewhere');
    expect(elsewhere.stdout).toMatch(/no recording/);
  });

  test('--accept of one test replaces only its recordings, as a record run would; they then replay offline', async () => {
    const unknown = await project.cli(['drift', '--accept', id('tool round trips')]);
    expect(unknown.stdout).toBe(
      `cannot accept: no live exchange of ${JSON.stringify(id('tool round trips'))} in the last drift run; ` +
        `did you mean ${JSON.stringify(id('tool round trip'))}?\nnothing accepted\n`,
    );
    expect(project.snapshot()).toEqual(recorded);

    const accepted = await project.cli(['drift', '--accept', id('tool round trip')]);
    expect(accepted.code).toBe(0);
    expect(accepted.stdout).toMatch(
      /^changed {3}recordings\/tests\/drift\.test\.js\/drift_tool_round_trip-[0-9a-f]{8}\/[0-9a-f]{16}\.json\ncreated {3}/,
    );
    expect(accepted.stdout).toMatch(/\ndeleted {3}recordings\/[^\n]+ \(its test no longer makes that request\)\n/);
    expect(accepted.stdout.endsWith('accepted 1 test: 2 recordings written, 1 deleted\n')).toBe(true);
    const now = project.snapshot();
    const folder = (files: Record<string, string>, title: string) => Object.keys(files).filter((f) => f.includes(`/drift_${title}-`));
    const others = Object.keys(recorded).filter((f) => !f.includes('/drift_tool_round_trip-'));
    expect(Object.fromEntries(others.map((f) => [f, now[f]]))).toEqual(Object.fromEntries(others.map((f) => [f, recorded[f]])));
    for (const file of folder(now, 'tool_round_trip')) expect(now[file]).toBe(project.read(`${DRIFT_DIR}/live/${file}`));

    const replayed = await project.run({}, ['tests/drift.test.js']);
    expect(Object.values(statusOf(replayed))).toEqual(Array(8).fill('passed'));
    expect(replayed.stderr).toContain('jest-replay: replay mode — 9 replayed, 0 recorded, 0 missing');
  });
});
