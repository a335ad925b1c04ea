import { ReplayConfigError, ReplayError } from './errors';

export const MODES = ['replay', 'record', 'record-if-missing', 'live'] as const;
export type Mode = (typeof MODES)[number];

/**
 * Variables that say a run is in CI: the common `CI`, and those of CI services that do not set it
 * everywhere (GitHub Actions, Jenkins, Azure Pipelines, GitLab, Buildkite).
 */
export const CI_VARIABLES = ['CI', 'GITHUB_ACTIONS', 'BUILD_NUMBER', 'TF_BUILD', 'GITLAB_CI', 'BUILDKITE'] as const;

export type ModeEnvironment = { JEST_REPLAY_MODE?: string; RECORD?: string } & { [name in (typeof CI_VARIABLES)[number]]?: string };

const ON = new Set(['1', 'true', 'yes', 'on']);
const OFF = new Set(['', '0', 'false', 'no', 'off']);
const flag = (value: string | undefined): string => (value ?? '').trim().toLowerCase();
/** Whether a yes/no variable (`JEST_REPLAY_VERBOSE`) is set to yes: `1`, `true`, `yes` or `on`. */
export const switchedOn = (value: string | undefined): boolean => ON.has(flag(value));
/** The first of `CI_VARIABLES` that is set (to anything but an off value), if any. */
const ciVariable = (env: ModeEnvironment) => CI_VARIABLES.find((name) => !OFF.has(flag(env[name])));
const underCi = (env: ModeEnvironment): boolean => ciVariable(env) !== undefined;
const isMode = (value: unknown): value is Mode => (MODES as readonly unknown[]).includes(value);

/**
 * The mode for this run. `JEST_REPLAY_MODE` wins over `RECORD`; `RECORD=1` alone is refused
 * under CI (any of `CI_VARIABLES`) so that a stray variable in a pipeline cannot re-record (and bill) a whole suite.
 */
export function resolveMode(env: ModeEnvironment): Mode {
  const explicit = flag(env.JEST_REPLAY_MODE);
  if (explicit) {
    if (isMode(explicit)) return explicit;
    throw new ReplayConfigError(
      `jest-replay: unknown mode JEST_REPLAY_MODE=${JSON.stringify(env.JEST_REPLAY_MODE)}. Use one of: ${MODES.join(', ')}.`,
    );
  }
  const record = flag(env.RECORD);
  if (OFF.has(record)) return 'replay';
  if (!ON.has(record)) {
    throw new ReplayConfigError(
      `jest-replay: RECORD=${JSON.stringify(env.RECORD)} is not understood. Use RECORD=1 to record, or unset it to replay.`,
    );
  }
  const ci = ciVariable(env);
  if (ci) {
    throw new ReplayConfigError(
      `jest-replay: RECORD=1 is refused because ${ci} is set: recording in CI calls the real API with real credentials. ` +
        'If you mean it, set JEST_REPLAY_MODE=record (or record-if-missing) explicitly.',
    );
  }
  return 'record';
}

/** Modes in which requests are intercepted at all. */
export const intercepts = (mode: Mode): boolean => mode !== 'live';
/** Modes that may serve a request from an existing recording. */
export const replays = (mode: Mode): boolean => mode === 'replay' || mode === 'record-if-missing';
/** Modes that may pass a request through to the real server and write it. */
export const records = (mode: Mode): boolean => mode === 'record' || mode === 'record-if-missing';
/** Modes in which a request may reach the real server. */
export const reachesNetwork = (mode: Mode): boolean => mode !== 'replay';

/** Why a test that must run live is skipped in this run: a CI run that replays refuses a test's live mode (see `testMode`). */
export function liveRefusal(run: Mode, env: ModeEnvironment = process.env): string | undefined {
  return run === 'replay' && underCi(env) ? 'this CI run replays' : undefined;
}

/**
 * The mode a test picks for itself (`replay.mode()`), checked against the run's. Under CI a run
 * that replays is a ceiling: a stray test must not call (and bill) the real API, so reaching the
 * network takes a run-level JEST_REPLAY_MODE that does, as RECORD=1 does.
 */
export function testMode(requested: unknown, run: Mode, env: ModeEnvironment): Mode {
  const call = `replay.mode(${JSON.stringify(requested) ?? String(requested)})`;
  if (!isMode(requested)) throw new ReplayError(`jest-replay: ${call}: unknown mode. Use one of: ${MODES.join(', ')}.`);
  if (reachesNetwork(requested) && liveRefusal(run, env)) {
    throw new ReplayError(
      `jest-replay: ${call} is refused: CI is set and the run replays, so no test may reach the network ` +
        '(a stray test would call the real API with real credentials). If you mean it, run with JEST_REPLAY_MODE=record-if-missing ' +
        '(or record, or live) explicitly.',
    );
  }
  return requested;
}
