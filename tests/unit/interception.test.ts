import * as http from 'node:http';
import * as zlib from 'node:zlib';
import { Agent, type Dispatcher } from 'undici';
import { forwardWith, intercept, type RequestHandler } from '../../src/interception';

/** A handler that answers every request with the body it was given. */
function echo(): RequestHandler & { seen: Request[] } {
  const seen: Request[] = [];
  return {
    seen,
    handles: () => true,
    handle: async (request, body) => {
      seen.push(request);
      return new Response(body, { headers: { 'X-Echo': request.headers.get('x-client') ?? '' } });
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
      const viaHttp = await new Promise<{ headers: http.IncomingHttpHeaders; raw: string[]; body: string }>((resolve, reject) => {
        const request = http.request('http://api.example/v1/echo', { method: 'POST', headers: { 'X-Client': 'http' } }, (response) => {
          let body = '';
          response.setEncoding('utf8').on('data', (piece: string) => (body += piece));
          response.on('end', () => resolve({ headers: response.headers, raw: response.rawHeaders, body }));
        });
        request.on('error', reject).end('two');
      });
      expect([viaHttp.headers['x-echo'], viaHttp.body]).toEqual(['http', 'two']);
      // Without the proxies, node:http clients get header names in lower case, as `headers` has them anyway.
      expect(viaHttp.raw).toContain('x-echo');
      expect(handler.seen.map((request) => request.url)).toEqual(['http://api.example/v1/echo', 'http://api.example/v1/echo']);
    } finally {
      interception.dispose();
    }
  });

  /** What the handler's request is aborted with when a node:http client gives up as `giveUp` has it do. */
  async function abortedWhen(answer: (request: Request) => Promise<Response>, giveUp: (request: http.ClientRequest) => void): Promise<unknown> {
    let aborted: unknown;
    const handle = (request: Request) => {
      request.signal.addEventListener('abort', () => (aborted = request.signal.reason));
      return answer(request);
    };
    const interception = intercept({ handles: () => true, handle }, {});
    try {
      const request = http.request('http://slow.example/v1/chat/completions', { method: 'POST' });
      const closed = new Promise((resolve) => request.on('error', () => undefined).on('close', resolve));
      giveUp(request);
      request.end('{}');
      await closed;
      await new Promise((resolve) => setImmediate(resolve));
      return aborted;
    } finally {
      interception.dispose();
    }
  }

  test('a node:http client that gives up before the answer (destroys its request, as on an axios timeout) aborts the request as fetch would', async () => {
    const never = (request: Request) => new Promise<Response>((_, reject) => request.signal.addEventListener('abort', () => reject(request.signal.reason)));
    await expect(abortedWhen(never, (request) => setTimeout(() => request.destroy(), 20))).resolves.toMatchObject({ name: 'AbortError' });
  });

  test('a node:http client that gives up while the answer is arriving aborts the request too, so a replayed body stops', async () => {
    // The first event, then nothing more for a long while (a replay paced by its recorded delays).
    const firstEventOnly = async () =>
      new Response(new ReadableStream({ start: (controller) => controller.enqueue(new TextEncoder().encode('data: 1\n\n')) }), {
        headers: { 'content-type': 'text/event-stream' },
      });
    const onFirstEvent = (request: http.ClientRequest) => request.on('response', (response) => response.once('data', () => request.destroy()));
    await expect(abortedWhen(firstEventOnly, onFirstEvent)).resolves.toMatchObject({ name: 'AbortError' });
  });

  test('a node:http request that waits for 100 Continue before its body (`Expect: 100-continue`) is told to go on, and answered', async () => {
    const handler = echo();
    const interception = intercept(handler, {});
    try {
      const answer = await new Promise<string>((resolve, reject) => {
        const body = '{"upload":1}';
        const headers = { 'content-type': 'application/json', 'content-length': String(body.length), expect: '100-continue' };
        const request = http.request('http://uploads.example/v1/files', { method: 'PUT', headers }, (response) => {
          let text = '';
          response.setEncoding('utf8').on('data', (piece: string) => (text += piece));
          response.on('end', () => resolve(text));
        });
        request.on('error', reject).on('continue', () => request.end(body));
        request.flushHeaders();
      });
      expect(answer).toBe('{"upload":1}');
    } finally {
      interception.dispose();
    }
  }, 2_000);
});

describe('a GET with a body, which node:http and undici send (as an Elasticsearch-style search does) and fetch cannot', () => {
  const searchOver = (url: string) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const body = '{"query":"b"}';
      // node:http frames a GET's body only with a length given (without one, no server reads it).
      const headers = { 'content-type': 'application/json', 'content-length': String(body.length) };
      const request = http.request(url, { method: 'GET', headers }, (response) => {
        let answer = '';
        response.setEncoding('utf8').on('data', (piece: string) => (answer += piece));
        response.on('end', () => resolve({ status: response.statusCode!, body: answer }));
      });
      request.on('error', reject).end(body);
    });

  test('reaches the handler from node:http with its bytes', async () => {
    const handler = echo();
    const interception = intercept(handler, {});
    try {
      await expect(searchOver('http://search.example/index/_search')).resolves.toEqual({ status: 200, body: '{"query":"b"}' });
      expect(handler.seen.map((request) => request.method)).toEqual(['GET']);
    } finally {
      interception.dispose();
    }
  });

  test('is forwarded with its body, while node:http is intercepted, and comes back decoded as fetch decodes', async () => {
    const server = http.createServer((request, response) => {
      let body = '';
      request.setEncoding('utf8').on('data', (piece: string) => (body += piece));
      request.on('end', () => {
        response.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
        response.end(zlib.gzipSync(JSON.stringify({ method: request.method, body })));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const handler = echo();
    const interception = intercept(handler, {});
    try {
      const { port } = server.address() as { port: number };
      const request = new Request(`http://127.0.0.1:${port}/index/_search`, { headers: { 'content-type': 'application/json' } });
      const forwarded = await forwardWith(interception.realFetch)(request, Buffer.from('{"query":"c"}'), new AbortController().signal);
      expect([forwarded.status, forwarded.headers.get('content-type')]).toEqual([200, 'application/json']);
      await expect(forwarded.json()).resolves.toEqual({ method: 'GET', body: '{"query":"c"}' });
      // It went to the server, not back to the handler.
      expect(handler.seen).toEqual([]);
    } finally {
      interception.dispose();
      server.close();
    }
  });

  test.each([
    ['deflate', 'decoded', (data: Buffer) => zlib.deflateSync(data)],
    ['br', 'decoded', (data: Buffer) => zlib.brotliCompressSync(data)],
    ['gzip, br', 'decoded, last coding first', (data: Buffer) => zlib.brotliCompressSync(zlib.gzipSync(data))],
    ['x-unknown', 'as it came, as fetch leaves a coding it does not know', (data: Buffer) => Buffer.concat([Buffer.from('?'), data])],
  ])('forwarded, an answer in %s comes back %s', async (coding, _how, encode) => {
    const sent = Buffer.from('{"hits":[]}');
    const server = http.createServer((request, response) => {
      request.resume().on('end', () => response.writeHead(200, { 'content-encoding': coding }).end(encode(sent)));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as { port: number };
      const forwarded = await forwardWith(fetch)(new Request(`http://127.0.0.1:${port}/index/_search`), Buffer.from('{}'), new AbortController().signal);
      const expected = coding === 'x-unknown' ? encode(sent) : sent;
      expect(Buffer.from(await forwarded.arrayBuffer()).equals(expected)).toBe(true);
    } finally {
      server.close();
    }
  });

  test('forwarded to a server that is not there fails as fetch fails, with the socket error as its cause', async () => {
    const request = new Request('http://127.0.0.1:9/index/_search');
    const failed = forwardWith(fetch)(request, Buffer.from('{}'), new AbortController().signal);
    await expect(failed).rejects.toMatchObject({ name: 'TypeError', message: 'fetch failed', cause: { code: 'ECONNREFUSED' } });
  });
});

describe("the test context's fetch, straight to the handler", () => {
  /** Answers each path from `routes` and keeps what it was asked. */
  function routed(routes: Record<string, () => Response>): RequestHandler & { asked: { method: string; url: string; auth: string | null; type: string | null }[] } {
    const asked: { method: string; url: string; auth: string | null; type: string | null }[] = [];
    return {
      asked,
      handles: (url) => url.hostname.endsWith('.example'),
      handle: async (request) => {
        asked.push({ method: request.method, url: request.url, auth: request.headers.get('authorization'), type: request.headers.get('content-type') });
        return routes[new URL(request.url).pathname]();
      },
    };
  }
  const redirect = (status: number, location: string) => () => new Response(null, { status, headers: { location } });

  test("gives the request's URL to the answer, and follows redirects as fetch does: a POST answered 302 or 303 becomes a GET, another origin gets no credentials", async () => {
    const handler = routed({ '/start': redirect(302, '/moved'), '/moved': redirect(303, 'http://other.example/final'), '/final': () => new Response('done') });
    const interception = intercept(handler, {});
    try {
      const plain = await interception.fetch('http://api.example/final');
      expect([plain.url, plain.redirected]).toEqual(['http://api.example/final', false]);
      const init = { method: 'POST', headers: { authorization: 'Bearer k', 'content-type': 'application/json' }, body: '{}' };
      const followed = await interception.fetch('http://api.example/start', init);
      expect([followed.url, followed.redirected, await followed.text()]).toEqual(['http://other.example/final', true, 'done']);
      expect(handler.asked.slice(1)).toEqual([
        { method: 'POST', url: 'http://api.example/start', auth: 'Bearer k', type: 'application/json' },
        { method: 'GET', url: 'http://api.example/moved', auth: 'Bearer k', type: null },
        { method: 'GET', url: 'http://other.example/final', auth: null, type: null },
      ]);
    } finally {
      interception.dispose();
    }
  });

  test("redirect: 'manual' gets the redirect itself, 'error' and a loop fail the fetch way, and a body that would be sent again is a network error", async () => {
    const handler = routed({ '/start': redirect(307, '/start'), '/once': redirect(308, '/done'), '/done': () => new Response('done') });
    const interception = intercept(handler, {});
    try {
      const manual = await interception.fetch('http://api.example/start', { redirect: 'manual' });
      expect([manual.status, manual.headers.get('location')]).toEqual([307, '/start']);
      await expect(interception.fetch('http://api.example/start', { redirect: 'error' })).rejects.toMatchObject({ name: 'TypeError', cause: { message: 'unexpected redirect' } });
      await expect(interception.fetch('http://api.example/start')).rejects.toMatchObject({ name: 'TypeError', cause: { message: 'redirect count exceeded' } });
      await expect((await interception.fetch('http://api.example/once')).text()).resolves.toBe('done');
      await expect(interception.fetch('http://api.example/once', { method: 'PUT', body: 'x' })).rejects.toMatchObject({ name: 'TypeError', cause: { message: 'a 308 redirect would send the request body again' } });
    } finally {
      interception.dispose();
    }
  });

  test("hands the handler the body's bytes, read once, with fetch's content type for text; a GET with a body fails as fetch's does", async () => {
    const given: { type: string | null; body: string | null }[] = [];
    const handler: RequestHandler = {
      handles: () => true,
      handle: async (request, body) => {
        // Read later, as a handler that awaits first does.
        await new Promise((resolve) => setImmediate(resolve));
        given.push({ type: request.headers.get('content-type'), body: body && Buffer.from(body).toString() });
        return new Response('ok');
      },
    };
    const interception = intercept(handler, {});
    try {
      const bytes = new Uint8Array([104, 105]);
      await interception.fetch('http://api.example/a', { method: 'POST', body: 'text' });
      await interception.fetch('http://api.example/a', { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
      // Taken as the call was made, as fetch takes it: changing the buffer afterwards changes nothing.
      const sent = interception.fetch('http://api.example/a', { method: 'PUT', body: bytes });
      bytes[0] = 0;
      await sent;
      bytes[0] = 104;
      await interception.fetch('http://api.example/a', { method: 'POST', body: new URLSearchParams({ q: '1' }) });
      await interception.fetch(new Request('http://api.example/a', { method: 'POST', body: 'from a Request' }));
      await interception.fetch('http://api.example/a');
      expect(given).toEqual([
        { type: 'text/plain;charset=UTF-8', body: 'text' },
        { type: 'application/json', body: '{}' },
        { type: null, body: 'hi' },
        { type: 'application/x-www-form-urlencoded;charset=UTF-8', body: 'q=1' },
        { type: 'text/plain;charset=UTF-8', body: 'from a Request' },
        { type: null, body: null },
      ]);
      await expect(interception.fetch('http://api.example/a', { body: 'x' })).rejects.toThrow(TypeError);
      await expect(interception.fetch('http://api.example/a', { method: 'head', body: bytes })).rejects.toThrow(TypeError);
    } finally {
      interception.dispose();
    }
  });

  test("a redirect to a host the handler leaves alone goes to the real fetch through the call's own dispatcher", async () => {
    const server = http.createServer((request, response) => response.end('reached'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    const interception = intercept(routed({ '/moved': redirect(302, `http://127.0.0.1:${port}/`) }), {});
    let dispatched = 0;
    class Counting extends Agent {
      dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandlers): boolean {
        dispatched++;
        return super.dispatch(options, handler);
      }
    }
    try {
      const response = await interception.fetch('http://api.example/moved', { dispatcher: new Counting() } as RequestInit);
      await expect(response.text()).resolves.toBe('reached');
      expect(dispatched).toBe(1);
    } finally {
      interception.dispose();
      server.close();
    }
  });

  test('requests the handler leaves alone go to the real fetch, with their body', async () => {
    const server = http.createServer((request, response) => request.pipe(response));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const interception = intercept(routed({}), {});
    try {
      await expect((await interception.fetch('data:,left%20alone')).text()).resolves.toBe('left alone');
      const { port } = server.address() as { port: number };
      const echoed = await interception.fetch(`http://127.0.0.1:${port}/`, { method: 'POST', body: 'sent as it was' });
      await expect(echoed.text()).resolves.toBe('sent as it was');
    } finally {
      interception.dispose();
      server.close();
    }
  });
});
