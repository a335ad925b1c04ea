import { ignoreFields, ignorePathProblem } from '../core/keying/match-ignore';
import { type BodyNormalizer, loadNormalizers } from '../core/keying/normalizers';
import { type CommandContext, type ParseArgsOptions, UsageError } from './command';

/**
 * The options of commands that recompute keys (`diagnose`, `verify`): the project's `normalizers` and
 * `matchIgnore` paths, without which a file recorded with them looks misnamed.
 */
export const KEY_OPTIONS: ParseArgsOptions = {
  normalizers: { type: 'string', multiple: true },
  'match-ignore': { type: 'string', multiple: true },
};

export const KEY_OPTION_HELP: [string, string][] = [
  ['--normalizers <module>', "The project's testEnvironmentOptions.replay.normalizers (repeatable), so keys are computed as the recorder does"],
  ['--match-ignore <path>', "The project's testEnvironmentOptions.replay.matchIgnore paths, and a test's replay.matchIgnore() ones (repeatable)"],
];

/** The body normalization the recorder keys with: normalizers first, then the ignored fields dropped. */
export function keyNormalizer(values: CommandContext['values']): BodyNormalizer {
  const ignored = (values['match-ignore'] as string[] | undefined) ?? [];
  const problem = ignored.map(ignorePathProblem).find((p) => p !== undefined);
  if (problem) throw new UsageError(`--match-ignore: ${problem}`);
  const normalizers = loadNormalizers((values.normalizers as string[] | undefined) ?? [], process.cwd());
  return (body, request) => ignoreFields(normalizers(body, request), ignored);
}
