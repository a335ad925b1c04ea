import * as http from 'node:http';
import * as zlib from 'node:zlib';
import OpenAI, { toFile } from 'openai';
import { startUpstream, type Upstream } from './upstream';

interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** the body exactly as it came off the socket, one entry per 'data' event */
  pieces: Buffer[];
  body: Buffer;
}

/** A request through node:http, which (unlike fetch) does not decode content-encoding. */
function rawRequest(url: string, init: { method?: string; body?: string; headers?: Record<string, string> } = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: init.method ?? 'POST', headers: { 'content-type': 'application/json', ...init.headers } }, (res) => {
      const pieces: Buffer[] = [];
      res.on('data', (piece: Buffer) => pieces.push(piece));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, pieces, body: Buffer.concat(pieces) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

/** Splits SSE text into its blocks (events, comments, retry-only blocks), each as its raw lines. */
const sseBlocks = (text: string): string[][] =>
  text
    .split('\n\n')
    .filter(Boolean)
    .map((block) => block.split('\n'));

// One server for the whole file: each test finds its own requests by index or content.
let upstream: Upstream;
let client: OpenAI;

beforeAll(async () => {
  upstream = await startUpstream();
  client = new OpenAI({ apiKey: 'test-key', baseURL: upstream.baseURL, maxRetries: 0 });
});

afterAll(async () => {
  await upstream.close();
});

describe('test upstream (OpenAI-compatible server)', () => {
  it('listens on loopback with a /v1 baseURL', () => {
    expect(upstream.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(upstream.baseURL).toBe(`${upstream.url}/v1`);
  });

  it('answers a non-streaming chat completion with an echo and volatile id/created', async () => {
    const before = Math.floor(Date.now() / 1000);
    const completion = await client.chat.completions.create({
      model: 'gpt-4o',
      messages: [
        { role: 'system', content: 'be brief' },
        { role: 'user', content: 'hello there' },
      ],
    });
    expect(completion.object).toBe('chat.completion');
    expect(completion.model).toBe('gpt-4o');
    expect(completion.choices[0].message.content).toBe('echo: hello there');
    expect(completion.choices[0].finish_reason).toBe('stop');
    expect(completion.id).toMatch(/^chatcmpl-[0-9a-f]{8,}$/);
    expect(completion.created).toBeGreaterThanOrEqual(before);
    expect(completion.created).toBeLessThanOrEqual(Math.floor(Date.now() / 1000));
    expect(completion.usage?.total_tokens).toBe((completion.usage?.prompt_tokens ?? 0) + (completion.usage?.completion_tokens ?? 0));

    const again = await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hello there' }] });
    expect(again.id).not.toBe(completion.id);
  });

  it('joins text parts of array content', async () => {
    const completion = await client.chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'part one, ' }, { type: 'text', text: 'part two' }] }],
    });
    expect(completion.choices[0].message.content).toBe('echo: part one, part two');
  });

  it('streams a chat completion as several separate SSE writes', async () => {
    const chunksBefore = upstream.sentChunks.length;
    const stream = await client.chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'stream me some words please' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const deltas: string[] = [];
    const ids = new Set<string>();
    let finish: string | null = null;
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      ids.add(chunk.id);
      expect(chunk.object).toBe('chat.completion.chunk');
      const choice = chunk.choices[0];
      if (choice?.delta.content) deltas.push(choice.delta.content);
      if (choice?.finish_reason) finish = choice.finish_reason;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(deltas.join('')).toBe('echo: stream me some words please');
    expect(deltas.length).toBeGreaterThan(3);
    expect(ids.size).toBe(1);
    expect(finish).toBe('stop');
    expect(usage?.completion_tokens).toBeGreaterThan(0);

    const written = upstream.sentChunks.slice(chunksBefore);
    expect(upstream.sentChunks.length).toBeGreaterThan(3);
    // role chunk + 6 words + finish chunk + usage chunk + [DONE]
    expect(written).toHaveLength(10);
    expect(written.map((c) => c.index)).toEqual([...written.keys()]);
    expect(new Set(written.map((c) => c.requestIndex)).size).toBe(1);
    expect(upstream.requests[written[0].requestIndex].path).toBe('/v1/chat/completions');
    expect(written[written.length - 1].text).toBe('data: [DONE]\n\n');
    expect(written.every((c) => /^data: .*\n\n$/s.test(c.text))).toBe(true);
  });

  it('spaces chunks by the per-request x-upstream-chunk-delay-ms header', async () => {
    const chunksBefore = upstream.sentChunks.length;
    const stream = await client.chat.completions.create(
      { model: 'gpt-4o', messages: [{ role: 'user', content: 'a b' }], stream: true },
      { headers: { 'x-upstream-chunk-delay-ms': '20' } },
    );
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe('echo: a b');

    const written = upstream.sentChunks.slice(chunksBefore);
    const elapsed = written[written.length - 1].at - written[0].at;
    // 6 chunks (role, 3 words, finish, [DONE]) => 5 gaps of 20ms; allow timer slack
    expect(written).toHaveLength(6);
    expect(elapsed).toBeGreaterThanOrEqual(5 * 20 - 10);
  });

  it('answers legacy completions, streaming and not', async () => {
    const completion = await client.completions.create({ model: 'gpt-3.5-turbo-instruct', prompt: 'say this' });
    expect(completion.object).toBe('text_completion');
    expect(completion.choices[0].text).toBe('echo: say this');

    const stream = await client.completions.create({ model: 'gpt-3.5-turbo-instruct', prompt: 'say this', stream: true });
    const parts: string[] = [];
    for await (const chunk of stream) {
      expect(chunk.object).toBe('text_completion');
      parts.push(chunk.choices[0].text);
    }
    expect(parts.length).toBeGreaterThan(1);
    expect(parts.join('')).toBe('echo: say this');
  });

  it('returns deterministic 8-dimensional embeddings', async () => {
    const first = await client.embeddings.create({ model: 'text-embedding-3-small', input: ['alpha', 'beta'], encoding_format: 'float' });
    const second = await client.embeddings.create({ model: 'text-embedding-3-small', input: ['alpha', 'beta'], encoding_format: 'float' });
    const single = await client.embeddings.create({ model: 'text-embedding-3-small', input: 'alpha', encoding_format: 'float' });

    expect(first.object).toBe('list');
    expect(first.model).toBe('text-embedding-3-small');
    expect(first.data.map((d) => d.index)).toEqual([0, 1]);
    for (const item of first.data) {
      expect(item.embedding).toHaveLength(8);
      expect(item.embedding.every((x) => Number.isFinite(x) && Math.abs(x) < 1)).toBe(true);
    }
    expect(second.data).toEqual(first.data);
    expect(single.data[0].embedding).toEqual(first.data[0].embedding);
    expect(first.data[0].embedding).not.toEqual(first.data[1].embedding);
    expect(first.data.flatMap((d) => d.embedding).some((x) => x < 0)).toBe(true);
    // plain floats keep many decimal digits on the wire
    expect(first.data[0].embedding.some((x) => String(x).split('.')[1]?.length >= 10)).toBe(true);
  });

  it('serves base64 embeddings when the SDK asks for them (its default)', async () => {
    const decoded = await client.embeddings.create({ model: 'text-embedding-3-small', input: 'alpha' });
    const floats = await client.embeddings.create({ model: 'text-embedding-3-small', input: 'alpha', encoding_format: 'float' });
    expect(JSON.parse(upstream.requests[upstream.requests.length - 2].body).encoding_format).toBe('base64');
    expect(decoded.data[0].embedding).toHaveLength(8);
    decoded.data[0].embedding.forEach((x, i) => expect(x).toBeCloseTo(floats.data[0].embedding[i], 6));
  });

  it('lists models', async () => {
    const ids: string[] = [];
    for await (const model of client.models.list()) ids.push(model.id);
    expect(ids).toEqual(['gpt-4o', 'text-embedding-3-small']);
  });

  it('simulates upstream errors from fail-<status> models', async () => {
    const err = await client.chat.completions
      .create({ model: 'fail-429', messages: [{ role: 'user', content: 'hi' }] })
      .then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    const apiError = err as InstanceType<typeof OpenAI.APIError>;
    expect(apiError.status).toBe(429);
    expect(apiError.code).toBe('simulated_429');
    expect(apiError.type).toBe('rate_limit_error');
    expect(apiError.message).toContain('Simulated 429 from upstream');
    expect(apiError.headers?.get('retry-after')).toBe('1');
    expect(apiError.headers?.get('retry-after-ms')).toBe('1000');
    expect(apiError.requestID).toMatch(/^req_\d+$/);

    const serverError = await client.chat.completions
      .create({ model: 'fail-500', messages: [{ role: 'user', content: 'hi' }] })
      .then(() => undefined, (e: unknown) => e);
    expect(serverError).toBeInstanceOf(OpenAI.InternalServerError);
  });

  it('rejects bad bodies with 400 and unknown routes with 404', async () => {
    const bad = await fetch(`${upstream.baseURL}/chat/completions`, { method: 'POST', body: 'not json{' });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toBe('application/json');
    expect(((await bad.json()) as { error: { type: string } }).error.type).toBe('invalid_request_error');

    const empty = await fetch(`${upstream.baseURL}/embeddings`, { method: 'POST' });
    expect(empty.status).toBe(400);
    await empty.arrayBuffer();

    const missing = await fetch(`${upstream.url}/nope?x=1`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get('x-request-id')).toMatch(/^req_\d+$/);
    expect(((await missing.json()) as { error: { type: string } }).error.type).toBe('not_found_error');
    expect(upstream.requests[upstream.requests.length - 1].path).toBe('/nope?x=1');
  });

  it('records every request with method, path, headers and body', () => {
    expect(upstream.requests.length).toBeGreaterThan(5);
    const chat = upstream.requests.find((r) => r.path === '/v1/chat/completions');
    expect(chat).toBeDefined();
    expect(chat!.method).toBe('POST');
    expect(chat!.headers.authorization).toBe('Bearer test-key');
    expect(JSON.parse(chat!.body).model).toBe('gpt-4o');
    const times = upstream.requests.map((r) => r.at);
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });
});

describe('upstream close()', () => {
  it('does not hang on open keep-alive connections', async () => {
    const upstream = await startUpstream();
    const agent = new http.Agent({ keepAlive: true });
    const status = await new Promise<number | undefined>((resolve, reject) => {
      http
        .get(`${upstream.baseURL}/models`, { agent }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode));
        })
        .on('error', reject);
    });
    expect(status).toBe(200);

    const started = Date.now();
    await upstream.close();
    expect(Date.now() - started).toBeLessThan(1000);
    agent.destroy();

    await expect(fetch(`${upstream.url}/v1/models`)).rejects.toThrow();
    await expect(upstream.close()).resolves.toBeUndefined(); // idempotent
  });

  it('aborts an in-flight slow stream when closed', async () => {
    const upstream = await startUpstream({ chunkDelayMs: 200 });
    const client = new OpenAI({ apiKey: 'test-key', baseURL: upstream.baseURL, maxRetries: 0 });
    const stream = await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'slow' }], stream: true });
    const consumed = (async () => {
      for await (const _chunk of stream) {
        // drain
      }
    })();
    const started = Date.now();
    await upstream.close();
    expect(Date.now() - started).toBeLessThan(1000);
    await expect(consumed).rejects.toThrow();
    expect(upstream.sentChunks.length).toBeLessThan(5);
  });
});

describe('test upstream: more kinds of traffic', () => {
  const chunksOf = (requestIndex: number) => upstream.sentChunks.filter((c) => c.requestIndex === requestIndex);
  const lastRequestIndex = () => upstream.requests.length - 1;

  describe('OpenAI Responses API', () => {
    it('answers a non-streaming response that the SDK turns into output_text', async () => {
      const before = Math.floor(Date.now() / 1000);
      const response = await client.responses.create({ model: 'gpt-4o', input: 'hello responses' });
      expect(response.object).toBe('response');
      expect(response.status).toBe('completed');
      expect(response.model).toBe('gpt-4o');
      expect(response.id).toMatch(/^resp_[0-9a-f]+$/);
      expect(response.created_at).toBeGreaterThanOrEqual(before);
      expect(response.output_text).toBe('echo: hello responses');
      const [item] = response.output;
      expect(item.type).toBe('message');
      if (item.type !== 'message') throw new Error('expected a message');
      expect(item.id).toMatch(/^msg_[0-9a-f]+$/);
      expect(item.role).toBe('assistant');
      expect(item.content).toEqual([expect.objectContaining({ type: 'output_text', text: 'echo: hello responses', annotations: [] })]);
      expect(response.usage?.total_tokens).toBe((response.usage?.input_tokens ?? 0) + (response.usage?.output_tokens ?? 0));

      const fromMessages = await client.responses.create({
        model: 'gpt-4o',
        input: [
          { role: 'system', content: 'be brief' },
          { role: 'user', content: [{ type: 'input_text', text: 'from a list' }] },
        ],
      });
      expect(fromMessages.output_text).toBe('echo: from a list');
      expect(fromMessages.id).not.toBe(response.id);
    });

    it('streams typed events with sequence numbers, one delta per word, and no [DONE]', async () => {
      const stream = await client.responses.create({ model: 'gpt-4o', input: 'stream the responses api', stream: true });
      const types: string[] = [];
      const sequence: number[] = [];
      const deltas: string[] = [];
      let done = '';
      let completedText = '';
      for await (const event of stream) {
        types.push(event.type);
        sequence.push(event.sequence_number);
        if (event.type === 'response.output_text.delta') deltas.push(event.delta);
        if (event.type === 'response.output_text.done') done = event.text;
        if (event.type === 'response.completed') completedText = event.response.output_text ?? '';
      }
      const words = ['echo:', ' stream', ' the', ' responses', ' api'];
      expect(types).toEqual([
        'response.created',
        'response.in_progress',
        'response.output_item.added',
        'response.content_part.added',
        ...words.map(() => 'response.output_text.delta'),
        'response.output_text.done',
        'response.content_part.done',
        'response.output_item.done',
        'response.completed',
      ]);
      expect(sequence).toEqual([...types.keys()]);
      expect(deltas).toEqual(words);
      expect(done).toBe('echo: stream the responses api');
      expect(completedText === '' || completedText === done).toBe(true);

      const written = chunksOf(lastRequestIndex());
      expect(written).toHaveLength(types.length);
      written.forEach((chunk, i) => {
        expect(chunk.text).toMatch(new RegExp(`^event: ${types[i].replace(/\./g, '\\.')}\ndata: \\{.*\\}\n\n$`, 's'));
        expect(JSON.parse(chunk.text.split('\ndata: ')[1]).type).toBe(types[i]);
      });
      expect(written.some((c) => c.text.includes('[DONE]'))).toBe(false);
    });

    it('is accumulated correctly by the SDK ResponseStream helper', async () => {
      const final = await client.responses.stream({ model: 'gpt-4o', input: 'accumulate me' }).finalResponse();
      expect(final.output_text).toBe('echo: accumulate me');
      expect(final.status).toBe('completed');
    });
  });

  describe('Anthropic Messages', () => {
    it('answers a non-streaming message', async () => {
      const res = await fetch(`${upstream.url}/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': 'k', 'anthropic-version': '2023-06-01' },
        body: JSON.stringify({
          model: 'claude-sonnet-4-5',
          max_tokens: 64,
          messages: [
            { role: 'user', content: 'first' },
            { role: 'assistant', content: 'ok' },
            { role: 'user', content: [{ type: 'text', text: 'hi claude' }] },
          ],
        }),
      });
      expect(res.status).toBe(200);
      const message = (await res.json()) as Record<string, unknown>;
      expect(message).toEqual({
        id: expect.stringMatching(/^msg_[0-9a-f]+$/),
        type: 'message',
        role: 'assistant',
        model: 'claude-sonnet-4-5',
        content: [{ type: 'text', text: 'echo: hi claude' }],
        stop_reason: 'end_turn',
        stop_sequence: null,
        usage: { input_tokens: 4, output_tokens: 3 },
      });
    });

    it('streams Anthropic SSE with retry, id, ping and a comment, one write per block', async () => {
      const res = await fetch(`${upstream.url}/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 64, stream: true, messages: [{ role: 'user', content: 'stream words' }] }),
      });
      expect(res.headers.get('content-type')).toBe('text/event-stream');
      const text = await res.text();
      const blocks = sseBlocks(text);

      expect(blocks[0]).toEqual(['retry: 3000']);
      expect(blocks[1][0]).toBe('event: message_start');
      expect(blocks[1][1]).toBe('id: evt_1');
      expect(blocks.filter((b) => b.some((l) => l.startsWith('id:')))).toHaveLength(1);
      const pingAt = blocks.findIndex((b) => b[0] === 'event: ping');
      expect(blocks[pingAt]).toEqual(['event: ping', 'data: {"type": "ping"}']);
      expect(blocks[pingAt + 1]).toEqual([': keep-alive']);

      const events = blocks.filter((b) => b[0].startsWith('event: '));
      const names = events.map((b) => b[0].slice('event: '.length));
      expect(names).toEqual([
        'message_start',
        'content_block_start',
        'ping',
        'content_block_delta',
        'content_block_delta',
        'content_block_delta',
        'content_block_stop',
        'message_delta',
        'message_stop',
      ]);
      const data = events.map((b) => JSON.parse(b.find((l) => l.startsWith('data: '))!.slice('data: '.length)) as Record<string, any>);
      data.forEach((d, i) => expect(d.type).toBe(names[i]));
      expect(data[0].message).toMatchObject({ type: 'message', role: 'assistant', model: 'claude-sonnet-4-5', content: [], stop_reason: null });
      const deltas = data.filter((d) => d.type === 'content_block_delta');
      expect(deltas.every((d) => d.index === 0 && d.delta.type === 'text_delta')).toBe(true);
      expect(deltas.map((d) => d.delta.text).join('')).toBe('echo: stream words');
      expect(data[data.length - 2].delta).toEqual({ stop_reason: 'end_turn', stop_sequence: null });
      expect(text).not.toContain('[DONE]');

      const written = chunksOf(lastRequestIndex());
      expect(written).toHaveLength(blocks.length);
      expect(written.map((c) => c.text).join('')).toBe(text);
    });

    it('answers fail-<status> models with an Anthropic-shaped error', async () => {
      const res = await fetch(`${upstream.url}/v1/messages`, {
        method: 'POST',
        body: JSON.stringify({ model: 'fail-529', max_tokens: 1, messages: [{ role: 'user', content: 'x' }] }),
      });
      expect(res.status).toBe(529);
      expect(await res.json()).toEqual({ type: 'error', error: { type: 'overloaded_error', message: 'Simulated 529 from upstream' } });
    });
  });

  describe('Ollama', () => {
    const post = (path: string, body: unknown) => fetch(`${upstream.url}${path}`, { method: 'POST', body: JSON.stringify(body) });

    it('streams /api/chat as NDJSON by default, one line per write', async () => {
      const res = await post('/api/chat', { model: 'llama3.2:3b', messages: [{ role: 'user', content: 'hi llama friend' }] });
      expect(res.headers.get('content-type')).toBe('application/x-ndjson');
      const text = await res.text();
      expect(text.endsWith('\n')).toBe(true);
      const lines = text.trimEnd().split('\n').map((line) => JSON.parse(line) as Record<string, any>);
      expect(lines).toHaveLength(5); // 4 words + final
      for (const line of lines.slice(0, -1)) {
        expect(line).toEqual({ model: 'llama3.2:3b', created_at: expect.any(String), message: { role: 'assistant', content: expect.any(String) }, done: false });
        expect(Number.isNaN(Date.parse(line.created_at))).toBe(false);
      }
      expect(lines.map((l) => l.message.content).join('')).toBe('echo: hi llama friend');
      const last = lines[lines.length - 1];
      expect(last).toMatchObject({ model: 'llama3.2:3b', message: { role: 'assistant', content: '' }, done: true, done_reason: 'stop', eval_count: 4 });
      expect(last.total_duration).toBeGreaterThan(0);

      const written = chunksOf(lastRequestIndex());
      expect(written).toHaveLength(5);
      expect(written.every((c) => /^\{.*\}\n$/s.test(c.text))).toBe(true);
    });

    it('answers /api/chat with stream: false as one object', async () => {
      const res = await post('/api/chat', { model: 'llama3.2:3b', stream: false, messages: [{ role: 'user', content: 'whole' }] });
      expect(res.headers.get('content-type')).toBe('application/json');
      const body = (await res.json()) as Record<string, any>;
      expect(body).toMatchObject({ model: 'llama3.2:3b', message: { role: 'assistant', content: 'echo: whole' }, done: true, done_reason: 'stop' });
    });

    it('serves /api/generate with a response field, streaming and not', async () => {
      const streamed = await post('/api/generate', { model: 'llama3.2:3b', prompt: 'why sky blue' });
      const lines = (await streamed.text()).trimEnd().split('\n').map((line) => JSON.parse(line) as Record<string, any>);
      expect(lines.map((l) => l.response).join('')).toBe('echo: why sky blue');
      expect(lines.every((l) => !('message' in l))).toBe(true);
      expect(lines[lines.length - 1]).toMatchObject({ response: '', done: true, done_reason: 'stop' });

      const whole = await post('/api/generate', { model: 'llama3.2:3b', prompt: 'why sky blue', stream: false });
      expect((await whole.json()) as Record<string, any>).toMatchObject({ response: 'echo: why sky blue', done: true });

      const missing = await post('/api/generate', { prompt: 'no model' });
      expect(missing.status).toBe(400);
      expect(await missing.json()).toEqual({ error: 'model is required' });
    });

    it('lists /api/tags deterministically', async () => {
      const first = await (await fetch(`${upstream.url}/api/tags`)).text();
      const second = await (await fetch(`${upstream.url}/api/tags`)).text();
      expect(second).toBe(first);
      const tags = JSON.parse(first) as { models: Array<Record<string, any>> };
      expect(tags.models).toHaveLength(1);
      expect(tags.models[0]).toMatchObject({ name: 'llama3.2:3b', model: 'llama3.2:3b', details: { family: 'llama' } });
      expect(typeof tags.models[0].size).toBe('number');
      expect(tags.models[0].digest).toMatch(/^[0-9a-f]{64}$/);
    });
  });

  describe('compression (x-upstream-encoding)', () => {
    const chatBody = JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'squeeze me' }] });
    const decoders: Record<string, (b: Buffer) => Buffer> = {
      gzip: (b) => zlib.gunzipSync(b),
      deflate: (b) => zlib.inflateSync(b),
      br: (b) => zlib.brotliDecompressSync(b),
    };

    it.each(['gzip', 'deflate', 'br'])('compresses a JSON body with %s', async (encoding) => {
      const res = await rawRequest(`${upstream.baseURL}/chat/completions`, { body: chatBody, headers: { 'x-upstream-encoding': encoding } });
      expect(res.status).toBe(200);
      expect(res.headers['content-encoding']).toBe(encoding);
      expect(res.headers['content-type']).toBe('application/json');
      expect(() => JSON.parse(res.body.toString('utf8'))).toThrow();
      const decoded = JSON.parse(decoders[encoding](res.body).toString('utf8'));
      expect(decoded.choices[0].message.content).toBe('echo: squeeze me');
    });

    it('compresses errors and Ollama tags too, and is deterministic for identical bodies', async () => {
      const missing = await rawRequest(`${upstream.url}/nope`, { method: 'GET', headers: { 'x-upstream-encoding': 'br' } });
      expect(missing.status).toBe(404);
      expect(JSON.parse(zlib.brotliDecompressSync(missing.body).toString()).error.type).toBe('not_found_error');

      const a = await rawRequest(`${upstream.url}/api/tags`, { method: 'GET', headers: { 'x-upstream-encoding': 'gzip' } });
      const b = await rawRequest(`${upstream.url}/api/tags`, { method: 'GET', headers: { 'x-upstream-encoding': 'gzip' } });
      expect(a.headers['content-encoding']).toBe('gzip');
      expect(a.body.equals(b.body)).toBe(true);
    });

    it('rejects an unknown encoding', async () => {
      const res = await rawRequest(`${upstream.baseURL}/chat/completions`, { body: chatBody, headers: { 'x-upstream-encoding': 'zstd' } });
      expect(res.status).toBe(400);
      expect(res.headers['content-encoding']).toBeUndefined();
    });

    it.each(['gzip', 'deflate', 'br'])('flushes a %s stream after every chunk so it still arrives incrementally', async (encoding) => {
      const res = await rawRequest(`${upstream.baseURL}/chat/completions`, {
        body: JSON.stringify({ model: 'gpt-4o', stream: true, messages: [{ role: 'user', content: 'one two three' }] }),
        headers: { 'x-upstream-encoding': encoding, 'x-upstream-chunk-delay-ms': '15' },
      });
      expect(res.headers['content-encoding']).toBe(encoding);
      expect(res.headers['content-type']).toBe('text/event-stream');
      const written = chunksOf(lastRequestIndex());
      expect(written).toHaveLength(7); // role, 4 words, finish, [DONE]
      // sentChunks keep the uncompressed text
      expect(decoders[encoding](res.body).toString('utf8')).toBe(written.map((c) => c.text).join(''));
      expect(written[written.length - 1].text).toBe('data: [DONE]\n\n');
      // several packets, and the first one (compression header included) already decodes to whole events on its own
      expect(res.pieces.length).toBeGreaterThanOrEqual(3);
      const partial =
        encoding === 'br'
          ? zlib.brotliDecompressSync(res.pieces[0], { finishFlush: zlib.constants.BROTLI_OPERATION_FLUSH })
          : (encoding === 'gzip' ? zlib.gunzipSync : zlib.inflateSync)(res.pieces[0], { finishFlush: zlib.constants.Z_SYNC_FLUSH });
      expect(partial.toString('utf8')).toMatch(/^data: \{.*\}\n\n$/s);
    });

    it('is decoded transparently by fetch and by the SDK', async () => {
      const res = await fetch(`${upstream.baseURL}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-upstream-encoding': 'gzip' },
        body: chatBody,
      });
      expect(res.headers.get('content-encoding')).toBe('gzip');
      expect(((await res.json()) as { choices: Array<{ message: { content: string } }> }).choices[0].message.content).toBe('echo: squeeze me');

      const stream = await client.chat.completions.create(
        { model: 'gpt-4o', messages: [{ role: 'user', content: 'zipped stream' }], stream: true },
        { headers: { 'x-upstream-encoding': 'gzip' } },
      );
      let text = '';
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
      expect(text).toBe('echo: zipped stream');
    });
  });

  describe('binary and multipart', () => {
    it('returns deterministic non-UTF-8 audio bytes from /v1/audio/speech', async () => {
      const speak = async (input: string) => {
        const res = await client.audio.speech.create({ model: 'tts-1', input, voice: 'alloy' });
        expect(res.headers.get('content-type')).toBe('audio/mpeg');
        const bytes = Buffer.from(await res.arrayBuffer());
        expect(res.headers.get('content-length')).toBe(String(bytes.length));
        return bytes;
      };
      const bytes = await speak('say something');
      expect(bytes.length).toBeGreaterThanOrEqual(256);
      expect(bytes.includes(Buffer.from([0xff, 0xfe, 0x00]))).toBe(true);
      expect(() => new TextDecoder('utf-8', { fatal: true }).decode(bytes)).toThrow();
      expect((await speak('say something')).equals(bytes)).toBe(true);
      expect((await speak('say something else')).equals(bytes)).toBe(false);
    });

    it('parses a multipart transcription upload sent by the SDK', async () => {
      const audio = Buffer.from([0x52, 0x49, 0x46, 0x46, 0xff, 0xfe, 0x00, 0x80, 0xc3, 0x28, 0x01, 0x02]);
      const result = await client.audio.transcriptions.create({ model: 'whisper-1', file: await toFile(audio, 'a.wav'), language: 'en' });
      expect(result.text).toBe('transcribed 12 bytes of a.wav with whisper-1');

      const request = upstream.requests[lastRequestIndex()];
      expect(request.path).toBe('/v1/audio/transcriptions');
      expect(String(request.headers['content-type'])).toMatch(/^multipart\/form-data; boundary=/);
      expect(request.rawBody?.includes(audio)).toBe(true);
      expect(request.rawBody?.toString('latin1')).toContain('name="language"');

      const asText = await client.audio.transcriptions.create({ model: 'whisper-1', file: await toFile(Buffer.from('hello'), 'b.mp3'), response_format: 'text' });
      expect(asText).toBe('transcribed 5 bytes of b.mp3 with whisper-1');
    });

    it('rejects a transcription without a file part', async () => {
      const form = new FormData();
      form.append('model', 'whisper-1');
      const res = await fetch(`${upstream.baseURL}/audio/transcriptions`, { method: 'POST', body: form });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { message: string } }).error.message).toContain("'file'");
    });
  });

  describe('failure patterns', () => {
    it('fails flaky-<status>-<n> n times per identical body, then succeeds; resetCounters() starts over', async () => {
      upstream.resetCounters();
      const body = { model: 'flaky-429-1', messages: [{ role: 'user' as const, content: 'flaky please' }] };
      const retrying = new OpenAI({ apiKey: 'test-key', baseURL: upstream.baseURL, maxRetries: 1 });
      const before = upstream.requests.length;
      const completion = await retrying.chat.completions.create(body);
      expect(completion.choices[0].message.content).toBe('echo: flaky please');
      const attempts = upstream.requests.slice(before);
      expect(attempts).toHaveLength(2);
      expect(attempts[1].body).toBe(attempts[0].body);

      // the counter is per body: a different body fails first, the same body keeps succeeding
      const other = await client.chat.completions.create({ ...body, messages: [{ role: 'user', content: 'other' }] }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(other).toBeInstanceOf(OpenAI.RateLimitError);
      expect((other as InstanceType<typeof OpenAI.APIError>).headers?.get('retry-after-ms')).toBe('1000');
      await expect(client.chat.completions.create(body)).resolves.toBeDefined();

      upstream.resetCounters();
      await expect(client.chat.completions.create(body)).rejects.toBeInstanceOf(OpenAI.RateLimitError);
      await expect(client.chat.completions.create(body)).resolves.toBeDefined();
    });

    it('supports flaky-<status>-<n> with other statuses and counts', async () => {
      const body = { model: 'flaky-500-2', messages: [{ role: 'user' as const, content: 'twice' }] };
      await expect(client.chat.completions.create(body)).rejects.toBeInstanceOf(OpenAI.InternalServerError);
      await expect(client.chat.completions.create(body)).rejects.toBeInstanceOf(OpenAI.InternalServerError);
      await expect(client.chat.completions.create(body)).resolves.toBeDefined();
    });

    it('destroys the socket after k chunks with reset-after-<k>', async () => {
      const stream = await client.chat.completions.create(
        { model: 'reset-after-2', messages: [{ role: 'user', content: 'cut me off please' }], stream: true },
        { headers: { 'x-upstream-chunk-delay-ms': '5' } },
      );
      const requestIndex = lastRequestIndex();
      const received: unknown[] = [];
      await expect(
        (async () => {
          for await (const chunk of stream) received.push(chunk);
        })(),
      ).rejects.toThrow();
      expect(received).toHaveLength(2);
      const written = chunksOf(requestIndex);
      expect(written).toHaveLength(2);
      expect(written.some((c) => c.text.includes('[DONE]'))).toBe(false);
      expect(upstream.requests[requestIndex].headersSentAt).toBeDefined();
    });

    it('resets compressed streams after k chunks too', async () => {
      const res = await fetch(`${upstream.baseURL}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-upstream-encoding': 'gzip' },
        body: JSON.stringify({ model: 'reset-after-1', messages: [{ role: 'user', content: 'x y z' }], stream: true }),
      });
      expect(res.status).toBe(200);
      await expect(res.text()).rejects.toThrow();
      expect(chunksOf(lastRequestIndex())).toHaveLength(1);
    });

    it('destroys the socket before any response with reset-before-response', async () => {
      const err = await client.chat.completions
        .create({ model: 'reset-before-response', messages: [{ role: 'user', content: 'x' }] })
        .then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(OpenAI.APIConnectionError);
      expect(err).not.toBeInstanceOf(OpenAI.APIConnectionTimeoutError);
      const request = upstream.requests[lastRequestIndex()];
      expect(JSON.parse(request.body).model).toBe('reset-before-response');
      expect(request.headersSentAt).toBeUndefined();
    });

    it('never answers the hang model, so the client times out', async () => {
      // Jest runs tests in a realm of their own: the DOMException Node's fetch rejects with on abort is not
      // `instanceof Error` there, so the SDK's castToError drops its name and reports a plain APIConnectionError.
      // Re-throwing it as an Error of this realm gives the SDK what it gets outside Jest.
      const realmSafeFetch = (input: string | URL | Request, init?: RequestInit) =>
        fetch(input, init).catch((err: { message: string; name: string }) => {
          throw err instanceof Error ? err : Object.assign(new Error(err.message, { cause: err }), { name: err.name });
        });
      const timingOut = new OpenAI({ apiKey: 'test-key', baseURL: upstream.baseURL, fetch: realmSafeFetch });
      const started = Date.now();
      const err = await timingOut.chat.completions
        .create({ model: 'hang', messages: [{ role: 'user', content: 'x' }] }, { timeout: 200, maxRetries: 0 })
        .then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(OpenAI.APIConnectionTimeoutError);
      expect(Date.now() - started).toBeGreaterThanOrEqual(150);
      expect(upstream.requests[lastRequestIndex()].headersSentAt).toBeUndefined();
    });
  });

  describe('timing', () => {
    it('records when response headers were sent, before the first chunk of a stream', async () => {
      await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'timed' }] });
      const plain = upstream.requests[lastRequestIndex()];
      expect(plain.headersSentAt).toBeGreaterThanOrEqual(plain.at);

      const stream = await client.chat.completions.create(
        { model: 'gpt-4o', messages: [{ role: 'user', content: 'timed stream' }], stream: true },
        { headers: { 'x-upstream-chunk-delay-ms': '10' } },
      );
      for await (const _chunk of stream) {
        // drain
      }
      const requestIndex = lastRequestIndex();
      const streamed = upstream.requests[requestIndex];
      const written = chunksOf(requestIndex);
      expect(streamed.headersSentAt).toBeGreaterThanOrEqual(streamed.at);
      expect(written[0].at).toBeGreaterThanOrEqual(streamed.headersSentAt!);
      const ats = written.map((c) => c.at);
      expect(ats).toEqual([...ats].sort((a, b) => a - b));
      expect(ats[ats.length - 1] - ats[0]).toBeGreaterThanOrEqual((written.length - 1) * 10 - 10);
    });
  });
});

describe('upstream close() with a hanging request', () => {
  it('ends a hang request promptly', async () => {
    const upstream = await startUpstream();
    const pending = fetch(`${upstream.baseURL}/chat/completions`, {
      method: 'POST',
      body: JSON.stringify({ model: 'hang', messages: [] }),
    }).then(
      () => 'answered',
      () => 'failed',
    );
    while (upstream.requests.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    const started = Date.now();
    await upstream.close();
    expect(Date.now() - started).toBeLessThan(1000);
    await expect(pending).resolves.toBe('failed');
  });
});

describe('a drifted upstream (drift checks)', () => {
  let drifted: Upstream;
  let driftedClient: OpenAI;
  beforeAll(async () => {
    drifted = await startUpstream({ drifted: true });
    driftedClient = new OpenAI({ apiKey: 'sk-test', baseURL: drifted.baseURL, maxRetries: 0 });
  });
  afterAll(() => drifted.close());

  it('chat: other text, usage.prompt_tokens renamed input_tokens, total_tokens a string, tool arguments with another key', async () => {
    const answer = await driftedClient.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] });
    expect(answer.choices[0].message.content).toBe('echo (v2): hi');
    expect(answer.usage).toEqual({ input_tokens: 1, completion_tokens: 2, total_tokens: '3' });
    const tools = [{ type: 'function' as const, function: { name: 'lookup', parameters: { type: 'object' } } }];
    const called = await driftedClient.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'rain' }], tools });
    expect(called.choices[0].message.tool_calls?.[0]).toMatchObject({ function: { name: 'lookup', arguments: '{"q":"rain"}' } });
  });

  it('a Responses stream has an event of a new kind after response.created; embeddings answer 404', async () => {
    const types: string[] = [];
    for await (const event of await driftedClient.responses.create({ model: 'gpt-4o', input: 'sun', stream: true })) types.push(event.type);
    expect(types.slice(0, 3)).toEqual(['response.created', 'response.usage.delta', 'response.in_progress']);
    await expect(driftedClient.embeddings.create({ model: 'text-embedding-3-small', input: 'x' })).rejects.toMatchObject({ status: 404 });
  });
});
