import * as path from 'node:path';
import { sha256 } from '../util/hash';
import { isPyObject, PyFloat, type PyJson, pythonDumps, pythonFixed5, pythonRound5 } from '../util/python-json';

/**
 * Where llama-stack's recorder (`api_recorder.py`) names and places a recording: the sha256 of its
 * normalized request, in the `recordings/` folder beside the test file. Computed from what the Python
 * side holds (its SDK call's keyword arguments, its floats), so the name is the one it looks for.
 */

/** Model lists are keyed without the test id when their path is exactly one of these. */
const SHARED_PATHS = ['/api/tags', '/v1/models', '/v1/openai/v1/models'];

/** Values that change between runs of the same file search, replaced before hashing. */
const FILE_SEARCH_NOISE: [RegExp, string][] = [
  [/score:\s*[-+]?\d*\.?\d+(?:[eE][-+]?\d+)?/g, 'score: __NORMALIZED__'],
  [/,?\s*attributes:\s*\{[^}]*\}/g, ''],
  [/document_id:\s*[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12}/g, 'document_id: __NORMALIZED__'],
  [/<\|[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12}\|>/g, '<|__NORMALIZED__|>'],
];
const LONG_DECIMAL = /-?\d+\.\d{4,}/g;

function normalizeString(text: string): string {
  const quiet = FILE_SEARCH_NOISE.reduce((out, [pattern, replacement]) => out.replace(pattern, replacement), text);
  return quiet.replace(LONG_DECIMAL, (match) => pythonFixed5(Number(match)));
}

/**
 * llama-stack's `_normalize_body_for_hash`: floats rounded to 5 decimals, long decimals and file-search
 * noise in strings replaced; at the top level, `project_id` of `extra_body`/`extra_query` dropped (it
 * differs between real and dummy credentials), and `stream_options` too for Bedrock.
 */
export function normalizeBodyForHash(value: PyJson, excludeStreamOptions = false, root = true): PyJson {
  if (value instanceof PyFloat) return new PyFloat(pythonRound5(value.value));
  if (typeof value === 'string') return normalizeString(value);
  if (Array.isArray(value)) return value.map((item) => normalizeBodyForHash(item, false, false));
  if (!isPyObject(value)) return value;
  const out = Object.fromEntries(Object.entries(value).map(([key, item]) => [key, normalizeBodyForHash(item, false, false)]));
  if (excludeStreamOptions) delete out.stream_options;
  if (root) {
    for (const extra of ['extra_body', 'extra_query']) {
      const fields = out[extra];
      if (isPyObject(fields)) delete fields.project_id;
    }
  }
  return out;
}

const URL_PARTS = /^(?:[A-Za-z][A-Za-z0-9+.-]*:)?(?:\/\/([^/?#]*))?([^?#]*)/;

/** `urlparse(url)`'s network location and path (without the `;params` of the last segment). */
export function pythonUrlParts(url: string): { netloc: string; path: string } {
  const [, netloc = '', rawPath = ''] = URL_PARTS.exec(url)!;
  const last = rawPath.lastIndexOf('/');
  const params = rawPath.indexOf(';', last + 1);
  return { netloc, path: params === -1 ? rawPath : rawPath.slice(0, params) };
}

const hashOf = (normalized: { [key: string]: PyJson }) => sha256(pythonDumps(normalized));

/** `normalize_inference_request`: a call through the openai SDK (always recorded as POST), keyed by its URL's path. */
export function inferenceRequestHash(url: string, body: PyJson, testId: string | null): string {
  const { netloc, path: endpoint } = pythonUrlParts(url);
  const normalized: { [key: string]: PyJson } = { method: 'POST', endpoint, body: normalizeBodyForHash(body, netloc.includes('bedrock')) };
  if (!SHARED_PATHS.includes(endpoint)) normalized.test_id = testId;
  return hashOf(normalized);
}

/** `normalize_http_request`: a raw HTTP request (Messages, Interactions, rerank), keyed by its whole URL. */
export const httpRequestHash = (url: string, payload: PyJson, testId: string | null): string =>
  hashOf({ test_id: testId, url, method: 'POST', payload: normalizeBodyForHash(payload) });

/**
 * The folder a recording lives in, relative to the repository root: `recordings/` beside the test file
 * of its pytest id, or under the storage directory for a recording made outside any test. Undefined
 * when the test file's folder is not a relative path inside the root (`../x.py`, `/abs/x.py`).
 */
export function llamaStackFolder(testId: string | null, storageDir: string): string | undefined {
  const folder = testId ? path.posix.dirname(testId.split('::')[0]) : storageDir;
  const normalized = path.posix.normalize(folder);
  if (path.posix.isAbsolute(normalized) || normalized === '..' || normalized.startsWith('../')) return undefined;
  return path.posix.join(normalized, 'recordings');
}
