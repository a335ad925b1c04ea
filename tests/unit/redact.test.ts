import { ReplayError } from '../../src/core/errors';
import { redactRequest } from '../../src/core/keying/redact';

const request = { method: 'POST', url: new URL('https://api.example.com/v1/chat/completions'), body: { kind: 'json' as const, value: { user: 'alice@example.com' } } };

test('the hook sees method, url and JSON body, and what it returns is keyed', () => {
  const redacted = redactRequest(({ method, url, body }) => ({ method, url: url.replace('api.example.com', 'api.test'), body: { ...(body as object), user: '<user>' } }), request);
  expect(redacted).toEqual({ method: 'POST', url: new URL('https://api.test/v1/chat/completions'), body: { kind: 'json', value: { user: '<user>' } } });
  // The live request is never changed: it is what the server gets.
  expect(request.body.value.user).toBe('alice@example.com');
});

test('a text body is handed over as text and replaced only when the hook changed it', () => {
  const bytes = { kind: 'bytes' as const, bytes: new Uint8Array(Buffer.from('name=alice')) };
  const same = redactRequest((r) => r, { ...request, body: bytes });
  expect(same.body).toBe(bytes);
  const changed = redactRequest((r) => ({ ...r, body: String(r.body).replace('alice', 'x') }), { ...request, body: bytes });
  expect(changed.body).toEqual({ kind: 'bytes', bytes: Buffer.from('name=x') });
});

test.each([
  [() => undefined, 'must return { method, url, body }, got undefined'],
  [() => ({ method: 'POST', url: 'not a url', body: null }), 'returned an invalid url "not a url"'],
])('a wrong return value is an error naming the option', (hook, message) => {
  const run = () => redactRequest(hook as never, request);
  expect(run).toThrow(ReplayError);
  expect(run).toThrow(`jest-replay: the testEnvironmentOptions.replay.redact hook ${message}`);
});
