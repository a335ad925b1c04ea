import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { recordingSources } from '../../src/core/inspect/import';
import { ERROR_CLASS_BY_STATUS } from '../../src/core/recording/llama-stack-responses';
import { FixtureProject, failureOf, statusOf } from '../support/fixture';

/**
 * Interop: real llama-stack recordings (tests/fixtures/llama-stack-sample, copied from llama-stack's
 * own suite) and one fixture per recording kind (tests/fixtures/llama-stack-kinds) are imported
 * with the CLI, then replayed through the openai SDK from a Jest test that sets the recording's
 * pytest id and sends the request the Python SDK sent. Each must give what the Python SDK got.
 */
const REPO = path.resolve(__dirname, '..', '..');
const SAMPLE = path.join(REPO, 'tests', 'fixtures', 'llama-stack-sample');
const KINDS = path.join(REPO, 'tests', 'fixtures', 'llama-stack-kinds');
const CLI = path.join(REPO, 'dist', 'cli', 'main.js');
const sampleFiles = recordingSources([SAMPLE]);
const kindFiles = recordingSources([KINDS]);
const isModelList = (file: string) => path.basename(file).startsWith('models-');

/** The openai SDK's error class for an HTTP status, as both SDKs map them. */
const CLASS_BY_STATUS = ERROR_CLASS_BY_STATUS;
/** Python built-in exceptions, at the status llama-stack's server answers them with. */
const BUILTIN_STATUS: Record<string, number> = { ValueError: 400, PermissionError: 403, NotImplementedError: 501 };

interface ExpectedError {
  className: string;
  status?: number;
  message: string;
}

/** What the openai SDK must throw for a recorded exception: the class, status and message the Python SDK got. */
interface RecordedException {
  body: unknown;
  exception_data?: Record<string, unknown> | null;
  exception_message?: string;
}

function expectedError(response: RecordedException): ExpectedError {
  const data = response.exception_data ?? {};
  const message = String(data.message ?? response.exception_message);
  const type = String(data.type ?? '');
  const legacyStatus = /^Error code: (\d{3})/.exec(message)?.[1];
  const status = (data.status_code as number | undefined) ?? BUILTIN_STATUS[type] ?? (legacyStatus ? Number(legacyStatus) : undefined);
  const bodyMessage = (data.body as { message?: string } | null)?.message;
  if (status !== undefined) return { className: CLASS_BY_STATUS[status] ?? 'InternalServerError', status, message: bodyMessage ?? message };
  if (/Timeout/.test(type)) return { className: 'APIConnectionTimeoutError', message: 'timed out' };
  if (/Connection/.test(type)) return { className: 'APIConnectionError', message: 'Connection error' };
  if (type === 'APIError') return { className: 'APIError', message };
  // Any other failure after part of a stream: the connection broke (undici's error for that).
  if (Array.isArray(response.body)) return { className: 'TypeError', message: 'terminated' };
  return { className: 'InternalServerError', status: 500, message };
}

/** The JSON body the Python SDK put on the wire: llama-stack records `extra_body` as a keyword argument. */
function wireBody(body: Record<string, unknown>): Record<string, unknown> {
  const { extra_body: extra, ...rest } = body;
  return { ...rest, ...((extra as Record<string, unknown> | null) ?? {}) };
}

/** The events @anthropic-ai/sdk yields for a recorded stream's lines: each event's data, but pings. */
function anthropicEvents(lines: string[]): unknown[] {
  const events: unknown[] = [];
  let event = '';
  for (const line of lines) {
    if (line.startsWith('event: ')) event = line.slice('event: '.length);
    else if (line.startsWith('data: ') && event !== 'ping') events.push(JSON.parse(line.slice('data: '.length)));
  }
  return events;
}

/** One generated test per recording: the SDK call for its endpoint, and what it must return. */
function testFor(file: string, allFiles: string[]): string {
  const data = JSON.parse(fs.readFileSync(file, 'utf8'));
  const name = path.basename(file).slice(0, 24);
  const endpoint: string = data.request.endpoint ?? new URL(data.request.url).pathname;
  const body = wireBody(data.request.body ?? data.request.payload);
  const response = data.response;
  const unwrap = (v: { __data__?: unknown }) => (v && typeof v === 'object' && '__data__' in v ? v.__data__ : v);
  const setId = data.test_id ? `setTestId(${JSON.stringify(data.test_id)});` : '// no test_id: a session-level recording';
  const method = { '/v1/chat/completions': 'chat.completions', '/v1/completions': 'completions', '/v1/embeddings': 'embeddings' }[endpoint];
  let call: string;
  if (response.is_exception && endpoint.startsWith('/api/')) {
    const text = response.exception_data.message.replace(/ \(status code: \d+\)$/, ''); // Ollama's SDK adds the status
    call = `const request = { method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify(${JSON.stringify(body)}) };
    const response = await fetch('http://127.0.0.1:9${endpoint}', request);
    expect(response.status).toBe(${response.exception_data.status_code});
    expect((await response.json()).error).toBe(${JSON.stringify(text)});`;
  } else if (response.is_exception) {
    const expected = expectedError(response);
    const chunks = Array.isArray(response.body) ? response.body.map(unwrap) : undefined;
    const client = expected.className === 'APIConnectionTimeoutError' ? 'impatientClient' : 'client';
    const request = chunks
      ? `(async () => { for await (const chunk of await ${client}.${method}.create(${JSON.stringify(body)})) chunks.push(chunk); })()`
      : `${client}.${method}.create(${JSON.stringify(body)})`;
    call = `const chunks = [];
    const error = await ${request}.then(() => undefined, (e) => e);
    expect(error?.constructor.name).toBe(${JSON.stringify(expected.className)});
    expect(error.status).toBe(${JSON.stringify(expected.status)});
    expect(error.message).toContain(${JSON.stringify(expected.message)});
    expect(chunks).toEqual(${JSON.stringify(chunks ?? [])});`;
  } else if (endpoint === '/v1/models') {
    const modelIds = (f: string): string[] =>
      JSON.parse(fs.readFileSync(f, 'utf8')).response.body.map((m: { __data__: { id: string } }) => m.__data__.id);
    const ids = [...new Set(allFiles.filter(isModelList).flatMap(modelIds))].sort();
    call = `const ids = [];
    for await (const model of client.models.list()) ids.push(model.id);
    expect(ids).toEqual(${JSON.stringify(ids)}); // the lists of both servers, merged`;
  } else if (endpoint === '/api/ps') {
    call = `const response = await fetch('http://127.0.0.1:9/api/ps');
    expect(await response.json()).toEqual(${JSON.stringify(unwrap(response.body))});`;
  } else if (endpoint === '/v1/messages') {
    // llama-stack records Anthropic's Messages API as the raw HTTP exchange; @anthropic-ai/sdk reads it back.
    const request = `anthropic.messages.create(${JSON.stringify(body)})`;
    if (response.is_streaming) {
      call = `const events = [];
    for await (const event of await ${request}) events.push(event);
    expect(events).toEqual(${JSON.stringify(anthropicEvents(response.body))});`;
    } else if ((response.status ?? 200) >= 400) {
      call = `const error = await ${request}.then(() => undefined, (e) => e);
    expect(error?.constructor.name).toBe(${JSON.stringify(CLASS_BY_STATUS[response.status])});
    expect(error.status).toBe(${response.status});
    expect(error.error).toEqual(${JSON.stringify(response.body)});`;
    } else call = `expect(await ${request}).toEqual(${JSON.stringify(response.body)});`;
  } else if (endpoint.endsWith('/interactions')) {
    // Google's Interactions API, recorded as the raw HTTP exchange: read with fetch, as the bytes llama-stack replays.
    const expected = response.is_streaming
      ? `expect(response.headers.get('content-type')).toBe('text/event-stream');
    expect(await response.text()).toBe(${JSON.stringify(response.body.map((l: string) => `${l}\n`).join(''))});`
      : `expect(await response.json()).toEqual(${JSON.stringify(response.body)});`;
    call = `const response = await fetch('http://127.0.0.1:9${endpoint}', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(${JSON.stringify(body)}) });
    expect(response.status).toBe(${response.status ?? 200});
    ${expected}`;
  } else {
    if (!method) throw new Error(`no SDK call for ${endpoint} in ${file}`);
    call = response.is_streaming
      ? `const chunks = [];
    for await (const chunk of await client.${method}.create(${JSON.stringify(body)})) chunks.push(chunk);
    expect(chunks).toEqual(${JSON.stringify(response.body.map(unwrap))});`
      : `expect(await client.${method}.create(${JSON.stringify(body)})).toEqual(${JSON.stringify(unwrap(response.body))});`;
  }
  return `test(${JSON.stringify(`${endpoint} ${name}`)}, async () => {
    ${setId}
    ${call}
  });\n`;
}

/** A project whose one test file replays every given recording (model lists merged into one test). */
function replayProject(name: string, files: string[]): FixtureProject {
  const tests = files.filter((f, i) => !isModelList(f) || files.findIndex(isModelList) === i).map((f) => testFor(f, files));
  return new FixtureProject(name, {
    'tests/replay.test.js': `const { default: OpenAI } = require('openai');
const { default: Anthropic } = require('@anthropic-ai/sdk');
const { setTestId } = require('jest-replay');
const client = new OpenAI({ apiKey: 'not-needed', baseURL: 'http://127.0.0.1:9/v1', maxRetries: 0 });
const anthropic = new Anthropic({ apiKey: 'not-needed', baseURL: 'http://127.0.0.1:9', maxRetries: 0 });
// Recorded timeouts replay as a response that never comes: this client gives up soon.
const impatientClient = new OpenAI({ apiKey: 'not-needed', baseURL: 'http://127.0.0.1:9/v1', maxRetries: 0, timeout: 300 });
${tests.join('\n')}`,
  });
}

describe('llama-stack recordings', () => {
  const project = replayProject('llama-stack', sampleFiles);
  afterAll(() => project.remove());

  test('the sample holds every shape the issue lists', () => {
    expect(sampleFiles).toHaveLength(19);
    const endpoints = sampleFiles.map((f) => {
      const { request } = JSON.parse(fs.readFileSync(f, 'utf8'));
      return `${request.endpoint ?? new URL(request.url).pathname} ${request.payload?.stream ? 'stream' : 'no stream'}`;
    });
    // Anthropic's and Google's APIs, recorded by llama-stack as raw HTTP exchanges, streaming and not.
    for (const kind of ['/v1/messages', '/v1beta/interactions']) {
      expect(endpoints).toContain(`${kind} stream`);
      expect(endpoints).toContain(`${kind} no stream`);
    }
  });

  test('import reports and handles every file of the sample', () => {
    const output = execFileSync(process.execPath, [CLI, 'import', SAMPLE], { cwd: project.dir, encoding: 'utf8' });
    expect(output).toContain('19 imported, 0 skipped');
    expect(output.match(/^imported /gm)).toHaveLength(19);
    // keyed by this project's key under the test id; model lists and session-level recordings shared
    expect(project.files().filter((f) => f.startsWith('_shared/models-'))).toHaveLength(2);
    expect(project.files()).toContainEqual(expect.stringMatching(/^tests\/integration\/responses\/test_tool_responses\.py\/test_response_non_streaming_multi_turn_tool_execution_c-[0-9a-f]{8}\/[0-9a-f]{16}\.json$/));
    // Content unchanged, byte for byte: llama-stack's writer and ours agree on the format, and numbers keep
    // their spelling (`0.0`, `-6.2016305e-05`), fields their order, and no field is added.
    const targets = [...output.matchAll(/^imported (\S+) -> (\S+)$/gm)].map(([, source, target]) => [source, target]);
    expect(targets.map(([source]) => source).sort()).toEqual([...sampleFiles].sort());
    const changed = targets.filter(([source, target]) => project.read(target) !== fs.readFileSync(source, 'utf8'));
    expect(changed).toEqual([]);
  });

  test('every recording replays through the openai and Anthropic SDKs (fetch for Google interactions) under its pytest id', async () => {
    const run = await project.run();
    expect(run.tests).toHaveLength(19 - 1); // the two model lists are one merged request
    expect(Object.entries(statusOf(run)).filter(([, s]) => s !== 'passed')).toEqual([]);
    expect(run.code).toBe(0);
  });
});

describe('llama-stack recordings of every kind', () => {
  const project = replayProject('llama-stack-kinds', kindFiles);
  afterAll(() => project.remove());

  test('there are fixtures for every kind the issue lists', () => {
    const kinds = kindFiles.map((f) => path.relative(KINDS, f).split(path.sep)[0]);
    expect([...new Set(kinds)].sort()).toEqual(['chat', 'completions', 'exceptions', 'streaming-chat', 'streaming-chat-tools']);
  });

  test('each replays through the openai SDK as the Python SDK got it: values, nulls, order, errors', async () => {
    const output = execFileSync(process.execPath, [CLI, 'import', KINDS], { cwd: project.dir, encoding: 'utf8' });
    expect(output).toContain(`${kindFiles.length} imported, 0 skipped`);
    const run = await project.run();
    expect(run.tests).toHaveLength(kindFiles.length);
    const failed = Object.entries(statusOf(run)).filter(([, s]) => s !== 'passed').map(([name]) => `${name}\n${failureOf(run, name)}`);
    expect(failed).toEqual([]);
    expect(run.code).toBe(0);
  });
});

describe('import --check', () => {
  const project = new FixtureProject('llama-stack-check', {});
  afterAll(() => project.remove());
  const check = (...paths: string[]) =>
    spawnSync(process.execPath, [CLI, 'import', '--check', ...paths], { cwd: project.dir, encoding: 'utf8' });

  test('reports, per kind, that every file of the sample and the fixtures would replay, and writes nothing', () => {
    const { status, stdout } = check(SAMPLE, KINDS);
    const rows = stdout.split('\n').map((line) => /^ {2}(\S.*?) {2,}(\d+\/\d+)\s+replay$/.exec(line));
    const kinds = Object.fromEntries(rows.filter((m) => m !== null).map((m) => [m[1], m[2]]));
    expect(kinds).toEqual({
      'anthropic messages': '2/2',
      chat: '3/3',
      embeddings: '2/2',
      exceptions: '14/14',
      'google interactions': '2/2',
      'legacy completions': '9/9',
      models: '2/2',
      'ollama native': '1/1',
      'streaming chat': '7/7',
      'streaming chat with tools': '6/6',
    });
    const all = sampleFiles.length + kindFiles.length;
    expect(stdout).toContain(`${all} of ${all} files would replay (100%); nothing written`);
    expect(status).toBe(0);
    expect(fs.existsSync(path.join(project.dir, 'recordings'))).toBe(false);
  });

  test('names each file that would not replay and why, counted under its kind, and exits 1', () => {
    const chat = sampleFiles.find((f) => path.basename(f).startsWith('12ea4e4a'))!;
    const recorded = JSON.parse(fs.readFileSync(chat, 'utf8'));
    project.write('in/chat.json', JSON.stringify(recorded));
    // The same request recorded again by a newer llama-stack, which passes `extra_body: null`: it keys the same.
    const again = { ...recorded, request: { ...recorded.request, body: { ...recorded.request.body, extra_body: null } } };
    project.write('in/chat-again.json', JSON.stringify(again));
    const toolCall = { test_id: 't::x', provider: 'tavily-search', tool_name: 'web_search', kwargs: { query: 'q' } };
    project.write('in/tool.json', JSON.stringify({ test_id: 't::x', request: toolCall, response: { body: {}, is_streaming: false } }));
    project.write('in/truncated.json', '{"test_id": "t::y", "request": {');
    // A server that echoed the key its request carried: importing it would write the key to disk.
    const key = 'sk-proj-0123456789abcdefghij';
    const echoed = { ...recorded, test_id: 't::z', request: { ...recorded.request, headers: { Authorization: `Bearer ${key}` } } };
    project.write('in/echo.json', JSON.stringify({ ...echoed, response: { body: { error: `bad key ${key}` }, is_streaming: false } }));
    const { status, stdout } = check(path.join(project.dir, 'in'));
    expect(stdout).toMatch(/^ {2}chat {2,}1\/3 {2,}2 would not$/m);
    expect(stdout).toMatch(/^ {2}tool runtime {2,}0\/1 {2,}1 would not$/m);
    expect(stdout).toMatch(/^ {2}unreadable {2,}0\/1 {2,}1 would not$/m);
    expect(stdout).toMatch(/^would not replay \S*in\/chat\.json: the same request \(same key\) as \S*in\/chat-again\.json$/m);
    expect(stdout).toMatch(/^would not replay \S*in\/tool\.json: a tool-runtime call \(tavily-search\.web_search\)/m);
    expect(stdout).toMatch(/^would not replay \S*in\/truncated\.json: invalid JSON/m);
    expect(stdout).toMatch(/^would not replay \S*in\/echo\.json: it holds a credential its request carried/m);
    expect(stdout).not.toContain(key);
    expect(stdout).toContain('1 of 5 files would replay (20%); nothing written');
    expect(status).toBe(1);
    expect(fs.existsSync(path.join(project.dir, 'recordings'))).toBe(false);
  });
});
