/**
 * A tiny OpenAI-compatible upstream for integration tests.
 *
 * Built only on node:http so tests can record real traffic through it, stop
 * it, and then prove that replay works without any server at all.
 * Replies are deterministic (echo of the input) except for `id` and `created`,
 * which are deliberately volatile so the recorder's normalization is exercised.
 */
import * as http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';

export interface UpstreamRequest {
  method: string;
  /** pathname + search */
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** performance.now() at arrival */
  at: number;
}

export interface SentChunk {
  requestIndex: number;
  index: number;
  /** performance.now() when written */
  at: number;
  text: string;
}

export interface UpstreamOptions {
  /** Delay between SSE chunks in ms (default 0). Header `x-upstream-chunk-delay-ms` overrides it per request. */
  chunkDelayMs?: number;
  /** Port to listen on (default: a random free one); re-recording on the same port keeps stored URLs equal. */
  port?: number;
}

export interface Upstream {
  /** e.g. http://127.0.0.1:43123 */
  url: string;
  /** url + '/v1' (what you pass to new OpenAI({ baseURL })) */
  baseURL: string;
  /** every request received, in order */
  requests: UpstreamRequest[];
  /** every SSE chunk written, in order */
  sentChunks: SentChunk[];
  /** stops the server and destroys open sockets (does not hang on keep-alive connections) */
  close(): Promise<void>;
}

type Json = Record<string, unknown>;

/** Thrown inside handlers to produce an OpenAI-style error response. */
class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

const ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  404: 'not_found_error',
  429: 'rate_limit_error',
};

function errorBody(status: number, message: string): Json {
  return {
    error: {
      message,
      type: ERROR_TYPES[status] ?? (status >= 500 ? 'server_error' : 'invalid_request_error'),
      param: null,
      code: `simulated_${status}`,
    },
  };
}

const MODELS = {
  object: 'list',
  data: [
    { id: 'gpt-4o', object: 'model', created: 1715367049, owned_by: 'system' },
    { id: 'text-embedding-3-small', object: 'model', created: 1705948997, owned_by: 'system' },
  ],
};

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Rough token count: good enough for plausible `usage` numbers, and deterministic. */
const countTokens = (text: string): number => text.split(/\s+/).filter(Boolean).length;

/** Split into words that keep their leading whitespace, so the pieces concatenate back to `text`. */
function splitWords(text: string): string[] {
  return text.match(/\s*\S+|\s+$/g) ?? [];
}

/** 8 deterministic floats in (-1, 1) with many decimals, derived from the char codes. */
function embed(text: string): number[] {
  const out: number[] = [];
  for (let d = 0; d < 8; d++) {
    let acc = (d + 1) * 7919;
    for (let i = 0; i < text.length; i++) acc = (acc * 31 + text.charCodeAt(i) * (d + 3)) % 1_000_003;
    out.push(Number((Math.sin(acc) * 0.999).toFixed(12)));
  }
  return out;
}

function contentToText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content.map((part) => (part && typeof part === 'object' && typeof part.text === 'string' ? part.text : '')).join('');
  }
  return '';
}

function parseJsonBody(body: string): Json {
  if (!body.trim()) throw new HttpError(400, 'Request body is empty; expected JSON');
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new HttpError(400, 'Request body is not valid JSON');
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new HttpError(400, 'Request body must be a JSON object');
  }
  return parsed as Json;
}

/** `fail-<status>` models simulate upstream errors. */
function checkSimulatedFailure(model: unknown): void {
  const match = typeof model === 'string' ? /^fail-(\d{3})$/.exec(model) : null;
  if (!match) return;
  const status = Number(match[1]);
  const headers: Record<string, string> = status === 429 || status === 503 ? { 'retry-after': '1', 'retry-after-ms': '1000' } : {};
  throw new HttpError(status, `Simulated ${status} from upstream`, headers);
}

export function startUpstream(options: UpstreamOptions = {}): Promise<Upstream> {
  const requests: UpstreamRequest[] = [];
  const sentChunks: SentChunk[] = [];
  const sockets = new Set<Socket>();
  let counter = 0;

  const sendJson = (res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { ...headers, 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };

  /** Writes each SSE event with its own res.write, pausing between them so streams arrive in several packets. */
  const sendStream = async (req: http.IncomingMessage, res: http.ServerResponse, requestIndex: number, events: unknown[]) => {
    const header = req.headers['x-upstream-chunk-delay-ms'];
    const fromHeader = typeof header === 'string' && header.trim() !== '' ? Number(header) : NaN;
    const delay = Number.isFinite(fromHeader) ? fromHeader : (options.chunkDelayMs ?? 0);

    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    res.flushHeaders();
    const texts = [...events.map((e) => `data: ${JSON.stringify(e)}\n\n`), 'data: [DONE]\n\n'];
    for (let index = 0; index < texts.length; index++) {
      if (index > 0 && delay > 0) await sleep(delay);
      if (res.destroyed) return; // client went away (or close() was called)
      res.write(texts[index]);
      sentChunks.push({ requestIndex, index, at: performance.now(), text: texts[index] });
    }
    res.end();
  };

  const chatCompletions = async (req: http.IncomingMessage, res: http.ServerResponse, body: Json, requestIndex: number) => {
    checkSimulatedFailure(body.model);
    const messages = Array.isArray(body.messages) ? body.messages : [];
    const last = messages[messages.length - 1] as Json | undefined;
    const prompt = contentToText(last?.content);
    const content = `echo: ${prompt}`;
    const id = `chatcmpl-${randomBytes(12).toString('hex')}`;
    const created = Math.floor(Date.now() / 1000);
    const model = body.model;
    const promptTokens = messages.reduce((n: number, m) => n + countTokens(contentToText((m as Json)?.content)), 0);
    const usage = { prompt_tokens: promptTokens, completion_tokens: countTokens(content), total_tokens: promptTokens + countTokens(content) };

    if (!body.stream) {
      return sendJson(res, 200, {
        id,
        object: 'chat.completion',
        created,
        model,
        choices: [{ index: 0, message: { role: 'assistant', content, refusal: null }, logprobs: null, finish_reason: 'stop' }],
        usage,
        system_fingerprint: 'fp_test',
      });
    }

    const chunk = (choices: unknown[], extra: Json = {}) => ({
      id,
      object: 'chat.completion.chunk',
      created,
      model,
      system_fingerprint: 'fp_test',
      choices,
      ...extra,
    });
    const choice = (delta: Json, finish_reason: string | null = null) => ({ index: 0, delta, logprobs: null, finish_reason });
    const events: unknown[] = [
      chunk([choice({ role: 'assistant', content: '' })]),
      ...splitWords(content).map((word) => chunk([choice({ content: word })])),
      chunk([choice({}, 'stop')]),
    ];
    const streamOptions = body.stream_options as Json | undefined;
    if (streamOptions?.include_usage) events.push(chunk([], { usage }));
    await sendStream(req, res, requestIndex, events);
  };

  const completions = async (req: http.IncomingMessage, res: http.ServerResponse, body: Json, requestIndex: number) => {
    checkSimulatedFailure(body.model);
    const prompt = Array.isArray(body.prompt) ? body.prompt.join('') : typeof body.prompt === 'string' ? body.prompt : '';
    const text = `echo: ${prompt}`;
    const id = `cmpl-${randomBytes(12).toString('hex')}`;
    const created = Math.floor(Date.now() / 1000);
    const model = body.model;
    const usage = { prompt_tokens: countTokens(prompt), completion_tokens: countTokens(text), total_tokens: countTokens(prompt) + countTokens(text) };
    const base = { id, object: 'text_completion', created, model, system_fingerprint: 'fp_test' };

    if (!body.stream) {
      return sendJson(res, 200, { ...base, choices: [{ text, index: 0, logprobs: null, finish_reason: 'stop' }], usage });
    }
    const words = splitWords(text);
    const events = words.map((word, i) => ({
      ...base,
      choices: [{ text: word, index: 0, logprobs: null, finish_reason: i === words.length - 1 ? 'stop' : null }],
    }));
    await sendStream(req, res, requestIndex, events);
  };

  const embeddings = (res: http.ServerResponse, body: Json) => {
    checkSimulatedFailure(body.model);
    const inputs = typeof body.input === 'string' ? [body.input] : Array.isArray(body.input) ? body.input.map(String) : null;
    if (!inputs) throw new HttpError(400, "'input' must be a string or an array of strings");
    const tokens = inputs.reduce((n, s) => n + countTokens(s), 0);
    // The openai SDK sends encoding_format 'base64' unless told otherwise and decodes little-endian float32s,
    // so honour it like the real API does; otherwise (absent or 'float') return plain number arrays.
    const asBase64 = body.encoding_format === 'base64';
    const encode = (vector: number[]) => (asBase64 ? Buffer.from(new Float32Array(vector).buffer).toString('base64') : vector);
    sendJson(res, 200, {
      object: 'list',
      data: inputs.map((text, index) => ({ object: 'embedding', index, embedding: encode(embed(text)) })),
      model: body.model,
      usage: { prompt_tokens: tokens, total_tokens: tokens },
    });
  };

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse, body: string, requestIndex: number) => {
    const pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
    const route = `${req.method} ${pathname}`;
    switch (route) {
      case 'GET /v1/models':
        return sendJson(res, 200, MODELS);
      case 'POST /v1/chat/completions':
        return chatCompletions(req, res, parseJsonBody(body), requestIndex);
      case 'POST /v1/completions':
        return completions(req, res, parseJsonBody(body), requestIndex);
      case 'POST /v1/embeddings':
        return embeddings(res, parseJsonBody(body));
      default:
        throw new HttpError(404, `Unknown route: ${route}`);
    }
  };

  const server = http.createServer((req, res) => {
    const arrivedAt = performance.now();
    res.setHeader('x-request-id', `req_${++counter}`);
    const parts: Buffer[] = [];
    req.on('data', (part: Buffer) => parts.push(part));
    req.on('end', () => {
      const body = Buffer.concat(parts).toString('utf8');
      // Indexed once the body is complete, so requestIndex always matches this entry even with concurrent requests.
      const requestIndex = requests.push({ method: req.method ?? 'GET', path: req.url ?? '/', headers: { ...req.headers }, body, at: arrivedAt }) - 1;
      handle(req, res, body, requestIndex).catch((err: unknown) => {
        if (res.headersSent) return void res.destroy();
        if (err instanceof HttpError) return sendJson(res, err.status, errorBody(err.status, err.message), err.headers);
        sendJson(res, 500, errorBody(500, `Upstream crashed: ${String(err)}`));
      });
    });
  });

  // Track sockets ourselves as well: closeAllConnections() misses sockets that are mid-upgrade or already detached.
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  const close = () =>
    new Promise<void>((resolve, reject) => {
      if (!server.listening) return resolve();
      server.close((err) => (err ? reject(err) : resolve()));
      server.closeAllConnections();
      for (const socket of sockets) socket.destroy();
    });

  return new Promise<Upstream>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      const { port } = server.address() as AddressInfo;
      const url = `http://127.0.0.1:${port}`;
      resolve({ url, baseURL: `${url}/v1`, requests, sentChunks, close });
    });
  });
}
