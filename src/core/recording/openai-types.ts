import { isTypedValue, type TypedValue, unwrap } from './format';
import { isObject } from '../util/json';

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

/** Responses API stream events, by their `type` (the module names do not follow the event names). */
const RESPONSE_EVENT_TYPES: Record<string, string> = Object.fromEntries(
  Object.entries({
    'response.created': 'response_created_event.ResponseCreatedEvent',
    'response.in_progress': 'response_in_progress_event.ResponseInProgressEvent',
    'response.completed': 'response_completed_event.ResponseCompletedEvent',
    'response.failed': 'response_failed_event.ResponseFailedEvent',
    'response.incomplete': 'response_incomplete_event.ResponseIncompleteEvent',
    'response.output_item.added': 'response_output_item_added_event.ResponseOutputItemAddedEvent',
    'response.output_item.done': 'response_output_item_done_event.ResponseOutputItemDoneEvent',
    'response.content_part.added': 'response_content_part_added_event.ResponseContentPartAddedEvent',
    'response.content_part.done': 'response_content_part_done_event.ResponseContentPartDoneEvent',
    'response.output_text.delta': 'response_text_delta_event.ResponseTextDeltaEvent',
    'response.output_text.done': 'response_text_done_event.ResponseTextDoneEvent',
    'response.refusal.delta': 'response_refusal_delta_event.ResponseRefusalDeltaEvent',
    'response.refusal.done': 'response_refusal_done_event.ResponseRefusalDoneEvent',
    'response.function_call_arguments.delta': 'response_function_call_arguments_delta_event.ResponseFunctionCallArgumentsDeltaEvent',
    'response.function_call_arguments.done': 'response_function_call_arguments_done_event.ResponseFunctionCallArgumentsDoneEvent',
    error: 'response_error_event.ResponseErrorEvent',
  }).map(([event, path]) => [event, `${OPENAI}.responses.${path}`]),
);

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
const OLLAMA_DURATIONS = ['total_duration', 'load_duration', 'prompt_eval_duration', 'eval_duration'];

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
  if (typeof value.type === 'string' && value.type in RESPONSE_EVENT_TYPES) return RESPONSE_EVENT_TYPES[value.type];
  return OLLAMA_TYPE_BY_ENDPOINT[endpoint];
}

/** A model list (`{object: "list", data: [models]}`) is stored as llama-stack stores it: the list of models. */
export const isModelList = (value: unknown): value is { data: JsonObject[] } =>
  isObject(value) &&
  value.object === 'list' &&
  Array.isArray(value.data) &&
  value.data.length > 0 &&
  value.data.every((item) => isObject(item) && item.object === 'model');

/** What a response's `id` becomes: the same for the same request, so re-recording changes no byte. */
export const normalizedId = (key: string) => `rec-${key.slice(0, 12)}`;

/**
 * Volatile fields normalized as llama-stack does, so re-recording the same traffic changes no
 * byte: `id` becomes `rec-<12 hex of the key>`, `created` 0 (model objects keep both); Ollama's
 * `created_at` becomes the epoch and its durations 0. Collects the ids it replaced, so later
 * requests that quote them can be keyed alike.
 */
export function normalizeVolatile(value: JsonObject, key: string, replaced: Map<string, string>): JsonObject {
  if (value.object === 'model') return value;
  const out = { ...value };
  if (typeof out.id === 'string') {
    const normalized = normalizedId(key);
    if (out.id !== normalized) replaced.set(out.id, normalized);
    out.id = normalized;
  }
  if ('created' in out) out.created = 0;
  if (typeof out.created_at === 'string') out.created_at = '1970-01-01T00:00:00.000000Z';
  for (const field of OLLAMA_DURATIONS) if (typeof out[field] === 'number') out[field] = 0;
  return out;
}

export interface TypingContext {
  key: string;
  endpoint: string;
  replacedIds: Map<string, string>;
}

/** Wraps a known object as `{__type__, __data__}` with its volatile fields normalized; anything else is stored as it came. */
export function wrapTyped(value: unknown, context: TypingContext): unknown {
  const type = pythonTypeOf(value, context.endpoint);
  if (!type) return value;
  return { __type__: type, __data__: normalizeVolatile(value as JsonObject, context.key, context.replacedIds) } satisfies TypedValue;
}

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

/** True when every chunk is a typed OpenAI chunk whose stream ends with `[DONE]`. */
export const isDoneTerminatedStream = (chunks: unknown[]): boolean =>
  chunks.length > 0 && chunks.every((chunk) => isTypedValue(chunk) && DONE_TERMINATED.has(chunk.__type__));

/** A chunk of a plain (`data:`-only, `[DONE]`-terminated) OpenAI stream. */
export const isDoneTerminatedChunk = (chunk: unknown): boolean => DONE_TERMINATED.has(pythonTypeOf(chunk) ?? '');

/** A Responses API event (`event: <type>` + `data:` with the same type). */
export const isResponseEvent = (event: unknown): boolean => isObject(event) && typeof event.type === 'string' && event.type in RESPONSE_EVENT_TYPES;
