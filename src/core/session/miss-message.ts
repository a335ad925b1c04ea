import * as path from 'node:path';
import { idsRecordedForSameFile } from '../inspect/inspect';
import type { BodyNormalizer } from '../keying/normalizers';
import { storedBody } from '../keying/request';
import type { RecordingStore } from '../store/store';
import { printable } from '../util/printable';
import { shellQuote } from '../util/shell';
import { nearest } from '../util/nearest';
import type { KeyedRequest } from './identify';
import { explainMiss, type MissExplanation, type VolatileFields } from './miss';
import type { TestScope } from './scope';

/** How misses are reported in this run. */
export interface MissReporting {
  /** What runs Jest as the user started it, e.g. `npx jest`, `NODE_OPTIONS=--experimental-vm-modules pnpm exec jest --config e2e.js`. */
  command: string;
  /** jest-replay's command line, started the same way: `runner`, a command and its arguments, then `options` (`--config`…). */
  cli: { runner: string; options: string };
  /** The long form (`JEST_REPLAY_VERBOSE`): every differing field, both ways to record, and the client's own error kept. */
  verbose: boolean;
}

/** Differing fields listed in the short form (which stays within ~15 lines) and in the long one. */
const SHORT_DIFFERENCES = 5;
const LONG_DIFFERENCES = 100;

/**
 * The one thing a miss tells the user to do, chosen from what explains it: record the test; or, when
 * re-recording cannot help, leave volatile fields out of the key; or, for a test with no recordings whose
 * old id is near, move that id's recordings (`jest-replay mv`, no network call), recording it as the other way.
 */
type Fix = { kind: 'record' } | { kind: 'ignore'; fields: VolatileFields } | { kind: 'move'; from: string };

function fixFor({ volatile }: MissExplanation, renamedFrom: string | undefined): Fix {
  if (volatile) return { kind: 'ignore', fields: volatile };
  return renamedFrom === undefined ? { kind: 'record' } : { kind: 'move', from: renamedFrom };
}

/**
 * The id a test with no recordings most likely had before it was renamed: the nearest of the ids recorded
 * for its file that no test or hook of the file has now (a sibling's recordings are never offered).
 */
function renamedFrom(scope: TestScope, otherIds: string[]): string | undefined {
  const declared = scope.info.declaredIds?.();
  return declared && nearest(scope.testId, otherIds.filter((id) => !declared.includes(id)))[0];
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function fixLines(fix: Fix, scope: TestScope, reporting: MissReporting): string[] {
  const file = printable(shellQuote(scope.info.testPath));
  const only = scope.info.fullName ? ` -t ${printable(shellQuote(`^${escapeRegExp(scope.info.fullName)}$`))}` : '';
  const record = `RECORD=1 ${reporting.command} ${file}${only}`;
  switch (fix.kind) {
    case 'ignore': {
      const { paths, kinds } = fix.fields;
      return [
        `Re-recording alone cannot help: ${paths.length === 1 ? 'the only difference looks' : 'every difference looks'} volatile ` +
          `(${kinds.join(', ')}), new on every run.`,
        'Leave it out of the key, in testEnvironmentOptions.replay (or replay.matchIgnore() in this test):',
        `  matchIgnore: ${printable(JSON.stringify(paths))}`,
        `then record the test once more (keys change with matchIgnore): ${record}`,
      ];
    }
    case 'move': {
      const quoted = (id: string) => printable(shellQuote(id));
      return [
        'Renamed? Move the recordings of its old id to it (no network call):',
        `  ${reporting.cli.runner} mv ${quoted(fix.from)} ${quoted(scope.testId)}${printable(reporting.cli.options)}`,
        'or record it with real credentials:',
        `  ${record}`,
      ];
    }
    case 'record':
      return [
        'Record it with real credentials:',
        `  ${record}`,
        ...(reporting.verbose ? [`or record only what is missing: JEST_REPLAY_MODE=record-if-missing ${reporting.command} ${file}`] : []),
      ];
  }
}

/** Why a request has no recording in replay mode, what came closest, and the one thing to do about it. */
export async function missMessage(
  store: RecordingStore,
  rootDir: string,
  scope: TestScope,
  keyed: KeyedRequest,
  how: { normalize: BodyNormalizer; reporting: MissReporting },
): Promise<string> {
  const { method, url, body, key, ordinal } = keyed;
  const display = (file: string) => path.relative(rootDir, file);
  const expected = display(store.fileFor(scope.testId, key, ordinal));
  const recordings = await store.recordingsOf(scope.testId);
  const otherIds = recordings.length === 0 ? idsRecordedForSameFile(store, scope.testId) : [];
  const shownDifferences = how.reporting.verbose ? LONG_DIFFERENCES : SHORT_DIFFERENCES;
  const context = { recordings, display, otherIds, normalize: how.normalize, shownDifferences };
  const explanation = explainMiss({ method, url, body: storedBody(body), ordinal }, context);
  return [
    'jest-replay: no recording for this request (mode: replay).',
    `  test id:  ${printable(scope.testId)}`,
    `  request:  ${method} ${printable(String(url))}`,
    `  key:      ${key}${ordinal > 1 ? ` (identical request #${ordinal} in this test)` : ''}`,
    `  expected: ${printable(expected)}`,
    ...explanation.lines,
    ...fixLines(fixFor(explanation, recordings.length === 0 ? renamedFrom(scope, otherIds) : undefined), scope, how.reporting),
    ...(scope.mode === 'replay' ? ["This test sets replay.mode('replay'): remove that call while recording it."] : []),
  ].join('\n');
}
