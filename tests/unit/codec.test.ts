import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BASE64_MARKER, type CapturedResponse, decodeResponse, encodeResponse } from '../../src/core/recording/codec';
import { LazyChunks, type StoredResponse } from '../../src/core/recording/format';
import { parseRecording } from '../../src/core/recording/parse';
import { toLines } from '../../src/core/recording/stream-body';

const KEY = createHash('sha256').update('codec test key').digest('hex');
const NORMALIZED = `rec-${KEY.slice(0, 12)}`;
const SAMPLES = path.join(__dirname, '..', 'fixtures', 'llama-stack-sample', 'tests', 'integration');

const CHAT_TYPE = 'openai.types.chat.chat_completion.ChatCompletion';
const CHUNK_TYPE = 'openai.types.chat.chat_completion_chunk.ChatCompletionChunk';

function captured(status: number, headers: Record<string, string>, body: string | Uint8Array): CapturedResponse {
  return { status, headers: new Headers(headers), body: typeof body === 'string' ? new Uint8Array(Buffer.from(body, 'utf8')) : body };
}

/** encodeResponse, with a stream's chunks (made lazily from the bytes) made into a list. */
function encode(response: CapturedResponse, endpoint = '/v1/chat/completions') {
  const replacedIds = new Map<string, string>();
  const context = { key: KEY, endpoint, replacedIds };
  const stored = encodeResponse(response, context);
  return { stored: stored.body instanceof LazyChunks ? { ...stored, body: [...stored.body] } : stored, replacedIds };
}

const sseText = (events: unknown[]) => events.map((event) => `data: ${typeof event === 'string' ? event : JSON.stringify(event)}\n\n`).join('');
/** decodeResponse with its pieces made, as replay makes them, into a list. */
const decode = (stored: StoredResponse) => {
  const plan = decodeResponse(stored);
  return { ...plan, pieces: [...plan.pieces] };
};
const text = (pieces: (string | Uint8Array)[]) => pieces.map((piece) => (typeof piece === 'string' ? piece : Buffer.from(piece).toString('utf8'))).join('');

function sampleResponse(relative: string): StoredResponse {
  const file = path.join(SAMPLES, relative);
  return parseRecording(fs.readFileSync(file, 'utf8'), file).response;
}

const completion = {
  id: 'chatcmpl-Abc123',
  object: 'chat.completion',
  created: 1731000000,
  model: 'gpt-4o-2024-08-06',
  choices: [{ index: 0, message: { role: 'assistant', content: 'Hello!', refusal: null }, logprobs: null, finish_reason: 'stop' }],
  usage: { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 },
  system_fingerprint: 'fp_1',
};

const chunk = (content: string | null, finish: string | null = null) => ({
  id: 'chatcmpl-Stream9',
  object: 'chat.completion.chunk',
  created: 1731000001,
  model: 'gpt-4o',
  choices: [{ index: 0, delta: content === null ? {} : { content }, finish_reason: finish }],
});
const CHUNKS = [chunk('Hel'), chunk('lo'), chunk(null, 'stop')];
const normalizedChunk = (value: ReturnType<typeof chunk>) => ({ ...value, id: NORMALIZED, created: 0 });

const ANTHROPIC_SSE =
  'event: message_start\n' +
  'data: {"type":"message_start","message":{"id":"msg_1"}}\n' +
  '\n' +
  'event: content_block_delta\n' +
  'data: {"type":"content_block_delta","delta":{"text":"Hi"}}\n' +
  '\n' +
  'event: message_stop\n' +
  'data: {"type":"message_stop"}\n' +
  '\n';

describe('encodeResponse: JSON', () => {
  it('wraps a chat.completion, normalizes id and created, records the replaced id', () => {
    const { stored, replacedIds } = encode(captured(200, { 'content-type': 'application/json' }, JSON.stringify(completion)));
    expect(stored).toEqual({
      body: { __type__: CHAT_TYPE, __data__: { ...completion, id: NORMALIZED, created: 0 } },
      is_streaming: false,
    });
    expect('status' in stored).toBe(false);
    expect('headers' in stored).toBe(false);
    expect([...replacedIds]).toEqual([['chatcmpl-Abc123', NORMALIZED]]);
    // The field order of the server's answer is kept.
    expect(Object.keys((stored.body as { __data__: object }).__data__)).toEqual(Object.keys(completion));
  });

  it('NORMALIZED is rec- and the first 12 hex digits of the key', () => {
    expect(NORMALIZED).toMatch(/^rec-[0-9a-f]{12}$/);
    expect(KEY.startsWith(NORMALIZED.slice(4))).toBe(true);
  });

  it.each([
    ['text_completion', 'openai.types.completion.Completion'],
    ['response', 'openai.types.responses.response.Response'],
  ])('wraps object=%s as %s', (object, type) => {
    const { stored } = encode(captured(200, { 'content-type': 'application/json' }, JSON.stringify({ id: 'x-1', object, created_at: 5 })));
    expect(stored.body).toEqual({ __type__: type, __data__: { id: NORMALIZED, object, created_at: 0 } });
  });

  it('wraps embeddings as CreateEmbeddingResponse and changes nothing inside', () => {
    const embeddings = {
      object: 'list',
      data: [{ object: 'embedding', index: 0, embedding: [0.0123, -0.5] }],
      model: 'text-embedding-3-small',
      usage: { prompt_tokens: 2, total_tokens: 2 },
    };
    const { stored, replacedIds } = encode(captured(200, { 'content-type': 'application/json' }, JSON.stringify(embeddings)));
    expect(stored).toEqual({
      body: { __type__: 'openai.types.create_embedding_response.CreateEmbeddingResponse', __data__: embeddings },
      is_streaming: false,
    });
    expect(replacedIds.size).toBe(0);
  });

  it('stores a model list as the list of typed models, ids and created untouched', () => {
    const models = [
      { id: 'gpt-4o', object: 'model', created: 1715367049, owned_by: 'system' },
      { id: 'o1', object: 'model', created: 1734375816, owned_by: 'system' },
    ];
    const { stored, replacedIds } = encode(captured(200, { 'content-type': 'application/json' }, JSON.stringify({ object: 'list', data: models })));
    expect(stored).toEqual({
      body: models.map((model) => ({ __type__: 'openai.types.model.Model', __data__: model })),
      is_streaming: false,
    });
    expect(replacedIds.size).toBe(0);
  });

  it('stores unknown JSON as it came, an id shorter than 8 characters included', () => {
    const body = { whatever: [1, { id: 'keep-me', count: 7 }] };
    const { stored, replacedIds } = encode(captured(200, { 'content-type': 'application/json' }, JSON.stringify(body)));
    expect(stored).toEqual({ body, is_streaming: false });
    expect(replacedIds.size).toBe(0);
  });

  it("keeps another API's ids and timestamps as they came; an LLM endpoint's are normalized", () => {
    const body = { id: 'cus_NffrFeUfNV2Hib', created: 1731000000, nested: { request_id: 'req_0123456789ab' } };
    const text = JSON.stringify(body);
    expect(encode(captured(200, { 'content-type': 'application/json' }, text), '/v1/customers/cus_NffrFeUfNV2Hib').stored.body).toEqual(body);
    const sse = `data: ${text}\n\n`;
    expect(encode(captured(200, { 'content-type': 'text/event-stream' }, sse), '/v1/customers/events').stored.body).toEqual(toLines(sse));
    expect(encode(captured(200, { 'content-type': 'application/json' }, text), '/v1/messages').stored.body).toEqual({
      id: `cus_${NORMALIZED}-1`,
      created: 0,
      nested: { request_id: `req_${NORMALIZED}-2` },
    });
  });

  it('does not store the default content type, with or without parameters', () => {
    for (const type of ['application/json', 'application/json; charset=utf-8', 'application/json ;charset=UTF-8']) {
      expect(encode(captured(200, { 'content-type': type }, '{"a":1}')).stored).toEqual({ body: { a: 1 }, is_streaming: false });
    }
  });

  it('reads a body without content type as JSON when it is JSON', () => {
    expect(encode(captured(200, {}, '{"a":1}')).stored).toEqual({ body: { a: 1 }, is_streaming: false });
  });

  it('keeps a body declared as JSON that is not JSON as text', () => {
    expect(encode(captured(502, { 'content-type': 'application/json' }, '<html>bad gateway</html>')).stored).toEqual({
      body: '<html>bad gateway</html>',
      is_streaming: false,
      status: 502,
    });
  });
});

describe('encodeResponse: status and headers', () => {
  it('stores an error status with the retry and request-id headers (the id made from the key), and nothing else', () => {
    const error = { error: { message: 'Rate limit reached', type: 'requests', code: 'rate_limit_exceeded' } };
    const { stored } = encode(
      captured(
        429,
        {
          'content-type': 'application/json',
          'retry-after': '20',
          'retry-after-ms': '20000',
          'x-should-retry': 'true',
          'x-request-id': 'req_abc',
          'set-cookie': '__cf_bm=secret',
          date: 'Tue, 01 Jan 2030 00:00:00 GMT',
          'openai-organization': 'org-secret',
          'openai-processing-ms': '117',
          'cf-ray': '8f1e2d3c4b5a6978-AMS',
        },
        JSON.stringify(error),
      ),
    );
    expect(stored).toEqual({
      body: error,
      is_streaming: false,
      status: 429,
      headers: { 'retry-after': '20', 'retry-after-ms': '20000', 'x-should-retry': 'true', 'x-request-id': `req_${NORMALIZED}` },
    });
  });

  it('keeps request-id on errors only, as the same id whatever the server sent', () => {
    const ok = encode(captured(200, { 'content-type': 'application/json', 'x-request-id': 'req_1', 'request-id': 'req_2' }, '{}')).stored;
    expect(ok).toEqual({ body: {}, is_streaming: false });
    const bad = (id: string) => encode(captured(500, { 'content-type': 'application/json', 'request-id': id }, '{}')).stored;
    expect(bad('req_011CSHc3dTqH').headers).toEqual({ 'request-id': `req_${NORMALIZED}` });
    expect(bad('req_011CZZ9aXy').headers).toEqual(bad('req_011CSHc3dTqH').headers);
  });

  it('omits status 200 and keeps every other status', () => {
    expect('status' in encode(captured(200, {}, '')).stored).toBe(false);
    expect(encode(captured(201, {}, '{}')).stored.status).toBe(201);
    expect(encode(captured(204, {}, '')).stored).toEqual({ body: null, is_streaming: false, status: 204 });
  });

  it('keeps a non-default content type and stores text as text', () => {
    expect(encode(captured(200, { 'content-type': 'text/plain; charset=utf-8' }, 'hello\nworld')).stored).toEqual({
      body: 'hello\nworld',
      is_streaming: false,
      headers: { 'content-type': 'text/plain; charset=utf-8' },
    });
  });

  it('keeps location and www-authenticate', () => {
    const { stored } = encode(captured(401, { 'content-type': 'application/json', 'www-authenticate': 'Bearer', location: '/login' }, '{}'));
    expect(stored.headers).toEqual({ location: '/login', 'www-authenticate': 'Bearer' });
  });
});

describe('encodeResponse: binary', () => {
  it('stores bytes of a non-text type under the base64 marker', () => {
    const bytes = new Uint8Array([0x00, 0x01, 0x02, 0xff, 0xfe]);
    expect(BASE64_MARKER).toBe('__bytes_base64__');
    expect(encode(captured(200, { 'content-type': 'application/octet-stream' }, bytes)).stored).toEqual({
      body: { __bytes_base64__: 'AAEC//4=' },
      is_streaming: false,
      headers: { 'content-type': 'application/octet-stream' },
    });
  });

  it('stores valid UTF-8 of a binary type (audio) as base64 too', () => {
    expect(encode(captured(200, { 'content-type': 'audio/mpeg' }, 'ID3')).stored.body).toEqual({ __bytes_base64__: 'SUQz' });
  });

  it('stores invalid UTF-8 declared as JSON as base64', () => {
    expect(encode(captured(200, { 'content-type': 'application/json' }, new Uint8Array([0x7b, 0xc3, 0x28, 0x7d]))).stored.body).toEqual({
      __bytes_base64__: 'e8MofQ==',
    });
  });
});

describe('encodeResponse: streams', () => {
  it('stores a plain OpenAI SSE stream ending in [DONE] as typed chunks, [DONE] left out', () => {
    const { stored, replacedIds } = encode(captured(200, { 'content-type': 'text/event-stream; charset=utf-8' }, sseText([...CHUNKS, '[DONE]'])));
    expect(stored).toEqual({
      body: CHUNKS.map((value) => ({ __type__: CHUNK_TYPE, __data__: normalizedChunk(value) })),
      is_streaming: true,
    });
    expect([...replacedIds]).toEqual([['chatcmpl-Stream9', NORMALIZED]]);
  });

  it('makes typed chunks from the bytes on every read (nothing parsed is held), and notes replaced ids at once', () => {
    const replacedIds = new Map<string, string>();
    const bytes = new Uint8Array(Buffer.from(sseText([...CHUNKS, '[DONE]'])));
    // Received in pieces that split events.
    const pieces = [bytes.subarray(0, 7), bytes.subarray(7, 100), bytes.subarray(100)];
    const stored = encodeResponse({ status: 200, headers: new Headers({ 'content-type': 'text/event-stream' }), body: pieces }, { key: KEY, endpoint: '/v1/chat/completions', replacedIds });
    expect(stored.body).toBeInstanceOf(LazyChunks);
    expect([...replacedIds]).toEqual([['chatcmpl-Stream9', NORMALIZED]]);
    const expected = CHUNKS.map((value) => ({ __type__: CHUNK_TYPE, __data__: normalizedChunk(value) }));
    expect([...(stored.body as LazyChunks)]).toEqual(expected);
    expect([...(stored.body as LazyChunks)]).toEqual(expected);
  });

  it('stores a legacy completions stream as typed Completion chunks', () => {
    const pieces = [{ id: 'cmpl-1', object: 'text_completion', created: 3, choices: [{ text: 'a', index: 0 }] }];
    const { stored } = encode(captured(200, { 'content-type': 'text/event-stream' }, sseText([...pieces, '[DONE]'])));
    expect(stored.body).toEqual([{ __type__: 'openai.types.completion.Completion', __data__: { ...pieces[0], id: NORMALIZED, created: 0 } }]);
  });

  it('stores an SSE stream with event: lines as raw lines, llama-stack style', () => {
    const { stored, replacedIds } = encode(captured(200, { 'content-type': 'text/event-stream' }, ANTHROPIC_SSE));
    expect(stored).toEqual({
      body: [
        'event: message_start',
        'data: {"type":"message_start","message":{"id":"msg_1"}}',
        '',
        'event: content_block_delta',
        'data: {"type":"content_block_delta","delta":{"text":"Hi"}}',
        '',
        'event: message_stop',
        'data: {"type":"message_stop"}',
        '',
      ],
      is_streaming: true,
    });
    expect(replacedIds.size).toBe(0);
  });

  it.each([
    ['a comment', `: keep-alive\n\n${sseText([...CHUNKS, '[DONE]'])}`],
    ['an id: field', `id: 1\n${sseText([...CHUNKS, '[DONE]'])}`],
    ['a retry: field', `retry: 1000\n\n${sseText([...CHUNKS, '[DONE]'])}`],
    ['no [DONE]', sseText(CHUNKS)],
    ['a chunk that is not an OpenAI chunk', sseText([{ foo: 1 }, '[DONE]'])],
    ['a chunk that is not JSON', sseText(['not json', '[DONE]'])],
    ['only [DONE]', sseText(['[DONE]'])],
  ])('stores a stream with %s as its raw lines (ids and timestamps in their data normalized)', (_what, body) => {
    const { stored } = encode(captured(200, { 'content-type': 'text/event-stream' }, body));
    const normalized = body
      .replaceAll('"chatcmpl-Stream9"', `"chatcmpl-${NORMALIZED}-1"`)
      .replaceAll('"created":1731000001', '"created":0');
    expect(stored).toEqual({ body: toLines(normalized), is_streaming: true });
    for (const line of stored.body as string[]) expect(line).not.toMatch(/[\r\n]/);
  });

  it('toLines splits on any newline and drops only the final empty string', () => {
    expect(toLines('a\nb\r\nc\rd\n\n')).toEqual(['a', 'b', 'c', 'd', '']);
    expect(toLines('a')).toEqual(['a']);
    expect(toLines('')).toEqual([]);
  });

  it('stores an NDJSON stream (Ollama) line by line, typing known objects', () => {
    const lines = ['{"model":"llama3","response":"Hi","done":false}', '{"model":"llama3","response":"","done":true}'];
    const { stored } = encode(captured(200, { 'content-type': 'application/x-ndjson' }, `${lines.join('\n')}\n`));
    expect(stored).toEqual({
      body: lines.map((line) => JSON.parse(line)),
      is_streaming: true,
      headers: { 'content-type': 'application/x-ndjson' },
    });
  });
});

describe('decodeResponse', () => {
  it('typed chunks become data: events followed by data: [DONE]', () => {
    const stored: StoredResponse = {
      body: CHUNKS.map((value) => ({ __type__: CHUNK_TYPE, __data__: normalizedChunk(value) })),
      is_streaming: true,
    };
    expect(decode(stored)).toEqual({
      status: 200,
      headers: { 'content-type': 'text/event-stream' },
      pieces: [...CHUNKS.map((value) => `data: ${JSON.stringify(normalizedChunk(value))}\n\n`), 'data: [DONE]\n\n'],
    });
  });

  it('raw lines become one piece per event, the text identical to the original', () => {
    const stored: StoredResponse = { body: toLines(ANTHROPIC_SSE), is_streaming: true };
    const { status, headers, pieces } = decode(stored);
    expect(status).toBe(200);
    expect(headers).toEqual({ 'content-type': 'text/event-stream' });
    expect(pieces).toEqual([
      'event: message_start\ndata: {"type":"message_start","message":{"id":"msg_1"}}\n\n',
      'event: content_block_delta\ndata: {"type":"content_block_delta","delta":{"text":"Hi"}}\n\n',
      'event: message_stop\ndata: {"type":"message_stop"}\n\n',
    ]);
    expect(text(pieces)).toBe(ANTHROPIC_SSE);
  });

  it('completes a raw stream that was cut before its blank line', () => {
    expect(decode({ body: ['event: a', 'data: 1'], is_streaming: true }).pieces).toEqual(['event: a\ndata: 1\n\n']);
  });

  it('the llama-stack /v1/messages sample replays event by event with the recorded text', () => {
    const stored = sampleResponse('messages/recordings/93eb42f3bd69f005727cc3a161e7ab0a8b2c99e4665d9eae5553fe9019ba7b32.json');
    const lines = stored.body as string[];
    const { pieces, headers } = decode(stored);
    expect(headers['content-type']).toBe('text/event-stream');
    expect(text(pieces)).toBe(lines.map((line) => `${line}\n`).join(''));
    expect(pieces).toHaveLength(lines.filter((line) => line === '').length);
    for (const piece of pieces) expect(piece).toMatch(/^event: [a-z_]+\ndata: \{.*\}\n\n$/);
  });

  it('a typed llama-stack stream sample replays as data: events and [DONE]', () => {
    const stored = sampleResponse('responses/recordings/3dec1b35f0f03f6662218aa0a00caa44322dc48b1bd12d32056a8a68ad91cbbc.json');
    const chunks = stored.body as { __data__: unknown }[];
    const { pieces } = decode(stored);
    expect(pieces).toEqual([...chunks.map((c) => `data: ${JSON.stringify(c.__data__)}\n\n`), 'data: [DONE]\n\n']);
  });

  it('the llama-stack exception sample replays as status 400 with an {"error": …} body', () => {
    const stored = sampleResponse('responses/recordings/b1cfdb1438921e88911a03e8cbc0f919b669f6d0c816fc246f00b437d151ef53.json');
    expect(decode(stored)).toEqual({
      status: 400,
      headers: { 'content-type': 'application/json' },
      pieces: ['{"error":{"message":"Invalid service_tier argument","type":"invalid_request_error","param":null,"code":null}}'],
    });
  });

  it('an exception without status or body falls back to 500 and the exception message', () => {
    expect(decode({ body: null, is_streaming: false, is_exception: true, exception_message: 'Connection reset' })).toEqual({
      status: 500,
      headers: { 'content-type': 'application/json' },
      pieces: ['{"error":{"message":"Connection reset"}}'],
    });
  });

  it('an exception body that already has "error" is sent as is, with the stored status', () => {
    const decoded = decode({
      body: null,
      is_streaming: false,
      status: 503,
      is_exception: true,
      exception_data: { body: { error: { message: 'down' } } },
    });
    expect(decoded.status).toBe(503);
    expect(decoded.pieces).toEqual(['{"error":{"message":"down"}}']);
  });

  it('a Python built-in replays at the status llama-stack answers it with; its network ones as failures', () => {
    const builtin = (type: string) =>
      decode({ body: null, is_streaming: false, is_exception: true, exception_data: { category: 'builtin', type, message: 'm' } });
    expect(builtin('ValueError')).toMatchObject({ status: 400, pieces: ['{"error":{"message":"m"}}'] });
    expect(builtin('NotImplementedError').status).toBe(501);
    expect(builtin('TimeoutError').failure).toEqual({ kind: 'timeout', message: 'm', beforeResponse: true });
    expect(builtin('ConnectError').failure).toEqual({ kind: 'network', message: 'm', beforeResponse: true });
  });

  it("an older exception file (message only) keeps the status the openai SDK wrote into its message", () => {
    const message = "Error code: 429 - {'error': {'message': 'slow down'}}";
    expect(decode({ body: null, is_streaming: false, is_exception: true, exception_message: message })).toMatchObject({
      status: 429,
      pieces: [JSON.stringify({ error: { message } })],
    });
  });

  it("an Ollama ResponseError replays as Ollama's {error: text}, without the status its SDK appends", () => {
    const message = "model 'x' not found (status code: 404)";
    const data = { category: 'provider_sdk', provider: 'ollama', type: 'ResponseError', message, status_code: 404, body: null };
    expect(decode({ body: null, is_streaming: false, is_exception: true, exception_data: data })).toMatchObject({
      status: 404,
      pieces: ['{"error":"model \'x\' not found"}'],
    });
  });

  it('an exception after part of a stream replays the chunks, then an SSE error event or a broken connection', () => {
    const body = CHUNKS.map((value) => ({ __type__: CHUNK_TYPE, __data__: normalizedChunk(value) }));
    const events = CHUNKS.map((value) => `data: ${JSON.stringify(normalizedChunk(value))}\n\n`);
    const failedStream = (type: string): StoredResponse => ({
      body,
      is_streaming: true,
      is_exception: true,
      exception_data: { category: 'unknown', type, message: 'm' },
    });
    const failed = (type: string) => decode(failedStream(type));
    expect(failed('APIError')).toEqual({
      status: 200,
      headers: { 'content-type': 'text/event-stream' },
      pieces: [...events, 'data: {"error":{"message":"m"}}\n\n'],
    });
    const broken = { kind: 'network', message: 'm', beforeResponse: false };
    expect(failed('RemoteProtocolError')).toMatchObject({ status: 200, pieces: events, failure: broken });
    // Before the first chunk, still after the response began: the SDK throws the same APIError.
    const first = decode({ ...failedStream('APIError'), body: [] });
    expect(first).toMatchObject({ status: 200, pieces: ['data: {"error":{"message":"m"}}\n\n'] });
  });

  it('a stored model list becomes {object: "list", data: [...]}', () => {
    const stored = sampleResponse('common/recordings/models-66c1506ac9a1c3cac55a2dabb6a81f068d753f4a69ae4edeb730b7ca374186c7-3ff721a4.json');
    const models = (stored.body as { __data__: unknown }[]).map((typed) => typed.__data__);
    expect(models.length).toBeGreaterThan(1);
    const decoded = decode(stored);
    expect(decoded.status).toBe(200);
    expect(decoded.headers).toEqual({ 'content-type': 'application/json' });
    expect(decoded.pieces).toEqual([JSON.stringify({ object: 'list', data: models })]);
  });

  it('a typed non-streaming sample becomes its plain JSON', () => {
    const stored = sampleResponse('inference/recordings/12ea4e4a2705b0589c186d9d068bac0afa6d2385867afa554c6c672722a4e1c0.json');
    expect(decode(stored).pieces).toEqual([JSON.stringify((stored.body as { __data__: unknown }).__data__)]);
  });

  it('a text body without a stored content type is sent as text/plain', () => {
    expect(decode({ body: 'hi', is_streaming: false })).toEqual({ status: 200, headers: { 'content-type': 'text/plain' }, pieces: ['hi'] });
  });

  it('a null body is sent empty', () => {
    expect(decode({ body: null, is_streaming: false, status: 204 })).toEqual({ status: 204, headers: { 'content-type': 'application/json' }, pieces: [] });
  });
});

describe('encode → decode round trips', () => {
  const roundTrip = (response: CapturedResponse) => decode(encode(response).stored);

  it('a plain OpenAI stream comes back as the same SSE text, ids and created normalized', () => {
    const original = sseText([...CHUNKS, '[DONE]']);
    const decoded = roundTrip(captured(200, { 'content-type': 'text/event-stream' }, original));
    expect(text(decoded.pieces)).toBe(sseText([...CHUNKS.map(normalizedChunk), '[DONE]']));
    expect(text(decoded.pieces)).toBe(original.split('chatcmpl-Stream9').join(NORMALIZED).split('"created":1731000001').join('"created":0'));
    expect(decoded.pieces).toHaveLength(CHUNKS.length + 1);
  });

  it('a named-event stream comes back byte for byte', () => {
    expect(text(roundTrip(captured(200, { 'content-type': 'text/event-stream' }, ANTHROPIC_SSE)).pieces)).toBe(ANTHROPIC_SSE);
  });

  it('a chat completion comes back with normalized id and created', () => {
    const decoded = roundTrip(captured(200, { 'content-type': 'application/json' }, JSON.stringify(completion)));
    expect(decoded.pieces).toEqual([JSON.stringify({ ...completion, id: NORMALIZED, created: 0 })]);
  });

  it('a model list comes back unchanged', () => {
    const list = { object: 'list', data: [{ id: 'gpt-4o', object: 'model', created: 1, owned_by: 'system' }] };
    expect(roundTrip(captured(200, { 'content-type': 'application/json' }, JSON.stringify(list))).pieces).toEqual([JSON.stringify(list)]);
  });

  it('an empty list comes back as an empty list object', () => {
    const list = { object: 'list', data: [] };
    expect(roundTrip(captured(200, { 'content-type': 'application/json' }, JSON.stringify(list))).pieces).toEqual([JSON.stringify(list)]);
  });

  it('an error comes back with its status, headers and body', () => {
    const body = '{"error":{"message":"slow down"}}';
    expect(roundTrip(captured(429, { 'content-type': 'application/json', 'retry-after': '1', 'x-request-id': 'req_9' }, body))).toEqual({
      status: 429,
      headers: { 'content-type': 'application/json', 'retry-after': '1', 'x-request-id': `req_${NORMALIZED}` },
      pieces: [body],
    });
  });

  it('binary comes back as the same bytes', () => {
    const bytes = new Uint8Array([0, 1, 2, 255, 254, 128]);
    const decoded = roundTrip(captured(200, { 'content-type': 'image/png' }, bytes));
    expect(decoded.headers['content-type']).toBe('image/png');
    expect(decoded.pieces).toHaveLength(1);
    expect(Buffer.from(decoded.pieces[0] as Uint8Array).equals(Buffer.from(bytes))).toBe(true);
  });

  it('text comes back with its content type', () => {
    expect(roundTrip(captured(200, { 'content-type': 'text/csv' }, 'a,b\n1,2\n'))).toEqual({
      status: 200,
      headers: { 'content-type': 'text/csv' },
      pieces: ['a,b\n1,2\n'],
    });
  });

  it('an NDJSON stream comes back one line per piece', () => {
    const body = '{"response":"Hi","done":false}\n{"response":"","done":true}\n';
    const decoded = roundTrip(captured(200, { 'content-type': 'application/x-ndjson' }, body));
    expect(decoded.headers['content-type']).toBe('application/x-ndjson');
    expect(decoded.pieces).toEqual(['{"response":"Hi","done":false}\n', '{"response":"","done":true}\n']);
  });
});
