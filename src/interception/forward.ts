import * as http from 'node:http';
import * as https from 'node:https';
import { pipeline, Readable, type Transform } from 'node:stream';
import * as zlib from 'node:zlib';
import { NULL_BODY_STATUS } from '../core/session/replay';

/**
 * Sending an intercepted request on to the real server (record, drift and live modes), with its body
 * decoded as fetch decodes it, so the caller and the recording both get the decoded body.
 */

/** Managed by fetch itself, or meaningless once the request leaves through another client. */
const NOT_FORWARDED = ['host', 'connection', 'keep-alive', 'content-length', 'transfer-encoding', 'upgrade', 'expect', 'x-interceptors-internal-request-id'];

/** The content codings fetch decodes; with any other, it leaves the body as it came. */
const DECODERS: Record<string, () => Transform> = {
  gzip: zlib.createGunzip,
  'x-gzip': zlib.createGunzip,
  deflate: zlib.createInflate,
  br: zlib.createBrotliDecompress,
};

/** Methods whose requests fetch refuses to give a body (`node:http` and undici send one). */
export const fetchRefusesBody = (method: string): boolean => method === 'GET' || method === 'HEAD';

/** The `node:http` requests jest-replay sends itself (see `sendOverHttp`). */
const ownRequests = new WeakSet<http.ClientRequest>();

/** Whether a `node:http` request is one jest-replay sends on itself: the interception lets it out untouched. */
export const isOwnRequest = (request: http.ClientRequest): boolean => ownRequests.has(request);

/** The `dispatcher` a fetch call gave (a proxy, a private CA: the `openai` SDK's `fetchOptions`), by the call's request. */
const dispatchers = new WeakMap<Request, object>();

/** Keeps the `dispatcher` of a fetch call's `init` with its request (or with the request a redirect makes of it). */
export function keepDispatcher(request: Request, from: RequestInit | Request | undefined): Request {
  const dispatcher = from instanceof Request ? dispatchers.get(from) : (from as { dispatcher?: object } | undefined)?.dispatcher;
  if (dispatcher) dispatchers.set(request, dispatcher);
  return request;
}

/** The fetch options that send a request through its call's own dispatcher, if it gave one. */
export const ownDispatcher = (request: Request): RequestInit => {
  const dispatcher = dispatchers.get(request);
  return dispatcher ? ({ dispatcher } as RequestInit) : {};
};

/**
 * Sends an intercepted request, with the body the interception read, to the real server through the un-intercepted
 * fetch, and its call's own dispatcher if it gave one.
 */
export function forwardWith(realFetch: typeof fetch) {
  return (request: Request, body: Uint8Array | null, signal: AbortSignal): Promise<Response> => {
    const headers = new Headers(request.headers);
    for (const name of NOT_FORWARDED) headers.delete(name);
    const sent = body && body.byteLength > 0 ? body : undefined;
    // Fetch refuses a GET or HEAD with a body, which node:http and undici send (an Elasticsearch-style search): so does this.
    if (sent && fetchRefusesBody(request.method)) return sendOverHttp(request, headers, sent, signal);
    return realFetch(request.url, { method: request.method, headers, body: sent, redirect: 'manual', signal, ...ownDispatcher(request) });
  };
}

/** A request sent with `node:http`, answered as fetch answers: a `Response`, its body decoded, failures a `TypeError` with their cause. */
function sendOverHttp(request: Request, headers: Headers, body: Uint8Array, signal: AbortSignal): Promise<Response> {
  const url = new URL(request.url);
  const client = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const failed = (error: Error) => reject(signal.aborted ? signal.reason : new TypeError('fetch failed', { cause: error }));
    // node:http frames a GET's body only by its length.
    const framed = { ...Object.fromEntries(headers), 'content-length': String(body.byteLength) };
    const sent = client.request(url, { method: request.method, headers: framed, signal }, (response) => {
      try {
        resolve(fetchResponse(response, request.method));
      } catch (error) {
        response.destroy();
        failed(error as Error);
      }
    });
    ownRequests.add(sent);
    sent.on('error', failed).end(body);
  });
}

/** A `node:http` response as the `Response` fetch would make of it. */
function fetchResponse(response: http.IncomingMessage, method: string): Response {
  const headers = new Headers();
  const raw = response.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) headers.append(raw[i], raw[i + 1]);
  const status = response.statusCode!;
  const bodiless = method === 'HEAD' || NULL_BODY_STATUS.has(status);
  if (bodiless) response.resume();
  return new Response(bodiless ? null : (Readable.toWeb(decoded(response)) as ReadableStream<Uint8Array>), {
    status,
    statusText: response.statusMessage,
    headers,
  });
}

/** The body with its content codings undone, last applied first, as fetch does (and untouched when one is unknown). */
function decoded(response: http.IncomingMessage): Readable {
  const codings = (response.headers['content-encoding'] ?? '')
    .split(',')
    .map((coding) => coding.trim().toLowerCase())
    .filter((coding) => coding !== '' && coding !== 'identity');
  if (codings.length === 0 || !codings.every((coding) => coding in DECODERS)) return response;
  const decoders = codings.reverse().map((coding) => DECODERS[coding]());
  // A failure anywhere (a broken connection, a corrupt body) ends the last stream with that error.
  pipeline([response, ...decoders], () => undefined);
  return decoders[decoders.length - 1];
}
