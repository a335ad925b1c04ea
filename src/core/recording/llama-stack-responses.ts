import type { StoredResponse } from './format';
import { pythonTypeOf } from './openai-types';
import type { LlamaStackCall } from './llama-stack-calls';
import { isPyObject, parsePython, PyFloat, type PyJson, type PyObject, pythonStr } from '../util/python-json';

/**
 * A stored response as llama-stack's recorder stores the same answer: the objects the Python SDK
 * returned (`{__type__, __data__}`, streams as their chunks), an HTTP error as the exception the SDK
 * raised (`is_exception` + `exception_data`), and raw HTTP exchanges as their status and JSON or lines.
 */

type Converted = { response: PyObject } | { reason: string };

/** The `object` each openai call's results carry, for results that lack it: what the Python SDK parses them as. */
const OBJECT_BY_LABEL: Record<string, { result: PyObject; chunk?: PyObject }> = {
  '/v1/chat/completions': { result: { object: 'chat.completion' }, chunk: { object: 'chat.completion.chunk' } },
  '/v1/completions': { result: { object: 'text_completion' }, chunk: { object: 'text_completion' } },
  '/v1/embeddings': { result: { object: 'list', data: [{ object: 'embedding' }] } },
  '/v1/responses': { result: { object: 'response' } },
  '/v1/models': { result: { object: 'model' } },
};

/** A result as the Python SDK's object: kept if typed, else typed by its `object` or `type`, else by the call. */
function typed(value: PyJson, label: string, chunk: boolean): PyJson | undefined {
  if (!isPyObject(value)) return undefined;
  if ('__type__' in value) return value;
  const shape = chunk ? OBJECT_BY_LABEL[label]?.chunk : OBJECT_BY_LABEL[label]?.result;
  const type = pythonTypeOf(value) ?? pythonTypeOf(shape);
  return type === undefined ? undefined : { __type__: type, __data__: value };
}

/** The JSON data of a stream stored as its raw lines, `[DONE]` left out. */
function dataOfLines(lines: string[]): PyJson[] {
  const events: PyJson[] = [];
  let data: string[] = [];
  for (const line of [...lines, '']) {
    if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
    else if (line === '' && data.length > 0) {
      if (data.join('\n') !== '[DONE]') events.push(parsePython(data.join('\n')));
      data = [];
    }
  }
  return events;
}

/** Stream chunks typed as the Python SDK yields them, or undefined when one is not an object it can parse. */
function typedChunks(items: PyJson[], label: string): PyJson[] | undefined {
  const chunks = items.every((item) => typeof item === 'string') ? dataOfLines(items as string[]) : items;
  const result = chunks.map((chunk) => typed(chunk, label, true));
  return result.every((chunk) => chunk !== undefined) ? (result as PyJson[]) : undefined;
}

/** Little-endian float32s, as the SDKs decode base64 embeddings. */
function float32s(base64: string): PyJson[] {
  const bytes = Buffer.from(base64, 'base64');
  return Array.from({ length: Math.floor(bytes.byteLength / 4) }, (_, i) => new PyFloat(bytes.readFloatLE(i * 4)));
}

/** An embeddings response with base64 vectors decoded, as the Python SDK returns it to a call that named no format. */
function decodedEmbeddings(body: PyJson): PyJson {
  if (!isPyObject(body) || !isPyObject(body.__data__) || !Array.isArray(body.__data__.data)) return body;
  const data = body.__data__.data.map((item) =>
    isPyObject(item) && typeof item.embedding === 'string' ? { ...item, embedding: float32s(item.embedding) } : item,
  );
  return { ...body, __data__: { ...body.__data__, data } };
}

/** The openai SDKs' error classes by HTTP status (Python's `_make_status_error`; the Node SDK's are named alike). */
export const ERROR_CLASS_BY_STATUS: Readonly<Record<number, string>> = {
  400: 'BadRequestError',
  401: 'AuthenticationError',
  403: 'PermissionDeniedError',
  404: 'NotFoundError',
  409: 'ConflictError',
  422: 'UnprocessableEntityError',
  429: 'RateLimitError',
};

const errorClass = (status: number): string => ERROR_CLASS_BY_STATUS[status] ?? (status >= 500 ? 'InternalServerError' : 'APIStatusError');

const exception = (body: PyJson, streaming: boolean, data: PyObject, message: string): PyObject => ({
  body,
  is_streaming: streaming,
  is_exception: true,
  exception_data: data,
  exception_message: message,
});

/** The exception the openai SDK raises for an HTTP error, as llama-stack's `serialize_exception` stores it. */
function statusError(status: number, stored: PyJson): PyObject {
  const text = typeof stored === 'string' ? stored.trim() : undefined;
  let json: PyJson | undefined = text === undefined ? stored : undefined;
  try {
    if (text) json = parsePython(text);
  } catch {
    // Not JSON: the SDK keeps the text.
  }
  const message = json === undefined || json === null ? text || `Error code: ${status}` : `Error code: ${status} - ${pythonStr(json)}`;
  const body = json === undefined || json === null ? (text ?? '') : isPyObject(json) && 'error' in json ? json.error : json;
  const data = { category: 'provider_sdk', provider: 'openai', type: errorClass(status), message, status_code: status, body };
  return exception(null, false, data, message);
}

/** What the openai SDK says for a request that got no response. */
const PYTHON_MESSAGES: Record<string, string> = { APIConnectionError: 'Connection error.', APITimeoutError: 'Request timed out.' };

function openaiResponse(call: LlamaStackCall, raw: PyObject, stored: StoredResponse): Converted {
  const status = stored.status ?? 200;
  if (!stored.is_exception && status >= 400) return { response: statusError(status, raw.body) };
  const chunks = Array.isArray(raw.body) ? typedChunks(raw.body, call.label) : undefined;
  if (stored.is_streaming && !chunks) {
    return { reason: `its stream holds an event that is not a ${call.label} chunk the Python SDK could parse` };
  }
  if (stored.is_exception) {
    const data = isPyObject(raw.exception_data) ? raw.exception_data : {};
    // A transport failure this project recorded: llama-stack replays exceptions it has no category for by their message.
    const type = String(data.type ?? 'Exception');
    const message = (!chunks?.length && PYTHON_MESSAGES[type]) || String(data.message ?? raw.exception_message ?? type);
    const body = chunks ?? raw.body ?? null;
    return { response: exception(body, stored.is_streaming, { category: 'unknown', type, message }, message) };
  }
  if (stored.is_streaming) return { response: { body: chunks!, is_streaming: true } };
  const body = Array.isArray(raw.body) ? chunks : typed(raw.body, call.label, false);
  if (body === undefined) return { reason: `its response is not a ${call.label} result the Python SDK could parse` };
  return { response: { body: call.defaultBase64 ? decodedEmbeddings(body) : body, is_streaming: false } };
}

function httpResponse(call: LlamaStackCall, raw: PyObject, stored: StoredResponse): Converted {
  if (stored.is_exception) {
    return { reason: "the request failed without a response, and llama-stack's raw HTTP recordings hold responses only" };
  }
  if (stored.is_streaming) {
    const lines = Array.isArray(raw.body) && raw.body.every((line) => typeof line === 'string');
    if (lines) return { response: { body: raw.body, is_streaming: true } };
    return { reason: 'its stream is stored as events, not as the raw lines llama-stack replays' };
  }
  const status = stored.status ?? 200;
  const payload = call.request.payload;
  if (isPyObject(payload) && payload.stream === true) {
    return { reason: `a streaming request answered ${status} without a stream: llama-stack's stream recordings hold no status` };
  }
  const body = isPyObject(raw.body) && '__data__' in raw.body ? raw.body.__data__ : raw.body;
  if (typeof body === 'string' || body === null || body === undefined) {
    return { reason: 'its response is not JSON, which llama-stack stores for a raw HTTP response' };
  }
  return { response: { status, body, is_streaming: false } };
}

/** The `response` of llama-stack's file for a stored response of this project, or why it has none. */
export function llamaStackResponse(call: LlamaStackCall, raw: PyObject, stored: StoredResponse): Converted {
  return call.kind === 'http' ? httpResponse(call, raw, stored) : openaiResponse(call, raw, stored);
}
