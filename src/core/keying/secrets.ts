import { BASE64_MARKER } from '../recording/codec';
import { ReplayError } from '../errors';
import { type Recording, streamItems } from '../recording/format';
import { type SeamSearch, StreamChannels, streamPlace } from '../recording/stream-channels';
import { escapeNonAscii, memberPath } from '../util/json';
import { isCredentialHeader, isCredentialParam } from './credential-names';

/**
 * The last line of defence for "secrets never reach disk": before a recording is written, every
 * credential the live request carried is looked for in it. Headers are stored from an allow-list
 * and URL credentials are stripped already; this catches what a server echoes back (an error that
 * quotes the key, a model that repeats its prompt) and what a test put in a body itself.
 */

/** Shorter values are not looked for: `apiKey: 'x'` would otherwise match half of every file. */
export const MIN_CREDENTIAL_LENGTH = 8;

export interface Credential {
  /** Where the request carried it (`header authorization`, `query parameter key`, `URL password`): safe to print, unlike the value. */
  source: string;
  value: string;
}

export interface Leak {
  /** The credential's `source`. */
  credential: string;
  /** Where in the recording, e.g. `request.body.messages[0].content` or `response.body[3..4] (stream text)`. */
  where: string;
}

/** What is looked for of one credential, and where it was found. */
interface Search {
  source: string;
  forms: string[];
  places: Set<string>;
}

/**
 * The credentials a live request carries: in its credential headers (each cookie of a `Cookie` header
 * on its own too), its URL, and `carried` elsewhere (its body, see `withoutBodyCredentials`); each
 * long enough to look for, once.
 */
export function credentialsOf(url: string, headers: Headers, carried: readonly Credential[] = []): Credential[] {
  const found: Credential[] = [];
  const add = (source: string, value: string) => {
    if (value.length >= MIN_CREDENTIAL_LENGTH && !found.some((c) => c.value === value)) found.push({ source, value });
  };
  for (const [name, header] of headers) {
    if (!isCredentialHeader(name)) continue;
    const scheme = /^(\w+)\s+(\S.*)$/.exec(header.trim());
    add(`header ${name}`, scheme ? scheme[2] : header.trim());
    // Basic auth is base64 of `user:password`: either can leak on its own, and a key is often the user (`sk_test_…:`).
    if (scheme?.[1].toLowerCase() === 'basic') {
      const [user, ...password] = Buffer.from(scheme[2], 'base64').toString('utf8').split(':');
      add(`header ${name} (user)`, user);
      add(`header ${name} (password)`, password.join(':'));
    }
    if (name === 'cookie') {
      for (const cookie of header.split(';')) {
        const at = cookie.indexOf('=');
        if (at > 0) add(`header cookie (${cookie.slice(0, at).trim()})`, cookie.slice(at + 1).trim());
      }
    }
  }
  // A stored URL (another tool's recording) may not parse.
  const parsed = URL.canParse(url) ? new URL(url) : undefined;
  add('URL user', percentDecoded(parsed?.username ?? ''));
  add('URL password', percentDecoded(parsed?.password ?? ''));
  for (const [name, value] of parsed?.searchParams ?? []) if (isCredentialParam(name)) add(`query parameter ${name}`, value);
  for (const { source, value } of carried) add(source, value);
  return found;
}

/** A URL part decoded; as it is when it is no valid percent-encoding. */
function percentDecoded(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** How a value can appear in a file: as is, JSON-escaped once or twice (JSON inside a JSON string), ASCII-escaped, URL-encoded. */
function spellings(value: string): string[] {
  const once = JSON.stringify(value).slice(1, -1);
  const twice = JSON.stringify(once).slice(1, -1);
  return [...new Set([value, once, twice, escapeNonAscii(once), encodeURIComponent(value)])];
}

const contains = (text: string, forms: string[]) => forms.some((form) => text.includes(form));

/** How much of a text's end to keep so that a value split at that point is still found. */
const overlapOf = (searches: readonly Search[]) => Math.max(0, ...searches.flatMap((search) => search.forms.map((form) => form.length - 1)));

/** The searches whose value is in text given in pieces: each piece is searched with the tail of the one before, so a value split between two is found. */
function searchPieces(pieces: Iterable<string>, searches: readonly Search[]): Search[] {
  const overlap = overlapOf(searches);
  const found = new Set<Search>();
  let tail = '';
  for (const piece of pieces) {
    const window = tail + piece;
    for (const search of searches) if (contains(window, search.forms)) found.add(search);
    if (found.size === searches.length) break;
    tail = overlap > 0 ? window.slice(-overlap) : '';
  }
  return [...found];
}

/** Calls `visit` for every string in a JSON value (object keys included), with its path. */
function forEachString(value: unknown, path: string, visit: (path: string, text: string, key: string | number | undefined) => void, key?: string | number): void {
  if (typeof value === 'string') visit(path, value, key);
  else if (Array.isArray(value)) value.forEach((item, i) => forEachString(item, memberPath(path, i), visit, i));
  else if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) {
      visit(`${path} (a key)`, k, undefined);
      forEachString(v, memberPath(path, k), visit, k);
    }
  }
}

/** A string as it may hide a credential: base64 bodies are decoded first. */
const readable = (text: string, key: string | number | undefined) => (key === BASE64_MARKER ? Buffer.from(text, 'base64').toString('latin1') : text);

/** Each credential split across the items of a stream, in any of its texts (see `StreamChannels`). */
const splitCredentials = (searches: readonly Search[]): SeamSearch<Search> => ({
  overlap: overlapOf(searches),
  find: (window, seam) => {
    const found: { found: Search; at: number; length: number }[] = [];
    for (const search of searches) {
      for (const form of search.forms) {
        const at = window.indexOf(form, Math.max(0, seam - form.length + 1));
        if (at !== -1 && at < seam) found.push({ found: search, at, length: form.length });
      }
    }
    return found;
  },
});

/**
 * Every place where a credential would reach disk: strings of the recording (and object keys,
 * decoded base64 bodies), stream text split across items, and, as the final word, the exact text
 * to be written, in every spelling a value takes in JSON. A stream's items are read once, for all
 * credentials (they may be made anew on each read, see `LazyChunks`).
 */
export function findLeaks(recording: Recording, text: string | Iterable<string>, credentials: readonly Credential[]): Leak[] {
  const searches: Search[] = credentials.map(({ source, value }) => ({ source, forms: spellings(value), places: new Set() }));
  if (searches.length === 0) return [];
  const visit = (path: string, value: string, key: string | number | undefined) => {
    const readableValue = readable(value, key);
    for (const search of searches) if (contains(readableValue, search.forms)) search.places.add(path);
  };
  const { body, ...response } = recording.response;
  forEachString(recording.test_id, 'test_id', visit);
  forEachString(recording.request, 'request', visit);
  const items = streamItems(body);
  if (items) {
    const report = (search: Search, first: number, last: number) => search.places.add(streamPlace(first, last));
    const channels = recording.response.is_streaming ? new StreamChannels(splitCredentials(searches), report) : undefined;
    let index = 0;
    for (const item of items) {
      forEachString(item, `response.body[${index}]`, visit, index);
      channels?.add(item, index);
      index++;
    }
  } else {
    forEachString(body, 'response.body', visit, 'body');
  }
  forEachString(response, 'response', visit);
  forEachString(recording.id_normalization_mapping, 'id_normalization_mapping', visit);
  const unplaced = searches.filter((search) => search.places.size === 0);
  if (unplaced.length > 0) for (const search of searchPieces(typeof text === 'string' ? [text] : text, unplaced)) search.places.add('the file text');
  return searches.flatMap(({ source, places }) => [...places].map((where) => ({ credential: source, where })));
}

/** Where the request carried each credential that `text` holds, in any of its spellings. */
export function credentialsIn(text: string, credentials: readonly Credential[]): string[] {
  return credentials.filter(({ value }) => contains(text, spellings(value))).map(({ source }) => source);
}

/** The problem, naming each credential by where the request carried it, never by its value. */
export function describeLeaks(leaks: readonly Leak[]): string {
  return leaks.map((leak) => `the ${leak.credential} at ${leak.where}`).join('; ');
}

/** Throws, naming file, credentials and places, when the text about to be written holds a credential. */
export function refuseLeaks(file: string, recording: Recording, text: string | Iterable<string>, credentials: readonly Credential[]): void {
  const leaks = findLeaks(recording, text, credentials);
  if (leaks.length === 0) return;
  throw new ReplayError(
    `jest-replay: not writing ${file}: it would contain a credential of the live request: ${describeLeaks(leaks)}. ` +
      'Nothing was written (an earlier recording there is unchanged). A recording must never hold a credential: ' +
      'keep the test from sending it where the server returns it (a request body can be rewritten with testEnvironmentOptions.replay.redact).',
  );
}
