import * as fs from 'node:fs';
import * as path from 'node:path';
import { verifyRecording } from '../inspect/verify';
import type { KeyRules } from '../keying/rules';
import { parseRecordingFileName, testFolder } from '../store/paths';
import { readRecordingText } from '../store/store';
import { linkOnTheWay, regularFilesIn, removeEmptyFolders, type WriteOutcome, writeFileAtomically } from '../store/storage';
import { nearest } from '../util/nearest';
import type { DriftNote } from './scratch';

/**
 * `jest-replay drift --accept`: the live exchanges of the tests chosen become their recordings, as a record run of
 * those tests would have written them, and nothing else changes. The files were written by the recorder (normalized,
 * redacted, searched for credentials); each is checked again as `verify` checks a file before anything is written
 * (it may have been edited since), written atomically, and only then are the test's other recordings deleted, as a
 * record run deletes them: when the test passed and every request of it was written.
 */

export interface AcceptPlan {
  writes: { source: string; target: string; text: string }[];
  /** Recordings of an accepted test that it no longer made. */
  deletes: string[];
  /** Accepted tests that failed in the drift run: their other recordings are kept, as a record run keeps them. */
  keptFor: string[];
  /** Why nothing may be accepted; empty when the plan can be carried out. */
  problems: string[];
}

export interface AcceptSetup {
  dir: string;
  liveDir: string;
  rules: KeyRules;
  /** A file as the user reads it. */
  shown(file: string): string;
}

/** The recording files of a test's folder (none through a link). */
function recordingsIn(dir: string, testId: string): string[] {
  const folder = path.join(dir, testFolder(testId));
  if (linkOnTheWay(dir, folder)) return [];
  return regularFilesIn(folder)
    .filter((name) => parseRecordingFileName(name) !== undefined)
    .map((name) => path.join(folder, name));
}

export function planAccept(notes: DriftNote[], testIds: string[], setup: AcceptSetup): AcceptPlan {
  const { dir, liveDir, rules, shown } = setup;
  const plan: AcceptPlan = { writes: [], deletes: [], keptFor: [], problems: [] };
  const scopes = notes.flatMap((note) => note.scopes);
  for (const testId of new Set(testIds)) {
    const own = scopes.filter((scope) => scope.id === testId);
    const requests = own.flatMap((scope) => scope.requests);
    const written = requests.flatMap((request) => (request.live === undefined ? [] : [request.live]));
    if (written.length === 0) {
      const [near] = nearest(testId, [...new Set(scopes.map((scope) => scope.id))]);
      plan.problems.push(
        `no live exchange of ${JSON.stringify(testId)} in the last drift run${near ? `; did you mean ${JSON.stringify(near)}?` : ''}`,
      );
      continue;
    }
    const targets = new Set<string>();
    for (const relative of new Set(written)) {
      const [source, target] = [path.join(liveDir, relative), path.join(dir, relative)];
      let text: string;
      try {
        text = readRecordingText(source, shown(source));
      } catch (error) {
        plan.problems.push((error as Error).message.replace(/^jest-replay: /, ''));
        continue;
      }
      plan.problems.push(...verifyRecording(relative, text, rules).map((problem) => `${shown(source)}: ${problem}`));
      const link = linkOnTheWay(dir, path.dirname(target));
      if (link)
        plan.problems.push(
          `${shown(target)}: its folder is reached through the symbolic link ${shown(link)}: nothing is written through it`,
        );
      plan.writes.push({ source, target, text });
      targets.add(target);
    }
    // As a record run: a test that passed, every request of it recorded, owns its folder.
    if (own.every((scope) => scope.status === 'passed') && written.length === requests.length) {
      plan.deletes.push(...recordingsIn(dir, testId).filter((file) => !targets.has(file)));
    } else if (recordingsIn(dir, testId).some((file) => !targets.has(file))) {
      plan.keptFor.push(testId);
    }
  }
  return plan;
}

/** Carries out a plan without problems: every file written first, then the stale ones deleted. */
export function applyAccept(dir: string, plan: AcceptPlan): { target: string; outcome: WriteOutcome }[] {
  const outcomes = plan.writes.map(({ target, text }) => {
    fs.mkdirSync(path.dirname(target), { recursive: true });
    return { target, outcome: writeFileAtomically(target, text) };
  });
  for (const file of plan.deletes) {
    fs.rmSync(file, { force: true });
    removeEmptyFolders(path.dirname(file), dir);
  }
  return outcomes;
}
