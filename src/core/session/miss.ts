import * as path from 'node:path';
import { describeDifference, diffJson, type FieldDifference } from '../util/diff';
import type { Json } from '../util/json';
import { keysOf } from '../inspect/keys';
import { normalizeForKey } from '../keying/key';
import type { BodyNormalizer } from '../keying/normalizers';
import { parseRecordingFileName } from '../store/paths';
import type { FoundRecording } from '../store/store';
import { printable } from '../util/printable';
import { volatileKind } from '../util/volatile';
import { plural } from '../util/words';

/** The request that found no recording, as it would be stored. */
export interface MissedRequest {
  method: string;
  url: URL;
  /** The body as a recording stores it (see `storedBody`). */
  body: unknown;
  ordinal: number;
}

/** What a miss is explained from. */
export interface MissContext {
  /** The test's own recordings. */
  recordings: FoundRecording[];
  display: (file: string) => string;
  /** The ids recorded for the same test file, nearest first: named when the test has none (a renamed test keeps its old id). */
  otherIds: string[];
  /** What the key makes of a normalized body: the project's normalizers, then the fields `matchIgnore` leaves out. */
  normalize: BodyNormalizer;
  /** At most this many differing fields are listed; the rest are counted. */
  shownDifferences: number;
}

/** Fields whose only change looks volatile (a timestamp, a UUID…): re-recording cannot help, `matchIgnore` can. */
export interface VolatileFields {
  /** As `matchIgnore` takes them: `body.metadata.sent_at`. */
  paths: string[];
  /** What they look like: `timestamp`, `UUID`… */
  kinds: string[];
}

export interface MissExplanation {
  lines: string[];
  volatile?: VolatileFields;
}

/** At most this many other test ids are named for a test with no recordings. */
const SHOWN_IDS = 3;

/** What the key is made of, comparably: query parameters and the body, normalized as for the key. */
function comparable(method: string, url: URL, body: unknown, normalize: BodyNormalizer): Json {
  const query = Object.fromEntries(url.searchParams);
  const normalized = normalizeForKey((body ?? null) as Json);
  let value: Json;
  try {
    value = normalize(normalized, { method, path: url.pathname });
  } catch {
    // A normalizer written for live bodies may not take a stored one: compare what can be compared.
    value = normalized;
  }
  return Object.keys(query).length > 0 ? { query, body: value } : { body: value };
}

interface Candidate {
  found: FoundRecording;
  differences: FieldDifference[];
}

/** A difference's path as `matchIgnore` takes it, when it can be written so (a body field whose names hold no dot). */
function ignorePath({ segments }: FieldDifference): string | undefined {
  const [root, ...rest] = segments.map(String);
  const nameable = root === 'body' && rest.length > 0 && rest.every((s) => s !== '' && s !== '*' && s !== '**' && !s.includes('.'));
  return nameable ? ['body', ...rest].join('.') : undefined;
}

/** The fields to leave out of the key when every difference is a volatile value that `matchIgnore` can name. */
function volatileFields(differences: FieldDifference[]): VolatileFields | undefined {
  const kinds = differences.map((d) => (d.kind === 'changed' ? volatileKind(d.from, d.to) : undefined));
  const paths = differences.map(ignorePath);
  if (kinds.some((k) => k === undefined) || paths.some((p) => p === undefined)) return undefined;
  return { paths: paths as string[], kinds: [...new Set(kinds as string[])] };
}

/**
 * Lines that explain a miss from the test's own recordings: the nearest recording of the same
 * endpoint (same method and path, fewest differing fields, compared as the key compares them) and
 * how it differs; or that this very request is recorded, but not as the nth identical one, or under
 * a key made with other normalizers or `matchIgnore`; or that the test has none at all.
 *
 * "More identical requests than recorded" never misses: the last recording repeats (see
 * `RecordingStore.locate`). So a nearest recording with no difference, whose name is the key it
 * makes now, means a gap: `.2.json` is there but `.json` is not.
 */
export function explainMiss(request: MissedRequest, context: MissContext): MissExplanation {
  const { recordings, display, otherIds, normalize } = context;
  if (recordings.length === 0) {
    const lines = ['  this test has no recordings at all (never recorded, or recorded under another test id: renamed or moved?)'];
    if (otherIds.length === 0) return { lines };
    lines.push('  recorded for the same test file under other ids (nearest first; a renamed test keeps its old id):');
    for (const id of otherIds.slice(0, SHOWN_IDS)) lines.push(`    ${printable(id)}`);
    if (otherIds.length > SHOWN_IDS) lines.push(`    … and ${otherIds.length - SHOWN_IDS} more`);
    return { lines };
  }
  const { method, url } = request;
  const wanted = comparable(method, url, request.body, normalize);
  const candidates: Candidate[] = recordings
    .filter(({ recording }) => recording.request.method.toUpperCase() === method && pathnameOf(recording.request.url) === url.pathname)
    .map((found) => {
      const { request: stored } = found.recording;
      return { found, differences: diffJson(comparable(method, new URL(stored.url), stored.body, normalize), wanted) };
    })
    .sort((a, b) => a.differences.length - b.differences.length || a.found.file.localeCompare(b.found.file));
  if (candidates.length === 0) {
    return { lines: [`  this test has ${plural(recordings.length, 'recording')}, none for ${method} ${printable(url.pathname)}`] };
  }
  const [nearest] = candidates;
  const shown = printable(display(nearest.found.file));
  if (nearest.differences.length === 0) {
    const keyedAlike = candidates.filter((c) => c.differences.length === 0 && namedByItsKey(c.found, normalize));
    if (keyedAlike.length === 0) {
      return {
        lines: [
          `  nearest:  ${shown} is this request, but it was recorded under other normalizers or matchIgnore ` +
            '(its name is the key it had then)',
        ],
      };
    }
    const ordinals = keyedAlike.map((c) => ordinalOf(c.found)).sort((a, b) => a - b);
    return {
      lines: [
        `  this exact request is recorded as ${ordinals.map((n) => `#${n}`).join(', ')} but not as #${request.ordinal}: ` +
          `a file of the sequence is missing (deleted, or never committed?)`,
      ],
    };
  }
  const count = nearest.differences.length;
  const fields = count === 1 ? '1 field differs' : `${count} fields differ`;
  const lines = [`  nearest:  ${shown} (same test and endpoint; ${fields}, recorded → now)`];
  const listed = nearest.differences.slice(0, context.shownDifferences);
  for (const difference of listed) lines.push(`    ${printable(describeDifference(difference))}`);
  if (count > listed.length) lines.push(`    … and ${count - listed.length} more`);
  return { lines, volatile: volatileFields(nearest.differences) };
}

const ordinalOf = (found: FoundRecording) => parseRecordingFileName(path.basename(found.file))?.ordinal ?? 1;

/** Whether a recording's name is the key its stored request makes now (else it was keyed under other normalizers or matchIgnore). */
function namedByItsKey(found: FoundRecording, normalize: BodyNormalizer): boolean {
  const stem = parseRecordingFileName(path.basename(found.file))?.stem;
  try {
    return stem !== undefined && keysOf(found.recording, { normalize }).some((key) => key.startsWith(stem));
  } catch {
    return true;
  }
}

function pathnameOf(url: string): string | undefined {
  try {
    return new URL(url).pathname;
  } catch {
    return undefined;
  }
}
