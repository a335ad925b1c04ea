import type { ReplayResponse, TransportFailure } from '../recording/codec';

/**
 * A stored response played back as a Fetch `Response`: produced one piece (stream event) per
 * read, optionally paced by the recorded delays, failing where the recording failed, and
 * aborted the way fetch aborts.
 */

/** Statuses after which SDKs retry with back-off; replay tells them to retry at once. */
const RETRIED_STATUS = (status: number) => status === 408 || status === 409 || status === 429 || status >= 500;
export const NULL_BODY_STATUS = new Set([101, 204, 205, 304]);

export interface PlaybackOptions {
  /** Milliseconds before each stream event, as recorded (`chunk_delays_ms`). */
  delays?: number[];
  /** Factor applied to `delays`; 0 replays as fast as possible. */
  scale?: number;
  /** The caller's request: aborting its signal fails the body as fetch does. */
  request?: Request;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** undici's error for a connection that broke mid-body, so replayed streams fail as recorded ones did. */
function brokenBody(failure: TransportFailure): Error {
  return new TypeError('terminated', { cause: Object.assign(new Error(failure.message), { code: failure.code }) });
}

/**
 * Node's `Request` makes its signal follow the caller's through a weak reference that the
 * `Request` itself keeps alive: once the `Request` is garbage-collected its signal never aborts.
 * So whoever waits for an abort holds the request, not only its signal.
 */
function onAbort(request: Request, listener: () => void): () => void {
  const { signal } = request;
  // Mentions `request`, so the listener keeps it alive.
  const held = () => request && listener();
  if (signal.aborted) held();
  else signal.addEventListener('abort', held, { once: true });
  return () => signal.removeEventListener('abort', held);
}

/** Waits for the caller to give up (as it did while recording), then fails with its reason. */
const untilAborted = (request: Request): Promise<never> =>
  new Promise((_, reject) => onAbort(request, () => reject(request.signal.reason)));

/**
 * A body as fetch hands it to the caller: once the caller's signal aborts, reading it fails with
 * the abort reason, even if the rest had already arrived. Read on demand only (high-water mark 0),
 * so nothing read ahead can slip past an abort.
 */
export function abortable(body: ReadableStream<Uint8Array>, request: Request | undefined): ReadableStream<Uint8Array> {
  if (!request) return body;
  const { signal } = request;
  const reader = body.getReader();
  let release = () => {};
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        release = onAbort(request, () => {
          controller.error(signal.reason);
          // Only this reader stops: a recording teed from the same body keeps draining it.
          reader.cancel(signal.reason).catch(() => undefined);
        });
      },
      async pull(controller) {
        const { done, value } = await reader.read();
        if (signal.aborted) return;
        if (!done) return controller.enqueue(value);
        release();
        controller.close();
      },
      cancel(reason) {
        release();
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
}

/** Headers one by one, so the one no HTTP response can carry (a newline, a bad name) is named. */
function replayHeaders(stored: Record<string, string>): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(stored)) {
    try {
      headers.append(name, value);
    } catch {
      throw new Error(`"response.headers" has ${JSON.stringify(name)}: ${JSON.stringify(value)}, which no HTTP response can carry`);
    }
  }
  // Bodies are stored decoded: a client told they are encoded would try to decode a plain body.
  const encoding = headers.get('content-encoding');
  if (encoding !== null && encoding.trim().toLowerCase() !== 'identity') {
    const problem = `"response.headers" has "content-encoding": ${JSON.stringify(encoding)}`;
    throw new Error(`${problem}, but recorded bodies are stored decoded: remove the header`);
  }
  return headers;
}

/**
 * The response to give the caller, or undefined when the recording failed before any response
 * (then `failBeforeResponse`). Throws, before anything reaches the caller, for a status or header
 * no Response can have.
 */
export function replayedResponse(plan: ReplayResponse, options: PlaybackOptions = {}): Response | undefined {
  const { failure, status } = plan;
  if (failure?.beforeResponse) return undefined;
  if (status < 200 || status > 599) {
    throw new Error(`"response.status" ${status} cannot be replayed: a fetch Response has a status from 200 to 599`);
  }
  const headers = replayHeaders(plan.headers);
  headers.set('x-jest-replay', 'replay');
  // The SDKs wait what these say before retrying (openai reads `retry-after` when `retry-after-ms` is 0);
  // a replayed retry has nothing to wait for. The recording keeps the real values.
  if (RETRIED_STATUS(status)) {
    headers.set('retry-after-ms', '0');
    if (headers.has('retry-after')) headers.set('retry-after', '0');
  }
  if (NULL_BODY_STATUS.has(status)) return new Response(null, { status, headers });
  return new Response(playback(plan, options), { status, headers });
}

/**
 * The body, made one piece (stream event) per read, on demand only (high-water mark 0): one stream, one
 * pull per event. Once the caller's signal aborts, reading fails with the abort reason, as fetch's body does,
 * even if the rest had already been made.
 */
function playback({ pieces, failure }: ReplayResponse, { delays, scale = 0, request }: PlaybackOptions): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  const iterator = pieces[Symbol.iterator]();
  let next = 0;
  let release = () => {};
  // An ended body lets go of its pieces (a large recording's file is closed).
  const finish = () => {
    release();
    iterator.return?.();
  };
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        if (!request) return;
        release = onAbort(request, () => {
          controller.error(request.signal.reason);
          finish();
        });
      },
      // Not async: a promise per event is a promise hook per event for every AsyncLocalStorage of the process.
      pull(controller) {
        const piece = iterator.next();
        if (piece.done) {
          finish();
          return failure ? controller.error(brokenBody(failure)) : controller.close();
        }
        const delay = scale > 0 ? (delays?.[next] ?? 0) * scale : 0;
        next++;
        const enqueue = () => {
          // Aborted (while waiting): the body has already failed.
          if (request?.signal.aborted) return;
          controller.enqueue(typeof piece.value === 'string' ? encoder.encode(piece.value) : piece.value);
        };
        return delay > 0 ? sleep(delay).then(enqueue) : enqueue();
      },
      cancel: finish,
    },
    { highWaterMark: 0 },
  );
}

/** A recording that failed before any response: the request fails the same way. */
export function failBeforeResponse(failure: TransportFailure, request: Request | undefined): Promise<never> {
  if (failure.kind === 'timeout' && request) return untilAborted(request);
  return Promise.reject(new TypeError('fetch failed', { cause: Object.assign(new Error(failure.message), { code: failure.code }) }));
}
