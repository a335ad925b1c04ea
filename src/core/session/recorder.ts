import { STATUS_CODES } from 'node:http';
import * as path from 'node:path';
import type { ResolvedConfig } from '../config';
import { ReplayError, withoutStack } from '../errors';
import { storedRequest } from '../keying/request';
import { refuseLeaks } from '../keying/secrets';
import { applyBeforeRecord, type BeforeRecordHook } from '../recording/before-record';
import type { Recording, StoredResponse } from '../recording/format';
import { modelListDigest } from '../recording/model-list';
import { tokensOf } from '../recording/tokens';
import type { RecordingStore } from '../store/store';
import type { KeyedRequest } from './identify';
import type { TestScope } from './scope';

/**
 * Writing a recorded response: a good recording is kept from a failure that says nothing about the
 * request, the project's `beforeRecord` hook edits the rest, and no credential reaches the file.
 */

export interface RecorderSetup {
  config: ResolvedConfig;
  store: RecordingStore;
  /** The project's `beforeRecord` hook, loaded by the environment. */
  beforeRecord?: BeforeRecordHook;
}

/** HTTP statuses that say nothing about the request: wrong credentials, too many requests, the server's own trouble. */
const isTransient = (status: number) => status === 401 || status === 403 || status === 429 || status >= 500;

/** What came back, when it is a failure that must not replace a good recording: `401 Unauthorized`, `a broken connection (ECONNRESET)`. */
function transientFailure(response: StoredResponse): string | undefined {
  if (response.is_exception) {
    const { type, code, message = response.exception_message } = response.exception_data ?? {};
    const kind = /Timeout/.test(String(type)) ? 'a timeout' : 'a broken connection';
    return `${kind} (${[code, message].filter((part) => part !== undefined).join(': ')})`;
  }
  const status = response.status ?? 200;
  return isTransient(status) ? `${status} ${STATUS_CODES[status] ?? ''}`.trimEnd() : undefined;
}

/** The first of `files` that holds a successful (2xx) response, with its status. */
async function goodRecording(store: RecordingStore, files: string[]): Promise<{ file: string; status: number } | undefined> {
  for (const file of files) {
    try {
      const { response } = await store.read(file);
      const status = response.status ?? 200;
      if (!response.is_exception && status >= 200 && status < 300) return { file, status };
    } catch {
      // No file, or one that cannot be used: nothing good to keep.
    }
  }
  return undefined;
}

/** The function that writes the response to `keyed` as its recording, once it has been received whole. */
export function recordingWriter(
  setup: RecorderSetup,
  scope: TestScope,
  keyed: KeyedRequest,
  request: Request,
): (response: StoredResponse) => Promise<void> {
  const { config, store, beforeRecord } = setup;
  const { method, url, body, key, ordinal, shared, credentials } = keyed;
  const recorded = { method, url, headers: request.headers, body, extraHeaders: config.requestHeaders };
  const file = shared ? undefined : store.fileFor(scope.testId, key, ordinal);
  const noteWritten = scope.noteRecording();
  const shown = (target: string) => path.relative(config.rootDir, target);
  return async (captured) => {
    const got = config.recordFailedRequests ? undefined : transientFailure(captured);
    const good = got === undefined ? undefined : await goodRecording(store, file ? [file] : store.locateModelLists(key));
    if (good) {
      scope.noteKept(good.file, got!);
      scope.fail(withoutStack(new ReplayError(keptMessage(shown(good.file), `${method} ${url.pathname}`, got!, good.status))));
      return;
    }
    const stored = storedRequest(recorded);
    const response = beforeRecord
      ? applyBeforeRecord(beforeRecord, shownModule(config.beforeRecord!, config.rootDir), captured, stored)
      : captured;
    // The test's own matchIgnore paths go with its file, for `verify` and `mv` to key it as recorded here.
    const ignored = shared || scope.matchIgnore.length === 0 ? {} : { match_ignore: [...scope.matchIgnore] };
    const recording: Recording = { test_id: shared ? null : scope.testId, ...ignored, request: stored, response, id_normalization_mapping: {} };
    const target = file ?? store.modelListFile(key, modelListDigest(recording));
    const outcome = await store.write(target, recording, (text) => refuseLeaks(shown(target), recording, text, credentials));
    noteWritten(target, outcome, tokensOf(recording));
  };
}

/** A module option as the user reads it: relative to rootDir when it is a path inside it. */
const shownModule = (spec: string, rootDir: string) =>
  path.isAbsolute(spec) && !path.relative(rootDir, spec).startsWith('..') ? path.relative(rootDir, spec) : spec;

function keptMessage(file: string, request: string, got: string, status: number): string {
  return (
    `jest-replay: kept ${file}: re-recording ${request} got ${got}, and that recording holds a successful response (${status}). ` +
    'A failure that says nothing about the request (wrong credentials, a rate limit, a server error, a broken connection) ' +
    'never replaces a good recording: fix its cause and record again, or set testEnvironmentOptions.replay.recordFailedRequests ' +
    'to true to record failures over successes.'
  );
}
