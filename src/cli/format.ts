import * as path from 'node:path';
import type { RecordingSummary } from '../core/inspect/inspect';
import type { Tree } from '../core/store/storage';
import { plural } from '../core/util/words';

/** Small text helpers shared by the commands that print recordings. */

export function formatSize(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  if (bytes < 1_000_000) return `${(bytes / 1000).toFixed(1)} kB`;
  return `${(bytes / 1_000_000).toFixed(1)} MB`;
}

/** `POST /v1/chat/completions  gpt-4o  stream  400`: what a recording is, in a few columns. */
export function formatSummary(summary: RecordingSummary): string {
  const parts = [`${summary.method} ${summary.endpoint}`, summary.model || '-'];
  if (summary.streaming) parts.push('stream');
  if (summary.status !== 200) parts.push(String(summary.status));
  return parts.join('  ');
}

/** Rows of columns, each column padded to its widest cell. */
export function table(rows: string[][], indent = '  '): string[] {
  const widths = rows.reduce<number[]>((w, row) => row.map((cell, i) => Math.max(w[i] ?? 0, cell.length)), []);
  return rows.map((row) => `${indent}${row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]))).join('  ')}`);
}

/** A path as the user would type it from where they are. */
export const fromCwd = (file: string) => path.relative(process.cwd(), file) || '.';


/** What `list`, `verify` and `prune` say about the folders they could not read, and skipped. */
export const unreadableLines = (dir: string, unreadable: Tree['unreadable']): string[] =>
  unreadable.map((folder) => `skipped ${fromCwd(path.join(dir, folder.path))}: cannot be read (${folder.reason})`);

/** What `list`, `verify` and `prune` say about the symbolic links they found and did not follow. */
export function linkLines(dir: string, links: Tree['links']): string[] {
  if (links.length === 0) return [];
  return [
    `${plural(links.length, 'symbolic link')} not followed (a link may lead outside the recordings directory: it is not listed, checked or deleted):`,
    ...links.map((link) => `  ${fromCwd(path.join(dir, link.path))} -> ${link.target}`),
  ];
}
