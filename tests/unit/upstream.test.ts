import * as http from 'node:http';
import OpenAI from 'openai';
import { startUpstream, type Upstream } from '../support/upstream';

describe('test upstream (OpenAI-compatible server)', () => {
  let upstream: Upstream;
  let client: OpenAI;

  beforeAll(async () => {
    upstream = await startUpstream();
    client = new OpenAI({ apiKey: 'test-key', baseURL: upstream.baseURL, maxRetries: 0 });
  });

  afterAll(async () => {
    await upstream.close();
  });

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
