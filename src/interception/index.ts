import * as http from 'node:http';
import { getRawRequest } from '@mswjs/interceptors';
import { ClientRequestInterceptor } from '@mswjs/interceptors/ClientRequest';
import { FetchInterceptor } from '@mswjs/interceptors/fetch';
import { getClientRequestBodyStream } from '@mswjs/interceptors/utils/node';
import { bodyOf, directFetch, fetchCall, WEB_PROTOCOLS } from './fetch';
import { forwardWith, isOwnRequest } from './forward';
export { forwardWith } from './forward';
import { type InterceptingDispatcher, interceptingDispatcher } from './undici';
import { UserInterceptors } from './user-interceptors';

/**
 * The one place that talks to @mswjs/interceptors (the engine nock 14 is built on). It routes
 * every request made through `fetch` (openai v6, undici's fetch) or `node:http`/`https`
 * (axios, node-fetch, openai v4) to a handler, which answers with a Fetch `Response`; a test
 * context's own `fetch` goes to the handler directly (see ./fetch), and the `undici` package's
 * own API through a global dispatcher (see ./undici).
 */
export interface RequestHandler {
  /** False lets the request go out untouched. */
  handles(url: URL): boolean;
  /** `body`: the request's body, read once by the interception (`request` may no longer carry it). */
  handle(request: Request, body: Uint8Array | null): Promise<Response>;
}

export interface Interception {
  /** `fetch` as it was before interception: requests through it are never intercepted. */
  readonly realFetch: typeof fetch;
  /** The intercepting `fetch`, to install in a test context's global. */
  readonly fetch: typeof fetch;
  /** The dispatcher for `undici.request` & co., to install in a test context's global. */
  readonly dispatcher: InterceptingDispatcher;
  /**
   * The test file has ended. Its context's `fetch` and dispatcher hand every request to the handler from now on;
   * `node:http` and the process's fetch stay intercepted (the handler chooses with `handles`) until the process
   * intercepts for another test file, or `dispose()`.
   */
  end(): void;
  dispose(): void;
}

/** The interception of the test file that ended last in this process, kept until the next one intercepts. */
let lingering: Interception | undefined;

/** `testGlobal`: the test context's global, where a test's own nock or msw finds ours to share (see ./user-interceptors). */
export function intercept(handler: RequestHandler, testGlobal: object): Interception {
  // One interceptor of each kind at a time: the ended file's make way.
  lingering?.dispose();
  lingering = undefined;
  const realFetch = globalThis.fetch;
  // Node's http clients see a broken connection as the socket error itself (ECONNRESET); fetch wraps
  // it in a TypeError. The handler fails the fetch way, so http requests get the cause.
  const causeOf: Failure = (error) => (isNodeError(error.cause) ? error.cause : error);
  const interceptors = [
    keepingFetchClassesBare(() => listen(new ClientRequestInterceptor(), handler, causeOf, new UserInterceptors(testGlobal))),
    listen(new FetchInterceptor(), handler, (error) => error),
  ];
  const forward = forwardWith(realFetch);
  let ended = false;
  const dispatcher = interceptingDispatcher(async (request, body) => {
    if (ended || handler.handles(new URL(request.url))) return handler.handle(request, body);
    return forward(request, body, request.signal);
  });
  // The test context's fetch skips the process's fetch interceptor (which stays for code outside the test context).
  const interceptingFetch = withPlainAborts(directFetch(handler, realFetch));
  // After the file: straight to the handler, never through interceptors that may be gone by then.
  const fetch: typeof globalThis.fetch = async (input, init) => {
    if (!ended) return interceptingFetch(input, init);
    const { request, body } = await fetchCall(input, init);
    return handler.handle(request, body);
  };
  const dispose = () => {
    interceptors.forEach((i) => i.dispose());
    if (lingering === interception) lingering = undefined;
  };
  const interception: Interception = {
    realFetch,
    fetch,
    dispatcher,
    end: () => {
      ended = true;
      lingering = interception;
    },
    dispose,
  };
  return interception;
}

/**
 * `fetch` whose aborts reject with a plain Error named AbortError. Node's DOMException is no Error
 * to a Jest test's realm, so the openai SDK (`castToError`) lost its name and reported a client
 * timeout as a connection error (APIConnectionError instead of APIConnectionTimeoutError).
 */
function withPlainAborts(fetch: typeof globalThis.fetch): typeof globalThis.fetch {
  return (input, init) =>
    fetch(input, init).catch((error: { name?: unknown; message?: unknown } | null) => {
      throw error?.name === 'AbortError' ? Object.assign(new Error(String(error.message)), { name: 'AbortError' }) : error;
    });
}

/**
 * ClientRequestInterceptor wraps the process's `Headers` (its `set`, `append` and `delete`) and the
 * `Headers`, `Request` and `Response` constructors in proxies, to keep the letter case of header names
 * for `node:http` clients. Every fetch client then pays for them on each header it sets (the openai SDK
 * builds its requests 2–3× slower) although header names are case-insensitive, so the originals are
 * put back: requests and replies seen through `node:http` get lower-case names, as Node reports them anyway.
 */
function keepingFetchClassesBare<T>(apply: () => T): T {
  const { Headers, Request, Response } = globalThis;
  const { set, append, delete: remove } = Headers.prototype;
  try {
    return apply();
  } finally {
    Object.assign(globalThis, { Headers, Request, Response });
    Object.assign(Headers.prototype, { set, append, delete: remove });
  }
}

type Failure = (error: Error) => Error;
function listen<T extends ClientRequestInterceptor | FetchInterceptor>(
  interceptor: T,
  handler: RequestHandler,
  asFailure: Failure,
  user?: UserInterceptors,
): T {
  interceptor.on('request', async (event) => {
    const { request, controller } = event;
    const raw = clientRequestOf(request);
    // What jest-replay sends on itself goes out as it is.
    if (raw && isOwnRequest(raw)) return;
    const url = new URL(request.url);
    try {
      // The test's own mocks first, for every request: theirs answer what they mock (see ./user-interceptors).
      if (await user?.answer(event)) return;
      // data:, blob: and file: URLs never reach a server (the openai SDK fetches `data:,` to probe FormData support).
      if (!WEB_PROTOCOLS.has(url.protocol) || !handler.handles(url)) return;
      const body = raw ? await clientRequestBody(request, raw) : await bodyOf(request);
      controller.respondWith(await handler.handle(raw ? withClientAborts(request, raw) : request, body));
    } catch (error) {
      controller.errorWith(asFailure(error as Error));
    }
  });
  interceptor.apply();
  return interceptor;
}

const isNodeError = (value: unknown): value is NodeJS.ErrnoException => value instanceof Error && 'code' in value;

/** The `node:http` request behind an intercepted one, if it came from `node:http`: it knows what the `Request` does not. */
function clientRequestOf(request: Request): http.ClientRequest | undefined {
  const raw = getRawRequest(request);
  return raw instanceof http.ClientRequest ? raw : undefined;
}

/**
 * A `node:http` request as the handler gets it. Its client gives up by destroying it (axios's timeout, node-fetch's
 * abort), which @mswjs/interceptors' `Request` never hears of: until the answer has come whole, that aborts the
 * request's signal, as fetch's does. So a client timeout is recorded and replayed as one, nothing waits on for a
 * server that never answers, and a replayed body stops once nobody reads it (record mode drains it regardless).
 * Its body has been read (`clientRequestBody`): the request the handler gets has none.
 */
function withClientAborts(request: Request, raw: http.ClientRequest): Request {
  const controller = new AbortController();
  // `res`: the response, once one has come (undocumented; null before, in every Node release). A `response` listener
  // would do, but adding one keeps a response its client never listened for from being discarded.
  const answered = () => (raw as http.ClientRequest & { res?: http.IncomingMessage | null }).res?.complete === true;
  raw.once('close', () => {
    if (!answered()) controller.abort(new DOMException('The client destroyed the request before its whole answer', 'AbortError'));
  });
  return new Request(request.url, { method: request.method, headers: request.headers, signal: controller.signal });
}

/**
 * A `node:http` request's body. A Fetch `Request` cannot carry the body of a GET or HEAD, which `node:http` sends
 * (an Elasticsearch-style search): @mswjs/interceptors keeps it aside, and it is read from there.
 */
async function clientRequestBody(request: Request, raw: http.ClientRequest): Promise<Uint8Array | null> {
  // A client that asked for the server's go-ahead (`Expect: 100-continue`) sends its body only once told: as the server would, tell it.
  if (/\b100-continue\b/i.test(request.headers.get('expect') ?? '')) raw.emit('continue');
  if (request.body) return bodyOf(request);
  const parts: Buffer[] = [];
  for await (const part of getClientRequestBodyStream(request)) parts.push(Buffer.from(part as Uint8Array));
  return parts.length === 0 ? null : Buffer.concat(parts);
}
