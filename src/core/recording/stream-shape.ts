import { isTypedValue, unwrap } from './format';
import { isDoneTerminatedType, isTypedEvent } from './openai-types';
import { isResponsesType } from './response-events';

/**
 * What a stored stream is, from its items: how replay frames it (raw lines, Responses API events, plain
 * `data:` events ended by `[DONE]`). Learnt in one pass over the items, which a large recording makes while
 * its file is first read, so its items need not be held to be judged.
 */
export interface StreamShape {
  /** Every item is a raw SSE line. */
  lines: boolean;
  /** A Responses API stream: every event typed, one at least the API's own (an Anthropic stream has none). */
  responses: boolean;
  /** A plain OpenAI stream (chat or text completion chunks only), which ends with `data: [DONE]`. */
  doneTerminated: boolean;
}

export class StreamShapeReader {
  private count = 0;
  private lines = true;
  private typedEvents = true;
  private responsesEvent = false;
  private doneChunks = true;

  add(item: unknown): void {
    this.count++;
    this.lines &&= typeof item === 'string';
    const event = unwrap(item);
    const typed = isTypedEvent(event);
    this.typedEvents &&= typed;
    this.responsesEvent ||= typed && isResponsesType(event.type);
    this.doneChunks &&= isTypedValue(item) && isDoneTerminatedType(item.__type__);
  }

  get shape(): StreamShape {
    return { lines: this.lines, responses: this.typedEvents && this.responsesEvent, doneTerminated: this.count > 0 && this.doneChunks };
  }
}

export function streamShape(items: Iterable<unknown>): StreamShape {
  const reader = new StreamShapeReader();
  for (const item of items) reader.add(item);
  return reader.shape;
}
