import * as fs from 'node:fs';
import VENDORS from 'ci-info/vendors.json';
import { CI_INFO_VARIABLES, ciInfoIsCi, ciReason, GENERIC_CI_VARIABLES } from '../../src/core/ci';
import { ReplayConfigError, ReplayError } from '../../src/core/errors';
import { resolveMode, testMode } from '../../src/core/mode';

/**
 * CI detection agrees with ci-info (what Jest's `ci` option defaults to) for every CI it knows: the cases come from
 * ci-info's own vendor list and source, and each is checked against ci-info itself, loaded with that environment.
 */
type Env = Record<string, string>;

/** ci-info as loaded in a process with exactly this environment (it reads `process.env` once, when loaded). */
function ciInfoWith(env: Env): { isCI: boolean; id: string | null } {
  const saved = process.env;
  process.env = { ...env };
  try {
    let info: { isCI: boolean; id: string | null } | undefined;
    jest.isolateModules(() => {
      info = require('ci-info');
    });
    return info!;
  } finally {
    process.env = saved;
  }
}

/** The error `resolveMode` throws (fails the test when it does not throw). */
function refusal(env: Env, jestCi = false): Error {
  try {
    resolveMode(env, jestCi);
  } catch (error) {
    return error as Error;
  }
  throw new Error(`resolveMode(${JSON.stringify(env)}, ${jestCi}) did not throw`);
}

/** How ci-info describes a vendor's variables (see its README). */
type VendorEnv = string | string[] | { env: string; includes: string } | { any: string[] } | Env;
/** One environment per way a vendor's description can be met (each of `any`'s variables alone), and the names it sets. */
function environmentsOf(spec: VendorEnv): [Env, string[]][] {
  if (typeof spec === 'string') return [[{ [spec]: `set-by-${spec}` }, [spec]]];
  if (Array.isArray(spec)) return [[Object.fromEntries(spec.map((name) => [name, `set-by-${name}`])), spec]];
  if ('includes' in spec && 'env' in spec) return [[{ [spec.env]: `/prefix${spec.includes}` }, [spec.env]]];
  if ('any' in spec && Array.isArray(spec.any)) return spec.any.map((name) => [{ [name]: `set-by-${name}` }, [name]]);
  return [[spec as Env, Object.keys(spec)]];
}

const VENDOR_CASES = VENDORS.flatMap((vendor) =>
  environmentsOf(vendor.env as VendorEnv).map(([env, names]) => ({ vendor: vendor.name, constant: vendor.constant, env, names })),
);

describe('CI detection agrees with ci-info', () => {
  test("the generic variables are exactly those ci-info's isCI reads besides its vendors'", () => {
    const source = fs.readFileSync(require.resolve('ci-info'), 'utf8');
    const read = new Set([...source.matchAll(/\benv\.([A-Z_]+)\b/g)].map(([, name]) => name));
    expect([...read].sort()).toEqual([...GENERIC_CI_VARIABLES].sort());
  });

  test.each(VENDOR_CASES.map((c) => [c.vendor, c.names.join(' and '), c]))('%s (%s): RECORD=1 is refused, naming it', (_, __, c) => {
    expect(ciInfoWith(c.env)).toMatchObject({ isCI: true, id: c.constant });
    expect(ciInfoIsCi(c.env)).toBe(true);
    const error = refusal({ RECORD: '1', ...c.env });
    expect(error).toBeInstanceOf(ReplayConfigError);
    const named = `${c.names.join(' and ')} ${c.names.length > 1 ? 'are' : 'is'} set (${c.vendor})`;
    expect(error.message).toContain(`RECORD=1 is refused because ${named}`);
    expect(error.message).toContain('set JEST_REPLAY_MODE=record (or record-if-missing) explicitly');
    expect(() => testMode('live', 'replay', c.env)).toThrow(`is refused: ${c.names.join(' and ')}`);
  });

  test.each(GENERIC_CI_VARIABLES)('%s alone: ci-info says CI, and RECORD=1 is refused, naming it', (name) => {
    const env = { [name]: 'something' };
    expect(ciInfoWith(env).isCI).toBe(true);
    expect(ciInfoIsCi(env)).toBe(true);
    expect(refusal({ RECORD: '1', ...env }).message).toContain(`because ${name} is set`);
  });

  test('no CI variable: neither ci-info nor jest-replay sees CI, and RECORD=1 records', () => {
    expect(ciInfoWith({}).isCI).toBe(false);
    expect(ciInfoIsCi({})).toBe(false);
    expect(resolveMode({ RECORD: '1' })).toBe('record');
  });

  test('the variables to clear for a clean environment cover every vendor and generic variable', () => {
    for (const c of VENDOR_CASES) expect(CI_INFO_VARIABLES).toEqual(expect.arrayContaining(c.names));
    expect(CI_INFO_VARIABLES).toEqual(expect.arrayContaining([...GENERIC_CI_VARIABLES]));
  });
});

describe("Jest's ci option (globalConfig.ci)", () => {
  test('jest --ci counts: RECORD=1 is refused, and a replaying test may not reach the network', () => {
    expect(refusal({ RECORD: '1' }, true).message).toContain('RECORD=1 is refused because Jest runs with --ci (or ci: true in its config)');
    expect(() => testMode('record-if-missing', 'replay', {}, true)).toThrow(
      new ReplayError(
        'jest-replay: replay.mode("record-if-missing") is refused: Jest runs with --ci (or ci: true in its config) and the run replays, ' +
          'so no test may reach the network (a stray test would call the real API with real credentials). If you mean it, run with ' +
          'JEST_REPLAY_MODE=record-if-missing (or record, or live) explicitly.',
      ),
    );
    expect(resolveMode({ JEST_REPLAY_MODE: 'record' }, true)).toBe('record');
  });

  test.each(['0', 'false', 'no', 'off', ''])('a variable set to an off value (%j) wins over Jest’s detection, which counts it', (off) => {
    // ci-info reads any non-empty value as set: Jest's `ci` is then on, for no other reason than this off value.
    const env = { TEAMCITY_VERSION: off, CI: off };
    const jestCi = ciInfoWith(env).isCI;
    expect(jestCi).toBe(off !== '' && off !== 'false');
    expect(ciReason(env, jestCi)).toBeUndefined();
    expect(resolveMode({ RECORD: '1', ...env }, jestCi)).toBe('record');
  });

  test('CI=false turns off CI alone: a vendor variable still counts (ci-info would ignore it)', () => {
    const env = { CI: 'false', GITHUB_ACTIONS: 'true' };
    expect(ciInfoWith(env).isCI).toBe(false);
    expect(refusal({ RECORD: '1', ...env }).message).toContain('because GITHUB_ACTIONS is set (GitHub Actions)');
  });
});
