import type { ResolvedOptions } from '../core/config';
import { ignorePathProblem, thenIgnoring } from '../core/keying/match-ignore';
import { loadNormalizers } from '../core/keying/normalizers';
import { loadRedact } from '../core/keying/redact';
import type { KeyRules } from '../core/keying/rules';
import { type CommandContext, type ParseArgsOptions, UsageError } from './command';

/**
 * The options of commands that recompute keys (`diagnose`, `verify`, `import`, `mv`): instead of the
 * project's `normalizers` and `matchIgnore`, for a folder without a Jest config or to try others.
 */
export const KEY_OPTIONS: ParseArgsOptions = {
  normalizers: { type: 'string', multiple: true },
  'match-ignore': { type: 'string', multiple: true },
};

export const KEY_OPTION_HELP: [string, string][] = [
  ['--normalizers <module>', "Instead of the project's normalizers (repeatable; --normalizers= for none)"],
  ['--match-ignore <path>', "Instead of the project's matchIgnore paths (repeatable; --match-ignore= for none)"],
];

/** A repeatable flag's values, empty ones dropped (`--flag=` says "none"); undefined when it is not given. */
const listFlag = (values: CommandContext['values'], name: string) =>
  (values[name] as string[] | undefined)?.filter((value) => value !== '');

/**
 * The key rules the recorder applies in this project: its normalizers, then its `matchIgnore` paths left out,
 * and its redact hook; a flag replaces what the config says (its modules resolved from where the command runs).
 */
export function keyRules(options: ResolvedOptions, values: CommandContext['values'], cwd: string): KeyRules {
  const ignored = listFlag(values, 'match-ignore') ?? options.matchIgnore;
  const problem = ignored.map(ignorePathProblem).find((p) => p !== undefined);
  if (problem) throw new UsageError(`--match-ignore: ${problem}`);
  const flagged = listFlag(values, 'normalizers');
  const normalize = flagged ? loadNormalizers(flagged, cwd) : loadNormalizers(options.normalizers, options.rootDir);
  return { normalize: thenIgnoring(normalize, ignored), redact: options.redact ? loadRedact(options.redact, options.rootDir) : undefined };
}
