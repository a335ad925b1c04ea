import { isObject } from '../util/json';
import { type Recording, streamItems, unwrap } from './format';
import { streamItem } from './stream-channels';

/**
 * The tokens a recorded LLM response reports in its stored `usage`: what replaying it saved, what recording it cost.
 * Read from every shape the recorder stores: OpenAI chat and completions (`prompt_tokens`, `completion_tokens`; a
 * stream's last chunk with `stream_options.include_usage`), embeddings, the Responses API (`input_tokens`,
 * `output_tokens`; a stream's `response.completed`), Anthropic messages (`message_start` and `message_delta` of a
 * stream; cache reads and writes are prompt tokens), Ollama (`prompt_eval_count`, `eval_count`) and Gemini
 * (`usageMetadata`).
 */

export interface Tokens {
  prompt: number;
  completion: number;
}

export const NO_TOKENS: Tokens = { prompt: 0, completion: 0 };

export const addTokens = (a: Tokens, b: Tokens): Tokens => ({ prompt: a.prompt + b.prompt, completion: a.completion + b.completion });

const count = (value: unknown): number => (typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : 0);
const field = (value: unknown, name: string): unknown => (isObject(value) ? value[name] : undefined);

/** The tokens one response object (or stream event) reports, if it reports any. */
function reported(value: unknown): Tokens | undefined {
  if (!isObject(value)) return undefined;
  const usage = [value.usage, field(value.response, 'usage'), field(value.message, 'usage')].find(isObject);
  if (usage) {
    const cached = count(usage.cache_creation_input_tokens) + count(usage.cache_read_input_tokens);
    const prompt = count(usage.prompt_tokens ?? usage.input_tokens) + cached;
    return { prompt, completion: count(usage.completion_tokens ?? usage.output_tokens) };
  }
  if (isObject(value.usageMetadata)) {
    return { prompt: count(value.usageMetadata.promptTokenCount), completion: count(value.usageMetadata.candidatesTokenCount) };
  }
  if ('prompt_eval_count' in value || 'eval_count' in value) {
    return { prompt: count(value.prompt_eval_count), completion: count(value.eval_count) };
  }
  return undefined;
}

/** A raw stream line worth parsing: only those that can hold a usage (a huge stream's other lines are never parsed). */
const MAY_REPORT = /usage|_count|TokenCount/;

/** The tokens a stream reports, from its items one at a time (a large recording counts them as its file is first read). */
export class StreamTokensReader {
  private found: Tokens | undefined;

  add(item: unknown): void {
    if (typeof item === 'string' && !MAY_REPORT.test(item)) return;
    const tokens = reported(streamItem(item));
    if (!tokens) return;
    // Events repeat or grow their counts (Anthropic's message_delta is cumulative): each field's largest is the stream's.
    const found = this.found ?? tokens;
    this.found = { prompt: Math.max(found.prompt, tokens.prompt), completion: Math.max(found.completion, tokens.completion) };
  }

  get tokens(): Tokens | undefined {
    return this.found;
  }
}

/** A stream's items that were counted when read (`FileChunks`): going through them again would read their file again. */
const counted = (items: Iterable<unknown>): items is Iterable<unknown> & { tokens: Tokens | undefined } => 'tokens' in items;

/** The tokens a recording's response reports; undefined when it reports none (a model list, a stream without usage). */
export function tokensOf(recording: Recording): Tokens | undefined {
  const { body, is_streaming: streaming } = recording.response;
  const items = streaming ? streamItems(body) : undefined;
  if (!items) return reported(unwrap(body));
  if (counted(items)) return items.tokens;
  const reader = new StreamTokensReader();
  for (const item of items) reader.add(item);
  return reader.tokens;
}
