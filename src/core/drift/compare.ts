import { BASE64_MARKER, decodeResponse, type ReplayResponse } from '../recording/codec';
import type { StoredResponse } from '../recording/format';
import { decodeJsonBody } from '../recording/openai-types';
import { isObject } from '../util/json';
import { answerDrifts, answerOf } from './answer';
import type { ResolvedDriftOptions } from './options';
import { isIgnored } from './paths';
import { addToShape, type Drift, numberDrifts, shapeDrifts } from './shape';
import { streamDrifts, streamEvents } from './stream';

/**
 * Has the API drifted? A live response compared with the recording its request would have replayed, as an
 * LLM API's answers must be compared: text and numbers differ on every call and are not drift (unless asked);
 * the status, the framing, the content type, the shape of the JSON (recursively, arrays by their elements'
 * shape), a stream's kinds of events, their order and its end, why the answer stopped, the tools it called and
 * their arguments, and the model the server names are. Ids and timestamps are stored normalized on both sides,
 * and as values they are content anyway.
 */

export type { Drift };

/** What came back: a status, a status then a broken stream, or no response at all. */
function outcomeOf({ status, failure }: ReplayResponse): string {
  if (!failure) return String(status);
  const what = failure.kind === 'timeout' ? 'a timeout' : `a broken connection${failure.code ? ` (${failure.code})` : ''}`;
  return failure.beforeResponse ? `no response (${what})` : `${status}, then ${what}`;
}

/** How the body is framed: a stream (SSE or NDJSON), JSON, text, bytes, or nothing. */
function framingOf(response: StoredResponse, played: ReplayResponse): string {
  if (response.is_streaming) return /ndjson|jsonl|json-seq/i.test(played.headers['content-type'] ?? '') ? 'NDJSON stream' : 'SSE stream';
  const { body } = response;
  if (body === null || body === undefined) return 'no body';
  if (typeof body === 'string') return 'text';
  return isObject(body) && BASE64_MARKER in body ? 'bytes' : 'JSON';
}

/** The content type without its parameters (a `charset` says nothing of the API). */
const mediaType = (played: ReplayResponse) => (played.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();

function* allDrifts(recorded: StoredResponse, live: StoredResponse, options: ResolvedDriftOptions): Generator<Drift> {
  const [before, after] = [decodeResponse(recorded), decodeResponse(live)];
  const [was, is] = [outcomeOf(before), outcomeOf(after)];
  // Another status is another answer altogether (an error for a completion): its shape says nothing more.
  if (was !== is) {
    yield { path: 'status', change: `status changed: ${was} → ${is}` };
    return;
  }
  const [framed, nowFramed] = [framingOf(recorded, before), framingOf(live, after)];
  if (framed !== nowFramed) {
    yield { path: 'framing', change: `framing changed: ${framed} → ${nowFramed}` };
    return;
  }
  const [type, nowType] = [mediaType(before), mediaType(after)];
  if (type !== nowType) yield { path: 'content-type', change: `content type changed: ${type} → ${nowType}` };
  if (recorded.is_streaming) {
    const [events, nowEvents] = [streamEvents(recorded), streamEvents(live)];
    yield* streamDrifts(events, nowEvents);
    yield* answerDrifts(answerOf(recorded, events), answerOf(live, nowEvents), options);
    return;
  }
  if (framed === 'JSON') {
    const [body, nowBody] = [decodeJsonBody(recorded.body), decodeJsonBody(live.body)];
    yield* shapeDrifts(addToShape(body), addToShape(nowBody), ['body']);
    if (options.tolerance !== undefined) yield* numberDrifts(body, nowBody, ['body'], options.tolerance);
  }
  yield* answerDrifts(answerOf(recorded), answerOf(live), options);
}

/** How `live` drifted from `recorded`, the paths `options.ignore` names left out; none when it did not. */
export function compareResponses(recorded: StoredResponse, live: StoredResponse, options: ResolvedDriftOptions): Drift[] {
  return [...allDrifts(recorded, live, options)].filter((drift) => !isIgnored(drift.path, options.ignore));
}
