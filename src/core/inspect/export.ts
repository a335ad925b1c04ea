import * as fs from 'node:fs';
import * as path from 'node:path';
import { RecordingFileError } from '../errors';
import type { Recording } from '../recording/format';
import { parseRecording } from '../recording/parse';
import { type CallOptions, isFromLlamaStack, llamaStackCall, type StoredCall } from '../recording/llama-stack-calls';
import { llamaStackFolder } from '../recording/llama-stack-hash';
import { llamaStackResponse } from '../recording/llama-stack-responses';
import { modelListDigest } from '../recording/model-list';
import { insideDir, parseRecordingFileName } from '../store/paths';
import { walkTree, type WriteOutcome, writeFileAtomically } from '../store/storage';
import { readRecordingText } from '../store/store';
import { parsePython, type PyObject, pythonFileText } from '../util/python-json';
import { jsonFilesUnder } from './inspect';

/**
 * `export`: this project's recordings as llama-stack's tree, each file where llama-stack's recorder
 * looks for the same call (`<test file's folder>/recordings/<sha256>.json`) and in its shape, so its
 * unmodified replay finds and rebuilds them. What cannot be exported faithfully is named, with why.
 */

export interface ExportOptions extends CallOptions {
  /** Root of the llama-stack tree (the repository root its test ids are relative to). */
  outDir: string;
  /** Only recordings whose test id starts with this; recordings without a test id are then left out. */
  testIdPrefix?: string;
  /** llama-stack's storage directory, relative to `outDir`: session-level recordings go to its `recordings/`. */
  storageDir: string;
}

/** One recording file of this project: where it goes and the text it is written as, or why it is not exported. */
export type PlannedExport = { source: string } & ({ target: string; text: string } | { reason: string });

/** Files in path order, the nth identical request of a test (`<key>.<n>.json`) after the first. */
function inExportOrder(files: string[]): string[] {
  const order = (file: string) => {
    const parsed = parseRecordingFileName(path.posix.basename(file));
    return `${path.posix.dirname(file)}/${parsed?.stem ?? path.posix.basename(file)}\u0000${String(parsed?.ordinal ?? 0).padStart(6, '0')}`;
  };
  return [...files].sort((a, b) => (order(a) < order(b) ? -1 : order(a) > order(b) ? 1 : 0));
}

/** llama-stack's file (relative to the tree's root) and text for one recording, or why there is none. */
function exportedFile(text: string, recording: Recording, options: ExportOptions): { target: string; text: string } | { reason: string } {
  const raw = parsePython(text) as PyObject;
  const { request } = recording;
  const stored: StoredCall = {
    method: request.method.toUpperCase(),
    url: request.url,
    endpoint: request.endpoint,
    testId: recording.test_id,
    raw: raw.request as PyObject,
    mapping: recording.id_normalization_mapping,
  };
  const call = llamaStackCall(stored, options);
  if ('reason' in call) return call;
  const folder = llamaStackFolder(recording.test_id, options.storageDir);
  if (folder === undefined) {
    return { reason: `its test id's file part is not a relative path inside ${options.outDir}: ${JSON.stringify(recording.test_id)}` };
  }
  const name = call.label === '/v1/models' ? `models-${call.hash}-${modelListDigest(recording)}.json` : `${call.hash}.json`;
  // A file imported from llama-stack is its own: only its name and place are computed.
  if (isFromLlamaStack(stored)) return { target: path.posix.join(folder, name), text: pythonFileText(raw) };
  const response = llamaStackResponse(call, raw.response as PyObject, recording.response);
  if ('reason' in response) return response;
  const mapping = raw.id_normalization_mapping ?? {};
  const file = { test_id: recording.test_id, request: call.request, response: response.response, id_normalization_mapping: mapping };
  return { target: path.posix.join(folder, name), text: pythonFileText(file) };
}

/** Where each recording of `dir` goes in llama-stack's tree under `options.outDir`, and its text. Reads only. */
export function planExport(dir: string, options: ExportOptions): PlannedExport[] {
  const planned: PlannedExport[] = [];
  const firstFor = new Map<string, { source: string; text: string }>();
  for (const relative of inExportOrder(jsonFilesUnder(walkTree(dir)))) {
    const source = path.join(dir, relative);
    let file: ReturnType<typeof exportedFile> | undefined;
    try {
      const text = readRecordingText(source, relative);
      const recording = parseRecording(text, relative);
      if (options.testIdPrefix !== undefined && !(recording.test_id ?? '').startsWith(options.testIdPrefix)) continue;
      file = exportedFile(text, recording, options);
    } catch (error) {
      // A file that does not parse (as JSON, or as Python reads it: a duplicate key).
      file = { reason: error instanceof RecordingFileError ? error.problem : (error as Error).message };
    }
    if ('reason' in file) {
      planned.push({ source, reason: file.reason });
      continue;
    }
    const target = insideDir(options.outDir, file.target);
    const first = firstFor.get(target);
    if (!first) {
      firstFor.set(target, { source, text: file.text });
      planned.push({ source, target, text: file.text });
    } else if (first.text !== file.text) {
      const why = 'llama-stack keeps one recording per request, and this one answers differently';
      planned.push({ source, reason: `the same llama-stack request as ${path.relative(dir, first.source)}: ${why}` });
    }
  }
  return planned;
}

export interface ExportResult {
  written: { source: string; target: string; outcome: WriteOutcome }[];
  /** Targets that exist with other content; with any (and no `force`), nothing is written. */
  conflicts: string[];
}

/** Writes what `planExport` planned, each file atomically; refuses (writing nothing) to overwrite a different file unless `force`. */
export function writeExport(planned: PlannedExport[], force: boolean): ExportResult {
  const files = planned.filter((entry): entry is PlannedExport & { target: string; text: string } => 'target' in entry);
  const differs = ({ target, text }: { target: string; text: string }) => fs.existsSync(target) && fs.readFileSync(target, 'utf8') !== text;
  const conflicts = files.filter(differs).map((file) => file.target);
  if (conflicts.length > 0 && !force) return { written: [], conflicts };
  const written = files.map(({ source, target, text }) => {
    fs.mkdirSync(path.dirname(target), { recursive: true });
    return { source, target, outcome: writeFileAtomically(target, text) };
  });
  return { written, conflicts };
}
