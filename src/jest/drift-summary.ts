import * as path from 'node:path';
import type { ResolvedConfig } from '../core/config';
import { liveDirOf, readDriftRun } from '../core/drift/scratch';
import { shellQuote } from '../core/util/shell';
import { plural } from '../core/util/words';
import { displayPath } from './options';
import { cliCommand } from './run-command';

/**
 * The closing line of a drift run, for each folder it wrote to: how many requests went live and where they were
 * written, and the command that compares them with their recordings (`jest-replay drift` prints that report itself).
 */
export function driftRunLines(projects: ResolvedConfig[]): string[] {
  const folders = new Map(projects.filter((config) => config.mode === 'drift').map((config) => [config.driftDir, config]));
  return [...folders.values()].map(({ driftDir, usageDir }) => {
    const scopes = readDriftRun(driftDir)?.notes.flatMap((note) => note.scopes) ?? [];
    const requests = scopes.flatMap((scope) => scope.requests);
    const written = requests.filter((request) => request.live !== undefined).length;
    const out = driftDir === path.join(usageDir, 'drift') ? '' : ` --out ${shellQuote(displayPath(driftDir))}`;
    const { runner, options } = cliCommand(process.env, { several: false });
    return (
      `jest-replay: drift mode — ${plural(requests.length, 'request')} of ${plural(scopes.length, 'test')} sent to the live API, ` +
      `${written} written to ${displayPath(liveDirOf(driftDir))}/ (the recordings are untouched); ` +
      `compare them with their recordings: ${runner} drift --last${out}${options}`
    );
  });
}
