import * as fs from 'node:fs';
import * as path from 'node:path';
import { applyIdNormalization, parseRecording, type Recording } from './format';
import { keyOfLlamaStackRecording } from './llama-stack';
import { modelListDigest } from './model-list';
import type { RecordingStore } from './store';

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
    // Without a test id, a recording is session-level: any test finds it after its own.
    const target = shared ? store.modelListFile(key, modelListDigest(recording)) : store.fileFor(recording.test_id, key, 1);
    const earlier = result.imported.find((entry) => entry.target === target);
    if (earlier) {
      result.skipped.push({ source, reason: `the same request (same key) as ${earlier.source}` });
      continue;
    }
    await store.write(target, recording);
    result.imported.push({ source, target });
  }
  return result;
}
