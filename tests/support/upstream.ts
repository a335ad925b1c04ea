/**
 * A tiny LLM-API upstream for integration tests (OpenAI-compatible, plus Anthropic- and Ollama-shaped routes).
 *
 * Built only on node:http so tests can record real traffic through it, stop
 * it, and then prove that replay works without any server at all.
 * Replies are deterministic (echo of the input) except for ids and timestamps
 * (`id`, `created`, `created_at`), which are deliberately volatile so the recorder's normalization is exercised.
 *
 * Routes:
 *   GET  /v1/models                  model list
 *   POST /v1/chat/completions        chat (SSE when stream: true, ends with `data: [DONE]`)
 *   POST /v1/completions             legacy completions (SSE when stream: true)
 *   POST /v1/embeddings              deterministic 8-dim embeddings (float or base64)
 *   POST /v1/responses               OpenAI Responses API (typed SSE events when stream: true, no [DONE])
 *   POST /v1/audio/speech            deterministic binary audio (non-UTF-8 bytes)
 *   POST /v1/audio/transcriptions    multipart/form-data upload -> { text }
 *   POST /v1/messages                Anthropic Messages (Anthropic SSE when stream: true, with retry:, id: and a comment;
 *                                    non-streamed with `tools`: a tool_use of the first tool, then an echo of its tool_result)
 *   POST /api/chat, /api/generate    Ollama (NDJSON stream unless stream === false)
 *   GET  /api/tags                   Ollama model list
 *   POST /v1/moderations             moderation results
 *   GET  /index/_search              an Elasticsearch-style search: a GET with a JSON body, answered with the query it got
 *   (tool calls, reasoning summaries and a server clock: see upstream-agents.ts)
 *
 * Special models (the `model` field of a JSON body, or the `model` form field of a multipart upload):
 *   fail-<status>            always answers <status> with an error body (429/503 add retry-after: 1, retry-after-ms: 1000)
 *   flaky-<status>-<n>       the first n requests with an identical raw body fail like fail-<status>, later ones succeed
 *                            (counters are per upstream, cleared by resetCounters())
 *   reset-after-<k>          streams: headers + k chunks, then the socket is destroyed (non-streaming requests answer normally)
 *   reset-before-response    the socket is destroyed before anything is sent
 *   hang                     never answers; the socket stays open until the client gives up or close() is called
 *
 * Request headers:
 *   x-upstream-chunk-delay-ms: <ms>           delay between stream chunks (overrides options.chunkDelayMs)
 *   x-upstream-encoding: gzip|deflate|br      compress the response body (streams are flushed after each chunk)
 *   x-upstream-fail: <status>|reset         answers as model fail-<status> (or reset-before-response) would, whatever the
 *                                             model: the same request fails on one run and succeeds on another
 *   x-upstream-echo-auth: 1                   chat completions append ` key=<the Authorization token>` to the reply, as a
 *                                             careless server echoing credentials would; in a stream the token is split
 *                                             across two chunks
 *
 * Option `drifted: true`: the API as it might answer long after a suite was recorded (renamed fields, a changed type,
 * a new stream event, other tool arguments, a retired model, other text): see upstream-drift.ts.
 */
import * as http from 'node:http';
import * as zlib from 'node:zlib';
import type { Transform } from 'node:stream';
import type { AddressInfo, Socket } from 'node:net';
import { createHash, randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { driftedBody, driftedFailure, driftedStream } from './upstream-drift';
import {
  anthropicToolName,
  anthropicToolUse,
  chatToolCall,
  chatToolName,
  functionOutputOf,
  moderation,
  responsesToolCall,
  responsesToolName,
  toolResultOf,
  withReasoning,
  withServerTime,
} from './upstream-agents';

export interface UpstreamRequest {
  method: string;
  /** pathname + search */
  path: string;
  headers: Record<string, string | string[] | undefined>;
  /** the body decoded as UTF-8 (lossy for binary uploads: see rawBody) */
  body: string;
  /** the body bytes exactly as received */
  rawBody?: Buffer;
  /** performance.now() at arrival */
  at: number;
  /** performance.now() right after the response headers were sent (unset if none were, e.g. reset/hang models) */
  headersSentAt?: number;
}

export interface SentChunk {
  requestIndex: number;
  index: number;
  /** performance.now() right after the chunk was written */
  at: number;
  /** the chunk text before any compression */
  text: string;
}

export interface UpstreamOptions {
  /** Delay between stream chunks in ms (default 0). Header `x-upstream-chunk-delay-ms` overrides it per request. */
  chunkDelayMs?: number;
  /** Answer as the API might long after a suite was recorded (see upstream-drift.ts), for drift checks. */
  drifted?: boolean;
}

export interface Upstream {
  /** e.g. http://127.0.0.1:43123 */
  url: string;
  /** url + '/v1' (what you pass to new OpenAI({ baseURL })) */
  baseURL: string;
  /** every request received, in order */
  requests: UpstreamRequest[];
  /** every stream chunk written (SSE and NDJSON), in order */
  sentChunks: SentChunk[];
  /** forgets how often each `flaky-<status>-<n>` request was seen, so they fail again */
  resetCounters(): void;
  /** stops the server and destroys open sockets (does not hang on keep-alive connections) */
  close(): Promise<void>;
}

type Json = Record<string, unknown>;
type Encoding = 'gzip' | 'deflate' | 'br';
type ErrorStyle = 'openai' | 'anthropic' | 'ollama';

/** Thrown inside handlers to produce an error response in the route's style. */
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

const ANTHROPIC_ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  529: 'overloaded_error',
};

function errorBody(status: number, message: string, style: ErrorStyle = 'openai'): Json {
  if (style === 'anthropic') {
    return { type: 'error', error: { type: ANTHROPIC_ERROR_TYPES[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error'), message } };
  }
  if (style === 'ollama') return { error: message };
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

const OLLAMA_TAGS = {
  models: [
    {
      name: 'llama3.2:3b',
      model: 'llama3.2:3b',
      modified_at: '2024-10-01T12:00:00.000000000Z',
      size: 2019393189,
      digest: 'a80c4f17acd55265feec403c7aef86be0c25983ab279d83f3bcd3abbcb5b8b72',
      details: {
        parent_model: '',
        format: 'gguf',
        family: 'llama',
        families: ['llama'],
        parameter_size: '3.2B',
        quantization_level: 'Q4_K_M',
      },
    },
  ],
};

const SPEECH_CONTENT_TYPES: Record<string, string> = {
  mp3: 'audio/mpeg',
  opus: 'audio/opus',
  aac: 'audio/aac',
  flac: 'audio/flac',
  wav: 'audio/wav',
  pcm: 'audio/pcm',
};

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const nowSecs = () => Math.floor(Date.now() / 1000);
const hex = (bytes: number) => randomBytes(bytes).toString('hex');

const half = (text: string) => Math.ceil(text.length / 2);

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

/**
 * Deterministic fake audio: an MP3 frame sync, bytes that are never valid UTF-8 (0xff 0xfe, NULs, a broken
 * 2-byte sequence, a truncated 3-byte sequence, an encoded surrogate, an invalid lead byte), every byte value
 * 0..255 once, then 128 bytes hashed from the request: 400 bytes in all.
 */
function speechBytes(model: string, voice: string, input: string): Buffer {
  const head = Buffer.from([0xff, 0xfb, 0x90, 0x64, 0xff, 0xfe, 0x00, 0x00, 0xc3, 0x28, 0xe2, 0x82, 0xed, 0xa0, 0x80, 0xf8]);
  const ramp = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
  const hashed = [0, 1, 2, 3].map((i) => createHash('sha256').update(`${i}\0${model}\0${voice}\0${input}`).digest());
  return Buffer.concat([head, ramp, ...hashed]);
}

function contentToText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content.map((part) => (part && typeof part === 'object' && typeof part.text === 'string' ? part.text : '')).join('');
  }
  return '';
}

/** Text of the last message with the given role (or of the last message at all when none has it). */
function lastMessageText(messages: unknown[], role = 'user'): string {
  const withRole = messages.filter((m) => (m as Json | undefined)?.role === role);
  const pool = withRole.length ? withRole : messages;
  return contentToText((pool[pool.length - 1] as Json | undefined)?.content);
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

/** The `model` of a JSON body, without complaining about anything (validation is the handler's job). */
function peekModel(body: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(body);
    const model = parsed && typeof parsed === 'object' ? (parsed as Json).model : undefined;
    return typeof model === 'string' ? model : undefined;
  } catch {
    return undefined;
  }
}

function simulatedError(status: number, message: string): HttpError {
  const headers: Record<string, string> = status === 429 || status === 503 ? { 'retry-after': '1', 'retry-after-ms': '1000' } : {};
  return new HttpError(status, message, headers);
}

function parseEncoding(header: string | string[] | undefined): Encoding | undefined {
  const value = (Array.isArray(header) ? header[0] : header)?.trim().toLowerCase();
  if (!value || value === 'identity') return undefined;
  if (value === 'gzip' || value === 'deflate' || value === 'br') return value;
  throw new HttpError(400, `Unsupported x-upstream-encoding: ${value} (use gzip, deflate or br)`);
}

function compressSync(encoding: Encoding, data: Buffer): Buffer {
  if (encoding === 'gzip') return zlib.gzipSync(data);
  if (encoding === 'deflate') return zlib.deflateSync(data);
  return zlib.brotliCompressSync(data);
}

/** A zlib stream plus a flush that pushes out everything written so far (so stream chunks still arrive one by one). */
function createCompressor(encoding: Encoding): { stream: Transform; flush(done?: () => void): void } {
  if (encoding === 'br') {
    const stream = zlib.createBrotliCompress();
    return { stream, flush: (done) => stream.flush(zlib.constants.BROTLI_OPERATION_FLUSH, done) };
  }
  const stream = encoding === 'gzip' ? zlib.createGzip() : zlib.createDeflate();
  return { stream, flush: (done) => stream.flush(zlib.constants.Z_SYNC_FLUSH, done) };
}

/** Everything a handler needs about the request it answers. */
interface Ctx {
  req: http.IncomingMessage;
  res: http.ServerResponse;
  requestIndex: number;
  body: string;
  raw: Buffer;
  /** ms between stream chunks */
  delay: number;
  encoding?: Encoding;
  /** set by a reset-after-<k> model: destroy the socket after k stream chunks */
  resetAfter?: number;
  errorStyle: ErrorStyle;
}

type Handler = (ctx: Ctx) => void | Promise<void>;

export function startUpstream(options: UpstreamOptions = {}): Promise<Upstream> {
  const requests: UpstreamRequest[] = [];
  const sentChunks: SentChunk[] = [];
  const sockets = new Set<Socket>();
  /** flaky-<status>-<n> attempts, keyed by the raw request body */
  const attempts = new Map<string, number>();
  let counter = 0;

  const markHeadersSent = (ctx: Ctx) => {
    requests[ctx.requestIndex].headersSentAt = performance.now();
  };

  /** A whole (non-streamed) response body, compressed when asked to; `withLength` adds content-length (else chunked). */
  const send = (ctx: Ctx, status: number, body: string | Buffer, headers: Record<string, string>, withLength = false) => {
    let payload = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    const allHeaders = { ...headers };
    if (ctx.encoding) {
      payload = compressSync(ctx.encoding, payload);
      allHeaders['content-encoding'] = ctx.encoding;
    }
    if (withLength) allHeaders['content-length'] = String(payload.length);
    ctx.res.writeHead(status, allHeaders);
    ctx.res.end(payload);
    markHeadersSent(ctx);
  };

  /** `METHOD /path` of the request a handler answers. */
  const routeOf = (ctx: Ctx) => `${ctx.req.method} ${new URL(ctx.req.url ?? '/', 'http://localhost').pathname}`;

  const sendJson = (ctx: Ctx, status: number, body: unknown, headers: Record<string, string> = {}) => {
    const text = JSON.stringify(withServerTime(ctx.req.headers, body));
    send(ctx, status, options.drifted ? driftedBody(routeOf(ctx), text) : text, { ...headers, 'content-type': 'application/json' });
  };

  /** Waits until what was written so far has left the process (so a following socket.destroy() does not drop it). */
  const settle = async (ctx: Ctx) => {
    await new Promise<void>((resolve) => setImmediate(resolve));
    const socket = ctx.res.socket;
    if (socket && !socket.destroyed && socket.writableLength > 0) {
      await new Promise<void>((resolve) => {
        socket.once('drain', resolve);
        socket.once('close', resolve);
      });
    }
  };

  /**
   * Writes each chunk with its own res.write, pausing `ctx.delay` ms between them so streams arrive in several
   * packets. When compressing, each chunk goes through zlib and is flushed, and everything that flush produced is
   * sent with one res.write (so the gzip header travels with the first chunk). Honours reset-after-<k>.
   */
  const sendStream = async (ctx: Ctx, sent: string[], headers: Record<string, string>) => {
    const { res } = ctx;
    const texts = options.drifted ? driftedStream(routeOf(ctx), sent) : sent;
    const allHeaders = { ...headers };
    let compressor: ReturnType<typeof createCompressor> | undefined;
    let pending: Buffer[] = [];
    const writePending = () => {
      if (pending.length && !res.destroyed) res.write(Buffer.concat(pending));
      pending = [];
    };
    if (ctx.encoding) {
      allHeaders['content-encoding'] = ctx.encoding;
      compressor = createCompressor(ctx.encoding);
      compressor.stream.on('data', (data: Buffer) => pending.push(data));
    }
    const write = (text: string) =>
      compressor
        ? new Promise<void>((resolve) => {
            compressor.stream.write(text);
            compressor.flush(() => {
              writePending();
              resolve();
            });
          })
        : void res.write(text);

    res.writeHead(200, allHeaders);
    res.flushHeaders();
    markHeadersSent(ctx);

    const limit = ctx.resetAfter ?? Infinity;
    try {
      for (let index = 0; index < texts.length; index++) {
        if (index > 0 && ctx.delay > 0) await sleep(ctx.delay);
        if (res.destroyed) return; // client went away (or close() was called)
        if (index >= limit) break;
        await write(texts[index]);
        sentChunks.push({ requestIndex: ctx.requestIndex, index, at: performance.now(), text: texts[index] });
      }

      if (ctx.resetAfter !== undefined) {
        writePending();
        await settle(ctx);
        res.socket?.destroy();
        return;
      }
      if (compressor) {
        const { stream } = compressor;
        // 'end' (not end()'s callback, which only means the input side finished) comes after the last output
        await new Promise<void>((resolve) => {
          stream.once('end', resolve);
          stream.end();
        });
        writePending();
      }
      res.end();
    } finally {
      compressor?.stream.destroy();
    }
  };

  const sse = (events: unknown[]) => events.map((e) => `data: ${JSON.stringify(e)}\n\n`);
  const SSE_HEADERS = { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' };
  const NDJSON_HEADERS = { 'content-type': 'application/x-ndjson' };

  /** fail-<status> and flaky-<status>-<n> models. */
  const checkSimulatedFailure = (model: string | undefined, rawBody: string) => {
    if (!model) return;
    const fail = /^fail-(\d{3})$/.exec(model);
    if (fail) {
      const status = Number(fail[1]);
      throw simulatedError(status, `Simulated ${status} from upstream`);
    }
    const flaky = /^flaky-(\d{3})-(\d+)$/.exec(model);
    if (flaky) {
      const status = Number(flaky[1]);
      const failures = Number(flaky[2]);
      const attempt = (attempts.get(rawBody) ?? 0) + 1;
      attempts.set(rawBody, attempt);
      if (attempt <= failures) throw simulatedError(status, `Simulated ${status} from upstream (flaky: attempt ${attempt} of ${failures} failing)`);
    }
  };

  /**
   * reset-before-response, hang and reset-after-<k> models, then fail-/flaky- ones.
   * Returns true when the request must not be answered at all.
   */
  const applyModelBehaviour = async (ctx: Ctx, model: string | undefined): Promise<boolean> => {
    if (model === 'reset-before-response') {
      ctx.req.socket.destroy();
      return true;
    }
    if (model === 'hang') {
      const socket = ctx.req.socket;
      if (!socket.destroyed) await new Promise<void>((resolve) => socket.once('close', () => resolve()));
      return true;
    }
    const reset = model ? /^reset-after-(\d+)$/.exec(model) : null;
    if (reset) ctx.resetAfter = Number(reset[1]);
    checkSimulatedFailure(model, ctx.body);
    return false;
  };

  /** `x-upstream-fail`: the request fails as a `fail-<status>` or `reset-before-response` model would. */
  const applyFailHeader = (ctx: Ctx): boolean => {
    const fail = ctx.req.headers['x-upstream-fail'];
    if (typeof fail !== 'string') return false;
    if (fail === 'reset') {
      ctx.req.socket.destroy();
      return true;
    }
    throw simulatedError(Number(fail), `Simulated ${fail} from upstream`);
  };

  // ---------------------------------------------------------------- OpenAI

  const chatCompletions = async (ctx: Ctx) => {
    const body = parseJsonBody(ctx.body);
    const messages = Array.isArray(body.messages) ? body.messages : [];
    const last = messages[messages.length - 1] as Json | undefined;
    const prompt = contentToText(last?.content);
    const token = ctx.req.headers['x-upstream-echo-auth'] ? String(ctx.req.headers.authorization ?? '').replace(/^Bearer /, '') : '';
    const content = token ? `echo: ${prompt} key=${token}` : `echo: ${prompt}`;
    const id = `chatcmpl-${hex(12)}`;
    const created = nowSecs();
    const model = body.model;
    const promptTokens = messages.reduce((n: number, m) => n + countTokens(contentToText((m as Json)?.content)), 0);
    const usage = { prompt_tokens: promptTokens, completion_tokens: countTokens(content), total_tokens: promptTokens + countTokens(content) };
    const toolName = chatToolName(body);
    const toolCall = toolName ? chatToolCall(toolName, prompt) : undefined;

    if (!body.stream) {
      const message = toolCall?.message ?? { role: 'assistant', content, refusal: null };
      return sendJson(ctx, 200, {
        id,
        object: 'chat.completion',
        created,
        model,
        choices: [{ index: 0, message, logprobs: null, finish_reason: toolCall ? 'tool_calls' : 'stop' }],
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
    const events: unknown[] = toolCall
      ? [...toolCall.deltas.map((delta) => chunk([choice(delta)])), chunk([choice({}, 'tool_calls')])]
      : [
          chunk([choice({ role: 'assistant', content: '' })]),
          ...splitWords(content)
            .flatMap((word) => (token && word.endsWith(token) ? [word.slice(0, -half(token)), word.slice(-half(token))] : [word]))
            .map((word) => chunk([choice({ content: word })])),
          chunk([choice({}, 'stop')]),
        ];
    const streamOptions = body.stream_options as Json | undefined;
    if (streamOptions?.include_usage) events.push(chunk([], { usage }));
    await sendStream(ctx, [...sse(events), 'data: [DONE]\n\n'], SSE_HEADERS);
  };

  const completions = async (ctx: Ctx) => {
    const body = parseJsonBody(ctx.body);
    const prompt = Array.isArray(body.prompt) ? body.prompt.join('') : typeof body.prompt === 'string' ? body.prompt : '';
    const text = `echo: ${prompt}`;
    const id = `cmpl-${hex(12)}`;
    const created = nowSecs();
    const model = body.model;
    const usage = { prompt_tokens: countTokens(prompt), completion_tokens: countTokens(text), total_tokens: countTokens(prompt) + countTokens(text) };
    const base = { id, object: 'text_completion', created, model, system_fingerprint: 'fp_test' };

    if (!body.stream) {
      return sendJson(ctx, 200, { ...base, choices: [{ text, index: 0, logprobs: null, finish_reason: 'stop' }], usage });
    }
    const words = splitWords(text);
    const events = words.map((word, i) => ({
      ...base,
      choices: [{ text: word, index: 0, logprobs: null, finish_reason: i === words.length - 1 ? 'stop' : null }],
    }));
    await sendStream(ctx, [...sse(events), 'data: [DONE]\n\n'], SSE_HEADERS);
  };

  const embeddings = (ctx: Ctx) => {
    const body = parseJsonBody(ctx.body);
    const inputs = typeof body.input === 'string' ? [body.input] : Array.isArray(body.input) ? body.input.map(String) : null;
    if (!inputs) throw new HttpError(400, "'input' must be a string or an array of strings");
    const tokens = inputs.reduce((n, s) => n + countTokens(s), 0);
    // The openai SDK sends encoding_format 'base64' unless told otherwise and decodes little-endian float32s,
    // so honour it like the real API does; otherwise (absent or 'float') return plain number arrays.
    const asBase64 = body.encoding_format === 'base64';
    const encode = (vector: number[]) => (asBase64 ? Buffer.from(new Float32Array(vector).buffer).toString('base64') : vector);
    sendJson(ctx, 200, {
      object: 'list',
      data: inputs.map((text, index) => ({ object: 'embedding', index, embedding: encode(embed(text)) })),
      model: body.model,
      usage: { prompt_tokens: tokens, total_tokens: tokens },
    });
  };

  /** OpenAI Responses API: `input` is a string or a list of messages (the last user message is echoed). */
  const responses = async (ctx: Ctx) => {
    const body = parseJsonBody(ctx.body);
    const input = body.input;
    let prompt: string;
    if (typeof input === 'string') prompt = input;
    else if (Array.isArray(input)) prompt = functionOutputOf(input) ?? lastMessageText(input);
    else throw new HttpError(400, "'input' must be a string or a list of messages");
    const text = `echo: ${prompt}`;
    const model = body.model;
    const responseId = `resp_${hex(24)}`;
    const messageId = `msg_${hex(24)}`;
    const createdAt = nowSecs();
    const inputTokens = Array.isArray(input) ? input.reduce((n: number, m) => n + countTokens(contentToText((m as Json)?.content)), 0) : countTokens(prompt);
    const outputTokens = countTokens(text);
    const usage = {
      input_tokens: inputTokens,
      input_tokens_details: { cached_tokens: 0, cache_write_tokens: 0 },
      output_tokens: outputTokens,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: inputTokens + outputTokens,
    };
    const part = (partText: string) => ({ type: 'output_text', text: partText, annotations: [], logprobs: [] });
    const message = (status: 'in_progress' | 'completed', content: unknown[]) => ({ type: 'message', id: messageId, status, role: 'assistant', content });
    const responseObject = (status: 'in_progress' | 'completed', output: unknown[]) => ({
      id: responseId,
      object: 'response',
      created_at: createdAt,
      status,
      background: false,
      completed_at: status === 'completed' ? nowSecs() : null,
      error: null,
      incomplete_details: null,
      instructions: typeof body.instructions === 'string' ? body.instructions : null,
      max_output_tokens: typeof body.max_output_tokens === 'number' ? body.max_output_tokens : null,
      metadata: {},
      model,
      output,
      parallel_tool_calls: true,
      previous_response_id: typeof body.previous_response_id === 'string' ? body.previous_response_id : null,
      reasoning: { effort: null, summary: null },
      store: true,
      temperature: 1,
      text: { format: { type: 'text' } },
      tool_choice: 'auto',
      tools: [],
      top_p: 1,
      truncation: 'disabled',
      usage: status === 'completed' ? usage : null,
      user: null,
    });
    const finalMessage = message('completed', [part(text)]);
    const toolName = responsesToolName(body);
    const toolCall = toolName ? responsesToolCall(toolName, prompt, responseObject) : undefined;

    if (!body.stream) return sendJson(ctx, 200, responseObject('completed', [toolCall?.item ?? finalMessage]));

    const where = { item_id: messageId, output_index: 0, content_index: 0 };
    const answer: Json[] = [
      { type: 'response.created', response: responseObject('in_progress', []) },
      { type: 'response.in_progress', response: responseObject('in_progress', []) },
      { type: 'response.output_item.added', output_index: 0, item: message('in_progress', []) },
      { type: 'response.content_part.added', ...where, part: part('') },
      ...splitWords(text).map((word) => ({ type: 'response.output_text.delta', ...where, delta: word, logprobs: [] })),
      { type: 'response.output_text.done', ...where, text, logprobs: [] },
      { type: 'response.content_part.done', ...where, part: part(text) },
      { type: 'response.output_item.done', output_index: 0, item: finalMessage },
      { type: 'response.completed', response: responseObject('completed', [finalMessage]) },
    ];
    const reasons = (body.reasoning as Json | undefined)?.summary !== undefined;
    const events = toolCall?.events ?? (reasons ? withReasoning(answer, text) : answer);
    const texts = events.map((event, sequence_number) => {
      const { type, ...rest } = event;
      return `event: ${String(type)}\ndata: ${JSON.stringify({ type, sequence_number, ...rest })}\n\n`;
    });
    await sendStream(ctx, texts, SSE_HEADERS);
  };

  const speech = (ctx: Ctx) => {
    const body = parseJsonBody(ctx.body);
    if (typeof body.input !== 'string') throw new HttpError(400, "'input' must be a string");
    const bytes = speechBytes(String(body.model ?? ''), String(body.voice ?? ''), body.input);
    const format = typeof body.response_format === 'string' ? body.response_format : 'mp3';
    send(ctx, 200, bytes, { 'content-type': SPEECH_CONTENT_TYPES[format] ?? 'audio/mpeg' }, true);
  };

  const transcriptions = async (ctx: Ctx) => {
    const contentType = ctx.req.headers['content-type'] ?? '';
    if (!/^multipart\/form-data/i.test(contentType)) throw new HttpError(400, 'Expected a multipart/form-data body');
    let form: FormData;
    try {
      form = await new Request('http://x', { method: 'POST', headers: { 'content-type': contentType }, body: new Uint8Array(ctx.raw) }).formData();
    } catch (err) {
      throw new HttpError(400, `Could not parse multipart body: ${String(err)}`);
    }
    const model = form.get('model');
    if (await applyModelBehaviour(ctx, typeof model === 'string' ? model : undefined)) return;
    const file = form.get('file');
    if (typeof model !== 'string' || !model) throw new HttpError(400, "Missing 'model' field");
    if (!file || typeof file === 'string') throw new HttpError(400, "Missing 'file' part");
    const text = `transcribed ${file.size} bytes of ${file.name} with ${model}`;
    if (form.get('response_format') === 'text') return send(ctx, 200, text, { 'content-type': 'text/plain; charset=utf-8' });
    sendJson(ctx, 200, { text });
  };

  // ---------------------------------------------------------------- Anthropic

  const anthropicMessages = async (ctx: Ctx) => {
    const body = parseJsonBody(ctx.body);
    const messages = Array.isArray(body.messages) ? body.messages : [];
    const prompt = toolResultOf(messages) ?? lastMessageText(messages);
    const text = `echo: ${prompt}`;
    const model = body.model;
    const id = `msg_${hex(12)}`;
    const toolName = anthropicToolName(body);
    const toolUse = toolName ? anthropicToolUse(toolName, prompt) : undefined;
    const inputTokens =
      countTokens(contentToText(body.system)) + messages.reduce((n: number, m) => n + countTokens(contentToText((m as Json)?.content)), 0);
    const outputTokens = countTokens(text);

    if (!body.stream) {
      return sendJson(ctx, 200, {
        id,
        type: 'message',
        role: 'assistant',
        model,
        content: [toolUse?.block ?? { type: 'text', text }],
        stop_reason: toolUse ? 'tool_use' : 'end_turn',
        stop_sequence: null,
        usage: { input_tokens: inputTokens, output_tokens: outputTokens },
      });
    }

    const event = (name: string, data: Json) => `event: ${name}\ndata: ${JSON.stringify({ type: name, ...data })}\n\n`;
    if (toolUse) {
      const usage = { input_tokens: inputTokens, output_tokens: 1 };
      const start = { message: { id, type: 'message', role: 'assistant', model, content: [], stop_reason: null, stop_sequence: null, usage } };
      const stop = { delta: { stop_reason: 'tool_use', stop_sequence: null }, usage: { output_tokens: 8 } };
      const ending = [event('message_delta', stop), event('message_stop', {})];
      const blocks = toolUse.events.map(({ type, ...data }) => event(String(type), data));
      return sendStream(ctx, [event('message_start', start), 'event: ping\ndata: {"type": "ping"}\n\n', ...blocks, ...ending], SSE_HEADERS);
    }
    const texts = [
      'retry: 3000\n\n',
      `event: message_start\nid: evt_1\ndata: ${JSON.stringify({
        type: 'message_start',
        message: {
          id,
          type: 'message',
          role: 'assistant',
          model,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: { input_tokens: inputTokens, output_tokens: 1 },
        },
      })}\n\n`,
      event('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }),
      'event: ping\ndata: {"type": "ping"}\n\n',
      ': keep-alive\n\n',
      ...splitWords(text).map((word) => event('content_block_delta', { index: 0, delta: { type: 'text_delta', text: word } })),
      event('content_block_stop', { index: 0 }),
      event('message_delta', { delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: outputTokens } }),
      event('message_stop', {}),
    ];
    await sendStream(ctx, texts, SSE_HEADERS);
  };

  // ---------------------------------------------------------------- Ollama

  /** Deterministic stand-ins for Ollama's timing fields (nanoseconds). */
  const ollamaStats = (promptTokens: number, evalCount: number) => ({
    total_duration: 1_000_000 * (10 + 2 * promptTokens + 20 * evalCount),
    load_duration: 10_000_000,
    prompt_eval_count: promptTokens,
    prompt_eval_duration: 2_000_000 * promptTokens,
    eval_count: evalCount,
    eval_duration: 20_000_000 * evalCount,
  });

  const ollama = async (ctx: Ctx, kind: 'chat' | 'generate') => {
    const body = parseJsonBody(ctx.body);
    if (typeof body.model !== 'string' || !body.model) throw new HttpError(400, 'model is required');
    const model = body.model;
    const messages = Array.isArray(body.messages) ? body.messages : [];
    const prompt = kind === 'chat' ? lastMessageText(messages) : typeof body.prompt === 'string' ? body.prompt : '';
    const promptTokens =
      kind === 'chat' ? messages.reduce((n: number, m) => n + countTokens(contentToText((m as Json)?.content)), 0) : countTokens(prompt);
    const text = `echo: ${prompt}`;
    const words = splitWords(text);
    const payload = (piece: string) => (kind === 'chat' ? { message: { role: 'assistant', content: piece } } : { response: piece });
    const line = (piece: string, done: boolean): Json => ({
      model,
      created_at: new Date().toISOString(),
      ...payload(piece),
      done,
      ...(done ? { done_reason: 'stop', ...ollamaStats(promptTokens, words.length) } : {}),
    });

    if (body.stream === false) return sendJson(ctx, 200, line(text, true));
    await sendStream(ctx, [...words.map((word) => line(word, false)), line('', true)].map((obj) => `${JSON.stringify(obj)}\n`), NDJSON_HEADERS);
  };

  // ---------------------------------------------------------------- routing

  const routes: Record<string, { handler: Handler; errorStyle: ErrorStyle }> = {
    'GET /v1/models': { handler: (ctx) => sendJson(ctx, 200, MODELS), errorStyle: 'openai' },
    'POST /v1/chat/completions': { handler: chatCompletions, errorStyle: 'openai' },
    'POST /v1/completions': { handler: completions, errorStyle: 'openai' },
    'POST /v1/embeddings': { handler: embeddings, errorStyle: 'openai' },
    'POST /v1/responses': { handler: responses, errorStyle: 'openai' },
    'POST /v1/audio/speech': { handler: speech, errorStyle: 'openai' },
    'POST /v1/audio/transcriptions': { handler: transcriptions, errorStyle: 'openai' },
    'POST /v1/messages': { handler: anthropicMessages, errorStyle: 'anthropic' },
    'POST /api/chat': { handler: (ctx) => ollama(ctx, 'chat'), errorStyle: 'ollama' },
    'POST /api/generate': { handler: (ctx) => ollama(ctx, 'generate'), errorStyle: 'ollama' },
    'GET /api/tags': { handler: (ctx) => sendJson(ctx, 200, OLLAMA_TAGS), errorStyle: 'ollama' },
    // A moved endpoint: fetch follows it to the tags.
    'GET /api/moved': { handler: (ctx) => send(ctx, 302, '', { location: '/api/tags' }), errorStyle: 'ollama' },
    'POST /v1/moderations': { handler: (ctx) => sendJson(ctx, 200, moderation(parseJsonBody(ctx.body))), errorStyle: 'openai' },
    'GET /index/_search': { handler: (ctx) => sendJson(ctx, 200, { hits: [{ query: parseJsonBody(ctx.body).query }] }), errorStyle: 'openai' },
  };

  const handle = async (ctx: Ctx) => {
    const { req } = ctx;
    const header = req.headers['x-upstream-chunk-delay-ms'];
    const fromHeader = typeof header === 'string' && header.trim() !== '' ? Number(header) : NaN;
    ctx.delay = Number.isFinite(fromHeader) ? fromHeader : (options.chunkDelayMs ?? 0);
    ctx.encoding = parseEncoding(req.headers['x-upstream-encoding']);

    const pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
    const route = `${req.method} ${pathname}`;
    const entry = routes[route];
    if (!entry) throw new HttpError(404, `Unknown route: ${route}`);
    ctx.errorStyle = entry.errorStyle;
    const failure = options.drifted ? driftedFailure(route) : undefined;
    if (failure) throw new HttpError(failure.status, failure.message);
    if (applyFailHeader(ctx) || (await applyModelBehaviour(ctx, peekModel(ctx.body)))) return;
    await entry.handler(ctx);
  };

  const server = http.createServer((req, res) => {
    const arrivedAt = performance.now();
    res.setHeader('x-request-id', `req_${++counter}`);
    const parts: Buffer[] = [];
    req.on('data', (part: Buffer) => parts.push(part));
    req.on('end', () => {
      const raw = Buffer.concat(parts);
      const body = raw.toString('utf8');
      // Indexed once the body is complete, so requestIndex always matches this entry even with concurrent requests.
      const requestIndex =
        requests.push({ method: req.method ?? 'GET', path: req.url ?? '/', headers: { ...req.headers }, body, rawBody: raw, at: arrivedAt }) - 1;
      const ctx: Ctx = { req, res, requestIndex, body, raw, delay: options.chunkDelayMs ?? 0, errorStyle: 'openai' };
      handle(ctx).catch((err: unknown) => {
        if (res.headersSent || res.destroyed) return void res.destroy();
        if (err instanceof HttpError) return sendJson(ctx, err.status, errorBody(err.status, err.message, ctx.errorStyle), err.headers);
        sendJson(ctx, 500, errorBody(500, `Upstream crashed: ${String(err)}`, ctx.errorStyle));
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

  const resetCounters = () => attempts.clear();

  return new Promise<Upstream>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      const { port } = server.address() as AddressInfo;
      const url = `http://127.0.0.1:${port}`;
      resolve({ url, baseURL: `${url}/v1`, requests, sentChunks, resetCounters, close });
    });
  });
}
