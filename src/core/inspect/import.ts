import * as fs from 'node:fs';
import * as path from 'node:path';
import { decodeResponse } from '../recording/codec';
import { RecordingFileError } from '../errors';
import { applyIdNormalization, type Recording, type StoredRequest } from '../recording/format';
import { parseRecording } from '../recording/parse';
import { isObject } from '../util/json';
import { losslessFileText, parseLossless } from '../util/lossless-json';
import { keyOfLlamaStackRecording } from '../recording/llama-stack';
import { modelListDigest } from '../recording/model-list';
import { withoutStoredBodyCredentials } from '../keying/body-credentials';
import { isCredentialHeader } from '../keying/credential-names';
import { publicUrl } from '../keying/request';
import { credentialsOf, describeLeaks, findLeaks, type Leak } from '../keying/secrets';
import { linkOnTheWay } from '../store/storage';
import { readRecordingText, type RecordingStore } from '../store/store';
import type { KeyRules } from '../keying/rules';
import { rulesOf } from './keys';

export interface ImportResult {
  /** `dropped` names the credentials left out of the imported file (`request header authorization`), never their values. */
  imported: { source: string; target: string; dropped: string[] }[];
  skipped: { source: string; reason: string }[];
}

/**
 * Every file under the given paths (a folder is walked; a file is taken whatever its extension), and the symbolic
 * links met on the way, never followed: one may lead outside the folder, or loop. A path given is taken as it is.
 */
export function walkSources(paths: string[]): { files: string[]; links: string[] } {
  const files: string[] = [];
  const links: string[] = [];
  const walk = (p: string, entry?: fs.Dirent) => {
    if (entry?.isSymbolicLink()) links.push(p);
    else if (entry ? entry.isDirectory() : fs.statSync(p).isDirectory()) {
      for (const child of fs.readdirSync(p, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
        if (!child.isFile() || child.name.endsWith('.json')) walk(path.join(p, child.name), child);
      }
    } else files.push(p);
  };
  for (const p of paths) walk(p);
  return { files, links };
}

export const recordingSources = (paths: string[]): string[] => walkSources(paths).files;

/**
 * What importing one file does: where it goes and the credentials it leaves out, or why it would
 * not replay. Its kind either way.
 */
export type PlannedImport = { source: string; kind: string } & (
  | { target: string; recording: Recording; dropped: string[]; text: string }
  | { reason: string }
);

/** The kind of recording, as `import --check` counts them. */
export function recordingKind(recording: Recording): string {
  const { endpoint, body } = recording.request;
  if (recording.response.is_exception) return 'exceptions';
  if (endpoint.endsWith('/chat/completions')) {
    if (!recording.response.is_streaming) return 'chat';
    return isObject(body) && Array.isArray(body.tools) && body.tools.length > 0 ? 'streaming chat with tools' : 'streaming chat';
  }
  const kinds: [RegExp, string][] = [
    [/\/completions$/, 'legacy completions'],
    [/\/embeddings$/, 'embeddings'],
    [/\/models$|^\/api\/tags$/, 'models'],
    [/\/responses$/, 'responses'],
    [/\/messages$/, 'anthropic messages'],
    [/\/interactions$/, 'google interactions'],
    [/\/rerank$/, 'rerank'],
    [/^\/api\//, 'ollama native'],
  ];
  return kinds.find(([pattern]) => pattern.test(endpoint))?.[1] ?? `other (${endpoint})`;
}

/** llama-stack's tool-runtime recordings (`provider`, `tool_name`, `kwargs`) stand for no HTTP request. */
function toolRuntimeCall(text: string): string | undefined {
  try {
    const request = (JSON.parse(text) as { request?: { provider?: unknown; tool_name?: unknown } }).request;
    return typeof request?.tool_name === 'string' ? `${String(request.provider)}.${request.tool_name}` : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The file text an imported file is written as: the file as it is, numbers spelled as written and
 * fields in their order (`import` changes no content), without the credentials `withoutCredentials`
 * dropped, and with body credentials replaced as the recorder replaces them.
 */
function importedText(text: string, clean: Recording, credentialHeaders: string[]): string {
  const data = parseLossless(text) as { request: StoredRequest };
  for (const name of credentialHeaders) delete data.request.headers?.[name];
  data.request.url = clean.request.url;
  if ('body' in data.request) data.request.body = withoutStoredBodyCredentials(data.request).masked;
  return losslessFileText(data);
}

/**
 * A recording without the credentials another tool stored with its request (credential headers,
 * URL credentials, body credentials, see `withoutBodyCredentials`), what was dropped, its file text
 * without them, and where else in it those credentials are (a response echoing the key): such a file
 * cannot be imported at all.
 */
function withoutCredentials(text: string, recording: Recording): { recording: Recording; dropped: string[]; text: string; leaks: Leak[] } {
  const { url, headers } = recording.request;
  const credentialHeaders = Object.keys(headers).filter(isCredentialHeader);
  const dropped = credentialHeaders.map((name) => `request header ${name.toLowerCase()}`);
  const kept = Object.fromEntries(Object.entries(headers).filter(([name]) => !credentialHeaders.includes(name)));
  const { masked: body, found } = withoutStoredBodyCredentials(recording.request);
  const parsedUrl = URL.canParse(url) ? new URL(url) : undefined;
  const carried = new Headers(credentialHeaders.map((name) => [name, headers[name]]));
  const credentials = credentialsOf(url, carried, found);
  const publicForm = parsedUrl && publicUrl(url, credentials).toString();
  // An unchanged URL is kept as written, not as the URL parser spells it.
  const strippedUrl = publicForm && publicForm !== parsedUrl.toString() ? publicForm : url;
  if (strippedUrl !== url) dropped.push('request.url credentials');
  dropped.push(...new Set(found.map(({ source }) => `request ${source}`)));
  const clean = { ...recording, request: { ...recording.request, headers: kept, url: strippedUrl, body } };
  const cleanText = importedText(text, clean, credentialHeaders);
  return { recording: clean, dropped, text: cleanText, leaks: findLeaks(clean, cleanText, credentials) };
}

/** Reads and checks one file: its recording without credentials, and kind, or why it cannot be imported. */
type ReadSource = { recording: Recording; kind: string; dropped: string[]; text: string } | { kind: string; reason: string };

function readSource(source: string): ReadSource {
  const text = readRecordingText(source);
  const tool = toolRuntimeCall(text);
  if (tool) {
    const reason = `a tool-runtime call (${tool}): llama-stack replays it inside its server, no HTTP request stands for it`;
    return { kind: 'tool runtime', reason };
  }
  try {
    const { recording, dropped, text: cleanText, leaks } = withoutCredentials(text, parseRecording(text, source));
    const kind = recordingKind(recording);
    if (leaks.length > 0) return { kind, reason: `it holds a credential its request carried: ${describeLeaks(leaks)}` };
    try {
      decodeResponse(recording.response);
    } catch (error) {
      return { kind, reason: `its response cannot be replayed: ${(error as Error).message}` };
    }
    return { recording, kind, dropped, text: cleanText };
  } catch (error) {
    return { kind: 'unreadable', reason: error instanceof RecordingFileError ? error.problem : (error as Error).message };
  }
}

/**
 * Where each llama-stack recording goes in this project's layout: under its test id, keyed by this
 * project's key (computed from the recorded endpoint, body and test id, never from llama-stack's
 * file name), without the credentials it must not hold. Reads only: nothing is written.
 */
export function planImport(paths: string[], store: RecordingStore, rules: KeyRules = {}): PlannedImport[] {
  const { files, links } = walkSources(paths);
  const reason = 'a symbolic link: not followed (it may lead outside the folder, or loop)';
  const planned: PlannedImport[] = links.map((source) => ({ source, kind: 'symbolic link', reason }));
  for (const source of files) {
    const read = readSource(source);
    if (!('recording' in read)) {
      planned.push({ source, ...read });
      continue;
    }
    const { recording, kind, dropped, text } = read;
    let keyed: ReturnType<typeof keyOfLlamaStackRecording>;
    try {
      keyed = keyOfLlamaStackRecording(applyIdNormalization(recording), rulesOf(recording, rules));
    } catch (error) {
      planned.push({ source, kind, reason: `its key cannot be computed: ${(error as Error).message}` });
      continue;
    }
    const { key, shared } = keyed;
    // Without a test id, a recording is session-level: any test finds it after its own.
    const target = shared ? store.modelListFile(key, modelListDigest(recording)) : store.fileFor(recording.test_id, key, 1);
    const earlier = planned.find((entry) => 'target' in entry && entry.target === target);
    const link = linkOnTheWay(store.dir, path.dirname(target));
    if (link) planned.push({ source, kind, reason: `its folder is reached through the symbolic link ${link}: nothing is written through it` });
    else if (earlier) planned.push({ source, kind, reason: `the same request (same key) as ${earlier.source}` });
    else planned.push({ source, kind, target, recording, dropped, text });
  }
  return planned;
}

/**
 * Adds llama-stack recordings to this project's layout as `planImport` places them, content unchanged but
 * for credentials: the bytes of a file llama-stack wrote, which shares this project's file format.
 */
export async function importRecordings(paths: string[], store: RecordingStore, rules: KeyRules = {}): Promise<ImportResult> {
  const result: ImportResult = { imported: [], skipped: [] };
  for (const entry of planImport(paths, store, rules)) {
    if ('reason' in entry) {
      result.skipped.push({ source: entry.source, reason: entry.reason });
      continue;
    }
    await store.writeText(entry.target, entry.text);
    result.imported.push({ source: entry.source, target: entry.target, dropped: entry.dropped });
  }
  return result;
}

/** Per kind, how many files would replay, and why each other one would not: `import --check`'s report. */
export interface KindCoverage {
  kind: string;
  files: number;
  replayable: number;
  problems: { source: string; reason: string }[];
}

export function coverageByKind(planned: PlannedImport[]): KindCoverage[] {
  const byKind = new Map<string, KindCoverage>();
  for (const entry of planned) {
    const coverage = byKind.get(entry.kind) ?? { kind: entry.kind, files: 0, replayable: 0, problems: [] };
    coverage.files++;
    if ('reason' in entry) coverage.problems.push({ source: entry.source, reason: entry.reason });
    else coverage.replayable++;
    byKind.set(entry.kind, coverage);
  }
  return [...byKind.values()].sort((a, b) => a.kind.localeCompare(b.kind));
}
