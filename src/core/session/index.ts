import { AsyncLocalStorage } from 'node:async_hooks';
import { decodeResponse, encodeFailure, neverConnected, type ReplayResponse } from '../recording/codec';
import type { ResolvedConfig } from '../config';
import { LinkedFolderError, RecordingFileError, ReplayError, withoutStack } from '../errors';
import { type Interaction, interactionOf } from './interaction';
import { mergeModelLists } from '../recording/model-list';
import { type Mode, records, replays } from '../mode';
import type { RedactHook } from '../keying/redact';
import { storedBody } from '../keying/request';
import { failBeforeResponse, replayedResponse } from './replay';
import { stringsIn } from '../recording/volatile';
import { type Tokens, tokensOf } from '../recording/tokens';
import type { RecordingStore } from '../store/store';
import { type FileUsage, relativePosix, RUN_ID_VARIABLE, type ScopeStatus, type ScopeUsage } from '../store/usage';
import { asDecoded, forward, type Passthrough, tee } from './capture';
import { Identifier, type KeyedRequest } from './identify';
import { LateRequests } from './late';
import { failTest, outsideTestMessage, refusal, refusePlaceholder, shownRequest } from './messages';
import { type MissReporting, missMessage } from './miss-message';
import type { StoredResponse } from '../recording/format';
import { recordingWriter } from './recorder';
import { DriftCheck, type Send } from './drift';
import { recordingsFor } from './locate';
import { type ScopeInfo, TestScope } from './scope';
import { printable } from '../util/printable';
import type { BeforeRecordHook } from '../recording/before-record';

export type { KeyedRequest, MissReporting, Passthrough, ScopeInfo, TestScope };

/** The test (or hook) the code running now belongs to, and the session of its test file. */
interface Owner {
  scope: TestScope;
  session: ReplaySession;
}

/**
 * The owner of the code running now, carried along every await, timer and callback: concurrent tests
 * never mix, and code that outlives its test, or its whole test file, is recognized instead of being
 * charged to whichever test runs next. One store for every session of the process: a request that a
 * test file left behind reaches the next file's interception, which hands it back to its own session.
 */
const running = new AsyncLocalStorage<Owner>();

/**
 * The cassette of one test file: decides for every intercepted request whether to replay,
 * record or refuse it, according to the mode. Knows nothing of Jest or of how requests are
 * intercepted: it takes a Fetch `Request` and answers with a Fetch `Response`.
 */
export class ReplaySession {
  private readonly identifier: Identifier;
  /** Every settled scope of the file. */
  private readonly settled: ScopeUsage[] = [];
  /** Requests left alone because their host is in `ignoreHosts`, by host (`name:port`). */
  private readonly ignored = new Map<string, number>();
  private readonly late = new LateRequests();
  readonly beforeRecord?: BeforeRecordHook;
  /** What the file's usage says of the run: tests left out by `test.only`, ids set by the file's own tests. */
  private readonly facts: Pick<FileUsage, 'focused' | 'setsIds'> = {};
  /** Ids the file's responses were received with → as stored: a test may send back an id its `beforeAll` received. */
  private readonly replacedIds = new Map<string, string>();
  /** In a drift run: what each request got live, beside the recording it would have replayed. */
  readonly drift?: DriftCheck;

  constructor(
    readonly config: ResolvedConfig,
    readonly store: RecordingStore,
    private readonly passthrough: Passthrough,
    /** The project's `redact` and `beforeRecord` hooks, loaded by the environment. */
    hooks: { redact?: RedactHook; beforeRecord?: BeforeRecordHook } = {},
    private readonly reporting: MissReporting = { command: 'npx jest', cli: { runner: 'npx jest-replay', options: '' }, verbose: false },
  ) {
    this.identifier = new Identifier(config, hooks.redact);
    this.beforeRecord = hooks.beforeRecord;
    if (config.mode === 'drift') {
      const normalize = (scope: TestScope) => this.identifier.keyNormalizer(scope);
      const send: Send = (scope, keyed, request, bytes, write) => this.record(scope, keyed, request, bytes, write);
      this.drift = new DriftCheck({ config, store, beforeRecord: this.beforeRecord, normalize, send });
    }
  }

  open(info: ScopeInfo): TestScope {
    return new TestScope(info, this.replacedIds);
  }

  /** Runs `fn` (a test or hook body) so that every request it starts belongs to `scope`. */
  run<T>(scope: TestScope, fn: () => T): T {
    return running.run({ scope, session: this }, fn);
  }

  /**
   * Ends the session: the test file is done. Every request its code makes from now on (a timer, a
   * retry, a promise nobody awaited) is refused and noted, and `onLate` is called so the file's usage
   * note can list it.
   */
  end(testFile: string, onLate: () => void): void {
    this.late.end(testFile, onLate);
  }

  /** The scope of this file's code calling now, if any. */
  get current(): TestScope | undefined {
    const owner = running.getStore();
    return owner?.session === this ? owner.scope : undefined;
  }

  /** Ends a scope: waits for its recordings to be written and returns what went wrong. */
  close(scope: TestScope): Promise<Error[]> {
    return scope.close();
  }

  /** The mode a scope's requests are handled in. */
  modeOf(scope: TestScope): Mode {
    return scope.mode ?? this.config.mode;
  }

  /** What a scope replayed and recorded so far (`replay.interactions()`), once its recordings are written. */
  async interactions(scope: TestScope): Promise<Interaction[]> {
    await scope.allWritten();
    const listed: Interaction[] = [];
    for (const { source, file } of scope.interactions) {
      if (file) listed.push(interactionOf(await this.store.read(file), source, relativePosix(this.config.rootDir, file)));
    }
    return listed;
  }

  /**
   * Notes how a closed scope ended, for the run's usage. A passing test recorded in `record` mode owns its folder:
   * what it did not write is deleted when the run ends, once every test file's usage is known (see clean-up.ts).
   */
  settle(scope: TestScope, status: ScopeStatus): void {
    this.drift?.settle(scope, status);
    if (scope.setsOwnId) this.note('setsIds');
    this.settled.push(scope.usage(status, this.modeOf(scope), (file) => relativePosix(this.config.dir, file)));
  }

  /**
   * Notes a fact of the file for the run: a test did not run because others are focused (`test.only`: the run is
   * partial), or the file may give its tests ids of their own (`setTestId`: a test that did not run may own any folder).
   */
  note(fact: 'focused' | 'setsIds'): void {
    this.facts[fact] = true;
  }

  /** What this test file used of the recordings (see `usage.ts`). */
  usage(testFile: string): FileUsage {
    const { mode, rootDir, dir } = this.config;
    const ignored = Object.fromEntries(this.ignored);
    const recordings = relativePosix(rootDir, dir);
    const late = [...this.late.list];
    return { run: process.env[RUN_ID_VARIABLE], mode, recordings, testFile, scopes: this.settled, ignored, late, ...this.facts };
  }

  /**
   * False for requests to leave alone: to hosts configured so (`ignoreHosts`), counted for the run's summary; and,
   * once the file has ended, those its code did not start (a global teardown's, a reporter's in the same process).
   */
  handles(url: URL): boolean {
    const owner = running.getStore();
    // Another file's code, left behind: that file's session refuses it.
    if (owner && owner.session !== this) return true;
    if (this.late.ended) return owner !== undefined;
    const hosts = this.config.ignoreHosts;
    const host = url.host.toLowerCase();
    if (!hosts.includes(url.hostname.toLowerCase()) && !hosts.includes(host)) return true;
    this.ignored.set(host, (this.ignored.get(host) ?? 0) + 1);
    return false;
  }

  /** `bytes`: the request's body (`request` may no longer carry it). */
  async handle(request: Request, bytes: Uint8Array | null): Promise<Response> {
    // As fetch does: a request whose signal is already aborted is never sent, so neither recorded nor replayed.
    if (request.signal?.aborted) throw request.signal.reason;
    const owner = running.getStore();
    if (owner && owner.session !== this) return owner.session.handle(request, bytes);
    const scope = owner?.scope;
    if (this.late.ended || scope?.closed) return this.late.refuse(request, scope);
    if (!scope) return refusal(outsideTestMessage(request));
    scope.start();
    const mode = this.modeOf(scope);
    // A test's own live mode: to the server, unrecorded.
    if (mode === 'live') return refusePlaceholder(scope, request) ?? this.goLive(scope, request, bytes);
    const keyed = await this.identifier.identify(scope, request, bytes);
    if (keyed instanceof Response) return keyed;
    try {
      if (mode === 'drift') return await this.drift!.send(scope, keyed, request, bytes);
      if (replays(mode)) {
        const files = recordingsFor(this.store, scope.testId, keyed);
        if (files.length > 0) return this.replay(scope, keyed, files, request);
        if (mode === 'replay') return this.miss(scope, keyed);
      }
      if (!records(mode)) {
        return refusal(`jest-replay: mode ${mode} neither replays nor records ${keyed.method} ${printable(String(keyed.url))}`);
      }
      // Before anything is sent: a recording that could not be written must not cost a call.
      this.store.checkFolder(this.store.folderOf(keyed.shared ? null : scope.testId));
      return refusePlaceholder(scope, request) ?? this.record(scope, keyed, request, bytes);
    } catch (error) {
      if (!(error instanceof LinkedFolderError)) throw error;
      return failTest(scope, error, `jest-replay: cannot use the recordings of ${keyed.method} ${keyed.url.pathname}.`);
    }
  }

  /** Sends a request of a test that runs live to its server, unrecorded, and notes it for the run's summary. */
  private async goLive(scope: TestScope, request: Request, bytes: Uint8Array | null): Promise<Response> {
    scope.noteLive(shownRequest(request));
    return asDecoded(await this.passthrough(request, bytes, request.signal));
  }

  /** Answers from the recordings found; a broken one fails its test (only that one) with the file and the problem. */
  private async replay(scope: TestScope, keyed: KeyedRequest, files: string[], request: Request): Promise<Response> {
    let plan: ReplayResponse;
    let response: Response | undefined;
    let tokens: Tokens | undefined;
    try {
      const recordings = await Promise.all(files.map((file) => this.store.readForReplay(file)));
      const stored = keyed.shared ? mergeModelLists(recordings).response : recordings[0].response;
      tokens = keyed.shared ? undefined : tokensOf(recordings[0]);
      plan = decodeResponse(stored);
      // Built here, so a status or header no Response can have fails the test naming the file.
      response = replayedResponse(plan, { delays: stored.chunk_delays_ms, scale: this.config.timing, request });
    } catch (error) {
      const problem = error instanceof RecordingFileError ? error : new RecordingFileError(files.join(', '), (error as Error).message);
      return failTest(scope, problem, `jest-replay: cannot use the recording for ${keyed.method} ${keyed.url.pathname}.`);
    }
    scope.noteReplayed(files, tokens);
    // Outside the try: a recorded connection failure must reach the caller as one, not as a refusal.
    return response ?? failBeforeResponse(plan.failure!, request);
  }

  private async miss(scope: TestScope, keyed: KeyedRequest): Promise<Response> {
    const how = { normalize: this.identifier.keyNormalizer(scope), reporting: this.reporting };
    const miss = withoutStack(new ReplayError(await missMessage(this.store, this.config.rootDir, scope, keyed, how)));
    scope.noteMissed(`${keyed.method} ${keyed.url}`);
    return failTest(scope, miss, `jest-replay: no recording for ${keyed.method} ${keyed.url.pathname} (replay mode).`);
  }

  /** Sends the request upstream and answers with its response, recording it (or its failure) as it drains. */
  private async record(
    scope: TestScope,
    keyed: KeyedRequest,
    request: Request,
    bytes: Uint8Array | null,
    write: (response: StoredResponse) => Promise<unknown> = recordingWriter(this, scope, keyed, request),
  ): Promise<Response> {
    const writing = (response: StoredResponse) => write(response).then(() => undefined);
    const upstream = await forward(this.passthrough, request, bytes, scope.upstream, (failure) => {
      // The failure itself is the recording (replay fails the same way), unless no connection was made at all.
      if (neverConnected(failure)) scope.noteUnreached(`${keyed.method} ${keyed.url} (${failure.code ?? failure.message})`);
      else scope.track(writing(encodeFailure(failure)));
    });
    const { key, ordinal, url, body } = keyed;
    const context = { key, ordinal, endpoint: url.pathname, replacedIds: scope.replacedIds, sent: stringsIn(storedBody(body)) };
    const { response, written } = tee(upstream, request, { timing: this.config.recordTiming, context }, writing);
    scope.track(written);
    return response;
  }
}
