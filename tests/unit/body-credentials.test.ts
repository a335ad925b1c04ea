import { REDACTED, withoutBodyCredentials, withoutStoredBodyCredentials } from '../../src/core/keying/body-credentials';
import { bodyForKey } from '../../src/core/keying/key';
import { parseRequestBody, type RequestBody, storedBody } from '../../src/core/keying/request';
import type { Json } from '../../src/core/util/json';
import { losslessFileText, parseLossless } from '../../src/core/util/lossless-json';

const JSON_TYPE = 'application/json';
const FORM_TYPE = 'application/x-www-form-urlencoded;charset=UTF-8';
const utf8 = (text: string) => new Uint8Array(Buffer.from(text, 'utf8'));
const json = (value: Json): RequestBody => ({ kind: 'json', value });
const textOf = (body: RequestBody) => JSON.stringify(storedBody(body));

describe('JSON bodies', () => {
  test('credential fields at any depth become the marker, found with their values; everyday fields stay', () => {
    const body = json({
      query: 'weather',
      api_key: 'tvly-secret-0001',
      tools: [{ config: { clientSecret: 'client-secret-02', 'refresh-token': 'refresh-003' } }],
      code: 'print(1)',
      key: 'everyday',
      max_tokens: 5,
      password: 'pw',
    });
    const { masked, found } = withoutBodyCredentials(body, JSON_TYPE);
    const tools = [{ config: { clientSecret: REDACTED, 'refresh-token': REDACTED } }];
    // However short: the key must not depend on it (it is only too short to be searched for in responses).
    expect(masked).toEqual(json({ query: 'weather', api_key: REDACTED, tools, code: 'print(1)', key: 'everyday', max_tokens: 5, password: REDACTED }));
    expect(found).toEqual([
      { source: 'body field api_key', value: 'tvly-secret-0001' },
      { source: 'body field clientSecret', value: 'client-secret-02' },
      { source: 'body field refresh-token', value: 'refresh-003' },
      { source: 'body field password', value: 'pw' },
    ]);
  });

  test('only non-empty strings are credentials: numbers, objects, empty strings and the marker stay', () => {
    const body = json({ token: 42, password: '', secret: { nested: 'no' }, api_key: REDACTED, access_token: null });
    expect(withoutBodyCredentials(body, JSON_TYPE)).toEqual({ masked: body, found: [] });
  });

  test('values with quotes, escapes and non-ASCII, and names written with escapes', () => {
    const { masked, found } = withoutBodyCredentials(parseRequestBody(utf8('{"api\\u005fkey": "a\\"b\\\\c-é-0123", "n": "x"}')), JSON_TYPE);
    expect(masked).toEqual(json({ api_key: REDACTED, n: 'x' }));
    expect(found).toEqual([{ source: 'body field api_key', value: 'a"b\\c-é-0123' }]);
  });

  test('a body with no credential field is returned as it is', () => {
    const body = json({ model: 'gpt-4o', messages: [{ role: 'user', content: 'my api_key is in here' }] });
    expect(withoutBodyCredentials(body, JSON_TYPE).masked).toBe(body);
  });

  test('runs with different values key alike, and unlike a request without the field', () => {
    const key = (value: Json) => JSON.stringify(bodyForKey(withoutBodyCredentials(json(value), JSON_TYPE).masked));
    expect(key({ q: 'a', api_key: 'first-value-1' })).toBe(key({ q: 'a', api_key: 'other-value-22' }));
    expect(key({ q: 'a', api_key: 'first-value-1' })).not.toBe(key({ q: 'a' }));
  });

  test('JSON kept as bytes (a member given twice): every occurrence is replaced, and it stays bytes', () => {
    const body = parseRequestBody(utf8('{"api_key": "first-secret-1", "api_key": "second-secret-2", "q": 1}'));
    expect(body.kind).toBe('bytes');
    const { masked, found } = withoutBodyCredentials(body, JSON_TYPE);
    expect(masked).toEqual({ kind: 'bytes', bytes: utf8('{"api_key": "<redacted>", "api_key": "<redacted>", "q": 1}') });
    expect(found.map(({ value }) => value)).toEqual(['first-secret-1', 'second-secret-2']);
  });

  test('a text body that is no JSON is left alone', () => {
    const body = parseRequestBody(utf8('api_key: "not json"'));
    expect(withoutBodyCredentials(body, 'text/plain')).toEqual({ masked: body, found: [] });
  });
});

describe('urlencoded forms', () => {
  test('an OAuth token request: client_secret and code (named as query parameters are) become the marker, the rest stays byte for byte', () => {
    const form = 'grant_type=authorization_code&client_id=my-app&client_secret=s3cr%2Bt+value&code=auth-code-1&redirect_uri=https%3A%2F%2Fa.b%2Fcb';
    const { masked, found } = withoutBodyCredentials(parseRequestBody(utf8(form)), FORM_TYPE);
    expect(textOf(masked)).toBe(JSON.stringify('grant_type=authorization_code&client_id=my-app&client_secret=%3Credacted%3E&code=%3Credacted%3E&redirect_uri=https%3A%2F%2Fa.b%2Fcb'));
    expect(found).toEqual([
      { source: 'form field client_secret', value: 's3cr+t value' },
      { source: 'form field code', value: 'auth-code-1' },
    ]);
  });

  test('a form without credentials, or a form body not declared as one, is left alone', () => {
    const body = parseRequestBody(utf8('grant_type=client_credentials&client_id=app'));
    expect(withoutBodyCredentials(body, FORM_TYPE).masked).toBe(body);
    const undeclared = parseRequestBody(utf8('client_secret=abc12345678'));
    expect(withoutBodyCredentials(undeclared, 'text/plain').found).toEqual([]);
  });
});

describe('multipart fields', () => {
  test('string fields named as credentials become the marker; files and other fields stay', () => {
    const parts: Json[] = [{ name: 'api_key', value: 'upload-secret-1' }, { name: 'code', value: 'x = 1' }, { name: 'file', filename: 'a.txt', size: 5, sha256: 'ab' }];
    const { masked, found } = withoutBodyCredentials(json({ multipart: parts }), 'multipart/form-data; boundary=x');
    expect(masked).toEqual(json({ multipart: [{ name: 'api_key', value: REDACTED }, parts[1], parts[2]] }));
    expect(found).toEqual([{ source: 'multipart field api_key', value: 'upload-secret-1' }]);
  });
});

describe('withoutStoredBodyCredentials (import, verify)', () => {
  const request = (body: unknown, contentType = JSON_TYPE) => ({ method: 'POST', url: 'https://x/v1/s', headers: { 'Content-Type': contentType }, body, endpoint: '/v1/s', model: '' });

  test('a stored JSON body, a stored form, nothing to replace', () => {
    expect(withoutStoredBodyCredentials(request({ q: 1, api_key: 'stored-secret-1' }))).toEqual({
      masked: { q: 1, api_key: REDACTED },
      found: [{ source: 'body field api_key', value: 'stored-secret-1' }],
    });
    expect(withoutStoredBodyCredentials(request('a=1&password=hunter22', FORM_TYPE)).masked).toBe('a=1&password=%3Credacted%3E');
    const clean = { q: 1 };
    expect(withoutStoredBodyCredentials(request(clean))).toEqual({ masked: clean, found: [] });
    expect(withoutStoredBodyCredentials(request(null))).toEqual({ masked: null, found: [] });
  });

  test('a body read losslessly keeps its numbers as written', () => {
    const body = parseLossless('{"temperature": 1.0, "seed": 9007199254740993, "auth": {"token": "stored-token-1"}}');
    const { masked } = withoutStoredBodyCredentials(request(body));
    expect(losslessFileText(masked)).toBe('{\n  "temperature": 1.0,\n  "seed": 9007199254740993,\n  "auth": {\n    "token": "<redacted>"\n  }\n}\n');
  });
});
