import * as path from 'node:path';
import { type Mode, records } from '../core/mode';
import type { CleanUp } from '../core/store/clean-up';
import { type Counted, keptLine, summarizeUsage } from '../core/store/unused';
import type { FileUsage, ShardUsage } from '../core/store/usage';
import { printable } from '../core/util/printable';
import { plural } from '../core/util/words';
import { displayPath } from './options';

/** The lines the reporter ends a run with, for each recordings directory (see docs/recordings.md, "The run's summary"). */

/** At most this many requests that could not be sent (or paths that could not be read) are listed; the rest are counted. */
const SHOWN = 5;

/** `  what: first`, … at most `SHOWN` lines, then how many more. */
const listed = (what: string, items: string[]) => [
  ...items.slice(0, SHOWN).map((item) => `  ${what}: ${item}`),
  ...(items.length > SHOWN ? [`  … and ${items.length - SHOWN} more ${what}`] : []),
];

/** What the end of the run did and skipped: stale recordings it deleted, clashes, folders and usage notes it could not read. */
export interface Settlement {
  cleanUp: CleanUp;
  clashes: string[];
  folders: Counted['unreadable'];
  notes: ShardUsage['unreadable'];
}

const NOTHING_SETTLED: Settlement = { cleanUp: { deleted: [], clashes: [] }, clashes: [], folders: [], notes: [] };

/** One recordings directory at the end of a run: what its tests used, and how the run judged the rest. */
export interface DirectoryRun {
  mode: Mode;
  dir: string;
  files: FileUsage[];
  /** Recordings no test used and `prune` would delete, and those kept all the same. */
  judged: Pick<Counted, 'unused' | 'kept'>;
  /** What made the run partial (empty when complete), and the test files it did not run. */
  partial?: { reasons: string[]; notRun: string[] };
}

/** The run's closing lines for one recordings directory. */
export function summaryLines({ mode, dir, files, judged, partial }: DirectoryRun, settled: Settlement = NOTHING_SETTLED): string[] {
  const summary = summarizeUsage(files, settled.cleanUp.deleted);
  const { unused, kept } = judged;
  const lines = [
    `jest-replay: ${mode} mode — ${summary.replayed} replayed, ${summary.recorded} recorded, ${summary.missing} missing, ` +
      `${unused} unused (recordings in ${displayPath(dir)}/)`,
  ];
  const { replayed: saved, recorded: spent } = summary.tokens;
  if (saved.prompt + saved.completion + spent.prompt + spent.completion > 0) {
    lines.push(
      `  tokens: ${saved.prompt} prompt and ${saved.completion} completion replayed; ` +
        `${spent.prompt} prompt and ${spent.completion} completion recorded`,
    );
  }
  if (unused > 0) lines.push('  npx jest-replay prune lists the unused recordings; --yes deletes them');
  if (partial && partial.reasons.length > 0) {
    lines.push(`  partial run (${partial.reasons.join('; ')}): recordings of the tests it did not run are kept`);
    lines.push(...listed('did not run', partial.notRun));
  }
  const keptText = keptLine(kept);
  if (keptText) lines.push(`  ${keptText}`);
  lines.push(...listed('skipped, runs live (this CI run replays)', summary.skippedLive.map(printable)));
  lines.push(...listed('went live', summary.live.map(({ request, from }) => `${request} (${printable(from)})`)));
  lines.push(...listed('left alone (ignoreHosts)', [...summary.ignored].map(([host, count]) => `${host} (${plural(count, 'request')})`)));
  lines.push(...listed('not recorded (no connection was made)', summary.unreached));
  for (const { request, from, after } of summary.late.slice(0, SHOWN)) {
    lines.push(`  refused after its ${after === 'file' ? 'test file' : 'test'} ended: ${request} (started by ${printable(from)})`);
  }
  if (summary.late.length > SHOWN) lines.push(`  … and ${summary.late.length - SHOWN} more refused after their test ended`);
  const ignored = [...summary.ignored.values()].reduce((sum, count) => sum + count, 0);
  const nothingElse = summary.recorded + summary.replayed + summary.missing + summary.unreached.length === 0;
  // `ignoreHosts: ['127.0.0.1']` meant for an app under test also silences a local LLM server.
  if (records(mode) && ignored > 0 && nothingElse) {
    const hosts = [...summary.ignored.keys()].join(', ');
    lines.push(
      `  nothing was recorded: every request (${ignored}) went to a host in ignoreHosts (${hosts}), never recorded; ` +
        'a local LLM server must not be listed there (list your own app as host:port)',
    );
  }
  for (const { file, change } of summary.changes) lines.push(`  ${change.padEnd(8)} ${displayPath(path.join(dir, file))}`);
  for (const { file, got } of summary.kept) {
    lines.push(`  kept     ${displayPath(path.join(dir, file))} (re-recording got ${got}: a failure never replaces a good recording)`);
  }
  lines.push(...listed('skipped, cannot be read', settled.folders.map((f) => `${displayPath(path.join(dir, f.path))} (${f.reason})`)));
  lines.push(...listed('skipped, not a usage note', settled.notes.map((n) => `${displayPath(n.file)} (${n.reason})`)));
  lines.push(...settled.clashes);
  return lines;
}


/** The same summary as data, for the summary file (`JEST_REPLAY_SUMMARY_FILE`). */
export function summaryData({ mode, dir, files, judged }: DirectoryRun, settled: Settlement = NOTHING_SETTLED): Record<string, unknown> {
  const summary = summarizeUsage(files, settled.cleanUp.deleted);
  return {
    dir: displayPath(dir),
    mode,
    replayed: summary.replayed,
    recorded: summary.recorded,
    missing: summary.missing,
    unused: judged.unused,
    kept: judged.kept,
    tokens: summary.tokens,
    testFiles: summary.tokensByFile,
    wentLive: summary.live,
    skippedLive: summary.skippedLive,
    ignored: Object.fromEntries(summary.ignored),
    changes: summary.changes,
  };
}
