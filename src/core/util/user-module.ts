import { ReplayConfigError } from '../errors';

/**
 * The function a module option (`testIdResolver`, `redact`, `normalizers`) names: its export
 * `name`, that of its default export, or the module itself; resolved from the project's root.
 */
export function loadFunction<F>(option: string, spec: string, rootDir: string, name: string, signature: string): F {
  let loaded: Record<string, unknown> & { default?: Record<string, unknown> };
  try {
    loaded = require(require.resolve(spec, { paths: [rootDir] }));
  } catch (error) {
    throw new ReplayConfigError(`jest-replay: cannot load testEnvironmentOptions.replay.${option} ${spec}: ${(error as Error).message}`);
  }
  const fn = loaded[name] ?? loaded.default?.[name] ?? (typeof loaded.default === 'function' ? loaded.default : loaded);
  if (typeof fn !== 'function') throw new ReplayConfigError(`jest-replay: ${option} module ${spec} must export a function ${signature}.`);
  return fn as F;
}
