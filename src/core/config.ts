import * as path from 'node:path';
import { ReplayConfigError } from './errors';
import { type Mode, type ModeEnvironment, resolveMode } from './mode';
import { nearest } from './util/nearest';
import { ignorePathProblem } from './keying/match-ignore';
import { isCredentialHeader } from './keying/credential-names';
import { defaultUsageDir } from './store/usage';

/** `testEnvironmentOptions.replay` as a user writes it. */
export interface ReplayOptions {
  /** Recordings directory; relative paths resolve against rootDir. Default `<rootDir>/recordings`. */
  dir?: string;
  /** Hosts (`name` or `name:port`) whose traffic is left alone: neither recorded nor replayed. */
  ignoreHosts?: string[];
  /** Module (path or package, resolved from rootDir) exporting `resolveTestId(context)`, like Jest's `snapshotResolver`. */
  testIdResolver?: string;
  /** Extra request headers to store in recordings, beside the built-in allow-list. Never part of the key. */
  requestHeaders?: string[];
  /** Modules (resolved like `testIdResolver`) exporting `normalizeBody(body, request)`: adjusts the normalized body before keying; the stored body stays as sent. */
  normalizers?: string | string[];
  /** Store each stream event's arrival delay (`response.chunk_delays_ms`). Off by default: delays vary run to run. */
  recordTiming?: boolean;
  /** Replay streams with their recorded delays times this factor; 0 (default) replays as fast as possible. */
  timing?: number;
  /** Module (resolved like `testIdResolver`) exporting `redact(request)`: rewrites project-specific values before keying and storing. */
  redact?: string;
  /** Hosts (`name` or `name:port`) besides loopback that replay mode lets sockets connect to (a test database, say). */
  allowHosts?: string[];
  /** Where each run notes which recordings it used (for the summary and `prune`). Default `<rootDir>/node_modules/.cache/jest-replay`. */
  usageDir?: string;
  /** Request body fields left out of the key (`body.user`, `body.metadata.*`, `body.**.trace_id`); the stored body stays as sent. */
  matchIgnore?: string[];
  /** Module (resolved like `testIdResolver`) exporting `beforeRecord(response, request)`: edits each response before it is stored. */
  beforeRecord?: string;
  /** Record a failure (401/403, 429, 5xx, a broken connection) over a good recording of the same request. Off by default. */
  recordFailedRequests?: boolean;
  /** In replay mode, give the SDKs' unset key variables (`OPENAI_API_KEY`…) a placeholder so default clients construct. On by default. */
  placeholderKeys?: boolean;
}

export interface ReplayEnv extends ModeEnvironment {
  JEST_REPLAY_DIR?: string;
}

/** Everything the core needs to know about a run, resolved and validated once. */
export interface ResolvedConfig {
  mode: Mode;
  rootDir: string;
  dir: string;
  ignoreHosts: string[];
  testIdResolver?: string;
  requestHeaders: string[];
  normalizers: string[];
  recordTiming: boolean;
  timing: number;
  redact?: string;
  allowHosts: string[];
  usageDir: string;
  matchIgnore: string[];
  beforeRecord?: string;
  recordFailedRequests: boolean;
  placeholderKeys: boolean;
}

type Check = (value: unknown) => boolean;
const isString: Check = (v) => typeof v === 'string' && v.length > 0;
const isStringList: Check = (v) => Array.isArray(v) && v.every((item) => typeof item === 'string');
const isBoolean: Check = (v) => typeof v === 'boolean';
const isModuleList: Check = (v) => isString(v) || (Array.isArray(v) && v.every(isString));
const isScale: Check = (v) => typeof v === 'number' && Number.isFinite(v) && v >= 0;

const OPTION_TYPES: Record<keyof ReplayOptions, [Check, string]> = {
  dir: [isString, 'a non-empty string'],
  ignoreHosts: [isStringList, 'an array of strings'],
  testIdResolver: [isString, 'a module path string'],
  requestHeaders: [isStringList, 'an array of strings'],
  normalizers: [isModuleList, 'a module path string or an array of them'],
  recordTiming: [isBoolean, 'true or false'],
  timing: [isScale, 'a number >= 0 (0 = as fast as possible, 1 = as recorded)'],
  redact: [isString, 'a module path string'],
  allowHosts: [isStringList, 'an array of strings'],
  usageDir: [isString, 'a non-empty string'],
  matchIgnore: [isStringList, 'an array of paths into the request body, like ["body.user", "body.metadata.*"]'],
  beforeRecord: [isString, 'a module path string'],
  recordFailedRequests: [isBoolean, 'true or false'],
  placeholderKeys: [isBoolean, 'true or false'],
};

const where = (key: string) => `testEnvironmentOptions.replay.${key}`;

/** The `replay` entry of a project's `testEnvironmentOptions`, as the user wrote it (`validateOptions` checks it). */
export const replayOptionsIn = (testEnvironmentOptions: unknown): unknown =>
  (testEnvironmentOptions as { replay?: unknown } | undefined)?.replay;

export function validateOptions(raw: unknown): ReplayOptions {
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ReplayConfigError('jest-replay: testEnvironmentOptions.replay must be an object.');
  }
  for (const [key, value] of Object.entries(raw)) {
    // Own keys only: `constructor` or `toString` would otherwise find Object.prototype's.
    const rule = Object.hasOwn(OPTION_TYPES, key) ? OPTION_TYPES[key as keyof ReplayOptions] : undefined;
    if (!rule) {
      const [suggestion] = nearest(key, Object.keys(OPTION_TYPES));
      throw new ReplayConfigError(
        `jest-replay: unknown option ${where(key)}.${suggestion ? ` Did you mean ${suggestion}?` : ''} Known options: ${Object.keys(OPTION_TYPES).join(', ')}.`,
      );
    }
    if (!rule[0](value)) {
      throw new ReplayConfigError(`jest-replay: ${where(key)} must be ${rule[1]}, got ${JSON.stringify(value)}.`);
    }
  }
  const options = raw as ReplayOptions;
  const credential = options.requestHeaders?.find(isCredentialHeader);
  if (credential) {
    throw new ReplayConfigError(`jest-replay: ${where('requestHeaders')} lists ${JSON.stringify(credential)}, a credential header: it is never stored.`);
  }
  const ignoreProblem = options.matchIgnore?.map(ignorePathProblem).find(isString);
  if (ignoreProblem) throw new ReplayConfigError(`jest-replay: ${where('matchIgnore')}: ${ignoreProblem}`);
  return options;
}

/**
 * Jest passes every key of `testEnvironmentOptions` to the environment, which reads only `replay`: one of
 * jest-replay's option names written beside it would be ignored without a word, so it stops the run instead.
 * Other keys there belong to the environment jest-replay extends (`customExportConditions`) and are left alone.
 */
export function checkPlacement(environmentOptions: unknown): void {
  if (typeof environmentOptions !== 'object' || environmentOptions === null) return;
  const misplaced = Object.keys(environmentOptions).filter((key) => Object.hasOwn(OPTION_TYPES, key));
  if (misplaced.length === 0) return;
  const names = misplaced.join(' and ');
  throw new ReplayConfigError(
    `jest-replay: ${misplaced.map((key) => `testEnvironmentOptions.${key}`).join(' and ')} ` +
      `${misplaced.length === 1 ? 'is a jest-replay option' : 'are jest-replay options'}, ` +
      `read only under testEnvironmentOptions.replay: move ${names} under testEnvironmentOptions.replay ` +
      `(testEnvironmentOptions: { replay: { ${misplaced.map((key) => `${key}: …`).join(', ')} } }).`,
  );
}

const resolveFrom = (rootDir: string, p: string) => path.resolve(rootDir, p.replace(/^<rootDir>/, rootDir));
/** A module option: `<rootDir>` expanded; otherwise left for `require.resolve` from rootDir (a package name stays one). */
const moduleSpec = (rootDir: string, spec: string | undefined) => spec?.replace(/^<rootDir>/, rootDir);

/** Everything but the mode: what the command line needs, which must not fail on a run's `RECORD=banana`. */
export type ResolvedOptions = Omit<ResolvedConfig, 'mode'>;

/** `ci`: Jest's `globalConfig.ci` (`--ci`, or Jest's own CI detection), which refuses `RECORD=1` as CI variables do. */
export function resolveConfig(input: { rootDir: string; options?: unknown; env: ReplayEnv; ci?: boolean }): ResolvedConfig {
  const options = resolveOptions(input);
  return { mode: resolveMode(input.env, input.ci), ...options };
}

export function resolveOptions(input: { rootDir: string; options?: unknown; env: ReplayEnv }): ResolvedOptions {
  const options = validateOptions(input.options);
  const { rootDir, env } = input;
  const dir = env.JEST_REPLAY_DIR?.trim() || options.dir || 'recordings';
  return {
    rootDir,
    dir: resolveFrom(rootDir, dir),
    ignoreHosts: (options.ignoreHosts ?? []).map((h) => h.toLowerCase()),
    testIdResolver: moduleSpec(rootDir, options.testIdResolver),
    requestHeaders: (options.requestHeaders ?? []).map((h) => h.toLowerCase()),
    normalizers: [options.normalizers ?? []].flat().map((spec) => spec.replace(/^<rootDir>/, rootDir)),
    recordTiming: options.recordTiming ?? false,
    timing: options.timing ?? 0,
    redact: moduleSpec(rootDir, options.redact),
    allowHosts: (options.allowHosts ?? []).map((h) => h.toLowerCase()),
    usageDir: options.usageDir ? resolveFrom(rootDir, options.usageDir) : defaultUsageDir(rootDir),
    matchIgnore: options.matchIgnore ?? [],
    beforeRecord: moduleSpec(rootDir, options.beforeRecord),
    recordFailedRequests: options.recordFailedRequests ?? false,
    placeholderKeys: options.placeholderKeys ?? true,
  };
}
