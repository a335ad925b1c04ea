import { type StoredResponse } from '../recording/format';
import { decodeJsonBody } from '../recording/openai-types';
import { streamTranscript, type ToolCall } from '../inspect/transcript';
import { isObject, parseJson } from '../util/json';
import { shorten, shortenPair } from '../util/diff';
import type { Json } from '../util/json';
import { element, joinPath } from './paths';
import { addToShape, type Drift, shapeDrifts } from './shape';
import { type StreamEvents } from './stream';

/**
 * What an LLM answered, whichever API and however it came (a stream or one JSON body): the model the server
 * says it used, why it stopped, the tools it called with their arguments, and its text. The answer's parts
 * that drift matters for beyond its shape.
 */
export interface Answer {
  model?: string;
  /** `finish_reason`, `stop_reason` (Anthropic), `done_reason` (Ollama), in order, a repeat as one. */
  finishReasons: string[];
  toolCalls: ToolCall[];
  text: string;
}

type Piece = Record<string, unknown>;
const list = (value: unknown): Piece[] => (Array.isArray(value) ? value.filter(isObject) : []);

const FINISH_FIELDS = new Set(['finish_reason', 'stop_reason', 'done_reason']);

/** Every finish reason in a value, at any depth, in order; a Responses API `response` finishes with its `status`. */
function finishReasons(value: unknown, into: string[] = []): string[] {
  if (Array.isArray(value)) for (const item of value) finishReasons(item, into);
  else if (isObject(value)) {
    if (value.object === 'response' && typeof value.status === 'string') into.push(value.status);
    for (const [name, field] of Object.entries(value)) {
      if (FINISH_FIELDS.has(name) && typeof field === 'string') into.push(field);
      else finishReasons(field, into);
    }
  }
  return into;
}

/** The model a body (or an event: a Responses `response`, an Anthropic `message`) names. */
function modelOf(value: unknown): string | undefined {
  if (!isObject(value)) return undefined;
  const found = [value, value.response, value.message].find((v) => isObject(v) && typeof v.model === 'string') as Piece | undefined;
  return found?.model as string | undefined;
}

/** Tool calls and text of one JSON body: chat completions, legacy completions, Responses, Anthropic, Ollama. */
function jsonAnswer(body: Piece): Pick<Answer, 'toolCalls' | 'text'> {
  const toolCalls: ToolCall[] = [];
  const call = (name: unknown, args: unknown) =>
    toolCalls.push({ name: String(name), arguments: typeof args === 'string' ? args : JSON.stringify(args) });
  let text = '';
  const [choice] = list(body.choices);
  const message = isObject(choice?.message) ? choice.message : isObject(body.message) ? body.message : undefined;
  if (typeof message?.content === 'string') text += message.content;
  if (typeof choice?.text === 'string') text += choice.text;
  if (typeof body.response === 'string') text += body.response;
  for (const { function: fn } of list(message?.tool_calls)) if (isObject(fn)) call(fn.name, fn.arguments);
  for (const item of list(body.output)) {
    if (item.type === 'function_call') call(item.name, item.arguments);
    for (const part of list(item.content)) if (part.type === 'output_text' && typeof part.text === 'string') text += part.text;
  }
  for (const block of list(body.content)) {
    if (block.type === 'tool_use') call(block.name, block.input);
    if (block.type === 'text' && typeof block.text === 'string') text += block.text;
  }
  return { toolCalls, text };
}

const oneOfEach = (values: string[]) => values.filter((value, i) => i === 0 || values[i - 1] !== value);

/** The answer of a stored stream (as its events) or JSON body. */
export function answerOf(response: StoredResponse, stream?: StreamEvents): Answer {
  if (stream) {
    const { text, toolCalls } = streamTranscript(response.body as unknown[]);
    const data = stream.events.map((event) => event.data);
    return { model: data.map(modelOf).find((m) => m !== undefined), finishReasons: oneOfEach(finishReasons(data)), toolCalls, text };
  }
  const body = decodeJsonBody(response.body);
  if (!isObject(body)) return { finishReasons: [], toolCalls: [], text: typeof body === 'string' ? body : '' };
  return { model: modelOf(body), finishReasons: oneOfEach(finishReasons(body)), ...jsonAnswer(body) };
}

/** Calls of `name`, the nth recorded paired with the nth live one. */
function* toolDrifts(recorded: ToolCall[], live: ToolCall[]): Generator<Drift> {
  const names = (calls: ToolCall[]) => [...new Set(calls.map((c) => c.name))];
  for (const name of names(recorded)) {
    const at = ['tool_calls', element(name)];
    const [before, after] = [recorded.filter((c) => c.name === name), live.filter((c) => c.name === name)];
    if (after.length === 0) {
      yield { path: joinPath(at), change: 'tool no longer called' };
      continue;
    }
    for (let i = 0; i < Math.min(before.length, after.length); i++) {
      const [was, is] = [parseJson(before[i].arguments), parseJson(after[i].arguments)];
      const where = [...at, 'arguments'];
      if (was && !is) {
        yield {
          path: joinPath(where),
          change: 'arguments no longer parse as JSON',
          recorded: shorten(before[i].arguments),
          live: shorten(after[i].arguments),
        };
      } else if (was && is) {
        yield* shapeDrifts(addToShape(was.value), addToShape(is.value), where);
      }
    }
  }
  for (const name of names(live))
    if (!recorded.some((c) => c.name === name)) yield { path: joinPath(['tool_calls', element(name)]), change: 'tool now called' };
}

/** How a live answer differs from a recorded one: model, finish reasons, tool calls, and (when asked) text. */
export function* answerDrifts(recorded: Answer, live: Answer, { text }: { text: boolean }): Generator<Drift> {
  if (recorded.model !== undefined && live.model !== undefined && recorded.model !== live.model) {
    yield { path: 'model', change: 'model changed', recorded: shorten(recorded.model), live: shorten(live.model) };
  }
  const [was, is] = [recorded.finishReasons.join(', '), live.finishReasons.join(', ')];
  if (was !== is) yield { path: 'finish_reason', change: 'finish reason changed', recorded: shorten(was), live: shorten(is) };
  yield* toolDrifts(recorded.toolCalls, live.toolCalls);
  if (text && recorded.text !== live.text) {
    const [before, after] = shortenPair(recorded.text as Json, live.text as Json);
    yield { path: 'text', change: 'text changed', recorded: before, live: after };
  }
}
