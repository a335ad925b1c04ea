import { encodeResponse } from '../../src/core/recording/codec';
import { ReplayError } from '../../src/core/errors';
import { LazyChunks, type Recording, serializeRecording } from '../../src/core/recording/format';
import { publicUrl } from '../../src/core/keying/request';
import { credentialsIn, credentialsOf, findLeaks, MIN_CREDENTIAL_LENGTH, refuseLeaks } from '../../src/core/keying/secrets';

const KEY = 'sk-test-0123456789abcdef';
const CHUNK = 'openai.types.chat.chat_completion_chunk.ChatCompletionChunk';

function recording(response: Partial<Recording['response']>, body: unknown = { model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] }): Recording {
  return {
    test_id: 't.test.ts::t',
    request: { method: 'POST', url: 'https://api.example.com/v1/chat/completions', headers: {}, body, endpoint: '/v1/chat/completions', model: 'gpt-4o' },
    response: { body: null, is_streaming: false, ...response },
    id_normalization_mapping: {},
  };
}

const leaksOf = (rec: Recording, credentials = [{ source: 'header authorization', value: KEY }]) =>
  findLeaks(rec, serializeRecording(rec), credentials);

const chunk = (content: string) => ({ __type__: CHUNK, __data__: { id: 'rec-1', object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content } }] } });

describe('credentialsIn (what a drift run checks before it writes how a request differs)', () => {
  test('names each credential a text holds, as is or JSON-escaped, by where the request carried it', () => {
    const credentials = [
      { source: 'header authorization', value: 'sk-live-1234567890' },
      { source: 'query parameter key', value: 'qk"quoted"1' },
    ];
    expect(credentialsIn('{"content":"my key is sk-live-1234567890"}', credentials)).toEqual(['header authorization']);
    expect(credentialsIn(JSON.stringify({ q: 'qk"quoted"1' }), credentials)).toEqual(['query parameter key']);
    expect(credentialsIn('nothing here', credentials)).toEqual([]);
  });
});

describe('credentialsOf', () => {
  test('bearer token, api-key headers, URL password and key parameters, without the auth scheme', () => {
    const headers = new Headers({ authorization: `Bearer ${KEY}`, 'x-api-key': 'anthropic-key-123', 'x-goog-api-key': 'goog-key-4567', 'content-type': 'application/json' });
    expect(credentialsOf('https://user:hunter2hunter2@api.example.com/v1?key=query-key-890&model=gpt-4o', headers)).toEqual([
      { source: 'header authorization', value: KEY },
      { source: 'header x-api-key', value: 'anthropic-key-123' },
      { source: 'header x-goog-api-key', value: 'goog-key-4567' },
      { source: 'URL password', value: 'hunter2hunter2' },
      { source: 'query parameter key', value: 'query-key-890' },
    ]);
  });

  test('the user and password of Basic auth are looked for on their own too', () => {
    const basic = Buffer.from('account-1234:correct-horse-battery').toString('base64');
    expect(credentialsOf('https://api.example.com/', new Headers({ authorization: `Basic ${basic}` }))).toEqual([
      { source: 'header authorization', value: basic },
      { source: 'header authorization (user)', value: 'account-1234' },
      { source: 'header authorization (password)', value: 'correct-horse-battery' },
    ]);
  });

  test('a key given as the user of Basic auth, password empty, is looked for on its own', () => {
    const basic = Buffer.from(`${KEY}:`).toString('base64');
    expect(credentialsOf('https://api.example.com/', new Headers({ authorization: `Basic ${basic}` }))).toEqual([
      { source: 'header authorization', value: basic },
      { source: 'header authorization (user)', value: KEY },
    ]);
  });

  test('every credential header, each cookie of a Cookie header on its own, and what the body carried', () => {
    const headers = new Headers({
      cookie: 'theme=dark; session=cookie-value-123; csrf=short',
      'x-amz-security-token': 'amz-session-token-1',
      'ocp-apim-subscription-key': 'apim-key-12345',
      'x-auth-token': 'auth-token-12345',
      apikey: 'supabase-key-123',
      'private-token': 'gitlab-token-123',
      'x-request-id': 'not-a-credential-1',
    });
    const carried = [{ source: 'body field api_key', value: 'tvly-body-key-12' }, { source: 'body field token', value: 'short' }];
    expect(credentialsOf('https://api.example.com/', headers, carried)).toEqual([
      { source: 'header apikey', value: 'supabase-key-123' },
      { source: 'header cookie', value: 'theme=dark; session=cookie-value-123; csrf=short' },
      { source: 'header cookie (session)', value: 'cookie-value-123' },
      { source: 'header ocp-apim-subscription-key', value: 'apim-key-12345' },
      { source: 'header private-token', value: 'gitlab-token-123' },
      { source: 'header x-amz-security-token', value: 'amz-session-token-1' },
      { source: 'header x-auth-token', value: 'auth-token-12345' },
      { source: 'body field api_key', value: 'tvly-body-key-12' },
    ]);
  });

  test('the user of the URL, and credential parameters beyond key and token', () => {
    const parameters = 'subscription-key=azure-key-1234&code=function-key-5678&openai_api_key=openai-key-90&page=2';
    const url = `https://${KEY}@api.example.com/v1?${parameters}`;
    expect(credentialsOf(url, new Headers())).toEqual([
      { source: 'URL user', value: KEY },
      { source: 'query parameter subscription-key', value: 'azure-key-1234' },
      { source: 'query parameter code', value: 'function-key-5678' },
      { source: 'query parameter openai_api_key', value: 'openai-key-90' },
    ]);
  });

  test('a URL password that is no valid percent-encoding is taken as it is', () => {
    expect(credentialsOf('https://me:pass%ZZword1@api.example.com/', new Headers())).toEqual([{ source: 'URL password', value: 'pass%ZZword1' }]);
  });

  test(`values shorter than ${MIN_CREDENTIAL_LENGTH} characters are ignored`, () => {
    expect(credentialsOf('https://api.example.com/?api_key=short', new Headers({ authorization: 'Bearer x', 'api-key': '1234567' }))).toEqual([]);
  });

  test('a URL parameter equal to a credential is dropped from the URL; one equal to a short dummy key stays', () => {
    const url = `https://api.example.com/v1?deployment=${KEY}&env=test&page=2`;
    const stripped = (authorization: string) => publicUrl(url, credentialsOf(url, new Headers({ authorization }))).toString();
    expect(stripped(`Bearer ${KEY}`)).toBe('https://api.example.com/v1?env=test&page=2');
    expect(stripped('Bearer test')).toBe(url);
  });
});

describe('findLeaks', () => {
  test('a clean recording has none', () => {
    expect(leaksOf(recording({ body: { answer: 'hello' } }))).toEqual([]);
  });

  test('the file text, given in pieces as it is written, is searched across the seams between pieces', () => {
    const rec = recording({ body: { ok: true } });
    const credentials = [{ source: 'header authorization', value: KEY }];
    const pieces = ['{"seen": "', KEY.slice(0, 5), KEY.slice(5, 12), KEY.slice(12), '"}'];
    expect(findLeaks(rec, pieces, credentials)).toEqual([{ credential: 'header authorization', where: 'the file text' }]);
    expect(findLeaks(rec, ['{"seen": "', KEY.slice(0, 5), ' ', KEY.slice(5), '"}'], credentials)).toEqual([]);
  });

  test('plain: names the credential and the place in the request', () => {
    const rec = recording({ body: { ok: true } }, { messages: [{ role: 'user', content: `my key is ${KEY}` }] });
    expect(leaksOf(rec)).toEqual([{ credential: 'header authorization', where: 'request.body.messages[0].content' }]);
  });

  test('JSON-escaped: a value with quotes and backslashes is found where only its escaped form is in the file', () => {
    const value = 'pa"ss\\word-1234';
    const rec = recording({ body: { error: { message: `Invalid key ${value}` } } });
    expect(serializeRecording(rec)).not.toContain(value);
    expect(leaksOf(rec, [{ source: 'header x-api-key', value }])).toEqual([{ credential: 'header x-api-key', where: 'response.body.error.message' }]);
  });

  test('JSON inside a JSON string (tool arguments) is found', () => {
    const value = 'pa"ss-word-1234';
    const rec = recording({ body: { arguments: JSON.stringify({ key: value }) } });
    expect(leaksOf(rec, [{ source: 'header api-key', value }])).toEqual([{ credential: 'header api-key', where: 'response.body.arguments' }]);
  });

  test('split across two SSE chunks: found in the joined stream text, naming both chunks', () => {
    const rec = recording({ is_streaming: true, body: [chunk('echo: '), chunk(KEY.slice(0, 9)), chunk(KEY.slice(9)), chunk('!')] });
    expect(serializeRecording(rec)).not.toContain(KEY);
    expect(leaksOf(rec)).toEqual([{ credential: 'header authorization', where: 'response.body[1..2] (stream text)' }]);
  });

  test('a long stream item is searched as any other', () => {
    const rec = recording({ is_streaming: true, body: [chunk('a'.repeat(300_000) + KEY.slice(0, 4)), chunk(KEY.slice(4))] });
    expect(leaksOf(rec)).toEqual([{ credential: 'header authorization', where: 'response.body[0..1] (stream text)' }]);
  });

  test('split over many small chunks far into a long stream: found, naming the first and last of them', () => {
    const before = Array.from({ length: 500 }, (_, i) => chunk(`word ${i} `.repeat(20)));
    const split = [...KEY].map((character) => chunk(character));
    const rec = recording({ is_streaming: true, body: [...before, ...split, chunk(' done')] });
    expect(leaksOf(rec)).toEqual([{ credential: 'header authorization', where: `response.body[500..${500 + KEY.length - 1}] (stream text)` }]);
  });

  test('a stream given as LazyChunks is read once for all credentials', () => {
    let reads = 0;
    const items = [chunk('echo: '), chunk(KEY.slice(0, 9)), chunk(KEY.slice(9)), chunk('other-secret-value')];
    const body = new LazyChunks(() => {
      reads++;
      return items.values();
    });
    const rec = recording({ is_streaming: true, body });
    const credentials = [
      { source: 'header authorization', value: KEY },
      { source: 'header x-api-key', value: 'other-secret-value' },
    ];
    expect(findLeaks(rec, 'no text', credentials)).toEqual([
      { credential: 'header authorization', where: 'response.body[1..2] (stream text)' },
      { credential: 'header x-api-key', where: 'response.body[3].__data__.choices[0].delta.content' },
    ]);
    expect(reads).toBe(1);
  });

  test('every credential is looked for in file text given once, as pieces', () => {
    const rec = recording({ body: { ok: true } });
    function* pieces() {
      yield `{"a": "${KEY}",`;
      yield ' "b": "second-secret-1"}';
    }
    const credentials = [
      { source: 'header authorization', value: KEY },
      { source: 'header api-key', value: 'second-secret-1' },
    ];
    expect(findLeaks(rec, pieces(), credentials)).toEqual([
      { credential: 'header authorization', where: 'the file text' },
      { credential: 'header api-key', where: 'the file text' },
    ]);
  });

  test('a key given as the Basic auth user, echoed by the server in an error, is found', () => {
    const rec = recording({ status: 401, body: { error: { message: `Invalid API key provided: ${KEY}` } } });
    const basic = Buffer.from(`${KEY}:`).toString('base64');
    const credentials = credentialsOf(rec.request.url, new Headers({ authorization: `Basic ${basic}` }));
    expect(leaksOf(rec, credentials)).toEqual([{ credential: 'header authorization (user)', where: 'response.body.error.message' }]);
  });

  test('split across raw SSE data lines that are no JSON, with event lines between: found in the joined data', () => {
    const lines = ['event: delta', `data: echo ${KEY.slice(0, 6)}`, '', 'event: delta', 'id: 2', `data: ${KEY.slice(6)}`, ''];
    const rec = recording({ is_streaming: true, body: lines });
    expect(serializeRecording(rec)).not.toContain(KEY);
    expect(leaksOf(rec)).toEqual([{ credential: 'header authorization', where: 'response.body[1..5] (stream text)' }]);
  });

  test('split across raw SSE lines (Anthropic-style data events)', () => {
    const line = (text: string) => `data: ${JSON.stringify({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text } })}`;
    const rec = recording({ is_streaming: true, body: ['event: content_block_delta', line(KEY.slice(0, 5)), '', 'event: content_block_delta', line(KEY.slice(5))] });
    expect(leaksOf(rec)).toEqual([{ credential: 'header authorization', where: 'response.body[1..4] (stream text)' }]);
  });

  test('inside a base64 body', () => {
    const rec = recording({ body: { __bytes_base64__: Buffer.from(`\u0000\u00ff${KEY}`, 'latin1').toString('base64') } });
    expect(leaksOf(rec)).toEqual([{ credential: 'header authorization', where: 'response.body.__bytes_base64__' }]);
  });

  test('short values are never looked for: no false alarms on every file', () => {
    const rec = recording({ body: { text: 'x marks the spot' } });
    expect(credentialsOf(rec.request.url, new Headers({ authorization: 'Bearer x' }))).toEqual([]);
  });
});

describe('findLeaks: a value split in any stream layout', () => {
  const [head, rest] = [KEY.slice(0, 10), KEY.slice(10)];
  const delta = (value: object, index = 0) => ({
    __type__: CHUNK,
    __data__: { id: 'rec-1', object: 'chat.completion.chunk', model: 'gpt-4o', choices: [{ index, delta: value }] },
  });
  const call = (index: number, args: string) => delta({ tool_calls: [{ index, function: { arguments: args } }] });
  const data = (value: object) => `data: ${JSON.stringify(value)}`;
  const streamed = (body: unknown[]) => leaksOf(recording({ is_streaming: true, body }));
  const at = (where: string) => [{ credential: 'header authorization', where }];

  test.each([
    ['inside a field no text list names (output)', [data({ output: `key ${head}` }), '', data({ output: rest }), ''], 'response.body[0..2] (stream text)'],
    ['inside generated_text', [data({ generated_text: head }), data({ generated_text: rest })], 'response.body[0..1] (stream text)'],
    [
      'across two fields of a choice (reasoning_content, then content)',
      [delta({ reasoning_content: head }), delta({ content: rest })],
      'response.body[0..1] (stream text)',
    ],
    ['across two fields of one chunk', [delta({ reasoning_content: head, content: rest })], 'response.body[0] (stream text)'],
    ['across interleaved parallel tool calls', [call(0, head), call(1, '{"q": 1}'), call(1, '}'), call(0, rest)], 'response.body[0..3] (stream text)'],
    [
      'across two choices of n=2, each read alone',
      [delta({ content: head }, 0), delta({ content: 'other' }, 1), delta({ content: rest }, 0)],
      'response.body[0..2] (stream text)',
    ],
    [
      'across Anthropic content blocks (thinking, then text), between signature and stop events',
      [
        data({ type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: head } }),
        data({ type: 'content_block_delta', index: 0, delta: { type: 'signature_delta', signature: 'EqQBCgIYAhIM' } }),
        data({ type: 'content_block_stop', index: 0 }),
        data({ type: 'content_block_start', index: 1, content_block: { type: 'text', text: '' } }),
        data({ type: 'content_block_delta', index: 1, delta: { type: 'text_delta', text: rest } }),
      ],
      'response.body[0..4] (stream text)',
    ],
    [
      'across interleaved Responses API items',
      [
        data({ type: 'response.function_call_arguments.delta', item_id: 'fc_1', output_index: 1, delta: head }),
        data({ type: 'response.function_call_arguments.delta', item_id: 'fc_2', output_index: 2, delta: '{"q"' }),
        data({ type: 'response.function_call_arguments.delta', item_id: 'fc_1', output_index: 1, delta: rest }),
      ],
      'response.body[0..2] (stream text)',
    ],
    [
      'in Ollama messages (thinking, then content)',
      [
        { model: 'llama3', created_at: '2025-01-01T00:00:00.1Z', message: { role: 'assistant', thinking: head } },
        { model: 'llama3', created_at: '2025-01-01T00:00:00.2Z', message: { role: 'assistant', content: rest } },
      ],
      'response.body[0..1] (stream text)',
    ],
  ])('%s', (_layout, body, where) => {
    expect(serializeRecording(recording({ is_streaming: true, body }))).not.toContain(KEY);
    expect(streamed(body)).toEqual(at(where));
  });

  test('a value whole in one item is named by its place in that item, not as stream text', () => {
    expect(streamed([delta({ content: 'a' }), delta({ content: KEY })])).toEqual(at('response.body[1].__data__.choices[0].delta.content'));
  });
});

describe('refuseLeaks', () => {
  test('throws naming file, credential and place, never the value', () => {
    const rec = recording({ body: { echoed: KEY } });
    const run = () => refuseLeaks('recordings/a.json', rec, serializeRecording(rec), [{ source: 'header authorization', value: KEY }]);
    expect(run).toThrow(ReplayError);
    expect(run).toThrow('jest-replay: not writing recordings/a.json: it would contain a credential of the live request: the header authorization at response.body.echoed.');
    let message = '';
    try {
      run();
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).not.toContain(KEY);
  });

  test('passes a clean recording', () => {
    const rec = recording({ body: { fine: true } });
    expect(() => refuseLeaks('a.json', rec, serializeRecording(rec), [{ source: 'header authorization', value: KEY }])).not.toThrow();
  });
});

describe('stored response headers', () => {
  const stored = (status: number, headers: Record<string, string>) =>
    encodeResponse({ status, headers: new Headers({ 'content-type': 'application/json', ...headers }), body: new Uint8Array(Buffer.from('{}')) }, { key: 'k'.repeat(64), endpoint: '/v1/x', replacedIds: new Map() }).headers;

  test('only an allow-list is kept: cookies and echoed credentials are dropped', () => {
    expect(stored(401, { 'set-cookie': 'session=abcdefgh1234', authorization: `Bearer ${KEY}`, 'x-api-key': KEY, 'www-authenticate': 'Bearer realm="api"' })).toEqual({ 'www-authenticate': 'Bearer realm="api"' });
  });

  test('a redirect keeps its target without credentials', () => {
    expect(stored(302, { location: 'https://bucket.example.com/f?X-Amz-Signature=abc123456789&part=1' })).toEqual({ location: 'https://bucket.example.com/f?part=1' });
    expect(stored(302, { location: '/login?token=abcdefgh1234&next=%2F' })).toEqual({ location: '/login?next=%2F' });
  });
});
