import * as http from 'node:http';
import { intercept, type RequestHandler } from '../../src/interception';

/** A handler that answers every request with what it was sent. */
function echo(): RequestHandler & { seen: Request[] } {
  const seen: Request[] = [];
  return {
    seen,
    handles: () => true,
    handle: async (request) => {
      seen.push(request);
      return new Response(await request.text(), { headers: { 'X-Echo': request.headers.get('x-client') ?? '' } });
    },
  };
}

describe('intercept', () => {
  test('leaves the fetch classes as they were: no proxy on Headers, Request, Response or the Headers methods every client calls', () => {
    const names = ['set', 'append', 'delete'] as const;
    const before = { classes: [Headers, Request, Response], methods: names.map((name) => Headers.prototype[name]) };
    const interception = intercept(echo(), {});
    try {
      const after = { classes: [globalThis.Headers, globalThis.Request, globalThis.Response], methods: names.map((name) => Headers.prototype[name]) };
      after.classes.forEach((now, i) => expect(now).toBe(before.classes[i]));
      after.methods.forEach((now, i) => expect(now).toBe(before.methods[i]));
    } finally {
      interception.dispose();
    }
  });

  test('node:http and fetch requests still reach the handler with their headers and body, and get its answer', async () => {
    const handler = echo();
    const interception = intercept(handler, {});
    try {
      const fetched = await interception.fetch('http://api.example/v1/echo', { method: 'POST', headers: { 'X-Client': 'fetch' }, body: 'one' });
      expect([fetched.headers.get('x-echo'), await fetched.text()]).toEqual(['fetch', 'one']);
      const viaHttp = await new Promise<{ headers: http.IncomingHttpHeaders; body: string }>((resolve, reject) => {
        const request = http.request('http://api.example/v1/echo', { method: 'POST', headers: { 'X-Client': 'http' } }, (response) => {
          let body = '';
          response.setEncoding('utf8').on('data', (piece: string) => (body += piece));
          response.on('end', () => resolve({ headers: response.headers, body }));
        });
        request.on('error', reject).end('two');
      });
      expect([viaHttp.headers['x-echo'], viaHttp.body]).toEqual(['http', 'two']);
      expect(handler.seen.map((request) => request.url)).toEqual(['http://api.example/v1/echo', 'http://api.example/v1/echo']);
    } finally {
      interception.dispose();
    }
  });
});
