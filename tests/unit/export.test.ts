import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { type ExportOptions, type PlannedExport, planExport, writeExport } from '../../src/core/inspect/export';
import { type Recording, serializeRecording } from '../../src/core/recording/format';
import { DEFAULT_FLOAT_FIELDS } from '../../src/core/recording/llama-stack-calls';
import { httpRequestHash, inferenceRequestHash } from '../../src/core/recording/llama-stack-hash';
import { RecordingStore } from '../../src/core/store/store';
import { PyFloat } from '../../src/core/util/python-json';

const TEST_ID = 'tests/integration/inference/test_chat.py::test_chat[txt=m]';
const CHAT_CHUNK = 'openai.types.chat.chat_completion_chunk.ChatCompletionChunk';
const chunk = (content: string) => ({
  id: 'rec-1',
  object: 'chat.completion.chunk',
  created: 0,
  model: 'm',
  choices: [{ index: 0, delta: { content } }],
});

let dir: string;
let out: string;
beforeEach(() => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'jest-replay-export-'));
  dir = path.join(root, 'recordings');
  out = path.join(root, 'out');
});
afterEach(() => fs.rmSync(path.dirname(dir), { recursive: true, force: true }));

/** A recording as this project stores it, written where it belongs under `dir`. */
function record(
  request: Partial<Recording['request']> & { url: string },
  response: Recording['response'],
  testId: string | null = TEST_ID,
  ordinal = 1,
): void {
  const url = new URL(request.url);
  const recording: Recording = {
    test_id: testId,
    request: { method: 'POST', headers: { 'content-type': 'application/json' }, body: null, endpoint: url.pathname, model: '', ...request },
    response,
    id_normalization_mapping: {},
  };
  // The same request of the same test keys alike, as the recorder keys it.
  const key = createHash('sha256')
    .update(JSON.stringify([request, testId]))
    .digest('hex');
  const file = new RecordingStore(dir).fileFor(testId, key, ordinal);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, serializeRecording(recording));
}

const options = (overrides: Partial<ExportOptions> = {}): ExportOptions => ({
  outDir: out,
  storageDir: 'tests/integration/common',
  origins: [],
  floatFields: DEFAULT_FLOAT_FIELDS,
  extraBody: [],
  ...overrides,
});

const exported = (planned: PlannedExport[]) => planned.filter((e): e is PlannedExport & { target: string; text: string } => 'target' in e);
const only = (planned: PlannedExport[]) => {
  expect(planned.filter((e) => 'reason' in e)).toEqual([]);
  const [file] = exported(planned);
  return { target: path.relative(out, file.target), text: file.text, data: JSON.parse(file.text) };
};
const reasons = (planned: PlannedExport[]) => planned.flatMap((e) => ('reason' in e ? [e.reason] : []));

describe('an openai SDK call', () => {
  const body = { model: 'm', messages: [{ role: 'user', content: 'hi' }], temperature: 0, top_p: 0.5, seed: 1 };
  const completion = { id: 'rec-1', object: 'chat.completion', created: 0, model: 'm', choices: [] };

  test("goes beside its test file, named by llama-stack's hash of the Python call: base URL path + label, floats as floats", () => {
    record(
      { url: 'http://127.0.0.1/v1/chat/completions', body },
      { body: { __type__: 'x.y.Z', __data__: completion }, is_streaming: false },
    );
    const file = only(planExport(dir, options()));
    const kwargs = { ...body, temperature: new PyFloat(0), top_p: new PyFloat(0.5) };
    const hash = inferenceRequestHash('http://127.0.0.1/v1/v1/chat/completions', kwargs, TEST_ID);
    expect(file.target).toBe(`tests/integration/inference/recordings/${hash}.json`);
    expect(file.data).toEqual({
      test_id: TEST_ID,
      request: {
        method: 'POST',
        url: 'http://127.0.0.1/v1/v1/chat/completions',
        headers: {},
        body,
        endpoint: '/v1/chat/completions',
        model: 'm',
      },
      response: { body: { __type__: 'x.y.Z', __data__: completion }, is_streaming: false },
      id_normalization_mapping: {},
    });
    expect(file.text).toContain('"temperature": 0.0,\n      "top_p": 0.5,\n      "seed": 1\n');
  });

  test('--base-url-path, --origin, --float and --extra-body say what the Python client sends', () => {
    record(
      { url: 'http://127.0.0.1/v1/chat/completions', body: { ...body, guided_choice: ['a'] } },
      { body: completion, is_streaming: false },
    );
    const file = only(
      planExport(
        dir,
        options({ basePath: '', origins: [{ to: 'http://0.0.0.0:11434' }], floatFields: ['seed'], extraBody: ['guided_choice'] }),
      ),
    );
    const kwargs = {
      model: 'm',
      messages: body.messages,
      temperature: 0,
      top_p: new PyFloat(0.5),
      seed: new PyFloat(1),
      extra_body: { guided_choice: ['a'] },
    };
    expect(file.target).toBe(
      `tests/integration/inference/recordings/${inferenceRequestHash('http://0.0.0.0:11434/v1/chat/completions', kwargs, TEST_ID)}.json`,
    );
    expect(file.data.request.url).toBe('http://0.0.0.0:11434/v1/chat/completions');
    // an untyped result is typed as the Python SDK parses it
    expect(file.data.response.body.__type__).toBe('openai.types.chat.chat_completion.ChatCompletion');
  });

  test('a stream is its typed chunks; one stored as raw lines is parsed into them', () => {
    const lines = [
      'data: {"id":"rec-1","object":"chat.completion.chunk","created":0,"model":"m","choices":[]}',
      '',
      ': keep-alive',
      'data: [DONE]',
      '',
    ];
    record({ url: 'http://127.0.0.1/v1/chat/completions', body: { ...body, stream: true } }, { body: lines, is_streaming: true });
    const file = only(planExport(dir, options()));
    expect(file.data.response).toEqual({
      body: [{ __type__: CHAT_CHUNK, __data__: { id: 'rec-1', object: 'chat.completion.chunk', created: 0, model: 'm', choices: [] } }],
      is_streaming: true,
    });
  });

  test('embeddings the SDK asked for as base64 by itself: the call named no format, the result holds the floats it decoded', () => {
    const vector = Buffer.from(new Float32Array([0.5, -0.25, 0.1]).buffer).toString('base64');
    const response = {
      object: 'list',
      data: [{ object: 'embedding', index: 0, embedding: vector }],
      model: 'e',
      usage: { prompt_tokens: 1, total_tokens: 1 },
    };
    record(
      { url: 'http://127.0.0.1/v1/embeddings', body: { model: 'e', input: 'x', encoding_format: 'base64' } },
      { body: response, is_streaming: false },
    );
    const file = only(planExport(dir, options()));
    expect(file.data.request.body).toEqual({ model: 'e', input: 'x' });
    expect(file.target).toContain(inferenceRequestHash('http://127.0.0.1/v1/v1/embeddings', { model: 'e', input: 'x' }, TEST_ID));
    expect(file.data.response.body.__type__).toBe('openai.types.create_embedding_response.CreateEmbeddingResponse');
    expect(file.data.response.body.__data__.data[0].embedding).toEqual([0.5, -0.25, Math.fround(0.1)]);
    expect(file.text).toContain('0.5,\n');
  });

  test('an HTTP error is the exception the openai SDK raises, as llama-stack serializes it', () => {
    const error = { error: { message: "can't", type: 'invalid_request_error', param: null, code: 'x' } };
    record({ url: 'http://127.0.0.1/v1/chat/completions', body }, { body: error, is_streaming: false, status: 400 });
    const message = `Error code: 400 - {'error': {'message': "can't", 'type': 'invalid_request_error', 'param': None, 'code': 'x'}}`;
    expect(only(planExport(dir, options())).data.response).toEqual({
      body: null,
      is_streaming: false,
      is_exception: true,
      exception_data: {
        category: 'provider_sdk',
        provider: 'openai',
        type: 'BadRequestError',
        message,
        status_code: 400,
        body: error.error,
      },
      exception_message: message,
    });
  });

  test("a request that got no response replays in Python as an exception with the SDK's words", () => {
    const failure = {
      is_exception: true,
      exception_data: { category: 'network', type: 'APIConnectionError', message: 'socket hang up' },
      exception_message: 'socket hang up',
    };
    record({ url: 'http://127.0.0.1/v1/chat/completions', body }, { body: null, is_streaming: false, ...failure });
    expect(only(planExport(dir, options())).data.response.exception_data).toEqual({
      category: 'unknown',
      type: 'APIConnectionError',
      message: 'Connection error.',
    });
  });

  test('a model list is session-level, named with the digest of its model ids', () => {
    const models = [{ __type__: 'openai.types.model.Model', __data__: { id: 'b', object: 'model', created: 1, owned_by: 'o' } }];
    record({ method: 'GET', url: 'http://127.0.0.1/v1/models' }, { body: models, is_streaming: false }, null);
    const file = only(planExport(dir, options()));
    const hash = inferenceRequestHash('http://127.0.0.1/v1/v1/models', {}, null);
    expect(file.target).toMatch(new RegExp(`^tests/integration/common/recordings/models-${hash}-[0-9a-f]{8}\\.json$`));
    expect(file.data.request).toEqual({
      method: 'POST',
      url: 'http://127.0.0.1/v1/v1/models',
      headers: {},
      body: {},
      endpoint: '/v1/models',
      model: '',
    });
  });
});

describe("a raw HTTP request (Anthropic's /v1/messages, Google's /interactions)", () => {
  const payload = { model: 'claude', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] };

  test('is keyed by its whole URL and payload; its response keeps its status and JSON, or its lines', () => {
    record({ url: 'http://127.0.0.1/v1/messages', body: payload }, { body: { type: 'error' }, is_streaming: false, status: 400 });
    const file = only(planExport(dir, options({ origins: [{ from: 'http://127.0.0.1', to: 'http://0.0.0.0:11434' }] })));
    expect(file.target).toBe(
      `tests/integration/inference/recordings/${httpRequestHash('http://0.0.0.0:11434/v1/messages', payload, TEST_ID)}.json`,
    );
    expect(file.data).toEqual({
      test_id: TEST_ID,
      request: { test_id: TEST_ID, url: 'http://0.0.0.0:11434/v1/messages', method: 'POST', payload },
      response: { status: 400, body: { type: 'error' }, is_streaming: false },
      id_normalization_mapping: {},
    });
  });

  test("Google's /interactions and a /rerank are raw HTTP too; a stream keeps its lines", () => {
    const lines = ['event: content.delta', 'data: {"delta": {"text": "1"}}', ''];
    record(
      { url: 'http://127.0.0.1/v1beta/interactions', body: { model: 'g', input: 'x', stream: true } },
      { body: lines, is_streaming: true },
    );
    record(
      { url: 'http://127.0.0.1/v1/rerank', body: { model: 'r', query: 'q', documents: ['d'] } },
      { body: { results: [] }, is_streaming: false },
    );
    const files = exported(planExport(dir, options())).map((file) => JSON.parse(file.text));
    expect(files.map((file) => [file.request.url, file.response]).sort()).toEqual([
      ['http://127.0.0.1/v1/rerank', { status: 200, body: { results: [] }, is_streaming: false }],
      ['http://127.0.0.1/v1beta/interactions', { body: lines, is_streaming: true }],
    ]);
  });

  test('a streaming request answered with an error cannot be exported: its stream recording would hold no status', () => {
    record(
      { url: 'http://127.0.0.1/v1/messages', body: { ...payload, stream: true } },
      { body: { type: 'error' }, is_streaming: false, status: 429 },
    );
    expect(reasons(planExport(dir, options()))).toEqual([
      "a streaming request answered 429 without a stream: llama-stack's stream recordings hold no status",
    ]);
  });
});

test('what llama-stack does not record, or cannot find, is named with the reason', () => {
  record({ url: 'http://127.0.0.1/v1/audio/speech', body: { input: 'x' } }, { body: 'bytes', is_streaming: false });
  record({ url: 'http://127.0.0.1/api/chat', body: { model: 'l' } }, { body: {}, is_streaming: false }, 'tests/x.py::t');
  record({ url: 'http://127.0.0.1/v1/chat/completions', body: { model: 'm' } }, { body: {}, is_streaming: false }, '../outside.py::t');
  fs.writeFileSync(path.join(dir, 'broken.json'), '{"test_id": ');
  // A hand-edited file: its URL is no URL, though it names its endpoint (which is all replay needs).
  const relativeUrl = { url: '/v1/chat/completions', endpoint: '/v1/chat/completions', body: {} };
  fs.writeFileSync(
    path.join(dir, 'relative.json'),
    JSON.stringify({ test_id: 't.py::x', request: relativeUrl, response: { body: {}, is_streaming: false } }),
  );
  const found = reasons(planExport(dir, options()));
  expect(found).toHaveLength(5);
  expect(found).toContainEqual('its request.url "/v1/chat/completions" is not an absolute URL, which llama-stack records');
  expect(found).toContainEqual(expect.stringMatching(/^POST \/v1\/audio\/speech is not a call llama-stack's recorder records/));
  expect(found).toContainEqual(
    expect.stringMatching(/^llama-stack records Ollama's native API \(\/api\/chat\) as the ollama Python client's call/),
  );
  expect(found).toContainEqual(`its test id's file part is not a relative path inside ${out}: "../outside.py::t"`);
  expect(found).toContainEqual(expect.stringMatching(/^invalid JSON/));
});

test('the same request recorded twice in a test: one llama-stack file, and a differing answer is named', () => {
  const request = { url: 'http://127.0.0.1/v1/chat/completions', body: { model: 'm' } };
  record(request, { body: [chunk('a')], is_streaming: true }, TEST_ID, 1);
  record(request, { body: [chunk('a')], is_streaming: true }, TEST_ID, 2);
  expect(exported(planExport(dir, options()))).toHaveLength(1);
  record(request, { body: [chunk('b')], is_streaming: true }, TEST_ID, 3);
  expect(reasons(planExport(dir, options()))).toEqual([
    expect.stringMatching(
      /^the same llama-stack request as \S+[0-9a-f]{16}\.json: llama-stack keeps one recording per request, and this one /,
    ),
  ]);
});

/** A chat stream recorded by each of two tests, `tests/a.py::t` and `tests/b.py::t`. */
function recordTwoTests(): void {
  for (const name of ['a', 'b']) {
    record(
      { url: 'http://127.0.0.1/v1/chat/completions', body: { model: name } },
      { body: [chunk(name)], is_streaming: true },
      `tests/${name}.py::t`,
    );
  }
}

test('--test-id-prefix exports the recordings of matching test ids only', () => {
  recordTwoTests();
  record({ method: 'GET', url: 'http://127.0.0.1/v1/models' }, { body: [], is_streaming: false }, null);
  expect(exported(planExport(dir, options({ testIdPrefix: 'tests/a' }))).map((e) => JSON.parse(e.text).test_id)).toEqual(['tests/a.py::t']);
  expect(exported(planExport(dir, options()))).toHaveLength(3);
});

test('writing: atomically, unchanged files untouched, a differing file refused (nothing written) unless forced', () => {
  recordTwoTests();
  const planned = planExport(dir, options());
  expect(writeExport(planned, false).written.map((w) => w.outcome)).toEqual(['created', 'created']);
  expect(writeExport(planned, false).written.map((w) => w.outcome)).toEqual(['unchanged', 'unchanged']);
  const [first, second] = exported(planned);
  fs.writeFileSync(first.target, 'edited by hand');
  fs.rmSync(second.target);
  expect(writeExport(planned, false)).toEqual({ written: [], conflicts: [first.target] });
  expect(fs.existsSync(second.target)).toBe(false);
  expect(writeExport(planned, true).written.map((w) => w.outcome)).toEqual(['changed', 'created']);
  expect(fs.readFileSync(first.target, 'utf8')).toBe(first.text);
});
