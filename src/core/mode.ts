import { ciReason, type Environment } from './ci';
import { ReplayConfigError, ReplayError } from './errors';
import { switchedOff, switchedOn } from './util/switches';

export const MODES = ['replay', 'record', 'record-if-missing', 'live', 'drift'] as const;
export type Mode = (typeof MODES)[number];
/** What a test may pick for itself (`replay.mode()`): `drift` is a whole run's (see `jest-replay drift`). */
export const TEST_MODES = ['replay', 'record', 'record-if-missing', 'live'] as const;
export type TestMode = (typeof TEST_MODES)[number];

/** `RECORD`, `JEST_REPLAY_MODE` and the variables that say a run is in CI (see ./ci). */
export type ModeEnvironment = Environment;

const isMode = (value: unknown): value is Mode => (MODES as readonly unknown[]).includes(value);
const isTestMode = (value: unknown): value is TestMode => (TEST_MODES as readonly unknown[]).includes(value);

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
/** Modes in which a request may reach the real server (`drift` sends every request live, and writes it beside the recordings). */
export const reachesNetwork = (mode: Mode): boolean => mode !== 'replay';

/**
 * Why `jest-replay drift` must not run Jest in drift mode here, if it must not: another mode set explicitly, or CI
 * without an explicit `JEST_REPLAY_MODE=drift` (as `RECORD=1` is refused there: a stray job must not call, and bill, the API).
 */
export function driftCommandProblem(env: ModeEnvironment): string | undefined {
  const explicit = (env.JEST_REPLAY_MODE ?? '').trim().toLowerCase();
  if (explicit === 'drift') return undefined;
  if (explicit) {
    const set = `JEST_REPLAY_MODE=${JSON.stringify(env.JEST_REPLAY_MODE)} is set`;
    return `${set}, but this command runs Jest in drift mode: unset it, or set it to drift.`;
  }
  const ci = ciReason(env, false);
  if (!ci) return undefined;
  return (
    `refused because ${ci}: a drift check calls the real API with real credentials. ` +
    'If you mean it (a scheduled job with the key in a secret), set JEST_REPLAY_MODE=drift explicitly.'
  );
}

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
 * network takes a run-level JEST_REPLAY_MODE that does, as RECORD=1 does. A drift run never writes
 * the recordings: a test that would record them is drift-checked instead.
 */
export function testMode(requested: unknown, run: Mode, env: ModeEnvironment, jestCi = false): Mode {
  const call = `replay.mode(${JSON.stringify(requested) ?? String(requested)})`;
  if (requested === 'drift') {
    throw new ReplayError(`jest-replay: ${call} is refused: drift is the mode of a whole run (jest-replay drift), not of one test.`);
  }
  if (!isTestMode(requested)) throw new ReplayError(`jest-replay: ${call}: unknown mode. Use one of: ${TEST_MODES.join(', ')}.`);
  if (run === 'drift' && records(requested)) return 'drift';
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
