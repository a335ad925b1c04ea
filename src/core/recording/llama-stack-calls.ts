import { isPyObject, mapPythonStrings, PyFloat, type PyJson, type PyObject } from '../util/python-json';
import { httpRequestHash, inferenceRequestHash, pythonUrlParts } from './llama-stack-hash';

/**
 * The call llama-stack's recorder sees for a request this project recorded: it patches the openai
 * SDK's methods (keyed by the call's keyword arguments and `base_url + endpoint label`, always as
 * POST) and sends Anthropic's, Google's and rerank requests through httpx/aiohttp (keyed by the whole
 * URL and JSON payload). What the TypeScript side cannot know is an option: the Python client's base
 * URL path and origin, which numbers Python holds as floats, which fields its call puts in `extra_body`.
 */
export interface CallOptions {
  /** The path of the Python client's base URL; default: the one the recorded request was sent under. */
  basePath?: string;
  /** Origins the Python side sends to instead of the recorded ones (`from` absent: every recorded origin). */
  origins: { from?: string; to: string }[];
  /** Dotted paths into the body (`temperature`, `extra_body.min_p`) of numbers Python sends as floats. */
  floatFields: string[];
  /** Body fields the Python call passes in `extra_body`. */
  extraBody: string[];
}

/** The sampling parameters OpenAI documents as numbers, which Python code writes as floats. */
export const DEFAULT_FLOAT_FIELDS = ['temperature', 'top_p', 'frequency_penalty', 'presence_penalty'];

/** The openai SDK calls llama-stack records: the endpoint label, and the path the TypeScript SDK sends it to, after its base URL. */
const OPENAI_CALLS: { label: string; tail: string; method: string }[] = [
  { label: '/v1/chat/completions', tail: '/chat/completions', method: 'POST' },
  { label: '/v1/completions', tail: '/completions', method: 'POST' },
  { label: '/v1/embeddings', tail: '/embeddings', method: 'POST' },
  { label: '/v1/responses', tail: '/responses', method: 'POST' },
  { label: '/v1/models', tail: '/models', method: 'GET' },
];
/** URLs llama-stack records as raw HTTP (its httpx and aiohttp patches test the URL for these). */
const RAW_HTTP = ['/v1/messages', '/interactions', '/rerank'];

/** A request as llama-stack records it: its file's `request`, the hash that names the file, and its kind. */
export interface LlamaStackCall {
  kind: 'openai' | 'http';
  /** `/v1/chat/completions` for an openai SDK call; the URL's path for raw HTTP. */
  label: string;
  request: PyObject;
  hash: string;
  /** Whether the Python SDK asked for base64 embeddings by itself, which the stored response must undo. */
  defaultBase64: boolean;
}

/** What a stored request of this project holds, Python's view of its body included. */
export interface StoredCall {
  method: string;
  url: string;
  endpoint: string;
  testId: string | null;
  /** Python's view of the file's `request` (floats as written). */
  raw: PyObject;
  mapping: Record<string, string>;
}

const withOrigin = (url: URL, origins: CallOptions['origins']): string => {
  const mapped = origins.find(({ from }) => from === undefined || from === url.origin);
  return mapped ? mapped.to.replace(/\/+$/, '') : url.origin;
};

/** The number at a dotted path made a float. */
function floatAt(body: PyJson, path: string[]): PyJson {
  if (!isPyObject(body) || !(path[0] in body)) return body;
  const [head, ...rest] = path;
  const value = body[head];
  const changed = rest.length > 0 ? floatAt(value, rest) : typeof value === 'number' ? new PyFloat(value) : value;
  return { ...body, [head]: changed };
}

/** The keyword arguments of the Python call that sends this body. */
function keywordArguments(body: PyJson, label: string, options: CallOptions): { kwargs: PyObject; defaultBase64: boolean } {
  let kwargs = isPyObject(body) ? { ...body } : {};
  // The SDKs ask for base64 embeddings when the caller names no format, and decode them: the call named none.
  const defaultBase64 = label === '/v1/embeddings' && kwargs.encoding_format === 'base64';
  if (defaultBase64) delete kwargs.encoding_format;
  const moved = options.extraBody.filter((field) => field in kwargs);
  if (moved.length > 0) {
    const extra = isPyObject(kwargs.extra_body) ? { ...kwargs.extra_body } : {};
    for (const field of moved) {
      extra[field] = kwargs[field];
      delete kwargs[field];
    }
    kwargs.extra_body = extra;
  }
  for (const field of options.floatFields) kwargs = floatAt(kwargs, field.split('.')) as PyObject;
  return { kwargs, defaultBase64 };
}

/** Ids replaced by their normalized form, as llama-stack's loader reads the file (and as replay then sends them). */
const normalizedIds = (value: PyJson, mapping: Record<string, string>) =>
  mapPythonStrings(value, (text) => Object.entries(mapping).reduce((out, [id, original]) => out.split(original).join(id), text));

/** A file imported from llama-stack holds the Python request already: its raw payload, or its doubled `/v1/v1/` URL. */
export const isFromLlamaStack = (call: StoredCall): boolean => 'payload' in call.raw || pythonUrlParts(call.url).path !== call.endpoint;

/** The call llama-stack records for a stored request, or why it records none. */
export function llamaStackCall(call: StoredCall, options: CallOptions): LlamaStackCall | { reason: string } {
  // Hashed as the Python side sends it once the file is read: with the ids its mapping normalizes.
  const sent = (value: PyJson) => normalizedIds(value, call.mapping);
  if (isFromLlamaStack(call)) {
    const raw = 'payload' in call.raw;
    const content = sent(raw ? call.raw.payload : (call.raw.body ?? {}));
    const hash = raw ? httpRequestHash(call.url, content, call.testId) : inferenceRequestHash(call.url, content, call.testId);
    const label = raw ? pythonUrlParts(call.url).path : call.endpoint;
    return { kind: raw ? 'http' : 'openai', label, request: call.raw, hash, defaultBase64: false };
  }
  if (!URL.canParse(call.url)) {
    return { reason: `its request.url ${JSON.stringify(call.url)} is not an absolute URL, which llama-stack records` };
  }
  const url = new URL(call.url);
  if (call.method === 'POST' && RAW_HTTP.some((part) => url.pathname.includes(part))) {
    const sentUrl = `${withOrigin(url, options.origins)}${url.pathname}${url.search}`;
    const { kwargs: payload } = keywordArguments(call.raw.body ?? null, url.pathname, options);
    const request = { test_id: call.testId, url: sentUrl, method: 'POST', payload };
    return { kind: 'http', label: url.pathname, request, hash: httpRequestHash(sentUrl, sent(payload), call.testId), defaultBase64: false };
  }
  if (url.pathname.startsWith('/api/')) {
    const why = 'its body does not tell which keyword arguments the ollama Python client was called with (the client always sends stream)';
    return { reason: `llama-stack records Ollama's native API (${url.pathname}) as the ollama Python client's call, and ${why}` };
  }
  const openai = OPENAI_CALLS.find(({ tail, method }) => method === call.method && url.pathname.endsWith(tail));
  if (!openai) {
    const recorded = 'openai SDK chat, completions, embeddings, responses and models calls; raw /v1/messages, /interactions, /rerank';
    return { reason: `${call.method} ${url.pathname} is not a call llama-stack's recorder records (${recorded})` };
  }
  const basePath = (options.basePath ?? url.pathname.slice(0, -openai.tail.length)).replace(/\/+$/, '');
  const sentUrl = `${withOrigin(url, options.origins)}${basePath}${openai.label}`;
  const { kwargs, defaultBase64 } = keywordArguments(call.raw.body ?? null, openai.label, options);
  const model = typeof kwargs.model === 'string' ? kwargs.model : '';
  const request = { method: 'POST', url: sentUrl, headers: {}, body: kwargs, endpoint: openai.label, model };
  return { kind: 'openai', label: openai.label, request, hash: inferenceRequestHash(sentUrl, sent(kwargs), call.testId), defaultBase64 };
}
