import { ReplayConfigError } from '../errors';
import { nearest } from '../util/nearest';
import { ignorePathProblem } from './paths';

/** `testEnvironmentOptions.replay.drift`, as a user writes it: what a drift check counts as drift. */
export interface DriftOptions {
  /** Paths of the drift report left out (`body.usage`, `body.**.logprobs`, `events[response.vendor_note.added]`). */
  ignore?: string[];
  /** Count a change of the answer's text as drift. Off by default: text differs on every call. */
  text?: boolean;
  /** Count a number that moved by more than this (absolute) as drift; numbers are not compared without it. */
  tolerance?: number;
}

/** Drift options with their defaults. */
export interface ResolvedDriftOptions {
  ignore: string[];
  text: boolean;
  tolerance?: number;
}

type Rule = [(value: unknown) => boolean, string];

/** What `drift` must be, as a message says it. */
export const DRIFT_OPTIONS_SHAPE = 'an object like { ignore: ["body.usage"], text: false, tolerance: 0.01 }';

const RULES: Record<keyof DriftOptions, Rule> = {
  ignore: [
    (v) => Array.isArray(v) && v.every((item) => typeof item === 'string'),
    'an array of paths like ["body.usage", "body.**.logprobs"]',
  ],
  text: [(v) => typeof v === 'boolean', 'true or false'],
  tolerance: [(v) => typeof v === 'number' && Number.isFinite(v) && v >= 0, 'a number >= 0 (how far a number may move)'],
};

/** Checks `drift` options; every problem names the option (`where` is `testEnvironmentOptions.replay.drift`). */
export function validateDriftOptions(raw: unknown, where: string): DriftOptions {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ReplayConfigError(`jest-replay: ${where} must be ${DRIFT_OPTIONS_SHAPE}.`);
  }
  for (const [key, value] of Object.entries(raw)) {
    const rule = Object.hasOwn(RULES, key) ? RULES[key as keyof DriftOptions] : undefined;
    if (!rule) {
      const [suggestion] = nearest(key, Object.keys(RULES));
      const hint = suggestion ? ` Did you mean ${suggestion}?` : '';
      throw new ReplayConfigError(`jest-replay: unknown option ${where}.${key}.${hint} Known options: ${Object.keys(RULES).join(', ')}.`);
    }
    if (!rule[0](value)) throw new ReplayConfigError(`jest-replay: ${where}.${key} must be ${rule[1]}, got ${JSON.stringify(value)}.`);
  }
  const options = raw as DriftOptions;
  const problem = options.ignore?.map(ignorePathProblem).find((p) => p !== undefined);
  if (problem) throw new ReplayConfigError(`jest-replay: ${where}.ignore: ${problem}`);
  return options;
}

export const resolveDriftOptions = (options: DriftOptions = {}): ResolvedDriftOptions => ({
  ignore: options.ignore ?? [],
  text: options.text ?? false,
  ...(options.tolerance === undefined ? {} : { tolerance: options.tolerance }),
});

/** The command line's drift flags, as given (`--ignore` repeatable, `--text`, `--tolerance <n>`). */
export interface DriftFlags {
  ignore?: string[];
  text?: boolean;
  tolerance?: string;
}

/** The configured options with the flags: `--ignore` adds paths, `--text` turns text on, `--tolerance` replaces; a bad one is named. */
export function withDriftFlags(configured: ResolvedDriftOptions, flags: DriftFlags): ResolvedDriftOptions | string {
  const ignore = [...configured.ignore, ...(flags.ignore ?? [])];
  const problem = ignore.map(ignorePathProblem).find((p) => p !== undefined);
  if (problem) return `--ignore: ${problem}`;
  const tolerance = flags.tolerance === undefined ? configured.tolerance : Number(flags.tolerance);
  if (tolerance !== undefined && !(flags.tolerance?.trim() !== '' && Number.isFinite(tolerance) && tolerance >= 0)) {
    return `--tolerance: ${JSON.stringify(flags.tolerance)} is not a number >= 0`;
  }
  return { ignore, text: flags.text === true || configured.text, ...(tolerance === undefined ? {} : { tolerance }) };
}
