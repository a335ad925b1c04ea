import * as fs from 'node:fs';
import * as path from 'node:path';
import { applyIdNormalization, parseRecording, type Recording, serializedPieces } from './format';
import { keyOfLlamaStackRecording } from './llama-stack';
import { modelListDigest } from './model-list';
import { CREDENTIAL_HEADERS, publicUrl } from './request';
import { credentialsOf, describeLeaks, findLeaks, type Leak } from './secrets';
import type { RecordingStore } from './store';

export interface ImportResult {
  /** `dropped` names the credentials left out of the imported file (`request header authorization`), never their values. */
  imported: { source: string; target: string; dropped: string[] }[];
  skipped: { source: string; reason: string }[];
}

/** Every file under the given paths (a folder is walked; a file is taken whatever its extension). */
export function recordingSources(paths: string[]): string[] {
  const out: string[] = [];
  const walk = (p: string) => {
    const stat = fs.statSync(p);
    if (stat.isDirectory()) for (const name of fs.readdirSync(p).sort()) {
      const child = path.join(p, name);
      if (fs.statSync(child).isDirectory() || name.endsWith('.json')) walk(child);
    }
    else out.push(p);
  };
  for (const p of paths) walk(p);
  return out;
}

/**
 * A recording without the credentials another tool stored with its request (credential headers,
 * URL credentials), what was dropped, and where else in it those credentials are (a response
 * echoing the key): such a file cannot be imported at all.
 */
function withoutCredentials(recording: Recording): { recording: Recording; dropped: string[]; leaks: Leak[] } {
  const { url, headers } = recording.request;
  const credentialHeaders = Object.keys(headers).filter((name) => CREDENTIAL_HEADERS.includes(name.toLowerCase()));
  const dropped = credentialHeaders.map((name) => `request header ${name.toLowerCase()}`);
  const kept = Object.fromEntries(Object.entries(headers).filter(([name]) => !credentialHeaders.includes(name)));
  const parsedUrl = URL.canParse(url) ? new URL(url) : undefined;
  const credentials = parsedUrl ? credentialsOf(url, new Headers(credentialHeaders.map((name) => [name, headers[name]]))) : [];
  const publicForm = parsedUrl && publicUrl(url, credentials).toString();
  // An unchanged URL is kept as written, not as the URL parser spells it.
  const strippedUrl = publicForm && publicForm !== parsedUrl.toString() ? publicForm : url;
  if (strippedUrl !== url) dropped.push('request.url credentials');
  const clean = { ...recording, request: { ...recording.request, headers: kept, url: strippedUrl } };
  return { recording: clean, dropped, leaks: findLeaks(clean, serializedPieces(clean), credentials) };
}

/**
 * Adds llama-stack recordings to this project's layout under their test id, keyed by this
 * project's key (computed from the recorded endpoint, body and test id, never from
 * llama-stack's file name), content unchanged but for the credentials it must not hold.
 */
export async function importRecordings(paths: string[], store: RecordingStore): Promise<ImportResult> {
  const result: ImportResult = { imported: [], skipped: [] };
  for (const source of recordingSources(paths)) {
    let parsed: ReturnType<typeof withoutCredentials>;
    try {
      parsed = withoutCredentials(parseRecording(fs.readFileSync(source, 'utf8'), source));
    } catch (error) {
      result.skipped.push({ source, reason: (error as Error).message });
      continue;
    }
    const { recording, dropped, leaks } = parsed;
    if (leaks.length > 0) {
      result.skipped.push({ source, reason: `it holds a credential its request carried: ${describeLeaks(leaks)}` });
      continue;
    }
    const { key, shared } = keyOfLlamaStackRecording(applyIdNormalization(recording));
    // Without a test id, a recording is session-level: any test finds it after its own.
    const target = shared ? store.modelListFile(key, modelListDigest(recording)) : store.fileFor(recording.test_id, key, 1);
    const earlier = result.imported.find((entry) => entry.target === target);
    if (earlier) {
      result.skipped.push({ source, reason: `the same request (same key) as ${earlier.source}` });
      continue;
    }
    await store.write(target, recording);
    result.imported.push({ source, target, dropped });
  }
  return result;
}
