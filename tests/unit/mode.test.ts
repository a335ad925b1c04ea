import { ReplayConfigError, ReplayError } from '../../src/core/errors';
import { driftCommandProblem, MODES, intercepts, reachesNetwork, records, replays, resolveMode } from '../../src/core/mode';
import { TEST_MODES, testMode } from '../../src/core/mode';

/** The error `resolveMode` throws for an environment (fails the test when it does not throw). */
function errorOf(env: Parameters<typeof resolveMode>[0]): Error {
  try {
    resolveMode(env);
  } catch (error) {
    return error as Error;
  }
  throw new Error(`resolveMode(${JSON.stringify(env)}) did not throw`);
}

describe('resolveMode', () => {
  it('defaults to replay when nothing is set', () => {
    expect(resolveMode({})).toBe('replay');
  });

  it('defaults to replay under CI', () => {
    expect(resolveMode({ CI: 'true' })).toBe('replay');
  });

  it.each(['1', 'true', 'TRUE', 'yes', 'on', ' 1 '])('RECORD=%j records', (value) => {
    expect(resolveMode({ RECORD: value })).toBe('record');
  });

  it.each(['', '0', 'false', 'False', 'no', 'off'])('RECORD=%j replays', (value) => {
    expect(resolveMode({ RECORD: value })).toBe('replay');
  });

  it('RECORD=banana is an error that says how to record', () => {
    const error = errorOf({ RECORD: 'banana' });
    expect(error).toBeInstanceOf(ReplayConfigError);
    expect(error.message).toContain('RECORD="banana"');
    expect(error.message).toContain('RECORD=1');
  });

  it.each(MODES.map((mode) => [mode]))('JEST_REPLAY_MODE=%s is taken as is', (mode) => {
    expect(resolveMode({ JEST_REPLAY_MODE: mode })).toBe(mode);
  });

  it('JEST_REPLAY_MODE is case- and space-insensitive', () => {
    expect(resolveMode({ JEST_REPLAY_MODE: ' Record-If-Missing ' })).toBe('record-if-missing');
  });

  it('JEST_REPLAY_MODE wins over RECORD in both directions', () => {
    expect(resolveMode({ JEST_REPLAY_MODE: 'replay', RECORD: '1' })).toBe('replay');
    expect(resolveMode({ JEST_REPLAY_MODE: 'live', RECORD: '0' })).toBe('live');
    // Even a RECORD value that would be an error on its own is ignored.
    expect(resolveMode({ JEST_REPLAY_MODE: 'record', RECORD: 'banana' })).toBe('record');
  });

  it('a blank JEST_REPLAY_MODE falls back to RECORD', () => {
    expect(resolveMode({ JEST_REPLAY_MODE: '  ', RECORD: '1' })).toBe('record');
  });

  it('an unknown JEST_REPLAY_MODE is an error listing every valid mode', () => {
    const error = errorOf({ JEST_REPLAY_MODE: 'recrod' });
    expect(error).toBeInstanceOf(ReplayConfigError);
    expect(error.message).toContain('JEST_REPLAY_MODE="recrod"');
    expect(error.message).toContain('replay, record, record-if-missing, live, drift');
  });

  it.each(['true', '1', 'woodpecker'])('RECORD=1 is refused when CI=%j, pointing at JEST_REPLAY_MODE', (ci) => {
    const error = errorOf({ RECORD: '1', CI: ci });
    expect(error).toBeInstanceOf(ReplayConfigError);
    expect(error.message).toContain('CI');
    expect(error.message).toContain('JEST_REPLAY_MODE=record');
  });

  const CI_SERVICES = ['GITHUB_ACTIONS', 'BUILD_NUMBER', 'TF_BUILD', 'GITLAB_CI', 'BUILDKITE'];

  it.each(CI_SERVICES)('RECORD=1 is refused when %s is set, naming it', (variable) => {
    const error = errorOf({ RECORD: '1', [variable]: variable === 'BUILD_NUMBER' ? '42' : 'true' });
    expect(error).toBeInstanceOf(ReplayConfigError);
    expect(error.message).toContain(`because ${variable} is set`);
    expect(error.message).toContain('JEST_REPLAY_MODE=record');
  });

  it.each(CI_SERVICES)('RECORD=1 records when %s is empty or false', (variable) => {
    expect(resolveMode({ RECORD: '1', [variable]: '' })).toBe('record');
    expect(resolveMode({ RECORD: '1', [variable]: 'false' })).toBe('record');
  });

  it.each(['false', '0', ''])('RECORD=1 records when CI=%j (CI off)', (ci) => {
    expect(resolveMode({ RECORD: '1', CI: ci })).toBe('record');
  });

  it('CI=true with an explicit JEST_REPLAY_MODE=drift is allowed: a scheduled drift check sets it', () => {
    expect(resolveMode({ CI: 'true', JEST_REPLAY_MODE: 'drift' })).toBe('drift');
  });

  it('CI=true with an explicit JEST_REPLAY_MODE=record is allowed', () => {
    expect(resolveMode({ CI: 'true', JEST_REPLAY_MODE: 'record' })).toBe('record');
    expect(resolveMode({ CI: 'true', JEST_REPLAY_MODE: 'record-if-missing', RECORD: '1' })).toBe('record-if-missing');
  });
});

describe('mode capabilities', () => {
  it.each([
    // mode, intercepts, replays, records
    ['replay', true, true, false],
    ['record', true, false, true],
    ['record-if-missing', true, true, true],
    ['live', false, false, false],
    // drift: intercepted and sent live, written to its own folder, never to the recordings
    ['drift', true, false, false],
  ] as const)('%s: intercepts=%s replays=%s records=%s', (mode, intercept, replay, record) => {
    expect(intercepts(mode)).toBe(intercept);
    expect(replays(mode)).toBe(replay);
    expect(records(mode)).toBe(record);
  });

  it('drift reaches the network (so replay\'s network isolation is off), as record does', () => {
    expect(reachesNetwork('drift')).toBe(true);
  });

  it('MODES lists exactly the five modes; a test may pick any but drift', () => {
    expect([...MODES]).toEqual(['replay', 'record', 'record-if-missing', 'live', 'drift']);
    expect([...TEST_MODES]).toEqual(['replay', 'record', 'record-if-missing', 'live']);
  });
});

describe('testMode (a test picking its own mode)', () => {
  it.each(TEST_MODES)('outside CI any mode is honoured in a replay run: %s', (mode) => {
    expect(testMode(mode, 'replay', {})).toBe(mode);
  });

  it('a test may always narrow to replay, CI or not', () => {
    expect(testMode('replay', 'record', { CI: 'true', JEST_REPLAY_MODE: 'record' })).toBe('replay');
  });

  it.each(['record', 'record-if-missing', 'live'] as const)('under CI a replay run refuses %s, even if JEST_REPLAY_MODE=replay', (mode) => {
    for (const env of [{ CI: 'true' }, { CI: '1', JEST_REPLAY_MODE: 'replay' }]) {
      expect(() => testMode(mode, 'replay', env)).toThrow(ReplayError);
      expect(() => testMode(mode, 'replay', env)).toThrow(
        `jest-replay: replay.mode(${JSON.stringify(mode)}) is refused: CI is set and the run replays, so no test may reach the network ` +
          '(a stray test would call the real API with real credentials). If you mean it, run with JEST_REPLAY_MODE=record-if-missing',
      );
    }
  });

  it('under CI, a run that reaches the network (explicit JEST_REPLAY_MODE) lets a test pick any mode', () => {
    expect(testMode('live', 'record-if-missing', { CI: 'true', JEST_REPLAY_MODE: 'record-if-missing' })).toBe('live');
    expect(testMode('record', 'live', { CI: 'true', JEST_REPLAY_MODE: 'live' })).toBe('record');
  });

  it.each(['recrod', '', 42, undefined])('an unknown mode %j is refused, naming the valid ones', (mode) => {
    expect(() => testMode(mode, 'replay', {})).toThrow(
      `jest-replay: replay.mode(${JSON.stringify(mode) ?? 'undefined'}): unknown mode. Use one of: replay, record, record-if-missing, live`,
    );
  });

  it('drift is a run\'s mode, never a test\'s', () => {
    expect(() => testMode('drift', 'replay', {})).toThrow(
      'jest-replay: replay.mode("drift") is refused: drift is the mode of a whole run (jest-replay drift), not of one test.',
    );
  });

  it('in a drift run, a test that records is drift-checked instead (the recordings are never written); replay and live stay', () => {
    expect(testMode('record', 'drift', {})).toBe('drift');
    expect(testMode('record-if-missing', 'drift', { CI: '1', JEST_REPLAY_MODE: 'drift' })).toBe('drift');
    expect(testMode('replay', 'drift', {})).toBe('replay');
    expect(testMode('live', 'drift', {})).toBe('live');
  });
});

describe('driftCommandProblem (may `jest-replay drift` run Jest in drift mode here?)', () => {
  it('outside CI: yes, with JEST_REPLAY_MODE unset, blank or drift', () => {
    const allowed = [{}, { JEST_REPLAY_MODE: ' ' }, { JEST_REPLAY_MODE: 'drift' }, { RECORD: '1' }];
    for (const env of allowed) expect(driftCommandProblem(env)).toBeUndefined();
  });

  it.each([
    ['CI', 'CI is set'],
    ['GITHUB_ACTIONS', 'GITHUB_ACTIONS is set (GitHub Actions)'],
  ])('under CI (%s): only with an explicit JEST_REPLAY_MODE=drift', (variable, reason) => {
    expect(driftCommandProblem({ [variable]: 'true' })).toBe(
      `refused because ${reason}: a drift check calls the real API with real credentials. ` +
        'If you mean it (a scheduled job with the key in a secret), set JEST_REPLAY_MODE=drift explicitly.',
    );
    expect(driftCommandProblem({ [variable]: 'true', JEST_REPLAY_MODE: 'Drift' })).toBeUndefined();
  });

  it('another explicit mode is a contradiction, named', () => {
    expect(driftCommandProblem({ JEST_REPLAY_MODE: 'record' })).toBe(
      'JEST_REPLAY_MODE="record" is set, but this command runs Jest in drift mode: unset it, or set it to drift.',
    );
  });
});
