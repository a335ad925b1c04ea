import { isTypedValue, type Recording, unwrap } from './format';
import { sha256 } from '../util/hash';

/** The models of a stored model list: OpenAI's list of `Model`s, or Ollama's `ListResponse` (`{models: [...]}`). */
function listItems(body: unknown): unknown[] {
  if (Array.isArray(body)) return body;
  return ((unwrap(body) as { models?: unknown[] } | null)?.models ?? []) as unknown[];
}

/** The same list shape with other models in it. */
function withItems(body: unknown, items: unknown[]): unknown {
  if (Array.isArray(body)) return items;
  if (isTypedValue(body)) return { ...body, __data__: { ...(body.__data__ as object), models: items } };
  return { ...(body as object), models: items };
}

const modelId = (item: unknown): string => {
  const model = unwrap(item) as { id?: string; model?: string; name?: string };
  return String(model.id ?? model.model ?? model.name ?? '');
};

/** llama-stack's digest of a model list (its sorted, distinct model ids): one file per set of models. */
export function modelListDigest(recording: Recording): string {
  const ids = [...new Set(listItems(recording.response.body).map(modelId))].sort();
  return sha256(ids.join('|')).slice(0, 8);
}

/** Model lists recorded against several servers are served as one list sorted by id, as llama-stack does. */
export function mergeModelLists(recordings: Recording[]): Recording {
  const [first] = recordings;
  if (recordings.length === 1) return first;
  const byId = new Map<string, unknown>();
  for (const recording of recordings) for (const item of listItems(recording.response.body)) byId.set(modelId(item), item);
  const merged = [...byId.keys()].sort().map((id) => byId.get(id));
  return { ...first, response: { ...first.response, body: withItems(first.response.body, merged) } };
}
