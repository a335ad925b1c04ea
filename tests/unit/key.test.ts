import { createHash } from 'node:crypto';
import { sha256 } from '../../src/core/util/hash';
import { bodyForKey, type KeyInput, isSharedEndpoint, keyedPath, normalizeForKey, requestKey, roundNumber } from '../../src/core/keying/key';
import { parseRequestBody } from '../../src/core/keying/request';

const hex = (text: string | Uint8Array) => createHash('sha256').update(text).digest('hex');
const utf8 = (text: string) => new Uint8Array(Buffer.from(text, 'utf8'));

const TEST_ID = 'tests/chat.test.ts::chat::says hi';
const CHAT = 'https://api.openai.com/v1/chat/completions';

/** The key of a request as the session computes it: raw body bytes → parsed → normalized → key. */
function keyOf(method: string, url: string, body: string | Uint8Array | null, testId: string | null = TEST_ID): string {
  const bytes = typeof body === 'string' ? utf8(body) : body;
  return requestKey({ method, url: new URL(url), body: bodyForKey(parseRequestBody(bytes)), testId });
}

describe('roundNumber / normalizeForKey', () => {
  it('rounds floats to 5 decimals', () => {
    expect(roundNumber(0.1234567)).toBe(0.12346);
    expect(roundNumber(-2.718281828)).toBe(-2.71828);
    expect(roundNumber(0.30000000000000004)).toBe(0.3);
  });

  it('leaves integers, infinities and huge numbers untouched', () => {
    expect(roundNumber(123456789)).toBe(123456789);
    expect(roundNumber(-7)).toBe(-7);
    expect(roundNumber(Number.POSITIVE_INFINITY)).toBe(Number.POSITIVE_INFINITY);
    expect(roundNumber(1.5e300)).toBe(1.5e300);
  });

  it('rounds long decimals inside strings, not short ones', () => {
    expect(normalizeForKey('score 0.123456789 and 2.5 and 1.2345')).toBe('score 0.12346 and 2.5 and 1.23450');
    expect(normalizeForKey('v1.2.3 costs 12.99')).toBe('v1.2.3 costs 12.99');
  });

  it('recurses into arrays and objects, keeping keys and non-numbers', () => {
    expect(normalizeForKey({ a: [0.1234567, 'x 3.1415926', true, null], b: { c: 42 } })).toEqual({
      a: [0.12346, 'x 3.14159', true, null],
      b: { c: 42 },
    });
  });
});

describe('parseRequestBody / bodyForKey', () => {
  it('an absent or empty body is empty and keys as null', () => {
    expect(parseRequestBody(null)).toEqual({ kind: 'empty' });
    expect(parseRequestBody(undefined)).toEqual({ kind: 'empty' });
    expect(parseRequestBody(new Uint8Array(0))).toEqual({ kind: 'empty' });
    expect(bodyForKey({ kind: 'empty' })).toBeNull();
  });

  it('JSON is parsed', () => {
    expect(parseRequestBody(utf8('{"a":[1,2]}'))).toEqual({ kind: 'json', value: { a: [1, 2] } });
  });

  it('non-JSON is kept as bytes and keyed by their sha256', () => {
    const bytes = utf8('a=1&b=2');
    const body = parseRequestBody(bytes);
    expect(body).toEqual({ kind: 'bytes', bytes });
    expect(bodyForKey(body)).toEqual({ sha256: hex('a=1&b=2') });
  });

  it('reads only the bytes of a view, not the whole underlying buffer', () => {
    const whole = utf8('garbage{"x":1}garbage');
    const view = whole.subarray(7, 14);
    expect(parseRequestBody(view)).toEqual({ kind: 'json', value: { x: 1 } });
    const binaryView = new Uint8Array([9, 9, 0xff, 0xfe, 9]).subarray(2, 4);
    expect(bodyForKey(parseRequestBody(binaryView))).toEqual({ sha256: hex(new Uint8Array([0xff, 0xfe])) });
  });

  it('JSON that JSON.parse would change is kept as bytes: a member given twice, an integer beyond 2^53', () => {
    for (const text of ['{"a":1,"a":2}', '{"o":{"x":1, "x" :2}}', '{"seed":9007199254740993}', '[-12345678901234567891]', `{"n":1${'0'.repeat(400)}}`]) {
      expect(parseRequestBody(utf8(text))).toEqual({ kind: 'bytes', bytes: utf8(text) });
    }
  });

  it('two requests that differ there never key alike', () => {
    expect(keyOf('POST', CHAT, '{"a":1,"a":2}')).not.toBe(keyOf('POST', CHAT, '{"a":2}'));
    expect(keyOf('POST', CHAT, '{"seed":9007199254740993}')).not.toBe(keyOf('POST', CHAT, '{"seed":9007199254740992}'));
  });

  it('JSON parsed exactly stays JSON, keyed as before: colons and long digit runs in strings, exact big integers, long fractions', () => {
    const texts = ['{"url":"https://a.b:8080/x","t":"12:30"}', '{"id":"12345678901234567890"}', '{"seed":9007199254740992}', '{"x":0.12345678901234567890}', '{"big":1e300}'];
    for (const text of texts) expect(parseRequestBody(utf8(text))).toEqual({ kind: 'json', value: JSON.parse(text) });
    expect(keyOf('POST', CHAT, '{"seed":9007199254740992}')).toBe(keyOf('POST', CHAT, '{ "seed": 9007199254740992 }'));
  });

  it('sha256 is hex sha256', () => {
    expect(sha256('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});

describe('requestKey', () => {
  it('is sha256 of the canonical JSON {"body","method","path","test_id"} with sorted keys', () => {
    const body = '{"temperature":0.7,"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}';
    const canonical =
      '{"body":{"messages":[{"content":"hi","role":"user"}],"model":"gpt-4o","temperature":0.7},' +
      '"method":"POST","path":"/v1/chat/completions","test_id":"tests/chat.test.ts::chat::says hi"}';
    expect(keyOf('POST', CHAT, body)).toBe(hex(canonical));
  });

  it('the canonical body is normalized and the path carries the sorted query', () => {
    const canonical = '{"body":{"n":0.12346,"s":"p 0.12346"},"method":"PUT","path":"/x?a=2&b=1","test_id":null}';
    expect(keyOf('put', 'http://h/x?b=1&a=2', '{"s":"p 0.1234567","n":0.123456}', null)).toBe(hex(canonical));
  });

  it('an empty body keys as null', () => {
    expect(keyOf('DELETE', 'http://h/v1/files/f1', null)).toBe(
      hex(`{"body":null,"method":"DELETE","path":"/v1/files/f1","test_id":${JSON.stringify(TEST_ID)}}`),
    );
  });

  it('a non-JSON body keys by the sha256 of its bytes', () => {
    const bytes = new Uint8Array([0, 1, 2, 250]);
    const canonical = `{"body":{"sha256":"${hex(bytes)}"},"method":"POST","path":"/upload","test_id":"t"}`;
    expect(keyOf('POST', 'http://h/upload', bytes, 't')).toBe(hex(canonical));
  });

  it('0 and 0.0 key alike', () => {
    expect(keyOf('POST', CHAT, '{"t":0}')).toBe(keyOf('POST', CHAT, '{"t":0.0}'));
  });

  it('floats that agree to 5 decimals key alike', () => {
    expect(keyOf('POST', CHAT, '{"t":0.1234567}')).toBe(keyOf('POST', CHAT, '{"t":0.1234571}'));
    expect(keyOf('POST', CHAT, '{"t":1e-7}')).toBe(keyOf('POST', CHAT, '{"t":0}'));
  });

  it('floats that differ at the 5th decimal key apart', () => {
    expect(keyOf('POST', CHAT, '{"t":0.12345}')).not.toBe(keyOf('POST', CHAT, '{"t":0.12346}'));
  });

  it('long decimals inside strings are rounded', () => {
    expect(keyOf('POST', CHAT, '{"p":"score 0.123456789"}')).toBe(keyOf('POST', CHAT, '{"p":"score 0.123456790"}'));
    expect(keyOf('POST', CHAT, '{"p":"score 0.1234"}')).not.toBe(keyOf('POST', CHAT, '{"p":"score 0.1235"}'));
  });

  it('integers are exact', () => {
    expect(keyOf('POST', CHAT, '{"max_tokens":100}')).not.toBe(keyOf('POST', CHAT, '{"max_tokens":101}'));
    expect(keyOf('POST', CHAT, '{"seed":123456789}')).not.toBe(keyOf('POST', CHAT, '{"seed":123456788}'));
  });

  it('does not depend on object key order, at any depth', () => {
    expect(keyOf('POST', CHAT, '{"a":1,"b":{"c":1,"d":2}}')).toBe(keyOf('POST', CHAT, '{"b":{"d":2,"c":1},"a":1}'));
  });

  it('depends on array order', () => {
    expect(keyOf('POST', CHAT, '{"a":[1,2]}')).not.toBe(keyOf('POST', CHAT, '{"a":[2,1]}'));
  });

  it('does not depend on query parameter order', () => {
    expect(keyOf('GET', 'http://h/v1/files?limit=2&order=asc', null)).toBe(keyOf('GET', 'http://h/v1/files?order=asc&limit=2', null));
  });

  it('does not depend on scheme, host or method case', () => {
    expect(keyOf('post', 'http://localhost:8080/v1/chat/completions', '{}')).toBe(keyOf('POST', CHAT, '{}'));
  });

  it('differs by method, path, query value, body and test id', () => {
    const base = keyOf('POST', CHAT, '{"a":1}');
    const variants = [
      keyOf('PUT', CHAT, '{"a":1}'),
      keyOf('POST', 'https://api.openai.com/v1/completions', '{"a":1}'),
      keyOf('POST', `${CHAT}?x=1`, '{"a":1}'),
      keyOf('POST', CHAT, '{"a":2}'),
      keyOf('POST', CHAT, '{"a":1}', `${TEST_ID} (2)`),
      keyOf('POST', CHAT, '{"a":1}', null),
    ];
    expect(new Set([base, ...variants]).size).toBe(variants.length + 1);
  });

  it('non-JSON bodies with different bytes key apart; equal bytes key alike', () => {
    expect(keyOf('POST', 'http://h/up', new Uint8Array([1, 2, 3]))).not.toBe(keyOf('POST', 'http://h/up', new Uint8Array([1, 2, 4])));
    expect(keyOf('POST', 'http://h/up', 'not json at all')).toBe(keyOf('POST', 'http://h/up', 'not json at all'));
    expect(keyOf('POST', 'http://h/up', 'not json at all')).not.toBe(keyOf('POST', 'http://h/up', 'not json at all!'));
  });

  describe('shared model lists', () => {
    it.each([
      ['GET', 'https://api.openai.com/v1/models', '/v1/models'],
      ['get', 'http://localhost:11434/api/tags', '/api/tags'],
      ['GET', 'http://h/openai/v1/models?x=1', '/openai/v1/models?x=1'],
    ])('%s %s ignores the test id and has no test_id field', (method, url, keyed) => {
      const canonical = `{"body":null,"method":"GET","path":"${keyed}"}`;
      expect(keyOf(method, url, null, 'a.test.ts::one')).toBe(hex(canonical));
      expect(keyOf(method, url, null, 'b.test.ts::two')).toBe(hex(canonical));
      expect(keyOf(method, url, null, null)).toBe(hex(canonical));
    });

    it.each([
      ['POST', 'https://api.openai.com/v1/models'],
      ['GET', 'https://api.openai.com/v1/models/gpt-4o'],
      ['GET', 'http://localhost:11434/api/tags/x'],
      ['POST', 'http://localhost:11434/api/tags'],
    ])('%s %s is per test', (method, url) => {
      expect(keyOf(method, url, null, 'a.test.ts::one')).not.toBe(keyOf(method, url, null, 'b.test.ts::two'));
    });

    it('isSharedEndpoint matches GET model lists only', () => {
      expect(isSharedEndpoint('GET', '/v1/models')).toBe(true);
      expect(isSharedEndpoint('get', '/api/tags')).toBe(true);
      expect(isSharedEndpoint('GET', '/proxy/v1/models')).toBe(true);
      expect(isSharedEndpoint('POST', '/v1/models')).toBe(false);
      expect(isSharedEndpoint('GET', '/v1/models/gpt-4o')).toBe(false);
      expect(isSharedEndpoint('GET', '/v1/modelsx')).toBe(false);
      expect(isSharedEndpoint('GET', '/x/api/tags')).toBe(false);
    });
  });

  it('headers cannot take part: the key input has no headers, and stray fields are ignored', () => {
    // Compile-time: adding `headers` to KeyInput would make this type `true` and the assignment fail.
    const noHeaders: 'headers' extends keyof KeyInput ? true : false = false;
    expect(noHeaders).toBe(false);
    const input: KeyInput = { method: 'POST', url: new URL(CHAT), body: { a: 1 }, testId: 't' };
    const withHeaders = { ...input, headers: { authorization: 'Bearer sk-secret', 'user-agent': 'OpenAI/JS 6.0' } };
    expect(requestKey(withHeaders)).toBe(requestKey(input));
    expect(requestKey(input)).toBe(hex('{"body":{"a":1},"method":"POST","path":"/v1/chat/completions","test_id":"t"}'));
  });
});

describe('keyedPath', () => {
  it('sorts query parameters and keeps duplicates in order', () => {
    expect(keyedPath(new URL('http://h/p?b=2&a=1&b=1'))).toBe('/p?a=1&b=2&b=1');
  });

  it('omits an empty query', () => {
    expect(keyedPath(new URL('http://h/p?'))).toBe('/p');
    expect(keyedPath(new URL('http://h/p'))).toBe('/p');
  });
});
