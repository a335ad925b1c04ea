import { type EncodeContext, encodeResponse, type TransportFailure } from '../recording/codec';
import type { StoredResponse } from '../recording/format';
import { ReceivedBody } from './received-body';
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
  body: ReceivedBody;
  failure?: TransportFailure;
  /** Per stream event, ms since the previous one (the first since the headers), when timing is recorded. */
  delays?: number[];
}

/**
 * Hands the upstream response to the caller as it arrives, and a copy of every chunk to the recorder,
 * which gives `write` the response to store once the body has ended. The branches are independent: a
 * caller that stops reading early, or aborts, does not stop the recording, which still drains the rest
 * of the stream. `written` settles once `write` has, and the received body is let go of.
 */
export function tee(
  upstream: Response,
  request: Request,
  { timing, context }: { timing: boolean; context: EncodeContext },
  write: (stored: StoredResponse) => Promise<void>,
): { response: Response; written: Promise<void> } {
  const store = async ({ body, failure, delays }: Drained) => {
    try {
      const stored = encodeResponse({ status: upstream.status, headers: upstream.headers, body, failure }, context);
      if (delays && stored.is_streaming) stored.chunk_delays_ms = delays;
      await write(stored);
    } finally {
      body.release();
    }
  };
  if (!upstream.body) return { response: asDecoded(upstream), written: Promise.resolve({ body: new ReceivedBody() }).then(store) };
  const [toCaller, toRecorder] = upstream.body.tee();
  const delimiter = /ndjson|jsonl/i.test(upstream.headers.get('content-type') ?? '') ? '\n' : '\n\n';
  const written = collect(toRecorder, timing ? delimiter : undefined).then(store);
  return { response: asDecoded(upstream, abortable(toCaller, request)), written };
}

/**
 * Reads a stream to its end (or its failure), timing each event when asked to. Rejects, having let go of
 * what it received, only when a large body cannot be kept (see `ReceivedBody`).
 */
async function collect(stream: ReadableStream<Uint8Array>, eventDelimiter: string | undefined): Promise<Drained> {
  const body = new ReceivedBody();
  const delays: number[] = [];
  const decoder = new TextDecoder();
  let text = '';
  let last = performance.now();
  let failure: TransportFailure | undefined;
  const reader = stream.getReader();
  try {
    for (;;) {
      const part = await reader.read().catch((error: unknown) => void (failure = classify(error, undefined)));
      if (!part || part.done) break;
      body.add(part.value);
      if (eventDelimiter === undefined) continue;
      text += decoder.decode(part.value, { stream: true }).replace(/\r\n/g, '\n');
      const now = performance.now();
      // Every event completed by this part arrived now: the first waited, the others came at once.
      for (let at = text.indexOf(eventDelimiter); at !== -1; at = text.indexOf(eventDelimiter)) {
        delays.push(Math.round(now - last));
        last = now;
        text = text.slice(at + eventDelimiter.length);
      }
    }
    body.end();
  } catch (error) {
    body.release();
    void reader.cancel(error);
    throw error;
  }
  return { body, failure, delays: eventDelimiter === undefined ? undefined : delays };
}
