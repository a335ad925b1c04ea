import { createHash } from 'node:crypto';
import type { RequestBody } from '../../src/core/keying/request';
import { isCredentialHeader } from '../../src/core/keying/credential-names';
import {
  STORED_REQUEST_HEADERS,
  publicUrl,
  storedBody,
  storedHeaders,
  storedRequest,
  storedUrl,
  substituteIds,
  substituteUrlIds,
} from '../../src/core/keying/request';

const hex = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

const SECRET_HEADERS = {
  authorization: 'Bearer sk-live-secret',
  'proxy-authorization': 'Basic cHJveHk6c2VjcmV0',
  cookie: 'session=secret',
  'x-api-key': 'sk-ant-secret',
  'api-key': 'azure-secret',
  'x-goog-api-key': 'goog-secret',
  'x-amz-security-token': 'amz-session-secret',
  'ocp-apim-subscription-key': 'apim-secret',
  'x-auth-token': 'auth-token-secret',
  apikey: 'supabase-secret',
  'private-token': 'gitlab-secret',
  'x-openai-api-key': 'forwarded-secret',
};

describe('publicUrl', () => {
  it('strips user:password@', () => {
    expect(publicUrl('https://user:p%40ss@api.example.com/v1/chat').toString()).toBe('https://api.example.com/v1/chat');
    expect(publicUrl('https://justuser@api.example.com/v1/chat').toString()).toBe('https://api.example.com/v1/chat');
  });

  it('strips ?key= and ?api_key= and keeps the other parameters in order', () => {
    expect(publicUrl('https://generativelanguage.googleapis.com/v1beta/models?key=AIzaSecret&pageSize=5').toString()).toBe(
      'https://generativelanguage.googleapis.com/v1beta/models?pageSize=5',
    );
    expect(publicUrl('https://h/v1/x?b=2&api_key=secret&a=1').toString()).toBe('https://h/v1/x?b=2&a=1');
  });

  it.each(['key', 'KEY', 'api_key', 'api-key', 'apikey', 'apiKey', 'access_token', 'access-token', 'token', 'auth', 'sig', 'signature', 'password', 'secret', 'client_secret', 'clientSecret'])(
    'strips the credential parameter %s',
    (name) => {
      const url = publicUrl(`https://h/p?model=m&${name}=SECRET`);
      expect(url.toString()).toBe('https://h/p?model=m');
      expect(url.toString()).not.toContain('SECRET');
    },
  );

  it.each([
    ...['subscription-key', 'Ocp-Apim-Subscription-Key', 'x-api-key', 'code', 'openai_api_key', 'auth_token', 'authToken', 'id_token'],
    ...['refresh_token', 'session_token', 'private_token', 'api_token', 'jwt', 'passwd', 'api_secret', 'credential', 'AWSAccessKeyId'],
  ])(
    'strips the credential parameter %s',
    (name) => {
      expect(publicUrl(`https://h/p?model=m&${name}=SECRET`).toString()).toBe('https://h/p?model=m');
    },
  );

  it('strips a parameter of any name whose value is a credential the request carries', () => {
    const url = publicUrl('https://h/p?model=m&q=SECRET-VALUE&other=SECRET', [{ value: 'SECRET-VALUE' }]);
    expect(url.toString()).toBe('https://h/p?model=m&other=SECRET');
  });

  it('keeps pagination tokens and token counts: they are no credentials', () => {
    const url = 'https://h/p?page_token=a&pageToken=b&next_token=c&max_tokens=5';
    expect(publicUrl(url).toString()).toBe(url);
  });

  it('strips every occurrence of a repeated credential parameter', () => {
    expect(publicUrl('https://h/p?key=1&x=y&key=2').toString()).toBe('https://h/p?x=y');
  });

  it('drops the ? when only credentials were there', () => {
    expect(publicUrl('https://h/p?api_key=secret').toString()).toBe('https://h/p');
  });

  it('keeps parameters that only contain a credential word', () => {
    expect(publicUrl('https://h/p?keyword=a&monkey=b&tokens=5').toString()).toBe('https://h/p?keyword=a&monkey=b&tokens=5');
  });

  it('strips AWS pre-signed URL credentials (signature, credential, session token)', () => {
    const url = publicUrl(
      'https://bucket.s3.amazonaws.com/file.jsonl?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIASECRET%2F20300101%2Fus-east-1%2Fs3%2Faws4_request' +
        '&X-Amz-Security-Token=SESSIONSECRET&X-Amz-Signature=abcdef0123&X-Amz-Expires=60',
    ).toString();
    expect(url).not.toContain('AKIASECRET');
    expect(url).not.toContain('SESSIONSECRET');
    expect(url).not.toContain('abcdef0123');
  });

  it('does not touch the path, host or port', () => {
    expect(publicUrl('http://localhost:11434/api/chat').toString()).toBe('http://localhost:11434/api/chat');
  });
});

describe('storedUrl', () => {
  it.each([
    ['http://127.0.0.1:8321/v1/chat/completions?a=1', 'http://127.0.0.1/v1/chat/completions?a=1'],
    ['http://localhost:11434/api/chat', 'http://localhost/api/chat'],
    ['http://[::1]:4010/v1/models', 'http://[::1]/v1/models'],
  ])("leaves a loopback server's port out: %s", (url, stored) => {
    expect(storedUrl(new URL(url))).toBe(stored);
  });

  it('keeps any other host as it is, port included', () => {
    expect(storedUrl(new URL('https://api.openai.com/v1/chat/completions'))).toBe('https://api.openai.com/v1/chat/completions');
    expect(storedUrl(new URL('http://ollama.internal:11434/api/chat'))).toBe('http://ollama.internal:11434/api/chat');
  });
});

describe('storedHeaders', () => {
  const headers = new Headers({
    ...SECRET_HEADERS,
    'content-type': 'application/json',
    accept: 'text/event-stream',
    'openai-beta': 'assistants=v2',
    'anthropic-version': '2023-06-01',
    'user-agent': 'OpenAI/JS 6.0.0',
    'x-stainless-os': 'Linux',
    'x-trace-id': 'trace-1',
  });

  it('keeps only the built-in allow-list by default', () => {
    expect(storedHeaders(headers, [])).toEqual({
      'content-type': 'application/json',
      accept: 'text/event-stream',
      'openai-beta': 'assistants=v2',
      'anthropic-version': '2023-06-01',
    });
  });

  it('adds extra headers that were asked for', () => {
    expect(storedHeaders(headers, ['x-trace-id'])).toMatchObject({ 'x-trace-id': 'trace-1' });
  });

  it('never stores credentials, even when asked for them', () => {
    const stored = storedHeaders(headers, [...Object.keys(SECRET_HEADERS), 'set-cookie']);
    for (const name of Object.keys(SECRET_HEADERS)) expect(stored).not.toHaveProperty(name);
    for (const secret of Object.values(SECRET_HEADERS)) expect(JSON.stringify(stored)).not.toContain(secret);
  });

  it('never stores credentials asked for in another letter case', () => {
    const stored = storedHeaders(headers, ['Authorization', 'X-Api-Key', 'Api-Key', 'Cookie']);
    for (const secret of Object.values(SECRET_HEADERS)) expect(JSON.stringify(stored)).not.toContain(secret);
  });

  it('no header stored by default is a credential header', () => {
    for (const name of STORED_REQUEST_HEADERS) expect(isCredentialHeader(name)).toBe(false);
  });
});

describe('storedBody', () => {
  it('empty → null, JSON → the value itself (never a string)', () => {
    expect(storedBody({ kind: 'empty' })).toBeNull();
    expect(storedBody({ kind: 'json', value: { a: [1, 'x'] } })).toEqual({ a: [1, 'x'] });
    expect(storedBody({ kind: 'json', value: 'just a json string' })).toBe('just a json string');
  });

  it('UTF-8 text → text', () => {
    expect(storedBody({ kind: 'bytes', bytes: new Uint8Array(Buffer.from('a=1&b=°', 'utf8')) })).toBe('a=1&b=°');
  });

  it('other bytes → their sha256', () => {
    const bytes = new Uint8Array([0xff, 0x00, 0xc3]);
    expect(storedBody({ kind: 'bytes', bytes })).toEqual({ sha256: hex(bytes) });
  });
});

describe('storedRequest', () => {
  it('builds the stored request: upper-case method, URL, allow-listed headers, body, endpoint, model', () => {
    const url = publicUrl('https://user:pw@api.openai.com/v1/chat/completions?api_key=secret&x=1');
    expect(
      storedRequest({
        method: 'post',
        url,
        headers: new Headers({ ...SECRET_HEADERS, 'content-type': 'application/json' }),
        body: { kind: 'json', value: { model: 'gpt-4o', messages: [] } },
        extraHeaders: ['authorization'],
      }),
    ).toEqual({
      method: 'POST',
      url: 'https://api.openai.com/v1/chat/completions?x=1',
      headers: { 'content-type': 'application/json' },
      body: { model: 'gpt-4o', messages: [] },
      endpoint: '/v1/chat/completions',
      model: 'gpt-4o',
    });
  });

  it('stores a multipart request without its random boundary, with the model from its fields', () => {
    const stored = storedRequest({
      method: 'POST',
      url: new URL('http://h/v1/audio/transcriptions'),
      headers: new Headers({ 'content-type': 'multipart/form-data; boundary=----formdata-undici-0123' }),
      body: { kind: 'json', value: { multipart: [{ name: 'model', value: 'whisper-1' }, { name: 'file', sha256: 'ab' }] } },
      extraHeaders: [],
    });
    expect(stored.headers).toEqual({ 'content-type': 'multipart/form-data' });
    expect(stored.model).toBe('whisper-1');
  });

  it.each([
    ['no body', { kind: 'empty' } as RequestBody],
    ['a non-string model', { kind: 'json', value: { model: 7 } } as RequestBody],
    ['a JSON array', { kind: 'json', value: [{ model: 'x' }] } as RequestBody],
    ['a text body', { kind: 'bytes', bytes: new Uint8Array(Buffer.from('model=x')) } as RequestBody],
  ])('model is empty for %s', (_what, body) => {
    expect(storedRequest({ method: 'GET', url: new URL('http://h/v1/models'), headers: new Headers(), body, extraHeaders: [] }).model).toBe('');
  });
});

describe('substituteIds', () => {
  const replaced = new Map([
    ['resp_ORIGINAL123', 'rec-aaaaaaaaaaaa'],
    ['call_XYZ', 'rec-bbbbbbbbbbbb'],
  ]);

  it('replaces recorded ids wherever they appear in a JSON body', () => {
    const body: RequestBody = {
      kind: 'json',
      value: {
        previous_response_id: 'resp_ORIGINAL123',
        input: [{ type: 'function_call_output', call_id: 'call_XYZ', output: 'see call_XYZ' }],
      },
    };
    expect(substituteIds(body, replaced)).toEqual({
      kind: 'json',
      value: {
        previous_response_id: 'rec-aaaaaaaaaaaa',
        input: [{ type: 'function_call_output', call_id: 'rec-bbbbbbbbbbbb', output: 'see rec-bbbbbbbbbbbb' }],
      },
    });
    // The input is not modified.
    expect(body).toEqual({ kind: 'json', value: { previous_response_id: 'resp_ORIGINAL123', input: [{ type: 'function_call_output', call_id: 'call_XYZ', output: 'see call_XYZ' }] } });
  });

  it('returns the same body when nothing matches or nothing was replaced', () => {
    const body: RequestBody = { kind: 'json', value: { a: 'b' } };
    expect(substituteIds(body, replaced)).toBe(body);
    expect(substituteIds(body, new Map())).toBe(body);
  });

  it('leaves non-JSON bodies alone', () => {
    const bytes: RequestBody = { kind: 'bytes', bytes: new Uint8Array(Buffer.from('resp_ORIGINAL123')) };
    expect(substituteIds(bytes, replaced)).toBe(bytes);
    const empty: RequestBody = { kind: 'empty' };
    expect(substituteIds(empty, replaced)).toBe(empty);
  });

  it('replaces them in a URL too (a response fetched by its id), and returns the same URL when none is there', () => {
    const url = new URL('https://api.openai.com/v1/responses/resp_ORIGINAL123/input_items?after=call_XYZ');
    const stored = 'https://api.openai.com/v1/responses/rec-aaaaaaaaaaaa/input_items?after=rec-bbbbbbbbbbbb';
    expect(substituteUrlIds(url, replaced).toString()).toBe(stored);
    const other = new URL('https://api.openai.com/v1/responses/resp_OTHER');
    expect(substituteUrlIds(other, replaced)).toBe(other);
  });
});
