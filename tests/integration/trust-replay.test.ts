import * as fs from 'node:fs';
import * as path from 'node:path';
import { FixtureProject, failureOf, type JestRun, statusOf } from '../support/fixture';
import { useProjects, useUpstream } from '../support/lifecycle';
import { OPENAI_CLIENT, askTest } from '../support/snippets';

const fixture = (name: string) => fs.readFileSync(path.join(__dirname, 'fixtures', name), 'utf8');
const DEAD_BASE = 'http://127.0.0.1:9/v1';

/** What each test of a fixture saved, by file name. */
const outputs = (dir: string): Record<string, unknown> =>
  Object.fromEntries(fs.readdirSync(dir).map((f) => [f, JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'))]));

const upstream = useUpstream();
const project = useProjects('trust-replay');

describe('an AbortController abort behaves as it does live', () => {
  let aborts: FixtureProject;
  const out = (mode: string) => path.join(aborts.dir, `out-${mode}`);
  const runs: Record<string, JestRun> = {};
  const recordingOf = (title: string) => {
    const file = aborts.files().find((f) => f.includes(`/${title}-`));
    return JSON.parse(aborts.read(`recordings/${file}`));
  };

  beforeAll(async () => {
    aborts = project({ 'tests/aborts.test.js': fixture('aborts.test.js') });
    const modes: [string, Record<string, string>][] = [
      ['live', { JEST_REPLAY_MODE: 'live', UPSTREAM_BASE: upstream().baseURL }],
      ['record', { RECORD: '1', UPSTREAM_BASE: upstream().baseURL }],
      ['replay', { UPSTREAM_BASE: DEAD_BASE }],
    ];
    for (const [mode, env] of modes) {
      fs.mkdirSync(out(mode));
      runs[mode] = await aborts.run({ ...env, OUT_DIR: out(mode) });
    }
  });

  test('live, record and replay: every test passes and the caller sees the same thing', () => {
    for (const mode of ['live', 'record', 'replay']) {
      expect([mode, Object.values(statusOf(runs[mode]))]).toEqual([mode, Array(6).fill('passed')]);
    }
    const live = outputs(out('live'));
    expect(live).toEqual({
      'openai-stream.json': ['', 'echo:'],
      'fetch-stream.json': { first: true, after: 'AbortError' },
      'openai-before-response.json': 'APIUserAbortError',
      'fetch-aborted-already.json': 'AbortError',
      'fetch-body.json': 'AbortError',
      'http-stream.json': { data: 1, requestError: 'AbortError' },
    });
    expect(outputs(out('record'))).toEqual(live);
    expect(outputs(out('replay'))).toEqual(live);
  });

  test('a stream aborted mid-stream is still drained and recorded whole, not as a failure', () => {
    const { response } = recordingOf('openai_stream_aborted_mid-stream');
    expect(response.is_exception).toBeUndefined();
    const text = (chunk: { __data__: { choices: { delta: { content?: string } }[] } }) => chunk.__data__.choices[0].delta.content ?? '';
    expect(response.body.map(text).join('')).toBe('echo: a b');
  });

  test('a request aborted before its response is recorded as the client giving up; one aborted before it was sent, not at all', () => {
    expect(recordingOf('openai_request_aborted_before_its_response').response.exception_data).toEqual({
      category: 'network',
      type: 'APITimeoutError',
      message: 'This operation was aborted',
    });
    expect(aborts.files().filter((f) => f.includes('aborted_already'))).toEqual([]);
  });
});

describe('a recording no fetch Response can carry', () => {
  const TITLES = ['status 999', 'status 101', 'header newline', 'header name'];
  const BREAK: Record<string, (response: Record<string, unknown>) => void> = {
    'status 999': (response) => (response.status = 999),
    'status 101': (response) => (response.status = 101),
    'header newline': (response) => (response.headers = { 'x-note': 'one\ntwo' }),
    'header name': (response) => (response.headers = { 'bad name': 'v' }),
  };
  // The error is caught, as code that retries or falls back would: the test must fail all the same.
  const catching = (title: string) =>
    `test(${JSON.stringify(title)}, async () => { await ask(${JSON.stringify(title)}).catch(() => undefined); });\n`;
  const TESTS = `${OPENAI_CLIENT}${TITLES.map(catching).join('')}`;
  let broken: FixtureProject;
  const fileOf = (title: string) => `recordings/${broken.files().find((f) => f.includes(`/${title.replace(/ /g, '_')}-`))}`;

  beforeAll(async () => {
    broken = project({ 'tests/t.test.js': TESTS });
    expect(Object.values(statusOf(await broken.run({ RECORD: '1', UPSTREAM_BASE: upstream().baseURL })))).toEqual(Array(4).fill('passed'));
    for (const title of TITLES) {
      const recording = JSON.parse(broken.read(fileOf(title)));
      BREAK[title](recording.response);
      broken.write(fileOf(title), JSON.stringify(recording, null, 2));
    }
  });

  test('fails its test naming the file, even when the code catches the error', async () => {
    const run = await broken.run({ UPSTREAM_BASE: DEAD_BASE });
    expect(Object.values(statusOf(run))).toEqual(Array(4).fill('failed'));
    const cannotUse = (title: string) => `jest-replay: cannot use recording ${path.join(broken.dir, fileOf(title))}: `;
    expect(failureOf(run, 'status 999')).toContain(`${cannotUse('status 999')}"response.status" 999 cannot be replayed`);
    expect(failureOf(run, 'status 101')).toContain(`${cannotUse('status 101')}"response.status" 101 cannot be replayed`);
    expect(failureOf(run, 'header newline')).toContain(`${cannotUse('header newline')}"response.headers" has "x-note": "one\\ntwo"`);
    expect(failureOf(run, 'header name')).toContain(`${cannotUse('header name')}"response.headers" has "bad name": "v"`);
  });

  test('verify reports each file', async () => {
    const { code, stdout } = await broken.cli(['verify']);
    expect(code).toBe(1);
    for (const title of TITLES) expect(stdout).toContain(`${fileOf(title)}: cannot be replayed: "response.`);
    expect(stdout).toContain('4 recordings checked, 4 problems');
  });
});

describe('a bad id_normalization_mapping', () => {
  let mapped: FixtureProject;
  const PROBLEM = '"id_normalization_mapping" must map each normalized id to the non-empty id it replaces, got "X": ""';
  const fileOf = (title: string) => `recordings/${mapped.files().find((f) => f.includes(`/${title}-`))}`;

  beforeAll(async () => {
    mapped = project({ 'tests/t.test.js': `${OPENAI_CLIENT}${askTest('bad', 'one')}${askTest('good', 'two')}` });
    expect(statusOf(await mapped.run({ RECORD: '1', UPSTREAM_BASE: upstream().baseURL }))).toEqual({ bad: 'passed', good: 'passed' });
    const text = mapped.read(fileOf('bad'));
    mapped.write(fileOf('bad'), text.replace('"id_normalization_mapping": {}', '"id_normalization_mapping": {"X": ""}'));
  });

  test('verify reports the file and checks the rest', async () => {
    const { code, stdout } = await mapped.cli(['verify']);
    expect(code).toBe(1);
    expect(stdout).toBe(`${fileOf('bad')}: ${PROBLEM}\n2 recordings checked, 1 problem\n`);
  });

  test('show and import name the file', async () => {
    const show = await mapped.cli(['show', fileOf('bad')]);
    expect(show.code).toBe(1);
    expect(show.stderr).toBe(`jest-replay: cannot use recording ${fileOf('bad')}: ${PROBLEM}\n`);
    const imported = await mapped.cli(['import', 'recordings', '--dir', 'imported']);
    expect(imported.code).toBe(0);
    expect(imported.stdout).toContain(`skipped  ${fileOf('bad')}: ${PROBLEM}\n`);
    expect(imported.stdout).toContain('1 imported, 1 skipped');
  });
});

describe('volatile response headers', () => {
  // Writes the request id the SDK saw, so the outer test can compare it with the recording.
  const TESTS = `${OPENAI_CLIENT}
test('bad request', async () => {
  const error = await client.chat.completions.create({ model: 'fail-400', messages: [{ role: 'user', content: 'x' }] }).catch((e) => e);
  expect(error.status).toBe(400);
  require('node:fs').writeFileSync(process.env.OUT_FILE, String(error.requestID));
});
`;

  test('re-recording an error changes no byte, and replay still gives the SDK a request id', async () => {
    const errors = project({ 'tests/t.test.js': TESTS });
    const run = async (env: Record<string, string>, idFile: string) => {
      expect(statusOf(await errors.run({ ...env, OUT_FILE: path.join(errors.dir, idFile) }))).toEqual({ 'bad request': 'passed' });
    };
    const record = async () => {
      await run({ RECORD: '1', UPSTREAM_BASE: upstream().baseURL }, 'live-id');
      return errors.snapshot();
    };
    const first = await record();
    expect(await record()).toEqual(first);
    const [file] = Object.keys(first);
    const key12 = path.basename(file).slice(0, 12);
    expect(JSON.parse(first[file]).response.headers).toEqual({ 'x-request-id': `req_rec-${key12}` });
    await run({ UPSTREAM_BASE: DEAD_BASE }, 'replayed-id');
    expect(errors.read('live-id')).toMatch(/^req_\d+$/);
    expect(errors.read('replayed-id')).toBe(`req_rec-${key12}`);
  });
});

describe('hostile recordings: a 50,000-id mapping, a stored content-encoding, a file too long to read', () => {
  let hostile: FixtureProject;
  let run: JestRun;
  const fileOf = (title: string) => `recordings/${hostile.files().find((f) => f.includes(`/${title}-`))}`;
  const edit = (title: string, change: (recording: any) => void) => {
    const recording = JSON.parse(hostile.read(fileOf(title)));
    change(recording);
    hostile.write(fileOf(title), `${JSON.stringify(recording, null, 2)}\n`);
  };
  /** More than V8's longest string: a sparse file, so nothing is written to disk. */
  const HUGE = 'recordings/tests/t.test.js/huge-0000/0123456789abcdef.json';

  beforeAll(async () => {
    hostile = project({ 'tests/t.test.js': `${OPENAI_CLIENT}${askTest('mapped', 'one')}${askTest('encoded', 'two')}${askTest('fine', 'three')}` });
    const recorded = await hostile.run({ RECORD: '1', UPSTREAM_BASE: upstream().baseURL });
    expect(statusOf(recorded)).toEqual({ mapped: 'passed', encoded: 'passed', fine: 'passed' });
    edit('mapped', (recording) => {
      // 50,000 ids (1.6 MB of mapping); the answer holds the last one, which replay must turn back into "one".
      const mapping = Object.fromEntries(Array.from({ length: 50_000 }, (_, i) => [`rec-${i}`, `chatcmpl-${i.toString(16).padStart(12, '0')}`]));
      const original = `chatcmpl-${(49_999).toString(16).padStart(12, '0')}`;
      recording.id_normalization_mapping = { ...mapping, one: original };
      delete recording.id_normalization_mapping['rec-49999'];
      recording.response.body.__data__.choices[0].message.content = `echo: ${original}`;
    });
    edit('encoded', (recording) => {
      recording.response.headers = { 'content-encoding': 'gzip' };
    });
    fs.mkdirSync(path.join(hostile.dir, path.dirname(HUGE)), { recursive: true });
    fs.writeFileSync(path.join(hostile.dir, HUGE), '');
    fs.truncateSync(path.join(hostile.dir, HUGE), 600 * 2 ** 20);
    run = await hostile.run({ UPSTREAM_BASE: DEAD_BASE });
  });

  test('a huge id mapping costs one pass: the test replays, with its ids normalized', () => {
    expect(statusOf(run)).toEqual({ mapped: 'passed', encoded: 'failed', fine: 'passed' });
  });

  test('a stored content-encoding fails its test, naming the file', () => {
    expect(failureOf(run, 'encoded')).toContain(
      `jest-replay: cannot use recording ${path.join(hostile.dir, fileOf('encoded'))}: "response.headers" has "content-encoding": "gzip", ` +
        'but recorded bodies are stored decoded: remove the header',
    );
  });

  test('verify names the encoded file and the one too long to read, and checks the others', async () => {
    const { code, stdout } = await hostile.cli(['verify']);
    expect(code).toBe(1);
    expect(stdout).toContain(`${fileOf('encoded')}: cannot be replayed: "response.headers" has "content-encoding": "gzip"`);
    expect(stdout).toContain(`${HUGE}: it is 629 MB, more than the 536 MB Node can read as text: nothing in it can be used\n`);
    expect(stdout).not.toContain(fileOf('mapped'));
    expect(stdout).toContain('4 recordings checked, 2 problems');
  });

  test('list names the file too long to read, and lists the others', async () => {
    const { code, stdout } = await hostile.cli(['list']);
    expect(code).toBe(1);
    expect(stdout).toContain('3 recordings for 3 test ids');
    expect(stdout).toContain(`jest-replay: cannot use recording ${HUGE.slice('recordings/'.length)}: it is 629 MB`);
  });
});
