import type { Json } from '../util/json';
import type { BodyNormalizer } from './normalizers';

/**
 * `matchIgnore` paths: fields of the request body left out of the key, declared instead of written
 * as a normalizer. A path is `body.` then dot-separated field names or array indexes; `*` stands
 * for any one field or element, `**` for any number of levels (none included).
 */

const ROOT = 'body';

/** What is wrong with a path, or undefined when it is valid. */
export function ignorePathProblem(path: string): string | undefined {
  const [root, ...segments] = path.split('.');
  if (root !== ROOT) return `${JSON.stringify(path)} must start with "body." (a path into the request body, e.g. "body.user").`;
  if (segments.length === 0) return `${JSON.stringify(path)} must name a field of the body, e.g. "body.user" (not the whole body).`;
  if (segments.includes('')) return `${JSON.stringify(path)} has an empty segment.`;
  if (segments[segments.length - 1] === '**') return `${JSON.stringify(path)} must not end with ** (end it with a field name or *).`;
  return undefined;
}

const matches = (segment: string, key: string) => segment === '*' || segment === key;

/** The container's children, with those `keep` returns undefined for removed. */
function mapChildren(value: Json, keep: (child: Json, key: string) => Json | undefined): Json {
  if (Array.isArray(value)) return value.map((child, i) => keep(child, String(i))).filter((child): child is Json => child !== undefined);
  if (value === null || typeof value !== 'object') return value;
  const out: { [key: string]: Json } = {};
  for (const [key, child] of Object.entries(value)) {
    const kept = keep(child, key);
    if (kept !== undefined) out[key] = kept;
  }
  return out;
}

function drop(value: Json, segments: readonly string[]): Json {
  const [head, ...rest] = segments;
  if (head === '**') return mapChildren(drop(value, rest), (child) => drop(child, segments));
  return mapChildren(value, (child, key) => (!matches(head, key) ? child : rest.length === 0 ? undefined : drop(child, rest)));
}

/** The body without the fields the paths name (valid paths, see `ignorePathProblem`); the input is left as it is. */
export function ignoreFields(body: Json, paths: readonly string[]): Json {
  return paths.reduce((value, path) => drop(value, path.split('.').slice(1)), body);
}

/** What the key makes of a body: `normalize` (the project's normalizers), then the fields the paths name left out. */
export const thenIgnoring = (normalize: BodyNormalizer, paths: readonly string[]): BodyNormalizer =>
  paths.length === 0 ? normalize : (body, request) => ignoreFields(normalize(body, request), paths);
