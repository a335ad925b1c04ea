import { ReplayConfigError } from '../errors';
import type { Json } from '../util/json';
import { loadFunction } from '../util/user-module';

/**
 * A `normalizers` module's export: adjusts a request's normalized body before it is keyed, for
 * values that change every run without changing the meaning (a timestamp, a random seed, a
 * request uuid). Only the key sees the result; the recording stores the body as it was sent.
 */
export type BodyNormalizer = (body: Json, request: { method: string; path: string }) => Json;

const loadNormalizer = (spec: string, rootDir: string) =>
  loadFunction<BodyNormalizer>('normalizers', spec, rootDir, 'normalizeBody', 'normalizeBody(body, { method, path })');

/** The configured normalizers as one function, applied in the order given. */
export function loadNormalizers(specs: string[], rootDir: string): BodyNormalizer {
  const normalizers = specs.map((spec) => loadNormalizer(spec, rootDir));
  return (body, request) =>
    normalizers.reduce((value, normalize, i) => {
      const result = normalize(value, request);
      // A forgotten `return` would key every request alike: replay would serve the wrong answers.
      if (result === undefined) throw new ReplayConfigError(`jest-replay: normalizers module ${specs[i]} returned undefined; normalizeBody must return the body.`);
      return result;
    }, body);
}
