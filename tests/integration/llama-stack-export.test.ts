import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { recordingSources } from '../../src/core/inspect/import';
import { FixtureProject, statusOf } from '../support/fixture';
import { pythonWithOpenAI } from '../support/python-venv';
import { startUpstream } from '../support/upstream';

/**
 * `jest-replay export`, proven against llama-stack's own algorithm: its real recordings come back where
 * and as it wrote them after a round trip through `import`, and what a Jest suite records under pytest
 * ids is found and rebuilt by a Python replay that follows llama-stack's recorder (tests/support/
 * llama_stack_replay.py, run with the real `openai` package), giving the objects the Node SDK saw.
 */
const REPO = path.resolve(__dirname, '..', '..');
const SAMPLE = path.join(REPO, 'tests', 'fixtures', 'llama-stack-sample');
const CLI = path.join(REPO, 'dist', 'cli', 'main.js');
const REPLAYER = path.join(REPO, 'tests', 'support', 'llama_stack_replay.py');

const cli = (project: FixtureProject, ...args: string[]) =>
  spawnSync(process.execPath, [CLI, ...args], { cwd: project.dir, encoding: 'utf8' });
const exportedLines = (stdout: string) => [...stdout.matchAll(/^exported (\S+) -> (\S+?)( \(unchanged\))?$/gm)];

describe("llama-stack's own recordings, imported then exported", () => {
  const project = new FixtureProject('llama-stack-export-roundtrip', {});
  afterAll(() => project.remove());
  const samples = recordingSources([SAMPLE]).map((file) => path.relative(SAMPLE, file));
  // An older file that does not hold the test id its name was computed with, and Ollama's native API.
  const withoutTestId = samples.find((f) => f.includes('632ce0140a65'))!;
  const ollama = samples.find((f) => f.includes('28b74a89cdc8'))!;

  test('come back at the same path, byte for byte; what cannot is named with the reason', () => {
    expect(cli(project, 'import', SAMPLE).status).toBe(0);
    const { status, stdout } = cli(project, 'export', 'out');
    const written = exportedLines(stdout).map(([, , target]) => path.relative('out', target));
    expect(written).toHaveLength(samples.length - 1);
    for (const file of samples.filter((f) => f !== withoutTestId && f !== ollama)) {
      expect(written).toContain(file);
      expect(project.read(path.join('out', file))).toBe(fs.readFileSync(path.join(SAMPLE, file), 'utf8'));
    }
    // Without its test id, it is a session-level recording under the name its content gives.
    const session = written.filter((f) => !samples.includes(f));
    expect(session).toEqual([expect.stringMatching(/^tests\/integration\/common\/recordings\/[0-9a-f]{64}\.json$/)]);
    expect(project.read(path.join('out', session[0]))).toBe(fs.readFileSync(path.join(SAMPLE, withoutTestId), 'utf8'));
    expect(stdout).toMatch(/^not exported \S+: llama-stack records Ollama's native API \(\/api\/ps\) as the ollama Python client's call/m);
    expect(stdout).toContain(`${samples.length - 1} exported, 1 not exported`);
    expect(status).toBe(1);
  });

  test('exporting again changes nothing; a file that differs is refused, nothing written, unless --force', () => {
    const again = cli(project, 'export', 'out');
    expect(exportedLines(again.stdout).every(([, , , unchanged]) => unchanged)).toBe(true);
    const [edited, removed] = samples.filter((f) => f !== withoutTestId && f !== ollama);
    project.write(path.join('out', edited), 'edited by hand\n');
    fs.rmSync(path.join(project.dir, 'out', removed));
    const refused = cli(project, 'export', 'out');
    expect(refused.stdout).toContain(`refusing to overwrite out/${edited}: it exists with other content (--force overwrites it)`);
    expect(refused.stdout).toContain('nothing written: 1 file would be overwritten');
    expect(refused.status).toBe(1);
    expect(fs.existsSync(path.join(project.dir, 'out', removed))).toBe(false);
    expect(cli(project, 'export', 'out', '--force').status).toBe(1);
    expect(project.read(path.join('out', edited))).toBe(fs.readFileSync(path.join(SAMPLE, edited), 'utf8'));
    expect(fs.existsSync(path.join(project.dir, 'out', removed))).toBe(true);
  });

  test('usage errors exit 2', () => {
    expect(cli(project, 'export').stderr).toContain('jest-replay export: give one output folder');
    expect(cli(project, 'export', 'out', '--dir', 'nowhere').stderr).toContain('jest-replay export: no recordings directory at');
    expect(cli(project, 'export', 'out', '--origin', 'not a url').stderr).toContain(
      '--origin: "not a url" is not an origin like http://0.0.0.0:11434',
    );
    expect(cli(project, 'export', 'out', '--base-url-path', 'v1').status).toBe(2);
  });
});

/** One call of the fixture suite: the Jest test that makes it, and the same call in Python as llama-stack's replay would see it. */
interface Call {
  name: string;
  /** pytest id (set with setTestId), or absent: the test's default id. */
  testId?: string;
  js: string;
  python: { kind: 'openai'; endpoint: string; kwargs: string } | { kind: 'http'; path: string; payload: string };
}

const MESSAGES = `[{ role: 'user', content: 'Hello there' }]`;
const PY_MESSAGES = `[{"role": "user", "content": "Hello there"}]`;
const TOOLS = `[{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }]`;
const PY_TOOLS = `[{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}]`;
const id = (file: string, test: string) => `tests/integration/${file}::${test}[txt=gpt-4o]`;
const chunks = (request: string) => `const chunks = []; for await (const chunk of await ${request}) chunks.push(chunk); return chunks;`;

const CALLS: Call[] = [
  {
    name: 'chat',
    testId: id('inference/test_chat.py', 'test_chat'),
    js: `return client.chat.completions.create({ model: 'gpt-4o', messages: ${MESSAGES}, temperature: 0, top_p: 1, seed: 7 });`,
    python: {
      kind: 'openai',
      endpoint: '/v1/chat/completions',
      kwargs: `dict(model="gpt-4o", messages=${PY_MESSAGES}, temperature=0.0, top_p=1.0, seed=7)`,
    },
  },
  {
    name: 'stream',
    testId: id('inference/test_chat.py', 'test_stream'),
    js: chunks(
      `client.chat.completions.create({ model: 'gpt-4o', messages: ${MESSAGES}, stream: true, stream_options: { include_usage: true }, temperature: 0.7 })`,
    ),
    python: {
      kind: 'openai',
      endpoint: '/v1/chat/completions',
      kwargs: `dict(model="gpt-4o", messages=${PY_MESSAGES}, stream=True, stream_options={"include_usage": True}, temperature=0.7)`,
    },
  },
  {
    name: 'stream with tools',
    testId: id('inference/test_tools.py', 'test_stream_tools'),
    js: chunks(`client.chat.completions.create({ model: 'gpt-4o', messages: ${MESSAGES}, tools: ${TOOLS}, stream: true })`),
    python: {
      kind: 'openai',
      endpoint: '/v1/chat/completions',
      kwargs: `dict(model="gpt-4o", messages=${PY_MESSAGES}, tools=${PY_TOOLS}, stream=True)`,
    },
  },
  {
    name: 'embeddings',
    testId: id('inference/test_embeddings.py', 'test_embeddings'),
    js: `return client.embeddings.create({ model: 'text-embedding-3-small', input: ['alpha', 'beta'] });`,
    python: { kind: 'openai', endpoint: '/v1/embeddings', kwargs: `dict(model="text-embedding-3-small", input=["alpha", "beta"])` },
  },
  {
    name: 'completions',
    testId: id('inference/test_completion.py', 'test_completion'),
    js: `return client.completions.create({ model: 'gpt-3.5-turbo-instruct', prompt: 'Say hi', max_tokens: 5, temperature: 0 });`,
    python: {
      kind: 'openai',
      endpoint: '/v1/completions',
      kwargs: `dict(model="gpt-3.5-turbo-instruct", prompt="Say hi", max_tokens=5, temperature=0.0)`,
    },
  },
  {
    name: 'streaming completions',
    testId: id('inference/test_completion.py', 'test_completion_stream'),
    js: chunks(`client.completions.create({ model: 'gpt-3.5-turbo-instruct', prompt: 'Count', stream: true })`),
    python: { kind: 'openai', endpoint: '/v1/completions', kwargs: `dict(model="gpt-3.5-turbo-instruct", prompt="Count", stream=True)` },
  },
  {
    // llama-stack lists models at session setup, outside any test: a session-level recording.
    name: 'models',
    js: `const models = []; for await (const model of client.models.list()) models.push(model); return models;`,
    python: { kind: 'openai', endpoint: '/v1/models', kwargs: 'dict()' },
  },
  {
    name: 'a 400',
    testId: id('inference/test_errors.py', 'test_bad_request'),
    js: `return client.chat.completions.create({ model: 'fail-400', messages: ${MESSAGES} });`,
    python: { kind: 'openai', endpoint: '/v1/chat/completions', kwargs: `dict(model="fail-400", messages=${PY_MESSAGES})` },
  },
  {
    name: 'a default-id test',
    js: `return client.chat.completions.create({ model: 'gpt-4o', messages: ${MESSAGES} });`,
    python: { kind: 'openai', endpoint: '/v1/chat/completions', kwargs: `dict(model="gpt-4o", messages=${PY_MESSAGES})` },
  },
  {
    name: 'responses',
    testId: id('responses/test_responses.py', 'test_response'),
    js: `return client.responses.create({ model: 'gpt-4o', input: 'What is up?' });`,
    python: { kind: 'openai', endpoint: '/v1/responses', kwargs: 'dict(model="gpt-4o", input="What is up?")' },
  },
  {
    name: 'streaming responses',
    testId: id('responses/test_responses.py', 'test_response_stream'),
    js: chunks(`client.responses.create({ model: 'gpt-4o', input: 'Stream it', stream: true })`),
    python: { kind: 'openai', endpoint: '/v1/responses', kwargs: 'dict(model="gpt-4o", input="Stream it", stream=True)' },
  },
  {
    name: 'anthropic messages',
    testId: id('messages/test_messages.py', 'test_messages'),
    js: `return anthropic.messages.create({ model: 'claude-test', max_tokens: 64, messages: ${MESSAGES} });`,
    python: { kind: 'http', path: '/v1/messages', payload: `dict(model="claude-test", max_tokens=64, messages=${PY_MESSAGES})` },
  },
  {
    name: 'streaming anthropic messages',
    testId: id('messages/test_messages.py', 'test_messages_stream'),
    js: chunks(`anthropic.messages.create({ model: 'claude-test', max_tokens: 64, messages: ${MESSAGES}, stream: true })`),
    python: {
      kind: 'http',
      path: '/v1/messages',
      payload: `dict(model="claude-test", max_tokens=64, messages=${PY_MESSAGES}, stream=True)`,
    },
  },
];

/** The fixture suite: one test per call, which keeps what the SDK returned (or threw) in seen/<name>.json. */
function suite(): string {
  const tests = CALLS.map(
    ({ name, testId, js }) => `test(${JSON.stringify(name)}, async () => {
  ${testId ? `setTestId(${JSON.stringify(testId)});` : '// the default id: tests/export.test.js::a default-id test'}
  see(${JSON.stringify(name)}, await (async () => { ${js} })().catch((e) => ({ className: e.constructor.name, status: e.status, error: e.error })));
});`,
  );
  return `const fs = require('node:fs');
const path = require('node:path');
const { default: OpenAI } = require('openai');
const { default: Anthropic } = require('@anthropic-ai/sdk');
const { setTestId } = require('jest-replay');
const client = new OpenAI({ apiKey: 'not-needed', baseURL: process.env.UPSTREAM_BASE, maxRetries: 0 });
const anthropic = new Anthropic({ apiKey: 'not-needed', baseURL: process.env.UPSTREAM_URL, maxRetries: 0 });
const see = (name, value) => fs.writeFileSync(path.join(__dirname, '..', 'seen', name + '.json'), JSON.stringify(value));
${tests.join('\n')}
`;
}

/** Where llama-stack's recorder looks for a call's file: beside its test file, or the storage dir's for a session-level one. */
const expectedFolder = ({ testId }: Call, name: string) =>
  name === 'a default-id test'
    ? 'tests/recordings'
    : testId
      ? path.posix.join(path.posix.dirname(testId.split('::')[0]), 'recordings')
      : 'tests/integration/common/recordings';

describe("what a Jest suite records, exported, replays in llama-stack's Python recorder", () => {
  const project = new FixtureProject('llama-stack-export', { 'tests/export.test.js': suite() });
  const python = pythonWithOpenAI();
  let record: Awaited<ReturnType<FixtureProject['run']>>;
  let replay: Awaited<ReturnType<FixtureProject['run']>>;
  let exported: ReturnType<typeof cli>;

  beforeAll(async () => {
    fs.mkdirSync(path.join(project.dir, 'seen'));
    const upstream = await startUpstream();
    try {
      record = await project.run({ RECORD: '1', UPSTREAM_BASE: upstream.baseURL, UPSTREAM_URL: upstream.url });
    } finally {
      await upstream.close();
    }
    // What the SDKs see in replay is what the exported files must give Python: the normalized ids included.
    replay = await project.run({ UPSTREAM_BASE: 'http://127.0.0.1:9/v1', UPSTREAM_URL: 'http://127.0.0.1:9' });
    exported = cli(project, 'export', 'out', '--origin', 'http://0.0.0.0:11434');
  });
  afterAll(() => project.remove());

  test('the suite records every call, and replays it', () => {
    expect(Object.values(statusOf(record))).toEqual(CALLS.map(() => 'passed'));
    expect(Object.values(statusOf(replay))).toEqual(CALLS.map(() => 'passed'));
    expect(JSON.parse(project.read('seen/a 400.json'))).toMatchObject({ className: 'BadRequestError', status: 400 });
  });

  test('export writes one llama-stack file per call, beside the test file of its pytest id', () => {
    const targets = exportedLines(exported.stdout).map(([, , target]) => path.relative('out', target));
    expect(targets).toHaveLength(CALLS.length);
    for (const call of CALLS) {
      const json = targets.map((t) => [t, JSON.parse(project.read(path.join('out', t)))] as const);
      const own = json.filter(
        ([, data]) =>
          (data.test_id ?? null) === (call.testId ?? (call.name === 'models' ? null : 'tests/export.test.js::a default-id test')),
      );
      expect(own.some(([t]) => path.posix.dirname(t) === expectedFolder(call, call.name))).toBe(true);
    }
    expect(exported.stdout).toContain(`${CALLS.length} exported, 0 not exported`);
    expect(exported.status).toBe(0);
  });

  test('--float= names no float field: a Python suite that passes temperature=0 finds its file under another name', () => {
    const chatFile = (out: string, stdout: string) => {
      const chat = exportedLines(stdout).find(([, source]) => JSON.parse(project.read(source)).test_id === CALLS[0].testId)!;
      return path.relative(out, chat[2]);
    };
    const ints = cli(project, 'export', 'out-ints', '--float=', '--origin', 'http://0.0.0.0:11434');
    const [asFloats, asInts] = [chatFile('out', exported.stdout), chatFile('out-ints', ints.stdout)];
    expect(asInts).not.toBe(asFloats);
    expect(project.read(path.join('out', asFloats))).toContain('"temperature": 0.0,\n      "top_p": 1.0,');
    expect(project.read(path.join('out-ints', asInts))).toContain('"temperature": 0,\n      "top_p": 1,');
  });

  const checked = 'python' in python ? '' : ` (NOT CHECKED WITH PYTHON: ${python.problem})`;
  test(`llama-stack's algorithm finds each call's file and rebuilds what the Node SDK saw; the 400 raises${checked}`, () => {
    if (!('python' in python)) return expect(python.problem).toBeTruthy();
    const calls = CALLS.map((call) => ({
      name: call.name,
      test_id: call.name === 'a default-id test' ? 'tests/export.test.js::a default-id test' : (call.testId ?? null),
      seen: JSON.parse(project.read(`seen/${call.name}.json`)),
      ...(call.python.kind === 'http'
        ? { kind: 'http', url: `http://0.0.0.0:11434${call.python.path}`, payload: call.python.payload }
        : { kind: 'openai', base_url: 'http://0.0.0.0:11434/v1', endpoint: call.python.endpoint, kwargs: call.python.kwargs }),
    }));
    project.write('calls.json', JSON.stringify({ root: path.join(project.dir, 'out'), storage_dir: 'tests/integration/common', calls }));
    const run = spawnSync(python.python, [REPLAYER, path.join(project.dir, 'calls.json')], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    const results: { name: string; file: string | null; raised: string | null; problems: string[] }[] = JSON.parse(run.stdout);
    expect(results.filter((r) => r.problems.length > 0)).toEqual([]);
    for (const result of results)
      expect(path.posix.dirname(result.file!)).toBe(
        expectedFolder(
          CALLS.find((c) => c.name === result.name)!,
          result.name,
        ),
      );
    expect(results.find((r) => r.name === 'a 400')?.raised).toBe('BadRequestError');
  });
});
