/**
 * A checker that follows llama-stack's loader (`_recording_from_file` + `_deserialize_response`
 * in llama_stack/testing/api_recorder.py): apply `id_normalization_mapping`, then rebuild every
 * `{"__type__", "__data__"}` with `cls.model_validate(data)`. Python's pydantic is not available
 * here, so each type is checked for the fields its pydantic model requires.
 */
const REQUIRED: Record<string, string[]> = {
  'openai.types.chat.chat_completion.ChatCompletion': ['id', 'choices', 'created', 'model', 'object'],
  'openai.types.chat.chat_completion_chunk.ChatCompletionChunk': ['id', 'choices', 'created', 'model', 'object'],
  'openai.types.completion.Completion': ['id', 'choices', 'created', 'model', 'object'],
  'openai.types.create_embedding_response.CreateEmbeddingResponse': ['data', 'model', 'object', 'usage'],
  'openai.types.model.Model': ['id', 'created', 'object', 'owned_by'],
  'openai.types.responses.response.Response': ['id', 'created_at', 'model', 'object', 'output'],
  'openai.types.responses.response_created_event.ResponseCreatedEvent': ['response', 'sequence_number', 'type'],
  'openai.types.responses.response_in_progress_event.ResponseInProgressEvent': ['response', 'sequence_number', 'type'],
  'openai.types.responses.response_completed_event.ResponseCompletedEvent': ['response', 'sequence_number', 'type'],
  'openai.types.responses.response_output_item_added_event.ResponseOutputItemAddedEvent': ['item', 'output_index', 'sequence_number', 'type'],
  'openai.types.responses.response_output_item_done_event.ResponseOutputItemDoneEvent': ['item', 'output_index', 'sequence_number', 'type'],
  'openai.types.responses.response_content_part_added_event.ResponseContentPartAddedEvent': ['content_index', 'item_id', 'output_index', 'part', 'sequence_number', 'type'],
  'openai.types.responses.response_content_part_done_event.ResponseContentPartDoneEvent': ['content_index', 'item_id', 'output_index', 'part', 'sequence_number', 'type'],
  'openai.types.responses.response_text_delta_event.ResponseTextDeltaEvent': ['content_index', 'delta', 'item_id', 'output_index', 'sequence_number', 'type'],
  'openai.types.responses.response_text_done_event.ResponseTextDoneEvent': ['content_index', 'item_id', 'output_index', 'sequence_number', 'text', 'type'],
  'openai.types.responses.response_function_call_arguments_delta_event.ResponseFunctionCallArgumentsDeltaEvent': ['delta', 'item_id', 'output_index', 'sequence_number', 'type'],
  'openai.types.responses.response_function_call_arguments_done_event.ResponseFunctionCallArgumentsDoneEvent': ['arguments', 'item_id', 'name', 'output_index', 'sequence_number', 'type'],
  'openai.types.responses.response_reasoning_summary_part_added_event.ResponseReasoningSummaryPartAddedEvent': ['item_id', 'output_index', 'part', 'sequence_number', 'summary_index', 'type'],
  'openai.types.responses.response_reasoning_summary_part_done_event.ResponseReasoningSummaryPartDoneEvent': ['item_id', 'output_index', 'part', 'sequence_number', 'summary_index', 'type'],
  'openai.types.responses.response_reasoning_summary_text_delta_event.ResponseReasoningSummaryTextDeltaEvent': ['delta', 'item_id', 'output_index', 'sequence_number', 'summary_index', 'type'],
  'openai.types.responses.response_reasoning_summary_text_done_event.ResponseReasoningSummaryTextDoneEvent': ['item_id', 'output_index', 'sequence_number', 'summary_index', 'text', 'type'],
  'openai.types.responses.response_output_text_annotation_added_event.ResponseOutputTextAnnotationAddedEvent': ['annotation', 'annotation_index', 'content_index', 'item_id', 'output_index', 'sequence_number', 'type'],
  // openai's base model (`openai._models.BaseModel`, exported as `openai.BaseModel`) allows any field.
  'openai.BaseModel': [],
  'ollama._types.ChatResponse': ['message'],
  'ollama._types.GenerateResponse': ['response'],
  'ollama._types.ListResponse': ['models'],
  'ollama._types.ProcessResponse': ['models'],
};

const CHOICE_REQUIRED: Record<string, string[]> = {
  'openai.types.chat.chat_completion.ChatCompletion': ['finish_reason', 'index', 'message'],
  'openai.types.chat.chat_completion_chunk.ChatCompletionChunk': ['delta', 'index'],
  'openai.types.completion.Completion': ['finish_reason', 'index', 'text'],
};

type Json = Record<string, unknown>;

function checkTyped(value: Json, where: string, problems: string[]): void {
  const type = String(value.__type__);
  const data = value.__data__ as Json;
  const required = REQUIRED[type];
  if (!required) return void problems.push(`${where}: no Python class ${type}`);
  if (!type.includes('.')) problems.push(`${where}: ${type} is not a module path`);
  for (const field of required) if (!(field in data)) problems.push(`${where}: ${type} lacks required field ${field}`);
  for (const [i, choice] of ((data.choices as Json[] | undefined) ?? []).entries()) {
    for (const field of CHOICE_REQUIRED[type] ?? []) if (!(field in choice)) problems.push(`${where}.choices[${i}]: lacks ${field}`);
  }
}

/** Problems llama-stack's loader would have with a file; empty when it loads into real types. */
export function llamaStackLoaderProblems(text: string): string[] {
  const problems: string[] = [];
  let data = JSON.parse(text) as Json;
  const mapping = (data.id_normalization_mapping ?? {}) as Record<string, string>;
  let serialized = JSON.stringify(data);
  for (const [normalized, original] of Object.entries(mapping)) serialized = serialized.split(original).join(normalized);
  data = JSON.parse(serialized);
  for (const key of ['request', 'response']) if (!(key in data)) problems.push(`missing ${key}`);
  const request = data.request as Json;
  const response = data.response as Json;
  for (const key of ['method', 'url', 'body', 'endpoint', 'model']) if (!(key in request)) problems.push(`request lacks ${key}`);
  if (!('body' in response) || typeof response.is_streaming !== 'boolean') problems.push('response lacks body or is_streaming');
  const body = response.body;
  const items = Array.isArray(body) ? body : [body];
  items.forEach((item, i) => {
    if (item && typeof item === 'object' && '__type__' in item) checkTyped(item as Json, `response.body${Array.isArray(body) ? `[${i}]` : ''}`, problems);
  });
  if (response.is_streaming && !Array.isArray(body)) problems.push('a stream must be a list');
  if (request.endpoint === '/v1/models' && !(Array.isArray(body) && body.every((m) => (m as Json).__type__ === 'openai.types.model.Model'))) {
    problems.push('a model list must be a list of openai.types.model.Model');
  }
  return problems;
}
