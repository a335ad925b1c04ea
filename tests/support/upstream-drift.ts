/**
 * A drifted upstream (`startUpstream({ drifted: true })`): the API of upstream.ts as it might answer a year after a
 * suite was recorded, for drift checks. Every answer's text changes (as a model's does on every call), and besides:
 *
 *   POST /v1/chat/completions   `usage.prompt_tokens` is renamed `usage.input_tokens`, `usage.total_tokens` is a
 *                               string; a tool call's arguments name `q` instead of `query`
 *   POST /v1/responses          a stream has an event of a new kind (`response.usage.delta`) after `response.created`
 *   POST /v1/embeddings         404: the model was retired
 */

/** What every answer's text becomes: `echo: …` is `echo (v2): …`. */
const newText = (text: string) => text.replace(/echo:/g, 'echo (v2):');

const CHAT = 'POST /v1/chat/completions';

/** A chat completion's JSON text (a body, or a stream chunk's data), drifted. */
const driftedChat = (text: string) =>
  text
    .replace(/"prompt_tokens":/g, '"input_tokens":')
    .replace(/"total_tokens":(\d+)/g, '"total_tokens":"$1"')
    // Tool arguments are JSON inside a JSON string: their quotes are escaped.
    .replace(/\\"query\\"/g, '\\"q\\"');

/** The failure a drifted route answers with instead, if it does. */
export function driftedFailure(route: string): { status: number; message: string } | undefined {
  return route === 'POST /v1/embeddings' ? { status: 404, message: 'The model text-embedding-3-small has been retired' } : undefined;
}

/** A JSON body's text as the drifted route sends it. */
export function driftedBody(route: string, text: string): string {
  return newText(route === CHAT ? driftedChat(text) : text);
}

/** A stream's events (their wire text) as the drifted route sends them. */
export function driftedStream(route: string, texts: string[]): string[] {
  const drifted = texts.map((text) => driftedBody(route, text));
  if (route !== 'POST /v1/responses') return drifted;
  const data = { type: 'response.usage.delta', sequence_number: 1000, output_tokens: 1 };
  const added = `event: ${data.type}\ndata: ${JSON.stringify(data)}\n\n`;
  return [drifted[0], added, ...drifted.slice(1)];
}
