import * as fs from 'node:fs';
import * as path from 'node:path';
import { FixtureProject, type JestRun, statusOf } from '../support/fixture';
import { llamaStackLoaderProblems } from '../support/llama-stack-loader';
import { startUpstream, type Upstream } from '../support/upstream';

const fixture = (name: string) => fs.readFileSync(path.join(__dirname, 'fixtures', name), 'utf8');
const DEAD_BASE = 'http://127.0.0.1:9/v1';
const CHUNK_DELAY_MS = 60;
/**
 * Fields compared separately: when, not what; and an error's request id, which the server makes anew
 * for every call and replay makes from the key.
 */
const SEPARATE_FIELDS = new Set(['firstAt', 'lastAt', 'elapsedMs', 'requestID']);
/** An Anthropic message id in a raw stream: as the server minted it while recording, in its stored form in replay. */
const MESSAGE_ID = /"msg_(rec-[0-9a-f]{12}-\d+|[0-9a-f]{24})"/g;

function outputs(dir: string): Record<string, unknown> {
  const read = (k: string, v: unknown) =>
    SEPARATE_FIELDS.has(k) ? undefined : typeof v === 'string' ? v.replace(MESSAGE_ID, '"msg_<id>"') : v;
  return Object.fromEntries(fs.readdirSync(dir).map((f) => [f, JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'), read)]));
}
const output = (dir: string, name: string) => JSON.parse(fs.readFileSync(path.join(dir, `${name}.json`), 'utf8'));

describe('fidelity: every framing, body kind and failure records and replays faithfully', () => {
  const project = new FixtureProject(
    'fidelity',
    { 'tests/streams.test.js': fixture('streams.test.js'), 'tests/failures.test.js': fixture('failures.test.js') },
    { testEnvironmentOptions: { replay: { recordTiming: true } } },
  );
  const out = (name: string) => path.join(project.dir, `out-${name}`);
  const recordingOf = (pattern: RegExp) => {
    const files = project.files().filter((f) => pattern.test(f));
    expect(files.length).toBeGreaterThan(0);
    return JSON.parse(project.read(path.join('recordings', files[0])));
  };
  let upstream: Upstream;
  let recorded: JestRun;
  let replayed: JestRun;

  beforeAll(async () => {
    for (const name of ['record', 'replay', 'timed']) fs.mkdirSync(out(name));
    upstream = await startUpstream();
    try {
      recorded = await project.run({ RECORD: '1', UPSTREAM_BASE: upstream.baseURL, OUT_DIR: out('record'), CHUNK_DELAY_MS: String(CHUNK_DELAY_MS) });
    } finally {
      await upstream.close();
    }
    replayed = await project.run({ UPSTREAM_BASE: DEAD_BASE, OUT_DIR: out('replay') });
  });
  afterAll(() => process.env.KEEP_FIXTURES || project.remove());

  test('record and replay both pass every test, and the caller sees the same thing', () => {
    expect(recorded.code).toBe(0);
    expect(replayed.code).toBe(0);
    expect(Object.values(statusOf(replayed)).every((s) => s === 'passed')).toBe(true);
    expect(Object.keys(outputs(out('replay'))).length).toBeGreaterThanOrEqual(18);
    expect(outputs(out('replay'))).toEqual(outputs(out('record')));
    expect(output(out('replay'), 'anthropic').text).toMatch(/"id":"msg_rec-[0-9a-f]{12}-1"/);
  });

  test("llama-stack's loader reads every file recorded here, for every endpoint and failure", () => {
    const files = project.files().filter((f) => f.endsWith('.json'));
    const endpoints = new Set(files.map((f) => JSON.parse(project.read(path.join('recordings', f))).request.endpoint));
    expect([...endpoints].sort()).toEqual(
      expect.arrayContaining(['/api/chat', '/v1/audio/speech', '/v1/audio/transcriptions', '/v1/chat/completions', '/v1/completions', '/v1/messages', '/v1/responses']),
    );
    for (const file of files) expect([file, llamaStackLoaderProblems(project.read(path.join('recordings', file)))]).toEqual([file, []]);
  });

  test('a GET with a body (node:http, undici.request) reaches the server with it, is keyed by it, and each answer replays', () => {
    const searches = upstream.requests.filter((request) => request.method === 'GET' && request.path === '/index/_search');
    expect(searches.map((request) => JSON.parse(request.body).query)).toEqual(['one', 'two', 'three']);
    // The last was answered gzipped, and decoded on its way back, as fetch decodes.
    expect(searches.map((request) => request.headers['x-upstream-encoding'] ?? null)).toEqual([null, null, 'gzip']);
    const stored = project
      .files()
      .filter((f) => /GET_with_a_body/.test(f))
      .map((f) => JSON.parse(project.read(path.join('recordings', f))));
    expect(stored.map((recording) => [recording.request.method, recording.request.body.query]).sort()).toEqual([
      ['GET', 'one'],
      ['GET', 'three'],
      ['GET', 'two'],
    ]);
    const answer = (query: string) => ({ hits: [{ query }] });
    expect(output(out('replay'), 'get-with-body')).toEqual({ http: [answer('one'), answer('two')], undici: answer('three') });
  });

  test('a node:http upload that waits for 100 Continue is told to go on: recorded with its body, replayed', () => {
    expect(output(out('record'), 'expect-continue')).toBe('echo: after the go-ahead');
    expect(output(out('replay'), 'expect-continue')).toBe('echo: after the go-ahead');
    // Sent on with its body already read: the server is not asked for a go-ahead again.
    const sent = upstream.requests.filter((request) => request.body.includes('after the go-ahead'));
    expect(sent.map((request) => request.headers.expect ?? null)).toEqual([null]);
  });

  test('record mode does not buffer: the client saw chunk 1 before the upstream sent the last chunk', () => {
    const seen = output(out('record'), 'chat-stream');
    const request = upstream.requests.findIndex((r) => r.body.includes('one two three four five six'));
    const sent = upstream.sentChunks.filter((c) => c.requestIndex === request);
    expect(sent.length).toBeGreaterThan(5);
    const lastSentAt = performance.timeOrigin + sent[sent.length - 1].at;
    expect(seen.firstAt).toBeLessThan(lastSentAt - 2 * CHUNK_DELAY_MS);
  });

  test('replay with recorded timing delivers the first event long before the last', async () => {
    project.write('jest.config.js', `module.exports = ${JSON.stringify({ preset: 'jest-replay', transform: {}, testEnvironmentOptions: { replay: { timing: 1 } } })};\n`);
    const run = await project.run({ UPSTREAM_BASE: DEAD_BASE, OUT_DIR: out('timed') }, ['-t', 'chat stream arrives']);
    expect(run.code).toBe(0);
    const seen = output(out('timed'), 'chat-stream');
    const chunks = output(out('record'), 'chat-stream').contents.length;
    expect(seen.lastAt - seen.firstAt).toBeGreaterThanOrEqual(0.5 * (chunks - 1) * CHUNK_DELAY_MS);
    const stored = recordingOf(/chat_stream_arrives/);
    expect(stored.response.chunk_delays_ms).toHaveLength(chunks + 1); // the chunks and [DONE]
  });

  test('OpenAI streams are stored as typed chunks; Responses API streams as typed events', () => {
    expect(recordingOf(/completions_stream/).response.body[0].__type__).toBe('openai.types.completion.Completion');
    const responses = recordingOf(/responses_API/);
    const types = (responses.response.is_streaming ? responses.response.body : []).map((e: { __type__: string }) => e.__type__);
    const files = project.files().filter((f) => /responses_API/.test(f));
    expect(files).toHaveLength(2);
    const stream = files.map((f) => JSON.parse(project.read(path.join('recordings', f)))).find((r) => r.response.is_streaming);
    expect(stream.response.body.map((e: { __type__: string }) => e.__type__)).toContain('openai.types.responses.response_text_delta_event.ResponseTextDeltaEvent');
    expect(types.length === 0 || types.includes('openai.types.responses.response_created_event.ResponseCreatedEvent')).toBe(true);
  });

  test('other event streams keep their raw lines: named events, comments, id and retry', () => {
    const anthropic = recordingOf(/anthropic/);
    const lines: string[] = anthropic.response.body;
    expect(lines).toContain('event: message_start');
    expect(lines).toContain('event: ping');
    expect(lines.some((l) => l.startsWith(':'))).toBe(true);
    expect(lines.some((l) => l.startsWith('id:'))).toBe(true);
    expect(lines.some((l) => l.startsWith('retry:'))).toBe(true);
    expect(anthropic.request.headers).toEqual({ 'content-type': 'application/json', 'anthropic-version': '2023-06-01' });
  });

  test('NDJSON is stored as typed Ollama objects with their volatile fields normalized', () => {
    const ollama = recordingOf(/ollama/);
    expect(ollama.response.headers['content-type']).toMatch(/ndjson/);
    expect(ollama.response.body[0].__type__).toBe('ollama._types.ChatResponse');
    expect(ollama.response.body.every((o: { __data__: { created_at: string } }) => o.__data__.created_at === '1970-01-01T00:00:00.000000Z')).toBe(true);
  });

  test('compressed bodies are stored decoded and replayed without content-encoding', () => {
    expect(output(out('replay'), 'compressed').httpEncoding).toBeNull();
    const stored = project.files().filter((f) => /gzip_and_br/.test(f)).map((f) => project.read(path.join('recordings', f)));
    expect(stored).toHaveLength(2);
    const chats = upstream.requests.filter((r) => r.path.endsWith('/chat/completions'));
    expect(chats.filter((r) => r.headers['x-upstream-encoding']).map((r) => r.headers['x-upstream-encoding']).sort()).toEqual(['br', 'gzip']);
    for (const text of stored) {
      const { response } = JSON.parse(text);
      expect(Object.keys(response.headers ?? {})).not.toContain('content-encoding');
      expect(response.body.__type__).toBe('openai.types.chat.chat_completion.ChatCompletion');
      expect(response.body.__data__.choices[0].message.content).toMatch(/^echo: (zipped|brotli)$/);
    }
  });

  test('binary bodies are stored base64 with a marker; multipart is keyed by fields and file digests', () => {
    const audio = recordingOf(/binary_audio/);
    expect(Object.keys(audio.response.body)).toEqual(['__bytes_base64__']);
    expect(audio.response.headers['content-type']).toBe('audio/mpeg');
    const upload = recordingOf(/multipart_upload/);
    const parts = upload.request.body.multipart;
    expect(parts.find((p: { name: string }) => p.name === 'model')).toEqual({ name: 'model', value: 'whisper-1' });
    expect(parts.find((p: { name: string }) => p.name === 'file')).toMatchObject({ filename: 'clip.wav', size: 19, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(upload.request.headers['content-type']).toBe('multipart/form-data');
    expect(upload.request.model).toBe('whisper-1');
    expect(JSON.stringify(upload)).not.toMatch(/boundary|RIFF/);
  });

  test('a stream the caller stopped reading is still drained and recorded whole', () => {
    expect(output(out('record'), 'early-stop')).toHaveLength(2);
    const chunks = recordingOf(/caller_stops_reading_early/).response.body;
    expect(chunks[chunks.length - 1].__data__.choices[0].finish_reason).toBe('stop');
    // The same when a node:http client destroys its request after the first event.
    expect(output(out('record'), 'http-early-stop')).toBe(true);
    expect(output(out('replay'), 'http-early-stop')).toBe(true);
    const overHttp = recordingOf(/destroys_its_request/).response;
    expect(overHttp.is_exception).toBeUndefined();
    expect(overHttp.body[overHttp.body.length - 1].__data__.choices[0].finish_reason).toBe('stop');
  });

  test('HTTP errors replay as the same SDK error class, status, message and request id', () => {
    for (const status of [400, 401, 404, 429, 500, 503]) {
      const error = output(out('replay'), `status-${status}`);
      expect(error.status).toBe(status);
      expect(error.class).toMatch(/Error$/);
      expect(error.requestID).toMatch(/^req_rec-[0-9a-f]{12}$/);
      expect(output(out('record'), `status-${status}`).requestID).toMatch(/^req_\d+$/);
    }
    expect(output(out('replay'), 'status-429').class).toBe('RateLimitError');
    expect(recordingOf(/HTTP_429/).response.headers).toMatchObject({ 'retry-after-ms': '1000', 'x-request-id': expect.any(String) });
  });

  test('retried requests are recorded as separate interactions and replayed in order without back-off', () => {
    const files = project.files().filter((f) => /429_twice/.test(f)).map((f) => path.basename(f));
    expect(files).toHaveLength(3);
    expect(files.filter((f) => /^[0-9a-f]{16}\.json$/.test(f))).toHaveLength(1);
    expect(files.filter((f) => /\.2\.json$|\.3\.json$/.test(f))).toHaveLength(2);
    // Two recorded back-offs of 1000 ms each (retry-after-ms) were waited while recording, not in replay.
    expect(JSON.parse(fs.readFileSync(path.join(out('record'), 'retried.json'), 'utf8')).elapsedMs).toBeGreaterThanOrEqual(2000);
    expect(JSON.parse(fs.readFileSync(path.join(out('replay'), 'retried.json'), 'utf8')).elapsedMs).toBeLessThan(1000);
  });

  test('connection failures are stored as exceptions and replayed as the same failure at the same point', () => {
    const midStream = output(out('replay'), 'reset-mid-stream');
    expect(midStream.contents.length).toBeGreaterThan(0);
    expect(midStream.error).not.toBeNull();
    const stored = recordingOf(/reset_mid-stream/);
    expect(stored.response).toMatchObject({ is_streaming: true, is_exception: true, exception_data: { category: 'network', type: 'APIConnectionError' } });
    expect(stored.response.body).toHaveLength(midStream.contents.length);
    expect(output(out('replay'), 'reset-before').class).toBe('APIConnectionError');
    expect(recordingOf(/reset_before_any_response/).response).toMatchObject({ body: null, is_exception: true });
    // Inside Jest's sandbox the SDK cannot tell the abort (an outer-realm DOMException) from other
    // connection errors, live as well; what matters is that replay fails as recording did.
    expect(output(out('replay'), 'timeout')).toEqual(output(out('record'), 'timeout'));
    expect(output(out('replay'), 'timeout').class).toMatch(/^APIConnection(Timeout)?Error$/);
    expect(recordingOf(/client_timeout-/).response.exception_data.type).toBe('APITimeoutError');
  });

  test('a node:http client that gives up (axios, on its timeout) is recorded as a timeout and replayed as one', () => {
    const timedOut = { code: 'ECONNABORTED', message: 'timeout of 300ms exceeded' };
    expect(output(out('record'), 'axios-timeout')).toEqual(timedOut);
    expect(output(out('replay'), 'axios-timeout')).toEqual(timedOut);
    expect(recordingOf(/client_timeout_over_node_http/).response).toMatchObject({ body: null, is_exception: true, exception_data: { type: 'APITimeoutError' } });
  });
});
