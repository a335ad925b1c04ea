import * as path from 'node:path';
import { mergeModelLists } from '../recording/model-list';
import type { Recording } from '../recording/format';
import { compareResponses } from './compare';
import type { ResolvedDriftOptions } from './options';
import type { DriftNote, RequestNote } from './scratch';

/**
 * The report of a drift run: each request's live exchange compared with the recording it would have replayed,
 * its drifts grouped so that one API-wide change (a field every completion lost) reads once, with every test and
 * request it touches and the values each had.
 */

/** One request a change touches. */
export interface DriftOccurrence {
  testId: string;
  /** `METHOD url`, as stored. */
  request: string;
  ordinal: number;
  /** The recording compared (the first, for a merged model list) and the live exchange, as `show` takes them. */
  recordingFile?: string;
  liveFile?: string;
  /** The values, short: as recorded and as live. */
  recordedValue?: string;
  liveValue?: string;
  /** For a request that keys to no recording: the file looked for, the nearest recording and how it differs. */
  details?: string[];
}

/** One change (a path and what happened there), with every request it touches. */
export interface DriftGroup {
  path: string;
  change: string;
  occurrences: DriftOccurrence[];
}

export interface DriftReport {
  groups: DriftGroup[];
  /** Requests sent live, and how many of them drifted. */
  requests: number;
  drifted: number;
  /** Tests (and beforeAll/afterAll hooks) that sent requests, and how many of them drifted. */
  tests: number;
  driftedTests: number;
  /** Requests that could not be compared, and why. */
  unchecked: { testId: string; request: string; ordinal: number; reason: string }[];
  /** Tests that failed against the live API (a drift may be why). */
  failed: string[];
  /** Whether text counted. */
  text: boolean;
}

/** Where the report reads files, and how it names them. */
export interface ReportFiles {
  /** The recordings directory and the drift run's live folder. */
  dir: string;
  liveDir: string;
  read(file: string): Recording;
  /** A file as the user types it. */
  shown(file: string): string;
}

const UNKEYED = { path: 'request', change: 'no longer keys to any recording' };

/** One drift of a request: its change, and what the report shows of the request for it. */
interface Found {
  path: string;
  change: string;
  seen: Omit<DriftOccurrence, 'testId' | 'request' | 'ordinal'>;
}

/** What a request's live exchange and its recording differ in, or why they could not be compared. */
function compareRequest(note: RequestNote, files: ReportFiles, options: ResolvedDriftOptions): Found[] | string {
  const live = note.live === undefined ? undefined : path.join(files.liveDir, note.live);
  const liveFile = live && files.shown(live);
  if (note.unkeyed) return [{ ...UNKEYED, seen: { liveFile, details: note.unkeyed } }];
  if (!live) return note.problem ?? 'no live exchange was written';
  const recordings = note.recordings.map((file) => path.join(files.dir, file));
  let drifts;
  try {
    const recorded = mergeModelLists(recordings.map(files.read)).response;
    drifts = compareResponses(recorded, files.read(live).response, options);
  } catch (error) {
    return `cannot be compared: ${(error as Error).message.replace(/^jest-replay: /, '')}`;
  }
  const recordingFile = files.shown(recordings[0]);
  return drifts.map(({ path: at, change, recorded, live: now }) => ({
    path: at,
    change,
    seen: { recordingFile, liveFile, recordedValue: recorded, liveValue: now },
  }));
}

export function driftReport(notes: DriftNote[], files: ReportFiles, options: ResolvedDriftOptions): DriftReport {
  const groups = new Map<string, DriftGroup>();
  const report: DriftReport = {
    groups: [],
    requests: 0,
    drifted: 0,
    tests: 0,
    driftedTests: 0,
    unchecked: [],
    failed: [],
    text: options.text,
  };
  for (const scope of notes.flatMap((note) => note.scopes)) {
    report.tests++;
    if (scope.status === 'failed') report.failed.push(scope.id);
    let drifted = false;
    for (const note of scope.requests) {
      report.requests++;
      const who = { testId: scope.id, request: note.request, ordinal: note.ordinal };
      const compared = compareRequest(note, files, options);
      if (typeof compared === 'string') {
        report.unchecked.push({ ...who, reason: compared });
        continue;
      }
      if (compared.length > 0) report.drifted++;
      drifted ||= compared.length > 0;
      for (const { path: at, change, seen } of compared) {
        const key = `${at}\u0000${change}`;
        const group = groups.get(key) ?? { path: at, change, occurrences: [] };
        group.occurrences.push({ ...who, ...seen });
        groups.set(key, group);
      }
    }
    if (drifted) report.driftedTests++;
  }
  // The widest change first: an API-wide one before what a single test saw.
  report.groups = [...groups.values()].sort((a, b) => b.occurrences.length - a.occurrences.length || a.path.localeCompare(b.path));
  return report;
}
