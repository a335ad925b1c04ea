import { isTypedValue, type TypedValue, unwrap } from './format';
import { isObject } from '../util/json';
import { eventClassOf, responseEventClass } from './response-events';
import { mintsIds, type VolatileFields } from './volatile';

/**
 * Python type paths for what the servers return, so llama-stack's loader
 * (`__import__(module).Class.model_validate`) can read the files this project writes.
 */
const OPENAI = 'openai.types';
const TYPE_BY_OBJECT: Record<string, string> = {
  'chat.completion': `${OPENAI}.chat.chat_completion.ChatCompletion`,
  'chat.completion.chunk': `${OPENAI}.chat.chat_completion_chunk.ChatCompletionChunk`,
  text_completion: `${OPENAI}.completion.Completion`,
  model: `${OPENAI}.model.Model`,
  response: `${OPENAI}.responses.response.Response`,
};
const EMBEDDINGS_TYPE = `${OPENAI}.create_embedding_response.CreateEmbeddingResponse`;

/** Ollama's native endpoints, typed as llama-stack records them (`ollama._types.*`). */
const OLLAMA_TYPE_BY_ENDPOINT: Record<string, string> = {
  '/api/chat': 'ollama._types.ChatResponse',
  '/api/generate': 'ollama._types.GenerateResponse',
  '/api/tags': 'ollama._types.ListResponse',
  '/api/ps': 'ollama._types.ProcessResponse',
  '/api/embed': 'ollama._types.EmbedResponse',
  '/api/embeddings': 'ollama._types.EmbeddingsResponse',
  '/api/show': 'ollama._types.ShowResponse',
};

/** Streams of these chunk types end with `data: [DONE]` on the wire (llama-stack does not store it). */
const DONE_TERMINATED = new Set([TYPE_BY_OBJECT['chat.completion.chunk'], TYPE_BY_OBJECT.text_completion]);

type JsonObject = Record<string, unknown>;

/** The Python type of a response object, from its `object`/`type` field or, for Ollama, its endpoint. */
export function pythonTypeOf(value: unknown, endpoint = ''): string | undefined {
  if (!isObject(value)) return undefined;
  if (typeof value.object === 'string') {
    if (value.object === 'list' && Array.isArray(value.data) && isObject(value.data[0]) && value.data[0].object === 'embedding') {
      return EMBEDDINGS_TYPE;
    }
    return TYPE_BY_OBJECT[value.object];
  }
  if (typeof value.type === 'string' && responseEventClass(value.type)) return responseEventClass(value.type);
  return OLLAMA_TYPE_BY_ENDPOINT[endpoint];
}

/** A model list (`{object: "list", data: [models]}`) is stored as llama-stack stores it: the list of models. */
export const isModelList = (value: unknown): value is { data: JsonObject[] } =>
  isObject(value) &&
  value.object === 'list' &&
  Array.isArray(value.data) &&
  value.data.length > 0 &&
  value.data.every((item) => isObject(item) && item.object === 'model');

export interface TypingContext {
  endpoint: string;
  /** The response's ids and timestamps, normalized as they are met. */
  volatile: VolatileFields;
}

/** A known object as `{__type__, __data__}`, its volatile fields normalized; anything else as it came, normalized on an LLM endpoint. */
export function wrapTyped(value: unknown, { endpoint, volatile }: TypingContext): unknown {
  const type = pythonTypeOf(value, endpoint);
  if (!type) return mintsIds(endpoint) ? volatile.json(value) : value;
  return { __type__: type, __data__: volatile.typed(value as JsonObject) } satisfies TypedValue;
}

/** A Responses stream's event, typed by its `type`: a type no SDK knows by the generic class. */
export const wrapEvent = (event: { type: string }, volatile: VolatileFields): TypedValue => ({
  __type__: eventClassOf(event.type),
  __data__: volatile.json(event),
});

/** The stored body of a JSON response. */
export function encodeJsonBody(value: unknown, context: TypingContext): unknown {
  if (isModelList(value)) return value.data.map((model) => wrapTyped(model, context));
  return wrapTyped(value, context);
}

/** The JSON a client expects back from a stored non-streaming body. */
export function decodeJsonBody(body: unknown): unknown {
  // Only model lists are stored as a list of typed objects (llama-stack's shape).
  if (Array.isArray(body) && body.length > 0 && body.every(isTypedValue)) {
    return { object: 'list', data: body.map(unwrap) };
  }
  return unwrap(body);
}

/** The `__type__` of a typed OpenAI chunk whose stream ends with `[DONE]`. */
export const isDoneTerminatedType = (type: unknown): boolean => DONE_TERMINATED.has(type as string);

/** A chunk of a plain (`data:`-only, `[DONE]`-terminated) OpenAI stream. */
export const isDoneTerminatedChunk = (chunk: unknown): boolean => DONE_TERMINATED.has(pythonTypeOf(chunk) ?? '');

/** An event of a typed stream: an object with a `type` (`event: <type>` on the wire). */
export const isTypedEvent = (event: unknown): event is { type: string } => isObject(event) && typeof event.type === 'string';
