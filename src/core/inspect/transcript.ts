import { type Recording, unwrap } from '../recording/format';
import { summarize } from './inspect';
import { isObject } from '../util/json';

/**
 * The text a stored stream adds up to, as a person reads it: chat and completion chunks' content,
 * Responses API text deltas, Anthropic text deltas (stored as raw SSE lines), Ollama messages.
 * Tool calls, whose arguments also arrive in pieces, are joined into `name(arguments)` lines.
 */
export interface Transcript {
  text: string;
  toolCalls: string[];
}

type Piece = Record<string, unknown>;

/** Stream items as objects: typed chunks unwrapped, raw SSE `data:` lines parsed (other lines dropped). */
function items(body: unknown[]): Piece[] {
  const out: Piece[] = [];
  for (const item of body) {
    if (typeof item !== 'string') {
      const value = unwrap(item);
      if (isObject(value)) out.push(value);
      continue;
    }
    const data = /^data:\s?(.*)$/.exec(item)?.[1];
    if (data === undefined || data === '[DONE]') continue;
    try {
      const value: unknown = JSON.parse(data);
      if (isObject(value)) out.push(value);
    } catch {
      // not JSON: nothing to read
    }
  }
  return out;
}

/** A tool call being assembled from chunks, by its index in the message. */
interface ToolCall {
  name: string;
  arguments: string;
}

export function streamTranscript(body: unknown[]): Transcript {
  let text = '';
  const toolCalls = new Map<string, ToolCall>();
  const toolCall = (index: string) => toolCalls.get(index) ?? toolCalls.set(index, { name: '', arguments: '' }).get(index)!;
  for (const item of items(body)) {
    // OpenAI chat and legacy completion chunks (the first choice: what a caller with n=1 sees)
    const choice = Array.isArray(item.choices) ? (item.choices as Piece[]).find((c) => (c.index ?? 0) === 0) : undefined;
    if (choice) {
      const delta = isObject(choice.delta) ? choice.delta : undefined;
      if (typeof delta?.content === 'string') text += delta.content;
      if (typeof choice.text === 'string') text += choice.text;
      for (const call of Array.isArray(delta?.tool_calls) ? (delta.tool_calls as Piece[]) : []) {
        const fn = isObject(call.function) ? call.function : {};
        const assembled = toolCall(String(call.index ?? 0));
        if (typeof fn.name === 'string') assembled.name += fn.name;
        if (typeof fn.arguments === 'string') assembled.arguments += fn.arguments;
      }
      continue;
    }
    switch (item.type) {
      case 'response.output_text.delta': // Responses API
        if (typeof item.delta === 'string') text += item.delta;
        continue;
      case 'content_block_start': // Anthropic
        if (isObject(item.content_block) && item.content_block.type === 'tool_use') toolCall(`a${item.index}`).name = String(item.content_block.name);
        continue;
      case 'content_block_delta': {
        const delta = isObject(item.delta) ? item.delta : {};
        if (delta.type === 'text_delta' && typeof delta.text === 'string') text += delta.text;
        if (delta.type === 'input_json_delta' && typeof delta.partial_json === 'string') toolCall(`a${item.index}`).arguments += delta.partial_json;
        continue;
      }
    }
    // Ollama: /api/chat streams messages, /api/generate streams `response` pieces
    if (isObject(item.message) && typeof item.message.content === 'string') text += item.message.content;
    else if (typeof item.response === 'string') text += item.response;
  }
  return { text, toolCalls: [...toolCalls.values()].map((call) => `${call.name}(${call.arguments})`) };
}

const indent = (text: string) => text.split('\n').map((line) => `  ${line}`).join('\n');
const pretty = (value: unknown) => JSON.stringify(value, null, 2);
/** Stored objects without their `__type__` wrappers. */
const plain = (body: unknown) => (Array.isArray(body) ? body.map(unwrap) : unwrap(body));

/**
 * A recording as a person reads it, one string per line: test id, request (method, URL, stored
 * headers, body) and response (status, body; a stream as its text and tool calls, with `raw` its
 * chunks too). What `show` prints, and what `diff` compares.
 */
export function describeRecording(recording: Recording, { raw = false } = {}): string[] {
  const { request, response } = recording;
  const summary = summarize(recording);
  const lines = [`test id:  ${recording.test_id ?? '(none: shared or session-level)'}`, `request:  ${summary.method} ${request.url}`];
  const ignored = recording.match_ignore;
  if (ignored) lines.push(`ignored:  ${ignored.join(', ')} (its test's replay.matchIgnore(): not in its key)`);
  if (request.model) lines.push(`model:    ${request.model}`);
  for (const [name, value] of Object.entries(request.headers)) lines.push(`header:   ${name}: ${value}`);
  if (request.body !== null && request.body !== undefined) lines.push(`body:\n${indent(typeof request.body === 'string' ? request.body : pretty(request.body))}`);
  lines.push('');
  if (response.is_exception) {
    lines.push(`response: exception ${response.exception_message ?? ''}`.trimEnd());
    if (response.exception_data) lines.push(indent(pretty(response.exception_data)));
  } else if (summary.streaming && Array.isArray(response.body)) {
    const { text, toolCalls } = streamTranscript(response.body);
    lines.push(`response: ${summary.status}, a stream of ${response.body.length} chunks`, `text:\n${indent(text)}`);
    if (toolCalls.length > 0) lines.push(`tool calls:\n${indent(toolCalls.join('\n'))}`);
    if (raw) lines.push(`chunks:\n${indent(pretty(plain(response.body)))}`);
  } else {
    lines.push(`response: ${summary.status}`, `body:\n${indent(typeof response.body === 'string' ? response.body : pretty(plain(response.body)))}`);
  }
  return lines.flatMap((line) => line.split('\n'));
}
