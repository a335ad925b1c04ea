import { isTypedValue, type TypedValue, unwrap } from './format';

/**
 * Python `openai` type paths by the `object` field of a response, so llama-stack's loader
 * (`__import__(module).Class.model_validate`) can read the files this project writes.
 */
const TYPE_BY_OBJECT: Record<string, string> = {
  'chat.completion': 'openai.types.chat.chat_completion.ChatCompletion',
  'chat.completion.chunk': 'openai.types.chat.chat_completion_chunk.ChatCompletionChunk',
  text_completion: 'openai.types.completion.Completion',
  model: 'openai.types.model.Model',
  response: 'openai.types.responses.response.Response',
};
const EMBEDDINGS_TYPE = 'openai.types.create_embedding_response.CreateEmbeddingResponse';

/** Streams of these chunk types end with `data: [DONE]` on the wire (llama-stack does not store it). */
const DONE_TERMINATED = new Set([TYPE_BY_OBJECT['chat.completion.chunk'], TYPE_BY_OBJECT.text_completion]);

type JsonObject = Record<string, unknown>;
const isObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export function pythonTypeOf(value: unknown): string | undefined {
  if (!isObject(value) || typeof value.object !== 'string') return undefined;
  if (value.object === 'list' && Array.isArray(value.data) && isObject(value.data[0]) && value.data[0].object === 'embedding') {
    return EMBEDDINGS_TYPE;
  }
  return TYPE_BY_OBJECT[value.object];
}

/** A model list (`{object: "list", data: [models]}`) is stored as llama-stack stores it: the list of models. */
export const isModelList = (value: unknown): value is { data: JsonObject[] } =>
  isObject(value) &&
  value.object === 'list' &&
  Array.isArray(value.data) &&
  value.data.every((item) => isObject(item) && item.object === 'model');

/**
 * Volatile fields normalized as llama-stack does, so re-recording the same traffic changes no
 * byte: `id` becomes `rec-<12 hex of the key>`, `created` becomes 0 (model objects keep both).
 * Returns the ids it replaced, so later requests that quote them can be keyed alike.
 */
export function normalizeVolatile(value: JsonObject, key: string, replaced: Map<string, string>): JsonObject {
  if (value.object === 'model') return value;
  const out = { ...value };
  if (typeof out.id === 'string') {
    const normalized = `rec-${key.slice(0, 12)}`;
    if (out.id !== normalized) replaced.set(out.id, normalized);
    out.id = normalized;
  }
  if ('created' in out) out.created = 0;
  return out;
}

/** Wraps a known OpenAI object; anything else is stored as it came. */
export function wrapTyped(value: unknown, key: string, replaced: Map<string, string>): unknown {
  const type = pythonTypeOf(value);
  if (!type) return value;
  return { __type__: type, __data__: normalizeVolatile(value as JsonObject, key, replaced) } satisfies TypedValue;
}

/** The stored body of a JSON response. */
export function encodeJsonBody(value: unknown, key: string, replaced: Map<string, string>): unknown {
  if (isModelList(value)) return value.data.map((model) => wrapTyped(model, key, replaced));
  return wrapTyped(value, key, replaced);
}

/** The JSON a client expects back from a stored non-streaming body. */
export function decodeJsonBody(body: unknown): unknown {
  // Only model lists are stored as a list of typed objects (llama-stack's shape).
  if (Array.isArray(body) && body.length > 0 && body.every(isTypedValue)) {
    return { object: 'list', data: body.map(unwrap) };
  }
  return unwrap(body);
}

/** True when every chunk is a typed OpenAI chunk whose stream ends with `[DONE]`. */
export const isDoneTerminatedStream = (chunks: unknown[]): boolean =>
  chunks.length > 0 && chunks.every((chunk) => isTypedValue(chunk) && DONE_TERMINATED.has(chunk.__type__));

export const streamChunkType = (chunk: unknown): string | undefined => {
  const type = pythonTypeOf(chunk);
  return type && DONE_TERMINATED.has(type) ? type : undefined;
};
