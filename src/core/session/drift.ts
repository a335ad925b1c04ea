import type { ResolvedConfig } from '../config';
import type { BodyNormalizer } from '../keying/normalizers';
import type { BeforeRecordHook } from '../recording/before-record';
import type { StoredResponse } from '../recording/format';
import { type DriftNote, liveDirOf, type RequestNote, type ScopeNote } from '../drift/scratch';
import { RecordingStore } from '../store/store';
import { relativePosix, type ScopeStatus } from '../store/usage';
import { printable } from '../util/printable';
import type { KeyedRequest } from './identify';
import { explainRequest, SHORT_DIFFERENCES } from './miss-message';
import { credentialsIn } from '../keying/secrets';
import { storedBody } from '../keying/request';
import { recordingsFor } from './locate';
import { recordingWriter } from './recorder';
import type { TestScope } from './scope';

/**
 * A drift run's requests (`JEST_REPLAY_MODE=drift`): each goes to the live server as in record mode (the test gets
 * the live response, a stream as it arrives), and is written through the recorder (normalized, `redact` and
 * `beforeRecord` applied, searched for credentials, atomically) into the drift folder, never the recordings
 * directory; beside it, the recording replay would have answered it from (the same lookup, ordinals included), or
 * why it keys to none. `jest-replay drift` compares the two (see `drift/compare.ts`).
 */

/** Sends a request upstream, answering with its live response and handing what was stored to `write`, as record mode does. */
export type Send = (
  scope: TestScope,
  keyed: KeyedRequest,
  request: Request,
  bytes: Uint8Array | null,
  write: (response: StoredResponse) => Promise<unknown>,
) => Promise<Response>;

export interface DriftSetup {
  config: ResolvedConfig;
  /** The recordings, read only. */
  store: RecordingStore;
  beforeRecord?: BeforeRecordHook;
  normalize(scope: TestScope): BodyNormalizer;
  send: Send;
}

/** The first sentence of an error's message, without jest-replay's prefix: why a live exchange was not written. */
const reason = (error: unknown) => {
  const message = String((error as Error)?.message ?? error).replace(/^jest-replay: /, '');
  return printable(/^.*?\.(?=\s|$)/.exec(message.split('\n')[0])?.[0] ?? message.split('\n')[0]);
};

export class DriftCheck {
  private readonly live: RecordingStore;
  private readonly open = new Map<TestScope, RequestNote[]>();
  private readonly settled: ScopeNote[] = [];

  constructor(private readonly setup: DriftSetup) {
    this.live = new RecordingStore(liveDirOf(setup.config.driftDir));
  }

  /** Notes the recording replay would have answered the request from, or why there is none. */
  private async check(scope: TestScope, keyed: KeyedRequest): Promise<RequestNote> {
    const { config, store } = this.setup;
    this.live.checkFolder(this.live.folderOf(keyed.shared ? null : scope.testId));
    const files = recordingsFor(store, scope.testId, keyed);
    const note: RequestNote = {
      request: `${keyed.method} ${keyed.url}`,
      ordinal: keyed.ordinal,
      recordings: files.map((f) => relativePosix(config.dir, f)),
    };
    if (files.length === 0) {
      const how = { normalize: this.setup.normalize(scope), shownDifferences: SHORT_DIFFERENCES };
      const { expected, explanation } = await explainRequest(store, config.rootDir, scope, keyed, how);
      // How it differs quotes the request: not one that holds a credential it carries (the note is written to disk).
      const sent = credentialsIn(`${keyed.url} ${JSON.stringify(storedBody(keyed.body))}`, keyed.credentials);
      const hidden = `  (how it differs from its nearest recording is not shown: the request holds its ${sent.join(', ')})`;
      note.unkeyed = [`  expected: ${printable(expected)}`, ...(sent.length > 0 ? [hidden] : explanation.lines)];
    }
    this.open.set(scope, [...(this.open.get(scope) ?? []), note]);
    return note;
  }

  /** Sends the request live and writes what it got into the drift folder, noting where (or why not). */
  async send(scope: TestScope, keyed: KeyedRequest, request: Request, bytes: Uint8Array | null): Promise<Response> {
    const note = await this.check(scope, keyed);
    const writer = recordingWriter({ ...this.setup, store: this.live }, scope, keyed, request);
    const write = async (response: StoredResponse) => {
      try {
        const file = await writer(response);
        if (file) note.live = relativePosix(this.live.dir, file);
      } catch (error) {
        note.problem = reason(error);
        throw error;
      }
    };
    try {
      return await this.setup.send(scope, keyed, request, bytes, write);
    } catch (error) {
      // A failure that got a response is written (and compared) all the same; one that never connected is not.
      note.problem ??= `no response: ${reason((error as { cause?: unknown }).cause ?? error)}`;
      throw error;
    }
  }

  /** Notes how a test ended, with its requests. */
  settle(scope: TestScope, status: ScopeStatus): void {
    const requests = this.open.get(scope);
    this.open.delete(scope);
    if (requests) this.settled.push({ id: scope.testId, status, requests });
  }

  /** The test file's note, for `jest-replay drift`. */
  note(testFile: string): DriftNote {
    return { testFile, recordings: relativePosix(this.setup.config.rootDir, this.setup.config.dir), scopes: this.settled };
  }
}
