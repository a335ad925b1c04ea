import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FixtureProject, statusOf } from '../support/fixture';
import { startUpstream } from '../support/upstream';

/**
 * `list`, `show` and `diagnose` (and the command line's help, version and typo hints), run as the built CLI on recordings made by a real record run:
 * one test per kind of stream the `show` command joins into text.
 */
const CLI = path.resolve(__dirname, '..', '..', 'dist', 'cli', 'main.js');

const RECORDED_TESTS = `
const post = (path, body) => fetch(process.env.UPSTREAM + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then((r) => r.text());
const user = (content) => [{ role: 'user', content }];
describe('inspect', () => {
  test('chat', () => post('/v1/chat/completions', { model: 'gpt-4o', messages: user('plain chat') }));
  test('chat stream', () => post('/v1/chat/completions', { model: 'gpt-4o', stream: true, messages: user('streamed chat') }));
  test('responses stream', () => post('/v1/responses', { model: 'gpt-4o', stream: true, input: 'streamed response' }));
  test('anthropic stream', () => post('/v1/messages', { model: 'claude-haiku', max_tokens: 64, stream: true, messages: user('streamed message') }));
  test('ollama chat', () => post('/api/chat', { model: 'llama3.2', messages: user('ollama chat') }));
  test('models', () => fetch(process.env.UPSTREAM + '/v1/models').then((r) => r.text()));
});
`;

const ID = (title: string) => `tests/inspect.test.js::inspect::${title}`;

describe('list, show and diagnose', () => {
  const project = new FixtureProject('inspect', { 'tests/inspect.test.js': RECORDED_TESTS });
  const cli = (...args: string[]) => {
    const env = { ...process.env };
    delete env.JEST_REPLAY_DIR;
    const result = spawnSync(process.execPath, [CLI, ...args], { cwd: project.dir, encoding: 'utf8', env });
    return { code: result.status, stdout: result.stdout, stderr: result.stderr };
  };
  /** The recording file of a test, relative to the project. */
  const fileOf = (title: string) => {
    const file = project.files().find((f) => JSON.parse(project.read(`recordings/${f}`)).test_id === ID(title));
    return `recordings/${file}`;
  };

  beforeAll(async () => {
    const upstream = await startUpstream();
    try {
      const run = await project.run({ RECORD: '1', UPSTREAM: upstream.url });
      expect(Object.values(statusOf(run))).toEqual(Array(6).fill('passed'));
    } finally {
      await upstream.close();
    }
  });
  afterAll(() => project.remove());

  test('every command has its own --help, exit code 0', () => {
    for (const command of ['list', 'show', 'diagnose']) {
      const { code, stdout } = cli(command, '--help');
      expect([command, code]).toEqual([command, 0]);
      expect(stdout).toContain(`Usage: jest-replay ${command} `);
    }
  });

  test('--version prints the package version; help <command> is <command> --help', () => {
    const { version } = JSON.parse(fs.readFileSync(path.resolve(__dirname, '..', '..', 'package.json'), 'utf8'));
    expect(cli('--version')).toMatchObject({ code: 0, stdout: `${version}\n` });
    expect(cli('-v').stdout).toBe(`${version}\n`);
    expect(cli('help')).toMatchObject({ code: 0, stdout: expect.stringContaining('Run jest-replay help <command>') });
    for (const command of ['list', 'show', 'diff', 'diagnose', 'verify', 'prune', 'import']) {
      const help = cli('help', command);
      expect([command, help.code, help.stdout]).toEqual([command, 0, cli(command, '--help').stdout]);
    }
  });

  test("every help has one Options: list, the command's own options and the common ones", () => {
    const keyed = ['--normalizers <module>', '--match-ignore <path>'];
    const own: Record<string, string[]> = {
      list: ['--json'],
      show: ['--raw'],
      diff: ['--markdown'],
      diagnose: keyed,
      verify: keyed,
      prune: ['--usage <path>', '--yes'],
      import: ['--check', ...keyed],
      mv: ['--prefix', '--merge', '--dry-run', ...keyed],
    };
    for (const [command, options] of Object.entries(own)) {
      const { stdout } = cli(command, '--help');
      expect([command, stdout.match(/^.*Options:$/gm)]).toEqual([command, ['Options:']]);
      const listed = stdout.split('Options:\n')[1].split('\n').filter((line) => line.startsWith('  -')).map((line) => line.trim().split(/ {2,}/)[0]);
      expect([command, listed]).toEqual([command, [...options, '--dir <path>', '--config <path>', '--project <name>', '-h, --help']]);
    }
    expect(cli('--help').stdout.match(/^.*Options:$/gm)).toEqual(['Options:']);
  });

  test('a mistyped command or option: the nearest one suggested, exit code 2', () => {
    expect(cli('shwo')).toMatchObject({ code: 2, stderr: expect.stringMatching(/^jest-replay: unknown command "shwo"\. Did you mean show\?\n/) });
    expect(cli('help', 'lsit')).toMatchObject({ code: 2, stderr: expect.stringContaining('unknown command "lsit". Did you mean list?') });
    const option = cli('show', fileOf('chat'), '--rwa');
    expect(option).toMatchObject({ code: 2, stderr: expect.stringMatching(/^jest-replay show: unknown option --rwa\. Did you mean --raw\?\n\nUsage: jest-replay show /) });
    expect(option.stderr).not.toContain('To specify a positional argument');
    expect(cli('list', '--dri', 'recordings').stderr).toContain('unknown option --dri. Did you mean --dir?');
    expect(cli('show', '--dir')).toMatchObject({ code: 2, stderr: expect.stringContaining('jest-replay show: --dir needs a value') });
    expect(cli('show', fileOf('chat'), '--raw=yes')).toMatchObject({ code: 2, stderr: expect.stringContaining('jest-replay show: --raw takes no value') });
  });

  test('list: recordings by test id with endpoint, model, stream and size', () => {
    const { code, stdout } = cli('list');
    expect(code).toBe(0);
    const lines = stdout.split('\n');
    const after = (header: string) => lines[lines.indexOf(header) + 1];
    expect(after(ID('chat'))).toMatch(/^ {2}[0-9a-f]{16}\.json {2}POST \/v1\/chat\/completions {2}gpt-4o {2}\d+(\.\d)? k?B$/);
    expect(after(ID('chat stream'))).toMatch(/POST \/v1\/chat\/completions {2}gpt-4o {2}stream {2}/);
    expect(after(ID('ollama chat'))).toMatch(/POST \/api\/chat {2}llama3\.2 {2}stream {2}/);
    expect(after('(no test id: shared model lists and session-level recordings)')).toMatch(/^ {2}models-[0-9a-f]{16}-[0-9a-f]{8}\.json {2}GET \/v1\/models {2}- {2}/);
    expect(stdout).toMatch(/\n6 recordings for 5 test ids, \d+(\.\d)? kB\n/);
    // The stored usage's tokens, per test file (the shared model list reports none).
    const [blank, header, row] = stdout.trimEnd().split('\n').slice(-3);
    expect([blank, header]).toEqual(['', 'Tokens by test file (from the stored usage: what a live run would send and receive):']);
    expect(row).toMatch(/^ {2}tests\/inspect\.test\.js {2}[1-9]\d* prompt, [1-9]\d* completion$/);
  });

  test('list with a test-id prefix lists only those ids; none matching is exit code 1', () => {
    const { code, stdout } = cli('list', ID('chat'));
    expect(code).toBe(0);
    expect(stdout).toContain('2 recordings for 2 test ids');
    expect(cli('list', ID('ollama')).stdout).toMatch(/\n1 recording for 1 test id, /);
    expect(cli('list', 'tests/nothing').code).toBe(1);
  });

  test.each([
    ['chat stream', 'echo: streamed chat', 'a stream of'],
    ['responses stream', 'echo: streamed response', 'a stream of'],
    ['anthropic stream', 'echo: streamed message', 'a stream of'],
    ['ollama chat', 'echo: ollama chat', 'a stream of'],
  ])('show joins the recorded %s into its text', (title, text, kind) => {
    const { code, stdout } = cli('show', fileOf(title));
    expect(code).toBe(0);
    expect(stdout).toContain(`test id:  ${ID(title)}`);
    expect(stdout).toContain(`response: 200, ${kind}`);
    expect(stdout).toContain(`text:\n  ${text}\n`);
  });

  test('show --raw adds the stored chunks, unwrapped', () => {
    const { code, stdout } = cli('show', fileOf('chat stream'), '--raw');
    expect(code).toBe(0);
    expect(stdout).toMatch(/\nchunks:\n {2}\[\n {4}\{\n {6}"id": "rec-[0-9a-f]{12}",/);
    expect(stdout).not.toContain('__type__');
  });

  test('show by key prefix: request and response, readable', () => {
    const prefix = path.basename(fileOf('chat')).slice(0, 8);
    const { code, stdout } = cli('show', prefix);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^request: {2}POST http:\/\/127\.0\.0\.1\/v1\/chat\/completions$/m);
    expect(stdout).toContain('"content": "plain chat"');
    expect(stdout).toMatch(/^response: 200\nbody:\n {2}\{/m);
    expect(stdout).toContain('"content": "echo: plain chat"');
  });

  test("show takes the whole key a miss message prints, once that request is recorded", async () => {
    const file = path.join(project.dir, fileOf('chat'));
    const text = fs.readFileSync(file, 'utf8');
    fs.rmSync(file);
    const miss = await project.run({ UPSTREAM: 'http://127.0.0.1:9' }, ['-t', '^inspect chat$']);
    fs.writeFileSync(file, text);
    const key = /^\s*key:\s+([0-9a-f]{64})$/m.exec(miss.output)?.[1];
    expect(key).toBeDefined();
    const { code, stdout } = cli('show', key!);
    expect(code).toBe(0);
    expect(stdout).toContain(`file:     ${fileOf('chat')} (`);
    expect(stdout).toContain('"content": "echo: plain chat"');
  });

  test('show: no such key is exit code 1, a malformed or missing target exit code 2', () => {
    expect(cli('show', 'ffffffffffff')).toMatchObject({ code: 1, stderr: expect.stringContaining('no recording in recordings has a key starting with ffffffffffff') });
    expect(cli('show', 'not-a-key')).toMatchObject({ code: 2, stderr: expect.stringContaining('neither a recording file nor a key prefix') });
    expect(cli('show').code).toBe(2);
  });

  test("diagnose: the test's folder, each file with the key its request produces now", () => {
    const { code, stdout } = cli('diagnose', ID('chat'));
    expect(code).toBe(0);
    const name = path.basename(fileOf('chat'));
    expect(stdout).toContain(`folder:   ${path.dirname(fileOf('chat'))}`);
    expect(stdout).toContain(`  ${name}  POST /v1/chat/completions  gpt-4o  ${name.slice(0, 16)}…  ok`);
  });

  test('diagnose flags a file whose name is not its key, or whose test_id is foreign', () => {
    const original = fileOf('chat stream');
    const renamed = path.join(path.dirname(original), '0123456789abcdef.json');
    fs.renameSync(path.join(project.dir, original), path.join(project.dir, renamed));
    const foreign = path.join(path.dirname(original), path.basename(fileOf('chat')));
    fs.copyFileSync(path.join(project.dir, fileOf('chat')), path.join(project.dir, foreign));
    const { code, stdout } = cli('diagnose', ID('chat stream'));
    fs.renameSync(path.join(project.dir, renamed), path.join(project.dir, original));
    fs.rmSync(path.join(project.dir, foreign));
    expect(code).toBe(1);
    expect(stdout).toContain('MISMATCH');
    expect(stdout).toContain(`${path.basename(foreign)}: its test_id is ${JSON.stringify(ID('chat'))}, not this test's: replay never reads it here`);
    expect(stdout).toContain(`0123456789abcdef.json: its name says key 0123456789abcdef…, but its stored request keys to ${path.basename(original).slice(0, 16)}…`);
  });

  test('diagnose a renamed test: nothing recorded, and the ids recorded for that file, nearest first', () => {
    const { code, stdout } = cli('diagnose', ID('chat streams'));
    expect(code).toBe(1);
    expect(stdout).toContain('nothing is recorded for this test id (its folder does not exist)');
    const others = stdout.split('recorded for the same test file under other ids (nearest first):\n')[1].trim().split('\n').map((l) => l.trim());
    expect(others[0]).toBe(ID('chat stream'));
    expect(others).toHaveLength(5);
  });

  test('diagnose and list report a broken file; diagnose without an id is a usage error', () => {
    const file = path.join(project.dir, fileOf('chat'));
    const text = fs.readFileSync(file, 'utf8');
    fs.writeFileSync(file, text.slice(0, 40));
    const diagnose = cli('diagnose', ID('chat'));
    const list = cli('list');
    fs.writeFileSync(file, text);
    expect(diagnose.code).toBe(1);
    expect(diagnose.stdout).toMatch(/unreadable .*MISMATCH|invalid JSON/);
    expect(list.code).toBe(1);
    expect(list.stdout).toContain('1 file is not a usable recording:');
    expect(cli('diagnose').code).toBe(2);
  });
});

describe('import', () => {
  const project = new FixtureProject('import-credentials', {});
  afterAll(() => project.remove());
  const KEY = 'sk-imported-SECRET0123456789';
  /** A llama-stack recording of a chat completion, as another tool may have stored it: with the caller's headers. */
  const llamaStack = (content: string, url: string, headers: Record<string, string>, reply: string) =>
    JSON.stringify({
      test_id: `tests/integration/test_chat.py::test_${content}`,
      request: { method: 'POST', url, headers, body: { model: 'gpt-4o', input: content }, endpoint: '/v1/chat/completions' },
      response: {
        body: {
          __type__: 'openai.types.chat.chat_completion.ChatCompletion',
          __data__: { id: 'rec-1', object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: reply } }] },
        },
        is_streaming: false,
      },
    });

  test('drops credential headers and URL credentials, saying so; a file whose response holds one is skipped', async () => {
    const url = 'http://0.0.0.0:11434/v1/v1/chat/completions';
    const headers = { Authorization: `Bearer ${KEY}`, 'X-Api-Key': `${KEY}-2`, 'content-type': 'application/json' };
    // Numbers as Python wrote them, which a JavaScript number cannot hold: a float `1.0`, an integer beyond 2^53.
    const numbers = '"temperature": 1.0, "seed": 123456789012345678901, "top_p": -6.2016305e-05';
    project.write('llama/recordings/a.json', llamaStack('clean', `${url}?api_key=${KEY}-3&x=1`, headers, 'hello').replace('"input":', `${numbers}, "input":`));
    project.write('llama/recordings/b.json', llamaStack('echoed', url, { authorization: `Bearer ${KEY}` }, `your key is ${KEY}`));
    const { code, stdout } = await project.cli(['import', 'llama']);
    expect(code).toBe(0);
    const dropped = 'request header authorization, request header x-api-key, request.url credentials';
    expect(stdout).toMatch(new RegExp(`^imported llama/recordings/a\\.json -> recordings/\\S+, without its credentials: ${dropped}$`, 'm'));
    const echoed = 'the header authorization at response.body.__data__.choices[0].message.content';
    expect(stdout).toContain(`skipped  llama/recordings/b.json: it holds a credential its request carried: ${echoed}`);
    expect(stdout).toContain('1 imported, 1 skipped');
    expect(stdout).not.toContain('SECRET0123456789');
    const files = Object.values(project.snapshot());
    expect(files).toHaveLength(1);
    expect(files[0]).not.toContain('SECRET0123456789');
    expect(JSON.parse(files[0]).request).toMatchObject({ url: `${url}?x=1`, headers: { 'content-type': 'application/json' } });
    // Everything else unchanged: numbers as written, fields in their order (none added).
    expect(files[0]).toContain('"temperature": 1.0,\n      "seed": 123456789012345678901,\n      "top_p": -6.2016305e-05,\n      "input": "clean"');
    expect(Object.keys(JSON.parse(files[0]))).toEqual(['test_id', 'request', 'response']);
    expect(await project.cli(['verify'])).toMatchObject({ code: 0 });
  });
});
