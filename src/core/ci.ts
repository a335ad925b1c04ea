import VENDORS from 'ci-info/vendors.json';
import { switchedOff } from './util/switches';

/**
 * Whether a run is in CI, as Jest decides it: Jest's `ci` option defaults to ci-info's `isCI`, and this reads
 * ci-info's own vendor list, so every CI it knows counts. Unlike ci-info, a variable set to an off value (`CI=0`,
 * `GITHUB_ACTIONS=false`) does not count, and `CI=false` turns off `CI` alone, not the vendors' variables: a
 * pipeline that sets `CI=false` for another tool (Create React App builds) is still a pipeline.
 */

/** How ci-info describes a vendor's variables: one, all of several, one whose value includes a text, any of several, exact values. */
type VendorEnv = string | string[] | { env: string; includes: string } | { any: string[] } | Record<string, string>;
interface Vendor {
  name: string;
  env: VendorEnv;
}

/** The variables ci-info's `isCI` checks besides its vendors' (listed in its index.js, which does not export them). */
export const GENERIC_CI_VARIABLES = [
  'BUILD_ID',
  'BUILD_NUMBER',
  'CI',
  'CI_APP_ID',
  'CI_BUILD_ID',
  'CI_BUILD_NUMBER',
  'CI_NAME',
  'CONTINUOUS_INTEGRATION',
  'RUN_ID',
] as const;

export type Environment = Readonly<Record<string, string | undefined>>;
type IsSet = (value: string | undefined) => boolean;

/** Set to anything but empty or an off value. */
const setOn: IsSet = (value) => !switchedOff(value);
/** Set to anything but empty, as ci-info reads a variable. */
const setAtAll: IsSet = (value) => Boolean(value);

const isIncludes = (spec: VendorEnv): spec is { env: string; includes: string } => typeof spec === 'object' && 'includes' in spec;
const isAny = (spec: VendorEnv): spec is { any: string[] } => typeof spec === 'object' && Array.isArray((spec as { any?: unknown }).any);

/** The variables a vendor's description names. */
const namesIn = (spec: VendorEnv): string[] =>
  typeof spec === 'string'
    ? [spec]
    : Array.isArray(spec)
      ? spec
      : isIncludes(spec)
        ? [spec.env]
        : isAny(spec)
          ? spec.any
          : Object.keys(spec);

/** The names of the variables that say this vendor's CI, if they do. */
function vendorVariables(spec: VendorEnv, env: Environment, isSet: IsSet): string[] | undefined {
  if (typeof spec === 'string' || Array.isArray(spec)) return namesIn(spec).every((name) => isSet(env[name])) ? namesIn(spec) : undefined;
  if (isIncludes(spec)) return env[spec.env]?.includes(spec.includes) ? [spec.env] : undefined;
  if (isAny(spec)) {
    const name = spec.any.find((n) => isSet(env[n]));
    return name ? [name] : undefined;
  }
  const values = Object.entries(spec);
  return values.every(([name, value]) => env[name] === value) ? values.map(([name]) => name) : undefined;
}

/** What says the run is in CI (`TEAMCITY_VERSION is set (TeamCity)`), vendors first, under a reading of "set". */
function evidence(env: Environment, isSet: IsSet): string | undefined {
  for (const vendor of VENDORS as Vendor[]) {
    const names = vendorVariables(vendor.env, env, isSet);
    if (names) return `${names.join(' and ')} ${names.length > 1 ? 'are' : 'is'} set (${vendor.name})`;
  }
  const generic = GENERIC_CI_VARIABLES.find((name) => isSet(env[name]));
  return generic && `${generic} is set`;
}

/** ci-info's own `isCI` for this environment: what Jest's `ci` option defaults to. */
export const ciInfoIsCi = (env: Environment): boolean => env.CI !== 'false' && evidence(env, setAtAll) !== undefined;

/**
 * Why the run is in CI (`CI is set`, `TEAMCITY_VERSION is set (TeamCity)`, `Jest runs with --ci`), or undefined.
 * `jestCi` is Jest's `globalConfig.ci`: `--ci`, `ci: true` in its config, or else ci-info's verdict. It counts unless
 * ci-info's verdict explains it and every variable behind that verdict is set to an off value (`CI=0`), which wins.
 */
export function ciReason(env: Environment, jestCi: boolean): string | undefined {
  const variable = evidence(env, setOn);
  if (variable) return variable;
  return jestCi && !ciInfoIsCi(env) ? 'Jest runs with --ci (or ci: true in its config)' : undefined;
}

/** Every variable ci-info reads to decide "CI" (for test tools that start Jest in a clean environment). */
export const CI_INFO_VARIABLES: readonly string[] = [
  ...new Set([...GENERIC_CI_VARIABLES, ...(VENDORS as Vendor[]).flatMap((vendor) => namesIn(vendor.env))]),
];
