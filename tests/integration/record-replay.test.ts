import * as fs from 'node:fs';
import * as path from 'node:path';
import { FixtureProject, statusOf } from '../support/fixture';
import { llamaStackLoaderProblems } from '../support/llama-stack-loader';
import { startUpstream } from '../support/upstream';

const clients = fs.readFileSync(path.join(__dirname, 'fixtures', 'clients.test.js'), 'utf8');
/** A port nothing listens on: replay must not need the upstream at all. */
const DEAD_BASE = 'http://127.0.0.1:9/v1';

/** What the caller saw, minus the fields recording normalizes (`id`, `created`). */
function comparable(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value), (key, v) => (key === 'id' && typeof v === 'string' && /^(chatcmpl-|rec-)/.test(v)) || key === 'created' ? '<volatile>' : v);
}

function readOutputs(dir: string): Record<string, unknown> {
  return Object.fromEntries(fs.readdirSync(dir).map((f) => [f, comparable(JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')))]));
}

describe('record, then replay with the upstream stopped', () => {
  const project = new FixtureProject('roundtrip', { 'tests/clients.test.js': clients });
  const recordOut = path.join(project.dir, 'out-record');
  const replayOut = path.join(project.dir, 'out-replay');
  let recorded: Record<string, string>;
  let upstreamRequests = 0;
  let upstreamPort = 0;

  beforeAll(async () => {
    fs.mkdirSync(recordOut);
    fs.mkdirSync(replayOut);
    const upstream = await startUpstream();
    try {
      const run = await project.run({ RECORD: '1', UPSTREAM_BASE: upstream.baseURL, OUT_DIR: recordOut });
      expect(run.output).toContain('jest-replay: record mode, recordings in recordings');
      expect(run.code).toBe(0);
      upstreamRequests = upstream.requests.length;
      upstreamPort = Number(new URL(upstream.url).port);
    } finally {
      await upstream.close();
    }
    recorded = project.snapshot();
  });
  afterAll(() => project.remove());

  test('record mode passes every request through to the real server', () => {
    // 2 chat + embeddings + models + error + fetch + http
    expect(upstreamRequests).toBe(7);
  });

  test('one file per distinct request, in a folder per test id, model lists shared', () => {
    const files = Object.keys(recorded);
    expect(files).toHaveLength(7);
    const folders = new Set(files.map((f) => path.dirname(f)));
    // six tests own a folder each; the model list lives in the shared folder
    expect(folders.size).toBe(7);
    expect(files.filter((f) => f.startsWith('_shared/models-'))).toHaveLength(1);
    expect(files.every((f) => f.startsWith('tests/clients.test.js/') || f.startsWith('_shared/'))).toBe(true);
    expect(files.some((f) => /^tests\/clients\.test\.js\/chat_streaming-[0-9a-f]{8}\/[0-9a-f]{16}\.json$/.test(f))).toBe(true);
  });

  test('files are llama-stack format, stable and free of credentials', () => {
    for (const [file, text] of Object.entries(recorded)) {
      expect(text.endsWith('}\n')).toBe(true);
      expect(text).not.toContain('SECRET');
      expect(text).not.toMatch(/authorization|x-api-key/i);
      const data = JSON.parse(text);
      expect(Object.keys(data)).toEqual(['test_id', 'request', 'response', 'id_normalization_mapping']);
      expect(Object.keys(data.request)).toEqual(['method', 'url', 'headers', 'body', 'endpoint', 'model']);
      expect(JSON.stringify(data, null, 2) + '\n').toBe(text.replace(/\\u([0-9a-f]{4})/g, (_, hex) => String.fromCharCode(parseInt(hex, 16))));
      if (!file.startsWith('_shared/')) expect(data.test_id).toMatch(/^tests\/clients\.test\.js::/);
    }
  });

  test("llama-stack's loader reads every file into real Python types", () => {
    for (const [file, text] of Object.entries(recorded)) expect([file, llamaStackLoaderProblems(text)]).toEqual([file, []]);
  });

  test('a stream is stored as typed chunks with normalized volatile fields', () => {
    const [file] = Object.keys(recorded).filter((f) => f.includes('chat_streaming'));
    const data = JSON.parse(recorded[file]);
    expect(data.test_id).toBe('tests/clients.test.js::chat::streaming');
    expect(data.request.body.stream).toBe(true);
    expect(data.response.is_streaming).toBe(true);
    const chunks = data.response.body;
    expect(chunks.length).toBeGreaterThan(5);
    for (const chunk of chunks) {
      expect(chunk.__type__).toBe('openai.types.chat.chat_completion_chunk.ChatCompletionChunk');
      expect(chunk.__data__.id).toMatch(/^rec-[0-9a-f]{12}$/);
      expect(chunk.__data__.created).toBe(0);
    }
  });

  test('an error status is stored with its status and body', () => {
    const [file] = Object.keys(recorded).filter((f) => f.includes('error_status'));
    const data = JSON.parse(recorded[file]);
    expect(data.response.status).toBe(400);
    expect(data.response.body.error.code).toBe('simulated_400');
  });

  test('replay serves every test from the files, offline, and the caller sees what it saw while recording', async () => {
    const run = await project.run({ UPSTREAM_BASE: DEAD_BASE, OUT_DIR: replayOut });
    expect(run.output).toContain('jest-replay: replay mode');
    expect(Object.values(statusOf(run))).toEqual(Array(7).fill('passed'));
    expect(run.code).toBe(0);
    expect(readOutputs(replayOut)).toEqual(readOutputs(recordOut));
    // replay writes nothing
    expect(project.snapshot()).toEqual(recorded);
  });

  test("a loopback server's port is not stored: the stored url keeps scheme, host and path", () => {
    for (const text of Object.values(recorded)) {
      const { url, endpoint } = JSON.parse(text).request;
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1\/v1\//);
      expect(new URL(url).pathname).toBe(endpoint);
    }
  });

  test('re-recording the same traffic against the server restarted on another port changes no byte', async () => {
    const upstream = await startUpstream();
    expect(Number(new URL(upstream.url).port)).not.toBe(upstreamPort);
    try {
      const run = await project.run({ RECORD: '1', UPSTREAM_BASE: upstream.baseURL, OUT_DIR: recordOut });
      expect(run.code).toBe(0);
    } finally {
      await upstream.close();
    }
    expect(project.snapshot()).toEqual(recorded);
  });
});
