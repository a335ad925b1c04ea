import { type DispatchHandler, interceptingDispatcher } from '../../src/interception/undici';

/** Collects what undici's handler callbacks receive. */
function recordingHandler(overrides: Partial<DispatchHandler> = {}) {
  const seen = { status: 0, headers: [] as string[], data: '', completed: false, error: undefined as Error | undefined, abort: undefined as undefined | ((e?: Error) => void) };
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const handler: DispatchHandler = {
    onConnect: (abort) => (seen.abort = abort),
    onHeaders: (status, raw) => ((seen.status = status), (seen.headers = raw.map(String)), true),
    onData: (chunk) => ((seen.data += chunk.toString()), true),
    onComplete: () => ((seen.completed = true), done()),
    onError: (error) => ((seen.error = error), done()),
    ...overrides,
  };
  return { seen, handler, finished };
}

describe('the undici dispatcher', () => {
  test('hands the request and its body to the responder and plays its response into the handler', async () => {
    let received: { request: Request; body: Uint8Array | null } | undefined;
    const dispatcher = interceptingDispatcher(async (request, body) => {
      received = { request, body };
      return new Response('hello', { status: 201, headers: { 'x-a': '1' } });
    });
    const { seen, handler, finished } = recordingHandler();
    dispatcher.dispatch({ origin: 'http://api.test', path: '/v1/x?q=1', method: 'POST', headers: ['content-type', 'application/json', 'x-b', '2'], body: '{"a":1}' }, handler);
    await finished;
    expect(received!.request.url).toBe('http://api.test/v1/x?q=1');
    expect(received!.request.headers.get('x-b')).toBe('2');
    expect(Buffer.from(received!.body!).toString()).toBe('{"a":1}');
    expect(seen).toMatchObject({ status: 201, data: 'hello', completed: true, error: undefined });
    expect(seen.headers).toEqual(expect.arrayContaining(['x-a', '1']));
  });

  test('a GET with a body, which undici sends (as an Elasticsearch-style search does) and fetch cannot, reaches the responder with its bytes', async () => {
    let received: { method: string; body: string } | undefined;
    const dispatcher = interceptingDispatcher(async (request, body) => {
      received = { method: request.method, body: Buffer.from(body!).toString() };
      return new Response('found');
    });
    const { seen, handler, finished } = recordingHandler();
    dispatcher.dispatch({ origin: 'http://search.test', path: '/index/_search', method: 'GET', headers: { 'content-type': 'application/json' }, body: '{"query":"a"}' }, handler);
    await finished;
    expect(seen).toMatchObject({ status: 200, data: 'found', completed: true, error: undefined });
    expect(received).toEqual({ method: 'GET', body: '{"query":"a"}' });
  });

  test('reports a transport failure as the socket error, the way undici does', async () => {
    const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    const dispatcher = interceptingDispatcher(async () => {
      throw new TypeError('fetch failed', { cause: reset });
    });
    const { seen, handler, finished } = recordingHandler();
    dispatcher.dispatch({ origin: 'http://api.test', path: '/', method: 'GET' }, handler);
    await finished;
    expect(seen.error).toBe(reset);
  });

  test('an abort from the caller ends the request with its reason, once', async () => {
    const dispatcher = interceptingDispatcher((request) => new Promise((_, reject) => request.signal.addEventListener('abort', () => reject(request.signal.reason))));
    const onError = jest.fn();
    const { seen, handler } = recordingHandler({ onError });
    dispatcher.dispatch({ origin: 'http://api.test', path: '/', method: 'GET' }, handler);
    const reason = new Error('aborted by caller');
    seen.abort!(reason);
    await new Promise((resolve) => setImmediate(resolve));
    expect(onError.mock.calls).toEqual([[reason]]);
  });

  test('a handler that asks to pause gets no more data until it resumes', async () => {
    const dispatcher = interceptingDispatcher(async () => new Response(new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('a'));
        controller.enqueue(new TextEncoder().encode('b'));
        controller.close();
      },
    })));
    let resume!: () => void;
    const { seen, handler, finished } = recordingHandler({
      onHeaders: (_status, _raw, resumeFn) => ((resume = resumeFn), true),
      onData: (chunk) => ((seen.data += chunk.toString()), false),
    });
    dispatcher.dispatch({ origin: 'http://api.test', path: '/', method: 'GET' }, handler);
    await new Promise((resolve) => setImmediate(resolve));
    expect(seen.data).toBe('a');
    resume();
    await new Promise((resolve) => setImmediate(resolve));
    expect(seen.data).toBe('ab');
    resume();
    await finished;
    expect(seen.completed).toBe(true);
  });
});
