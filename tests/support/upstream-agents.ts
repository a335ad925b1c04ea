/**
 * What an agent's traffic adds to the test upstream (see upstream.ts): tool calls and their round
 * trips (chat completions, Responses API, Anthropic Messages), moderations, reasoning summaries, and
 * a server clock. Every answer mints fresh ids and timestamps, as a real server does, so recording
 * the same suite twice shows what normalization leaves unstable.
 *
 *   chat completions with `tools`, last message the user's    a call to the first tool (`call_…`), streamed or not;
 *                                                               the answer to a `tool` message echoes its content
 *   responses with function `tools`, no function_call_output   a `function_call` item (`fc_…`, call_id `call_…`)
 *   responses with `reasoning.summary`, streamed               a reasoning item (`rs_…`) with its summary events,
 *                                                               an `output_text.annotation.added` event, and an
 *                                                               event of a type no SDK knows (`response.vendor_note.added`)
 *   Anthropic messages with `tools`, no tool_result            a `tool_use` block (`toolu_…`), streamed or not
 *   POST /v1/moderations                                       `{ id: "modr-…", model, results }`
 *   request header `x-upstream-server-time: 1`                 JSON bodies get `server_time` (ms since the epoch)
 */
import { randomBytes } from 'node:crypto';

type Json = Record<string, unknown>;

const hex = (bytes: number) => randomBytes(bytes).toString('hex');
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

/** The first tool's name: chat's `{function: {name}}`, Responses' and Anthropic's `{name}`. */
function firstToolName(tools: unknown): string | undefined {
  const [tool] = list(tools);
  if (!isObject(tool)) return undefined;
  const name = isObject(tool.function) ? tool.function.name : tool.name;
  return typeof name === 'string' ? name : undefined;
}

/** Tool arguments made from the prompt, in two pieces, as a model streams them. */
function argumentsOf(prompt: string): [string, string] {
  const text = JSON.stringify({ query: prompt });
  return [text.slice(0, 10), text.slice(10)];
}

// ---------------------------------------------------------------- chat completions

/** A chat request that gets a tool call: it offers tools and its last message is the user's. */
export function chatToolName(body: Json): string | undefined {
  const messages = list(body.messages);
  const last = messages[messages.length - 1];
  return isObject(last) && last.role === 'user' ? firstToolName(body.tools) : undefined;
}

/** The call to `name`: the message of a completion, and the deltas of a stream (one per chunk). */
export function chatToolCall(name: string, prompt: string): { message: Json; deltas: Json[] } {
  const id = `call_${hex(12)}`;
  const [head, tail] = argumentsOf(prompt);
  const message = {
    role: 'assistant',
    content: null,
    refusal: null,
    tool_calls: [{ id, type: 'function', function: { name, arguments: head + tail } }],
  };
  const deltas = [
    { role: 'assistant', content: null, tool_calls: [{ index: 0, id, type: 'function', function: { name, arguments: '' } }] },
    { tool_calls: [{ index: 0, function: { arguments: head } }] },
    { tool_calls: [{ index: 0, function: { arguments: tail } }] },
  ];
  return { message, deltas };
}

// ---------------------------------------------------------------- Responses API

/** The text a Responses request's last input item asks about: a function call's output, when it is one. */
export function functionOutputOf(input: unknown): string | undefined {
  const items = list(input);
  const last = items[items.length - 1];
  return isObject(last) && last.type === 'function_call_output' ? String(last.output) : undefined;
}

/** A Responses request that gets a function call: it offers function tools and does not answer one. */
export function responsesToolName(body: Json): string | undefined {
  const offered = list(body.tools).filter((tool) => isObject(tool) && tool.type === 'function');
  return functionOutputOf(body.input) === undefined ? firstToolName(offered) : undefined;
}

type ResponseObject = (status: 'in_progress' | 'completed', output: unknown[]) => Json;

/** A function call item, and the stream of events that produces it. */
export function responsesToolCall(name: string, prompt: string, response: ResponseObject): { item: Json; events: Json[] } {
  const [head, tail] = argumentsOf(prompt);
  const call = { type: 'function_call', id: `fc_${hex(24)}`, call_id: `call_${hex(12)}`, name };
  const item = { ...call, arguments: head + tail, status: 'completed' };
  const where = { item_id: call.id, output_index: 0 };
  const events = [
    { type: 'response.created', response: response('in_progress', []) },
    { type: 'response.in_progress', response: response('in_progress', []) },
    { type: 'response.output_item.added', output_index: 0, item: { ...call, arguments: '', status: 'in_progress' } },
    { type: 'response.function_call_arguments.delta', ...where, delta: head },
    { type: 'response.function_call_arguments.delta', ...where, delta: tail },
    { type: 'response.function_call_arguments.done', ...where, name, arguments: head + tail },
    { type: 'response.output_item.done', output_index: 0, item },
    { type: 'response.completed', response: response('completed', [item]) },
  ];
  return { item, events };
}

/**
 * A streamed answer with a reasoning summary before the message (`events` are the message's own,
 * at output index 0; they move to 1): the events reasoning and web-search models add, and one no
 * SDK knows yet.
 */
export function withReasoning(events: Json[], text: string): Json[] {
  const id = `rs_${hex(24)}`;
  const summary = 'Thinking about it.';
  const where = { item_id: id, output_index: 0, summary_index: 0 };
  const reasoning = [
    { type: 'response.output_item.added', output_index: 0, item: { type: 'reasoning', id, summary: [] } },
    { type: 'response.reasoning_summary_part.added', ...where, part: { type: 'summary_text', text: '' } },
    { type: 'response.reasoning_summary_text.delta', ...where, delta: 'Thinking ' },
    { type: 'response.reasoning_summary_text.delta', ...where, delta: 'about it.' },
    { type: 'response.reasoning_summary_text.done', ...where, text: summary },
    { type: 'response.reasoning_summary_part.done', ...where, part: { type: 'summary_text', text: summary } },
    {
      type: 'response.output_item.done',
      output_index: 0,
      item: { type: 'reasoning', id, summary: [{ type: 'summary_text', text: summary }] },
    },
  ];
  const moved = events.map((event) => ('output_index' in event ? { ...event, output_index: 1 } : event));
  const textDone = moved.findIndex((event) => event.type === 'response.output_text.done');
  const { item_id } = moved[textDone];
  const annotation = { type: 'url_citation', url: 'https://example.com/source', title: 'Source', start_index: 0, end_index: text.length };
  const cited = {
    type: 'response.output_text.annotation.added',
    item_id,
    output_index: 1,
    content_index: 0,
    annotation_index: 0,
    annotation,
  };
  const vendor = { type: 'response.vendor_note.added', note: 'served by the test upstream' };
  const [created, inProgress, ...rest] = moved;
  return [created, inProgress, ...reasoning, ...rest.slice(0, textDone - 2), cited, vendor, ...rest.slice(textDone - 2)];
}

// ---------------------------------------------------------------- Anthropic Messages

/** The text of a tool result the user's last message carries, if it carries one. */
export function toolResultOf(messages: unknown[]): string | undefined {
  const last = messages[messages.length - 1];
  const result = isObject(last) ? list(last.content).find((part) => isObject(part) && part.type === 'tool_result') : undefined;
  return isObject(result) ? String(result.content) : undefined;
}

/** An Anthropic request that gets a tool use: it offers tools and does not answer one. */
export const anthropicToolName = (body: Json): string | undefined =>
  toolResultOf(list(body.messages)) === undefined ? firstToolName(body.tools) : undefined;

/** The tool use: the message's content block, and the stream events after `message_start` that make it. */
export function anthropicToolUse(name: string, prompt: string): { block: Json; events: Json[] } {
  const [head, tail] = argumentsOf(prompt);
  const block = { type: 'tool_use', id: `toolu_${hex(12)}`, name, input: JSON.parse(head + tail) };
  const events = [
    { type: 'content_block_start', index: 0, content_block: { ...block, input: {} } },
    { type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: head } },
    { type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: tail } },
    { type: 'content_block_stop', index: 0 },
  ];
  return { block, events };
}

// ---------------------------------------------------------------- moderations, server clock

export function moderation(body: Json): Json {
  const inputs = Array.isArray(body.input) ? body.input : [body.input];
  const categories = { harassment: false, hate: false, 'self-harm': false, sexual: false, violence: false };
  const scores = Object.fromEntries(Object.keys(categories).map((name) => [name, 0.0001]));
  return {
    id: `modr-${hex(16)}`,
    model: typeof body.model === 'string' ? body.model : 'omni-moderation-latest',
    results: inputs.map(() => ({ flagged: false, categories, category_scores: scores })),
  };
}

/** A JSON body with the server's clock in it, when the request asks for it (`x-upstream-server-time: 1`). */
export function withServerTime(headers: Record<string, string | string[] | undefined>, body: unknown): unknown {
  return headers['x-upstream-server-time'] && isObject(body) ? { ...body, server_time: Date.now() } : body;
}
