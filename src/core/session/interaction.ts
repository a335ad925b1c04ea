import { type Recording, unwrap } from '../recording/format';
import { summarize } from '../inspect/inspect';
import { decodeJsonBody } from '../recording/openai-types';
import type { Json } from '../util/json';

/**
 * One request a test replayed or recorded, as `replay.interactions()` returns it: read from its recording. `Body`
 * and `Chunk` type a whole response's body and a stream's chunks (`replay.interactions<ChatCompletion>()`);
 * by default they are any JSON value.
 */
export interface Interaction<Body = Json, Chunk = Json> {
  source: 'replayed' | 'recorded';
  /** The recording file, relative to rootDir, with `/`. */
  file: string;
  /** As stored: without credentials, after `redact`; a JSON body parsed, another as text, none as null. */
  request: { method: string; url: string; body: Json };
  response: {
    status: number;
    /** A whole body: JSON parsed (OpenAI objects as plain objects), text as text. Absent for a stream. */
    body?: Body;
    /** A stream's chunks, in order (OpenAI chunks as plain objects, raw event lines as strings). */
    chunks?: Chunk[];
    /** The message of a recorded failure (a refused connection, a timeout, an SDK exception). */
    error?: string;
  };
}

export function interactionOf(recording: Recording, source: Interaction['source'], file: string): Interaction {
  const { request, response } = recording;
  const answer: Interaction['response'] = { status: summarize(recording).status };
  if (response.is_streaming && Array.isArray(response.body)) answer.chunks = response.body.map(unwrap) as Json[];
  else answer.body = decodeJsonBody(response.body) as Json;
  if (response.is_exception) answer.error = response.exception_message ?? String(response.exception_data?.message ?? 'recorded failure');
  return { source, file, request: { method: request.method, url: request.url, body: request.body as Json }, response: answer };
}
