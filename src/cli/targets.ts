import * as path from 'node:path';
import { type ReplayEnv, type ResolvedOptions, resolveOptions } from '../core/config';
import { nearest } from '../core/util/nearest';
import { type CommandContext, UsageError } from './command';
import { type JestProject, readJestProjects } from './jest-config';
import { fromCwd } from './format';

/**
 * What a command works on: the recordings of the Jest project(s) found from where it runs, each with
 * the options the run resolves for it (`JEST_REPLAY_DIR` included), `--dir` applied.
 */

export interface Target {
  /** The `displayName`s of the projects that share these recordings and options. */
  names: string[];
  options: ResolvedOptions;
}

export interface Targets {
  targets: Target[];
  /** The config as the user names it, for messages. */
  shownAs: string;
}

/** The projects `--project` names, else those that use jest-replay (all of them when none does). */
function chooseProjects(projects: JestProject[], wanted: string | undefined, shownAs: string): JestProject[] {
  if (wanted === undefined) {
    const replaying = projects.filter((project) => project.replays);
    return replaying.length > 0 ? replaying : projects;
  }
  const chosen = projects.filter((project) => project.name === wanted);
  if (chosen.length > 0) return chosen;
  const names = projects.flatMap((project) => (project.name === undefined ? [] : [project.name]));
  if (names.length === 0) throw new UsageError(`--project ${wanted}: no project of ${shownAs} has a displayName to choose it by`);
  const [suggestion] = nearest(wanted, names);
  const hint = suggestion ? ` Did you mean ${suggestion}?` : '';
  throw new UsageError(`--project ${wanted}: no such project in ${shownAs}.${hint} Projects: ${names.join(', ')}`);
}

/**
 * The recordings a command works on, one target per distinct recordings directory and key rules: several
 * projects that use the preset alike are one. Without a Jest config, the current folder is the root.
 */
export async function targetsOf(values: CommandContext['values'], cwd: string, env: ReplayEnv): Promise<Targets> {
  const configPath = values.config as string | undefined;
  const found = await readJestProjects(cwd, configPath);
  const shownAs = configPath ?? 'the Jest config';
  const all = found ?? [{ rootDir: cwd, options: undefined, replays: true }];
  const projects = chooseProjects(all, values.project as string | undefined, shownAs);
  const byOptions = new Map<string, Target>();
  for (const project of projects) {
    const resolved = resolveOptions({ rootDir: project.rootDir, options: project.options, env });
    const options = values.dir === undefined ? resolved : { ...resolved, dir: path.resolve(cwd, String(values.dir)) };
    // What the commands use of them: projects that differ only in, say, ignoreHosts share one target.
    const key = JSON.stringify([options.dir, options.usageDir, options.normalizers, options.matchIgnore, options.redact]);
    const target = byOptions.get(key) ?? { names: [], options };
    if (project.name !== undefined) target.names.push(project.name);
    byOptions.set(key, target);
  }
  return { targets: [...byOptions.values()], shownAs };
}

/** `project llm (recordings in test/recordings):`, above a command's output for each of several projects. */
export function heading({ names, options }: Target): string {
  const named = `${names.length === 1 ? 'project' : 'projects'} ${names.join(', ')}`;
  const who = names.length === 0 ? `project at ${fromCwd(options.rootDir)}` : named;
  return `${who} (recordings in ${fromCwd(options.dir)}):`;
}
