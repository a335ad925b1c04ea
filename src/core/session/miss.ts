import { describeDifference, diffJson, type FieldDifference } from '../util/diff';
import type { Json } from '../util/json';
import { normalizeForKey } from '../keying/key';
import { parseRecordingFileName } from '../store/paths';
import type { FoundRecording } from '../store/store';
import { plural } from '../util/words';
import * as path from 'node:path';

/** The request that found no recording, as it would be stored. */
export interface MissedRequest {
  method: string;
  url: URL;
  /** The body as a recording stores it (see `storedBody`). */
  body: unknown;
  ordinal: number;
}

/** At most this many differing fields are listed; the rest are counted. */
const SHOWN_DIFFERENCES = 8;
/** At most this many other test ids are named for a test with no recordings. */
const SHOWN_IDS = 3;

/** What the key is made of, comparably: query parameters and the body, normalized as for the key. */
function comparable(url: URL, body: unknown): Json {
  const query = Object.fromEntries(url.searchParams);
  const value = normalizeForKey((body ?? null) as Json);
  return Object.keys(query).length > 0 ? { query, body: value } : { body: value };
}

interface Candidate {
  found: FoundRecording;
  differences: FieldDifference[];
}

/**
 * Lines that explain a miss from the test's own recordings: the nearest recording of the same
 * endpoint (same method and path, fewest differing fields) and how it differs; or that this very
 * request is recorded, but not as the nth identical one; or that the test has none at all.
 *
 * "More identical requests than recorded" never misses: the last recording repeats (see
 * `RecordingStore.locate`). So a nearest recording with no difference means a gap: `.2.json`
 * is there but `.json` is not, a file of the sequence was deleted or never committed.
 *
 * `otherIds`, the ids recorded for the same test file (nearest first), are named when the test has
 * none: a renamed test keeps its recordings under its old id.
 */
export function explainMiss(
  request: MissedRequest,
  recordings: FoundRecording[],
  display: (file: string) => string,
  otherIds: string[] = [],
): string[] {
  if (recordings.length === 0) {
    const lines = ['  this test has no recordings at all (never recorded, or recorded under another test id: renamed or moved?)'];
    if (otherIds.length === 0) return lines;
    lines.push('  recorded for the same test file under other ids (nearest first; a renamed test keeps its old id):');
    for (const id of otherIds.slice(0, SHOWN_IDS)) lines.push(`    ${id}`);
    if (otherIds.length > SHOWN_IDS) lines.push(`    … and ${otherIds.length - SHOWN_IDS} more`);
    return lines;
  }
  const endpoint = `${request.method} ${request.url.pathname}`;
  const wanted = comparable(request.url, request.body);
  const candidates: Candidate[] = recordings
    .filter(({ recording }) => recording.request.method.toUpperCase() === request.method && pathnameOf(recording.request.url) === request.url.pathname)
    .map((found) => ({ found, differences: diffJson(comparable(new URL(found.recording.request.url), found.recording.request.body), wanted) }))
    .sort((a, b) => a.differences.length - b.differences.length || a.found.file.localeCompare(b.found.file));
  if (candidates.length === 0) {
    return [`  this test has ${plural(recordings.length, 'recording')}, none for ${endpoint}`];
  }
  const [nearest] = candidates;
  if (nearest.differences.length === 0) {
    const ordinals = candidates
      .filter((c) => c.differences.length === 0)
      .map((c) => parseRecordingFileName(path.basename(c.found.file))?.ordinal)
      .filter((n): n is number => n !== undefined)
      .sort((a, b) => a - b);
    return [
      `  this exact request is recorded as ${ordinals.map((n) => `#${n}`).join(', ')} but not as #${request.ordinal}: ` +
        `a file of the sequence is missing (deleted, or never committed?)`,
    ];
  }
  const count = nearest.differences.length;
  const lines = [`  nearest:  ${display(nearest.found.file)} (same test and endpoint; ${count === 1 ? '1 field differs' : `${count} fields differ`}, recorded → now)`];
  for (const difference of nearest.differences.slice(0, SHOWN_DIFFERENCES)) lines.push(`    ${describeDifference(difference)}`);
  if (count > SHOWN_DIFFERENCES) lines.push(`    … and ${count - SHOWN_DIFFERENCES} more`);
  return lines;
}

function pathnameOf(url: string): string | undefined {
  try {
    return new URL(url).pathname;
  } catch {
    return undefined;
  }
}
