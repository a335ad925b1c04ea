/**
 * Interception for the `undici` package's own API (`undici.request`, `stream`, `pipeline`),
 * which neither goes through `globalThis.fetch` nor through `node:http`, so @mswjs/interceptors
 * never sees it. Every such call without an explicit dispatcher asks the global dispatcher,
 * stored on `globalThis` under a registered symbol that every undici copy shares; a dispatcher
 * installed there answers those requests with the same handler as fetch and http requests.
 */
export const UNDICI_GLOBAL_DISPATCHER = Symbol.for('undici.globalDispatcher.1');

type HeaderInput = Record<string, string | string[] | undefined> | (string | Buffer)[] | Iterable<[string, string]> | null;

/** What undici passes to `Dispatcher.dispatch` (the fields used here). */
export interface DispatchOptions {
  origin?: string | URL;
  path: string;
  method: string;
  headers?: HeaderInput;
  body?: string | Uint8Array | AsyncIterable<Uint8Array | string> | FormData | null;
}

/** undici's handler callbacks (the API undici 6 calls, and undici 7 still accepts). */
export interface DispatchHandler {
  onConnect?(abort: (reason?: Error) => void): void;
  onHeaders?(statusCode: number, rawHeaders: Buffer[], resume: () => void, statusText: string): boolean;
  onData?(chunk: Buffer): boolean;
  onComplete?(trailers: Buffer[] | null): void;
  onError?(error: Error): void;
}

export interface InterceptingDispatcher {
  dispatch(options: DispatchOptions, handler: DispatchHandler): boolean;
  close(): Promise<void>;
  destroy(): Promise<void>;
}

function requestHeaders(input: HeaderInput | undefined): Headers {
  const headers = new Headers();
  if (!input) return headers;
  if (Array.isArray(input)) {
    // undici's flat form: [name, value, name, value, …]
    for (let i = 0; i + 1 < input.length; i += 2) headers.append(String(input[i]), String(input[i + 1]));
  } else if (Symbol.iterator in input) {
    for (const [name, value] of input as Iterable<[string, string]>) headers.append(name, value);
  } else {
    for (const [name, value] of Object.entries(input)) {
      for (const item of Array.isArray(value) ? value : value === undefined ? [] : [value]) headers.append(name, item);
    }
  }
  return headers;
}

async function requestBody(body: DispatchOptions['body'], headers: Headers): Promise<Uint8Array | null> {
  if (body === null || body === undefined) return null;
  if (typeof body === 'string') return Buffer.from(body);
  if (body instanceof Uint8Array) return body;
  if (body instanceof FormData) {
    const encoded = new Response(body);
    headers.set('content-type', encoded.headers.get('content-type')!);
    return new Uint8Array(await encoded.arrayBuffer());
  }
  const parts: Buffer[] = [];
  for await (const part of body) parts.push(Buffer.from(part));
  return Buffer.concat(parts);
}

/** Headers as undici hands them to its handlers: a flat list of name and value buffers. */
function rawHeaders(headers: Headers): Buffer[] {
  const raw: Buffer[] = [];
  headers.forEach((value, name) => raw.push(Buffer.from(name), Buffer.from(value)));
  return raw;
}

/** Errors as undici's own clients report them: the socket error rather than fetch's TypeError around it. */
const transportError = (error: Error): Error => (error.cause instanceof Error && 'code' in error.cause ? error.cause : error);

/** Plays a Fetch `Response` into undici's handler callbacks, honouring its back-pressure and abort. */
async function deliver(options: DispatchOptions, handler: DispatchHandler, respond: (request: Request, body: Uint8Array | null) => Promise<Response>): Promise<void> {
  const controller = new AbortController();
  let finished = false;
  const fail = (error: Error) => {
    if (finished) return;
    finished = true;
    handler.onError?.(error);
  };
  // A handler that returns false is paused until it calls `resume`; counting resumes cannot miss one
  // that comes before the wait starts.
  let resumes = 0;
  let wake: (() => void) | undefined;
  const resume = () => {
    resumes++;
    wake?.();
  };
  const flowing = async (accepted: boolean | undefined, before: number) => {
    if (accepted !== false || resumes !== before) return;
    await new Promise<void>((resolve) => (wake = resolve));
    wake = undefined;
  };
  try {
    handler.onConnect?.((reason) => {
      controller.abort(reason);
      fail(reason ?? new Error('aborted'));
    });
    if (finished) return;
    const headers = requestHeaders(options.headers);
    const body = await requestBody(options.body, headers);
    const url = new URL(options.path, options.origin);
    // The body goes apart: undici sends one with a GET or HEAD too (an Elasticsearch-style search), which a `Request` cannot carry.
    const response = await respond(new Request(url, { method: options.method, headers, signal: controller.signal }), body);
    if (finished) return;
    let before = resumes;
    await flowing(handler.onHeaders?.(response.status, rawHeaders(response.headers), resume, response.statusText), before);
    for await (const chunk of (response.body ?? []) as AsyncIterable<Uint8Array>) {
      if (finished) return;
      before = resumes;
      await flowing(handler.onData?.(Buffer.from(chunk)), before);
    }
    if (finished) return;
    finished = true;
    handler.onComplete?.([]);
  } catch (error) {
    fail(transportError(error as Error));
  }
}

/** A dispatcher that hands every request to `respond` (record, replay or pass through). */
export function interceptingDispatcher(respond: (request: Request, body: Uint8Array | null) => Promise<Response>): InterceptingDispatcher {
  return {
    dispatch(options, handler) {
      void deliver(options, handler, respond);
      return true;
    },
    close: async () => undefined,
    destroy: async () => undefined,
  };
}
