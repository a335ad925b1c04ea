import * as fs from 'node:fs';
import * as path from 'node:path';
import { applyIdNormalization, parseRecording, type Recording } from './format';
import { keyOfLlamaStackRecording } from './llama-stack';
import { sha256 } from './normalize';
import type { RecordingStore } from './store';
import { unwrap } from './format';

export interface ImportResult {
  imported: { source: string; target: string }[];
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

function modelDigestOf(recording: Recording): string {
  const body = unwrap(recording.response.body);
  const items = Array.isArray(body) ? body : ((body as { models?: unknown[] } | null)?.models ?? []);
  const ids = items.map((item) => {
    const model = unwrap(item) as { id?: string; model?: string };
    return String(model.id ?? model.model ?? '');
  });
  return sha256([...new Set(ids)].sort().join('|')).slice(0, 8);
}

/**
 * Adds llama-stack recordings to this project's layout under their test id, keyed by this
 * project's key (computed from the recorded endpoint, body and test id, never from
 * llama-stack's file name), content unchanged.
 */
export async function importRecordings(paths: string[], store: RecordingStore): Promise<ImportResult> {
  const result: ImportResult = { imported: [], skipped: [] };
  for (const source of recordingSources(paths)) {
    let recording: Recording;
    try {
      recording = parseRecording(fs.readFileSync(source, 'utf8'), source);
    } catch (error) {
      result.skipped.push({ source, reason: (error as Error).message });
      continue;
    }
    const { key, shared } = keyOfLlamaStackRecording(applyIdNormalization(recording));
    if (!shared && recording.test_id === null) {
      result.skipped.push({ source, reason: 'no test_id: a session-level recording that no test owns' });
      continue;
    }
    const target = shared ? store.modelListFile(key, modelDigestOf(recording)) : store.fileFor(recording.test_id as string, key, 1);
    await store.write(target, recording);
    result.imported.push({ source, target });
  }
  return result;
}
