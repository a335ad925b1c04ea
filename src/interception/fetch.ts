import type { RequestHandler } from './index';
import { fetchRefusesBody, keepDispatcher, ownDispatcher } from './forward';

export const WEB_PROTOCOLS = new Set(['http:', 'https:']);

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
/** What fetch follows at most. */
const MAX_REDIRECTS = 20;
/** Dropped when a redirect turns the request into a GET without a body. */
const BODY_HEADERS = ['content-encoding', 'content-language', 'content-location', 'content-type', 'content-length'];
/** Dropped when a redirect leaves the origin. */
const ORIGIN_HEADERS = ['authorization', 'proxy-authorization', 'cookie', 'host'];

/**
 * A test context's `fetch`: each request goes straight to the handler, as @mswjs/interceptors' fetch interceptor
 * would send it, without that interceptor's emitter, request ids and deferred promises, which cost a replayed suite
 * a few percent. Requests the handler leaves alone (and `data:` URLs) go to the real fetch. The handler's answer
 * gets the request's URL, and a redirect is followed as fetch follows it (`redirect: 'follow'`, the default).
 */
export function directFetch(handler: RequestHandler, realFetch: typeof fetch): typeof fetch {
  const send = async (request: Request, body: Uint8Array | null, redirects: number): Promise<Response> => {
    const url = new URL(request.url);
    if (!WEB_PROTOCOLS.has(url.protocol) || !handler.handles(url)) {
      return realFetch(body === null ? request : new Request(request, { body }), ownDispatcher(request));
    }
    const response = withUrl(await handler.handle(request, body), request.url);
    if (!REDIRECT_STATUSES.has(response.status) || request.redirect === 'manual') return response;
    const location = response.headers.get('location');
    if (location === null) return response;
    if (request.redirect === 'error') throw networkError('unexpected redirect');
    const next = keepDispatcher(redirected(request, body !== null, response.status, location, redirects), request);
    const followed = await send(next, null, redirects + 1);
    Object.defineProperty(followed, 'redirected', { value: true, configurable: true });
    return followed;
  };
  return async (input, init) => {
    const { request, body } = await fetchCall(input, init);
    return send(request, body, 0);
  };
}

/** A request's body, read. */
export const bodyOf = async (request: Request): Promise<Uint8Array | null> => (request.body ? new Uint8Array(await request.arrayBuffer()) : null);

/** The request of a fetch call and its body, read once (see `withBodyApart`). */
export async function fetchCall(input: Request | string | URL, init: RequestInit | undefined): Promise<{ request: Request; body: Uint8Array | null }> {
  const { request, body } = withBodyApart(input, init);
  keepDispatcher(request, init);
  return { request, body: body ?? (await bodyOf(request)) };
}

/**
 * The request of a fetch call, and its body when the call gives it as text or bytes (as the SDKs do): then the
 * request is made without it, which spares a stream made of the body only to be read back. The request gets the
 * content type fetch gives text, and fails as fetch fails for a GET or HEAD with a body. Any other body
 * (FormData, a stream…) stays in the request (`body` undefined).
 */
function withBodyApart(input: Request | string | URL, init: RequestInit | undefined): { request: Request; body?: Uint8Array | null } {
  const given = init?.body;
  const text = typeof given === 'string';
  if (!text && !ArrayBuffer.isView(given) && !(given instanceof ArrayBuffer)) return { request: new Request(input, init) };
  const request = new Request(input, { ...init, body: undefined });
  if (fetchRefusesBody(request.method)) throw new TypeError('Request with GET/HEAD method cannot have body.');
  if (text && !request.headers.has('content-type')) request.headers.set('content-type', 'text/plain;charset=UTF-8');
  const bytes = text ? Buffer.from(given) : ArrayBuffer.isView(given) ? new Uint8Array(given.buffer, given.byteOffset, given.byteLength) : new Uint8Array(given);
  // Copied, as fetch copies it: the caller may reuse its buffer.
  return { request, body: text ? bytes : bytes.slice() };
}

/** The request a redirect asks for, as fetch makes it; a network error where fetch would fail. */
function redirected(request: Request, hadBody: boolean, status: number, location: string, redirects: number): Request {
  if (redirects >= MAX_REDIRECTS) throw networkError('redirect count exceeded');
  let target: URL;
  try {
    target = new URL(location, request.url);
  } catch (error) {
    throw networkError(`invalid redirect location ${JSON.stringify(location)}`, error);
  }
  if (!WEB_PROTOCOLS.has(target.protocol)) throw networkError('URL scheme must be a HTTP(S) scheme');
  const headers = new Headers(request.headers);
  const asGet = ((status === 301 || status === 302) && request.method === 'POST') || (status === 303 && !['GET', 'HEAD'].includes(request.method));
  // The body was read by the handler: only a redirect that drops it can be followed (fetch fails the same way for a streamed body).
  if (!asGet && hadBody) throw networkError(`a ${status} redirect would send the request body again`);
  if (asGet) for (const name of BODY_HEADERS) headers.delete(name);
  if (target.origin !== new URL(request.url).origin) for (const name of ORIGIN_HEADERS) headers.delete(name);
  return new Request(target, { method: asGet ? 'GET' : request.method, headers, signal: request.signal, redirect: request.redirect });
}

/** A Response made by the handler has no URL: fetch's answers have the request's. */
function withUrl(response: Response, url: string): Response {
  if (response.url === '') Object.defineProperty(response, 'url', { value: url, enumerable: true, configurable: true });
  return response;
}

const networkError = (reason: string, cause: unknown = new Error(reason)) => new TypeError('fetch failed', { cause });
