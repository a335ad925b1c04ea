import { ciReason, type Environment } from './ci';
import { ReplayConfigError, ReplayError } from './errors';
import { switchedOff, switchedOn } from './util/switches';

export const MODES = ['replay', 'record', 'record-if-missing', 'live'] as const;
export type Mode = (typeof MODES)[number];

/** `RECORD`, `JEST_REPLAY_MODE` and the variables that say a run is in CI (see ./ci). */
export type ModeEnvironment = Environment;

const isMode = (value: unknown): value is Mode => (MODES as readonly unknown[]).includes(value);

/**
 * The mode for this run. `JEST_REPLAY_MODE` wins over `RECORD`; `RECORD=1` alone is refused under CI (as Jest decides
 * it: `jestCi` is its `globalConfig.ci`; see ./ci) so that a stray variable in a pipeline cannot re-record (and bill) a
 * whole suite.
 */
export function resolveMode(env: ModeEnvironment, jestCi = false): Mode {
  const explicit = (env.JEST_REPLAY_MODE ?? '').trim().toLowerCase();
  if (explicit) {
    if (isMode(explicit)) return explicit;
    throw new ReplayConfigError(
      `jest-replay: unknown mode JEST_REPLAY_MODE=${JSON.stringify(env.JEST_REPLAY_MODE)}. Use one of: ${MODES.join(', ')}.`,
    );
  }
  if (switchedOff(env.RECORD)) return 'replay';
  if (!switchedOn(env.RECORD)) {
    throw new ReplayConfigError(
      `jest-replay: RECORD=${JSON.stringify(env.RECORD)} is not understood. Use RECORD=1 to record, or unset it to replay.`,
    );
  }
  const ci = ciReason(env, jestCi);
  if (ci) {
    throw new ReplayConfigError(
      `jest-replay: RECORD=1 is refused because ${ci}: recording in CI calls the real API with real credentials. ` +
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

/**
 * Why a test's mode that reaches the network is refused in this run (a CI run that replays, see `testMode`), for
 * `liveTest` to skip its test instead: `CI is set and the run replays`; undefined when it is allowed.
 */
export function liveRefusal(run: Mode, env: ModeEnvironment, jestCi = false): string | undefined {
  const ci = run === 'replay' ? ciReason(env, jestCi) : undefined;
  return ci ? `${ci} and the run replays` : undefined;
}

/**
 * The mode a test picks for itself (`replay.mode()`), checked against the run's. Under CI a run
 * that replays is a ceiling: a stray test must not call (and bill) the real API, so reaching the
 * network takes a run-level JEST_REPLAY_MODE that does, as RECORD=1 does.
 */
export function testMode(requested: unknown, run: Mode, env: ModeEnvironment, jestCi = false): Mode {
  const call = `replay.mode(${JSON.stringify(requested) ?? String(requested)})`;
  if (!isMode(requested)) throw new ReplayError(`jest-replay: ${call}: unknown mode. Use one of: ${MODES.join(', ')}.`);
  const refused = reachesNetwork(requested) ? liveRefusal(run, env, jestCi) : undefined;
  if (refused) {
    throw new ReplayError(
      `jest-replay: ${call} is refused: ${refused}, so no test may reach the network ` +
        '(a stray test would call the real API with real credentials). If you mean it, run with JEST_REPLAY_MODE=record-if-missing ' +
        '(or record, or live) explicitly.',
    );
  }
  return requested;
}
