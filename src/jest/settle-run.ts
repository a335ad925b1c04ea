import type { Config } from '@jest/types';
import * as path from 'node:path';
import { type CleanUp, clashMessage, cleanUpRun } from '../core/store/clean-up';
import { testFolder } from '../core/store/paths';
import { type FileUsage, readUsage, shardName, type ShardUsage } from '../core/store/usage';
import { displayPath } from './options';

/**
 * The end of a run, once every test file's usage is known: its notes gathered by recordings directory (Jest
 * projects may share one) and each directory cleaned up (see core/store/clean-up.ts). Done by the reporter, or,
 * when a config replaced the reporters, by the preset's global teardown: whichever comes first, once.
 */

/** Where a project keeps its recordings (relative to `rootDir` in its notes) and its usage notes. */
export interface ProjectDirs {
  rootDir: string;
  usageDir: string;
}

/** One recordings directory at the end of a run. */
export interface SettledDir {
  dir: string;
  /** The usage directories whose notes name it. */
  usageDirs: string[];
  files: FileUsage[];
  /** Files of those usage directories that are not usage notes (see `readUsage`). */
  notes: ShardUsage['unreadable'];
  cleanUp: CleanUp;
  /** Why the clean-up failed, if it did (the run's result stays its tests'). */
  problem?: string;
}

/** Set in the main process once a run is settled, so the global teardown does not settle it again. */
export const SETTLED_VARIABLE = 'JEST_REPLAY_SETTLED';
/** The projects of the run, `ProjectDirs[]` as JSON, noted by each project's global setup for the global teardown. */
export const PROJECTS_VARIABLE = 'JEST_REPLAY_PROJECTS';

export const projectsOfRun = (): ProjectDirs[] => JSON.parse(process.env[PROJECTS_VARIABLE] ?? '[]') as ProjectDirs[];

/** Notes a project for the global teardown (global setup runs once per project). */
export function noteProject(project: ProjectDirs): void {
  const projects = projectsOfRun().filter((p) => p.usageDir !== project.usageDir || p.rootDir !== project.rootDir);
  process.env[PROJECTS_VARIABLE] = JSON.stringify([...projects, project]);
}

/** Reads this run's notes (of this shard) from every project's usage directory, and cleans up each recordings directory. */
export function settleRun(projects: ProjectDirs[], runId: string | undefined, shard: Config.GlobalConfig['shard']): SettledDir[] {
  process.env[SETTLED_VARIABLE] = '1';
  const byDir = new Map<string, SettledDir>();
  const read = new Set<string>();
  for (const { rootDir, usageDir } of projects) {
    if (read.has(usageDir)) continue;
    read.add(usageDir);
    const [usage] = readUsage(usageDir, shardName(shard));
    const own = usage?.files.filter((f) => f.run === runId) ?? [];
    for (const file of own) {
      const dir = path.resolve(rootDir, file.recordings);
      const settled = byDir.get(dir) ?? { dir, usageDirs: [], files: [], notes: [], cleanUp: { deleted: [], clashes: [] } };
      settled.files.push(file);
      if (!settled.usageDirs.includes(usageDir)) {
        settled.usageDirs.push(usageDir);
        settled.notes.push(...usage.unreadable);
      }
      byDir.set(dir, settled);
    }
  }
  for (const settled of byDir.values()) {
    try {
      settled.cleanUp = cleanUpRun(settled.dir, settled.files);
    } catch (error) {
      settled.problem = `jest-replay: could not delete the stale recordings of ${displayPath(settled.dir)}: ${(error as Error).message}`;
    }
  }
  return [...byDir.values()];
}

/** The messages of a settled directory's clashes: each fails a record run. */
export const clashesOf = ({ dir, cleanUp }: SettledDir): string[] =>
  cleanUp.clashes.map((clash) => clashMessage(clash, displayPath(path.join(dir, testFolder(clash.testId)))));
