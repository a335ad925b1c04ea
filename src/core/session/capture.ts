import { type EncodeContext, encodeResponse, type ReceivedBytes, type TransportFailure } from '../recording/codec';
import type { StoredResponse } from '../recording/format';
import { abortable, NULL_BODY_STATUS } from './replay';

/** Capturing upstream while recording: sending the request, handing the response on, draining and classifying. */

export type Passthrough = (request: Request, body: Uint8Array | null, signal: AbortSignal) => Promise<Response>;

/** Decoded by fetch: what the caller gets is the decoded body, so these would lie. */
const STALE_AFTER_DECODING = ['content-encoding', 'content-length', 'transfer-encoding'];

/** Status and headers of an upstream response whose body fetch has decoded: the encoding headers would lie. */
function decodedInit(upstream: Response): ResponseInit {
  const headers = new Headers(upstream.headers);
  for (const name of STALE_AFTER_DECODING) headers.delete(name);
  return { status: upstream.status, statusText: upstream.statusText, headers };
}

/** The upstream response as the caller gets it: the decoded body (or another stream of it) under truthful headers. */
export function asDecoded(upstream: Response, body: ReadableStream<Uint8Array> | null = upstream.body): Response {
  return new Response(NULL_BODY_STATUS.has(upstream.status) ? null : body, decodedInit(upstream));
}

/**
 * Sends the request upstream. The caller's abort reaches the server only until the response headers
 * arrive (a client timeout); after that the body is drained and recorded even if the caller stops
 * reading. `scope` ends requests still running long after their test. A failure is rethrown as it
 * came, once `failed` has been told what it was.
 */
export async function forward(
  passthrough: Passthrough,
  request: Request,
  body: Uint8Array | null,
  scope: AbortSignal,
  failed: (failure: TransportFailure) => void,
): Promise<Response> {
  const caller = request.signal;
  const controller = new AbortController();
  const fromCaller = () => controller.abort(caller?.reason);
  if (caller?.aborted) fromCaller();
  caller?.addEventListener('abort', fromCaller, { once: true });
  scope.addEventListener('abort', () => controller.abort(scope.reason), { once: true });
  try {
    const upstream = await passthrough(request, body, controller.signal);
    caller?.removeEventListener('abort', fromCaller);
    return upstream;
  } catch (error) {
    failed(classify(error, caller));
    throw error;
  }
}

function classify(error: unknown, callerSignal: AbortSignal | undefined): TransportFailure {
  const err = error as Error & { cause?: { code?: string; message?: string } };
  const timedOut = callerSignal?.aborted || err.name === 'AbortError' || err.name === 'TimeoutError';
  // A DOMException's `code` is a number (20 for an abort), not a socket error code.
  const code = [err.cause?.code, (err as { code?: unknown }).code].find((c): c is string => typeof c === 'string');
  const failure: TransportFailure = { kind: timedOut ? 'timeout' : 'network', message: err.cause?.message ?? err.message };
  if (code) failure.code = code;
  return failure;
}

/** A response body as drained, whole or up to its failure. */
interface Drained {
  bytes: ReceivedBytes;
  failure?: TransportFailure;
  /** Per stream event, ms since the previous one (the first since the headers), when timing is recorded. */
  delays?: number[];
}

/**
 * Hands the upstream response to the caller as it arrives, and a copy of every chunk to the
 * recorder, which resolves to the response to store. The branches are independent: a caller that
 * stops reading early, or aborts, does not stop the recording, which still drains the rest of the stream.
 */
export function tee(
  upstream: Response,
  request: Request,
  { timing, context }: { timing: boolean; context: EncodeContext },
): { response: Response; stored: Promise<StoredResponse> } {
  const toStore = ({ bytes, failure, delays }: Drained): StoredResponse => {
    const stored = encodeResponse({ status: upstream.status, headers: upstream.headers, body: bytes, failure }, context);
    if (delays && stored.is_streaming) stored.chunk_delays_ms = delays;
    return stored;
  };
  if (!upstream.body) return { response: asDecoded(upstream), stored: Promise.resolve({ bytes: new Uint8Array() }).then(toStore) };
  const [toCaller, toRecorder] = upstream.body.tee();
  const delimiter = /ndjson|jsonl/i.test(upstream.headers.get('content-type') ?? '') ? '\n' : '\n\n';
  const stored = collect(toRecorder, timing ? delimiter : undefined).then(toStore);
  return { response: asDecoded(upstream, abortable(toCaller, request)), stored };
}

/** Reads a stream to its end (or its failure), timing each event when asked to. */
async function collect(stream: ReadableStream<Uint8Array>, eventDelimiter: string | undefined): Promise<Drained> {
  const parts: Uint8Array[] = [];
  const delays: number[] = [];
  const decoder = new TextDecoder();
  let text = '';
  let last = performance.now();
  let failure: TransportFailure | undefined;
  try {
    for await (const part of stream as unknown as AsyncIterable<Uint8Array>) {
      parts.push(part);
      if (eventDelimiter === undefined) continue;
      text += decoder.decode(part, { stream: true }).replace(/\r\n/g, '\n');
      const now = performance.now();
      // Every event completed by this part arrived now: the first waited, the others came at once.
      for (let at = text.indexOf(eventDelimiter); at !== -1; at = text.indexOf(eventDelimiter)) {
        delays.push(Math.round(now - last));
        last = now;
        text = text.slice(at + eventDelimiter.length);
      }
    }
  } catch (error) {
    failure = classify(error, undefined);
  }
  // Not joined: the allocator keeps the pieces' memory after a join, so a huge stream would be held twice.
  return { bytes: parts, failure, delays: eventDelimiter === undefined ? undefined : delays };
}
