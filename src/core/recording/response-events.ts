import { snakeCase } from './typed-values';

/**
 * The Python class of each Responses API stream event, so llama-stack's loader
 * (`__import__(module).Class.model_validate`) reads every event of a stream, reasoning summaries and
 * annotations included. A class is named after its event type (`response.reasoning_summary_text.delta`
 * → `ResponseReasoningSummaryTextDeltaEvent`, in a module named after the class) but for a few.
 */
const RENAMED: Record<string, string> = {
  error: 'ResponseErrorEvent',
  'response.output_text.delta': 'ResponseTextDeltaEvent',
  'response.output_text.done': 'ResponseTextDoneEvent',
  'response.image_generation_call.completed': 'ResponseImageGenCallCompletedEvent',
  'response.image_generation_call.generating': 'ResponseImageGenCallGeneratingEvent',
  'response.image_generation_call.in_progress': 'ResponseImageGenCallInProgressEvent',
  'response.image_generation_call.partial_image': 'ResponseImageGenCallPartialImageEvent',
};

/** The other event types of the openai SDKs' `ResponseStreamEvent` union, each as `<thing>.<what happened>`. */
const NAMED: Record<string, string[]> = {
  response: ['created', 'in_progress', 'completed', 'failed', 'incomplete', 'queued'],
  'response.output_item': ['added', 'done'],
  'response.content_part': ['added', 'done'],
  'response.output_text.annotation': ['added'],
  'response.refusal': ['delta', 'done'],
  'response.function_call_arguments': ['delta', 'done'],
  'response.custom_tool_call_input': ['delta', 'done'],
  'response.reasoning_summary_part': ['added', 'done'],
  'response.reasoning_summary_text': ['delta', 'done'],
  'response.reasoning_text': ['delta', 'done'],
  'response.audio': ['delta', 'done'],
  'response.audio.transcript': ['delta', 'done'],
  'response.code_interpreter_call_code': ['delta', 'done'],
  'response.code_interpreter_call': ['in_progress', 'interpreting', 'completed'],
  'response.file_search_call': ['in_progress', 'searching', 'completed'],
  'response.web_search_call': ['in_progress', 'searching', 'completed'],
  'response.mcp_call_arguments': ['delta', 'done'],
  'response.mcp_call': ['in_progress', 'completed', 'failed'],
  'response.mcp_list_tools': ['in_progress', 'completed', 'failed'],
};

const pascalCase = (type: string) =>
  type
    .split(/[._]/)
    .map((word) => word[0].toUpperCase() + word.slice(1))
    .join('');
const classPath = (name: string) => `openai.types.responses.${snakeCase(name)}.${name}`;

const CLASS_BY_TYPE = new Map<string, string>([
  ...Object.entries(RENAMED).map(([type, name]): [string, string] => [type, classPath(name)]),
  ...Object.entries(NAMED).flatMap(([thing, changes]) =>
    changes.map((change): [string, string] => {
      const type = `${thing}.${change}`;
      return [type, classPath(`${pascalCase(type)}Event`)];
    }),
  ),
]);

/**
 * The class an event of a type no openai SDK knows (a newer API's, a compatible server's own) is
 * stored as: openai's base model, which keeps every field, so the loader still reads it.
 */
export const GENERIC_EVENT_CLASS = 'openai.BaseModel';

/** The class of a known Responses API event type. */
export const responseEventClass = (type: string): string | undefined => CLASS_BY_TYPE.get(type);

/** The class a Responses stream's event is stored as: its own, or the generic one. */
export const eventClassOf = (type: string): string => responseEventClass(type) ?? GENERIC_EVENT_CLASS;

/** An event of the Responses API's own (`response.…`): a stream with one is a Responses stream, typed event by event. */
export const isResponsesType = (type: string): boolean => type.startsWith('response.');
