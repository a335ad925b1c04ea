import { AsyncLocalStorage } from 'node:async_hooks';
import * as path from 'node:path';
import {
  type CapturedResponse,
  decodeResponse,
  encodeFailure,
  encodeResponse,
  neverConnected,
  type ReceivedBytes,
  type ReplayResponse,
  type TransportFailure,
} from './codec';
import type { ResolvedConfig } from './config';
import { RecordingFileError, ReplayError, withoutStack } from './errors';
import type { Recording } from './format';
import { type Interaction, interactionOf } from './interaction';
import type { Json } from './json';
import { bodyForKey, isSharedEndpoint, requestKey } from './key';
import { mergeModelLists, modelListDigest } from './model-list';
import { idsRecordedForSameFile } from './inspect';
import { ignoreFields, ignorePathProblem } from './match-ignore';
import { type Mode, records, replays } from './mode';
import { explainMiss } from './miss';
import { type BodyNormalizer, loadNormalizers } from './normalizers';
import { publicUrl, readRequestBody, type RequestBody, storedBody, storedRequest, substituteIds } from './request';
import { type RedactHook, redactRequest } from './redact';
import { abortable, failBeforeResponse, NULL_BODY_STATUS, replayedResponse } from './replay';
import { credentialsOf, refuseLeaks } from './secrets';
import type { WriteOutcome } from './storage';
import type { RecordingStore } from './store';
import { type FileUsage, relativePosix, RUN_ID_VARIABLE, type ScopeStatus, type ScopeUsage } from './usage';

/** Who is making requests right now: a test, or a `beforeAll`/`afterAll` hook. */
export interface ScopeInfo {
  testId: string;
  /** Test file relative to rootDir, for the command that records a miss. */
  testPath: string;
  /** Jest's full name of the test (for `-t`); absent for hooks. */
  fullName?: string;
}

/** Per-test state: counters for identical requests, writes in flight, problems to report. */
export class TestScope {
  readonly ordinals = new Map<string, number>();
  readonly pending = new Set<Promise<void>>();
  readonly problems: Error[] = [];
  /** Files this scope wrote, and whether each was new, changed or the same as before. */
  readonly written: { file: string; outcome: WriteOutcome }[] = [];
  /** Files this scope was answered from. */
  readonly replayed: string[] = [];
  /** Requests that found no recording (`METHOD url`). */
  readonly missed: string[] = [];
  /** Requests not recorded because no connection to their server was made (`METHOD url (CODE)`). */
  readonly unreached: string[] = [];
  /** Ids this test's responses had before normalization → their `rec-…` form. */
  readonly replacedIds = new Map<string, string>();
  /** The mode this test picked (`replay.mode()`); otherwise the run's. */
  mode?: Mode;
  /** Body paths this test leaves out of its keys (`replay.matchIgnore()`), beside the configured ones. */
  readonly matchIgnore: string[] = [];
  /** What the test replayed or recorded, in request order; `file` is set once the recording is written. */
  readonly interactions: { source: Interaction['source']; file?: string }[] = [];
  /** Set by the first request: keys must not change after it. */
  started = false;
  /** Set when the test has ended: a request still arriving comes from code that outlived it. */
  closed = false;
  /** Aborts upstream requests that are still running long after the test ended. */
  readonly upstream = new AbortController();

  constructor(readonly info: ScopeInfo) {}

  get testId(): string {
    return this.info.testId;
  }

  /** Lets a test pick its id (`setTestId`); only before its first request, so keys never mix. */
  setTestId(testId: string): void {
    if (typeof testId !== 'string' || testId.trim() === '') throw new ReplayError('jest-replay: setTestId needs a non-empty string.');
    this.beforeFirstRequest(`setTestId(${JSON.stringify(testId)})`);
    this.info.testId = testId;
  }

  /** Lets a test pick its mode (`replay.mode()`, checked by `testMode`); only before its first request. */
  setMode(mode: Mode): void {
    this.beforeFirstRequest('replay.mode()');
    this.mode = mode;
  }

  /** Adds body paths this test's keys leave out (`replay.matchIgnore()`); only before its first request. */
  ignore(paths: unknown[]): void {
    for (const p of paths) {
      const problem = typeof p === 'string' ? ignorePathProblem(p) : `${JSON.stringify(p)} is not a string.`;
      if (problem) throw new ReplayError(`jest-replay: replay.matchIgnore(): ${problem}`);
    }
    this.beforeFirstRequest('replay.matchIgnore()');
    this.matchIgnore.push(...(paths as string[]));
  }

  private beforeFirstRequest(call: string): void {
    if (this.started) throw new ReplayError(`jest-replay: ${call} must be called before the test's first request.`);
  }

  nextOrdinal(key: string): number {
    const n = (this.ordinals.get(key) ?? 0) + 1;
    this.ordinals.set(key, n);
    return n;
  }
}

export type Passthrough = (request: Request, body: Uint8Array | null, signal: AbortSignal) => Promise<Response>;

/** How long a closed test waits for its recordings (a stream it stopped reading is still drained). */
const DRAIN_TIMEOUT_MS = 30_000;

/** Decoded by fetch: what the caller gets is the decoded body, so these would lie. */
const STALE_AFTER_DECODING = ['content-encoding', 'content-length', 'transfer-encoding'];

/**
 * The cassette of one test file: decides for every intercepted request whether to replay,
 * record or refuse it, according to the mode. Knows nothing of Jest or of how requests are
 * intercepted: it takes a Fetch `Request` and answers with a Fetch `Response`.
 */
export class ReplaySession {
  /** The project's `normalizers`, loaded at the first request (global setup has already checked they load). */
  private normalizeBody?: BodyNormalizer;
  /**
   * The scope a request belongs to is the one its code was started in, carried along every
   * await, timer and callback: concurrent tests never mix, and a timer that outlives its test
   * is recognized instead of being charged to whichever test runs next.
   */
  private readonly active = new AsyncLocalStorage<TestScope>();
  /** Every settled scope of the file, and the stale recordings re-recording deleted. */
  private readonly settled: ScopeUsage[] = [];
  private readonly removed: string[] = [];
  private readonly writtenHere = new Set<string>();
  /** Requests left alone because their host is in `ignoreHosts`, by host (`name:port`). */
  private readonly ignored = new Map<string, number>();

  constructor(
    readonly config: ResolvedConfig,
    readonly store: RecordingStore,
    private readonly passthrough: Passthrough,
    /** The project's `redact` hook, loaded by the environment. */
    private readonly redact?: RedactHook,
  ) {}

  open(info: ScopeInfo): TestScope {
    return new TestScope(info);
  }

  /** Runs `fn` (a test or hook body) so that every request it starts belongs to `scope`. */
  run<T>(scope: TestScope, fn: () => T): T {
    return this.active.run(scope, fn);
  }

  /**
   * Ends the session (the test file is done). An AsyncLocalStorage left enabled makes Node run its
   * hook on every promise created afterwards, so each finished test file would slow all later ones
   * in the same worker.
   */
  dispose(): void {
    this.active.disable();
  }

  /** The scope of the code calling now, if any. */
  get current(): TestScope | undefined {
    return this.active.getStore();
  }

  /** Ends a scope: waits for its recordings to be written and returns what went wrong. */
  async close(scope: TestScope): Promise<Error[]> {
    scope.closed = true;
    const timer = setTimeout(() => scope.upstream.abort(new ReplayError(`jest-replay: the server was still sending ${DRAIN_TIMEOUT_MS / 1000}s after "${scope.testId}" ended; that response was not recorded.`)), DRAIN_TIMEOUT_MS);
    try {
      await written(scope);
    } finally {
      clearTimeout(timer);
    }
    return scope.problems;
  }

  /** The mode a scope's requests are handled in. */
  modeOf(scope: TestScope): Mode {
    return scope.mode ?? this.config.mode;
  }

  /** What a scope replayed and recorded so far (`replay.interactions()`), once its recordings are written. */
  async interactions(scope: TestScope): Promise<Interaction[]> {
    await written(scope);
    const listed: Interaction[] = [];
    for (const { source, file } of scope.interactions) {
      if (file) listed.push(interactionOf(await this.store.read(file), source, relativePosix(this.config.rootDir, file)));
    }
    return listed;
  }

  /**
   * Notes how a closed scope ended, for the run's usage. In record mode a passing test (or hook)
   * owns its folder: recordings it did not write this time are stale, and deleted, so the folder
   * holds exactly what the run used.
   */
  settle(scope: TestScope, status: ScopeStatus): void {
    const relative = (file: string) => relativePosix(this.config.dir, file);
    for (const { file } of scope.written) this.writtenHere.add(file);
    if (this.modeOf(scope) === 'record' && status === 'passed') {
      // Everything this file wrote is kept: two of its tests may share an id (setTestId).
      this.removed.push(...this.store.removeOthers(scope.testId, this.writtenHere).map(relative));
    }
    this.settled.push({
      id: scope.testId,
      status,
      replayed: [...new Set(scope.replayed.map(relative))],
      written: scope.written.map(({ file, outcome }) => ({ file: relative(file), outcome })),
      missed: scope.missed,
      unreached: scope.unreached,
    });
  }

  /** What this test file used of the recordings (see `usage.ts`). */
  usage(testFile: string): FileUsage {
    const { mode, rootDir, dir } = this.config;
    const ignored = Object.fromEntries(this.ignored);
    const recordings = relativePosix(rootDir, dir);
    return { run: process.env[RUN_ID_VARIABLE], mode, recordings, testFile, scopes: this.settled, removed: this.removed, ignored };
  }

  /** False for hosts configured to be left alone (`ignoreHosts`), which are counted for the run's summary. */
  handles(url: URL): boolean {
    const hosts = this.config.ignoreHosts;
    const host = url.host.toLowerCase();
    if (!hosts.includes(url.hostname.toLowerCase()) && !hosts.includes(host)) return true;
    this.ignored.set(host, (this.ignored.get(host) ?? 0) + 1);
    return false;
  }

  /** The body as keyed: normalized, adjusted by the project's normalizers, without the fields `matchIgnore` names. */
  private keyedBody(scope: TestScope, method: string, url: URL, body: RequestBody): Json {
    this.normalizeBody ??= loadNormalizers(this.config.normalizers, this.config.rootDir);
    const normalized = this.normalizeBody(bodyForKey(body), { method, path: url.pathname });
    return ignoreFields(normalized, [...this.config.matchIgnore, ...scope.matchIgnore]);
  }

  async handle(request: Request): Promise<Response> {
    // As fetch does: a request whose signal is already aborted is never sent, so neither recorded nor replayed.
    if (request.signal?.aborted) throw request.signal.reason;
    const scope = this.active.getStore();
    if (!scope) return refusal(outsideTestMessage(request));
    if (scope.closed) return refusal(outlivedMessage(request, scope));
    scope.started = true;
    const bytes = request.body ? new Uint8Array(await request.arrayBuffer()) : null;
    // A test's own live mode: to the server, unrecorded.
    if (this.modeOf(scope) === 'live') return asDecoded(await this.passthrough(request, bytes, request.signal));
    const credentials = credentialsOf(request.url, request.headers);
    const live = {
      method: request.method.toUpperCase(),
      url: publicUrl(request.url, credentials),
      body: substituteIds(await readRequestBody(bytes, request.headers.get('content-type') ?? ''), scope.replacedIds),
    };
    let keyed: typeof live;
    try {
      keyed = this.redact ? redactRequest(this.redact, live) : live;
    } catch (error) {
      return failTest(scope, error as Error, `jest-replay: the redact hook failed for ${live.method} ${live.url.pathname}.`);
    }
    const { method, url, body } = keyed;
    const shared = isSharedEndpoint(method, url.pathname);
    const key = requestKey({ method, url, body: this.keyedBody(scope, method, url, body), testId: scope.testId });
    const ordinal = shared ? 1 : scope.nextOrdinal(key);
    const mode = this.modeOf(scope);

    if (replays(mode)) {
      const files = shared ? this.store.locateModelLists(key) : [this.locate(scope, method, url, body, key, ordinal)].filter(isDefined);
      if (files.length > 0) {
        let plan: ReplayResponse;
        let response: Response | undefined;
        try {
          const recordings = await Promise.all(files.map((file) => this.store.read(file)));
          const stored = shared ? mergeModelLists(recordings).response : recordings[0].response;
          plan = decodeResponse(stored);
          // Built here, so a status or header no Response can have fails the test naming the file.
          response = replayedResponse(plan, { delays: stored.chunk_delays_ms, scale: this.config.timing, request });
        } catch (error) {
          // A broken recording fails its test (only that one) with the file and the problem.
          const problem = error instanceof RecordingFileError ? error : new RecordingFileError(files.join(', '), (error as Error).message);
          return failTest(scope, problem, `jest-replay: cannot use the recording for ${method} ${url.pathname}.`);
        }
        scope.replayed.push(...files);
        scope.interactions.push({ source: 'replayed', file: files[0] });
        // Outside the try: a recorded connection failure must reach the caller as one, not as a refusal.
        return response ?? failBeforeResponse(plan.failure!, request);
      }
      if (mode === 'replay') {
        const miss = withoutStack(new ReplayError(await this.missMessage(scope, method, url, body, key, ordinal)));
        scope.missed.push(`${method} ${url}`);
        return failTest(scope, miss, `jest-replay: no recording for ${method} ${url.pathname} (replay mode).`);
      }
    }
    if (!records(mode)) return refusal(`jest-replay: mode ${mode} neither replays nor records ${method} ${url}`);

    const recorded = { method, url, headers: request.headers, body, extraHeaders: this.config.requestHeaders };
    const file = shared ? undefined : this.store.fileFor(scope.testId, key, ordinal);
    const context = { key, endpoint: url.pathname, replacedIds: scope.replacedIds };
    const interaction: TestScope['interactions'][number] = { source: 'recorded' };
    scope.interactions.push(interaction);
    const write = async (response: Recording['response']) => {
      const recording: Recording = { test_id: shared ? null : scope.testId, request: storedRequest(recorded), response, id_normalization_mapping: {} };
      const target = file ?? this.store.modelListFile(key, modelListDigest(recording));
      const outcome = await this.store.write(target, recording, (text) => refuseLeaks(path.relative(this.config.rootDir, target), recording, text, credentials));
      scope.written.push({ file: target, outcome });
      interaction.file = target;
    };
    const signal = upstreamSignal(request.signal, scope.upstream.signal);
    let upstream: Response;
    try {
      upstream = await this.passthrough(request, bytes, signal.signal);
      signal.headersArrived();
    } catch (error) {
      const failure = classify(error, request.signal);
      // The failure itself is the recording (replay fails the same way), unless no connection was made at all.
      if (neverConnected(failure)) scope.unreached.push(`${method} ${url} (${failure.code})`);
      else track(scope, write(encodeFailure(failure)));
      throw error;
    }
    const { response, captured } = tee(upstream, this.config.recordTiming, request);
    track(scope, captured.then(({ captured, delays }) => {
      const stored = encodeResponse(captured, context);
      if (delays && stored.is_streaming) stored.chunk_delays_ms = delays;
      return write(stored);
    }));
    return response;
  }

  /**
   * The test's own recording, else a session-level one (recorded with no test id, as llama-stack
   * does for requests made during session setup), as llama-stack's lookup falls back to them.
   */
  private locate(scope: TestScope, method: string, url: URL, body: RequestBody, key: string, ordinal: number): string | undefined {
    const own = this.store.locate(scope.testId, key, ordinal);
    if (own) return own;
    const sessionKey = requestKey({ method, url, body: this.keyedBody(scope, method, url, body), testId: null });
    return this.store.locate(null, sessionKey, ordinal);
  }

  private async missMessage(scope: TestScope, method: string, url: URL, body: RequestBody, key: string, ordinal: number): Promise<string> {
    const display = (file: string) => path.relative(this.config.rootDir, file);
    const expected = display(this.store.fileFor(scope.testId, key, ordinal));
    const recordings = await this.store.recordingsOf(scope.testId);
    const otherIds = recordings.length === 0 ? idsRecordedForSameFile(this.store, scope.testId) : [];
    const explanation = explainMiss({ method, url, body: storedBody(body), ordinal }, recordings, display, otherIds);
    const testPath = scope.info.testPath;
    const only = scope.info.fullName ? ` -t ${shellQuote(`^${escapeRegExp(scope.info.fullName)}$`)}` : '';
    return [
      'jest-replay: no recording for this request (mode: replay).',
      `  test id:  ${scope.testId}`,
      `  request:  ${method} ${url}`,
      `  key:      ${key}${ordinal > 1 ? ` (identical request #${ordinal} in this test)` : ''}`,
      `  expected: ${expected}`,
      ...explanation,
      'Record it with real credentials:',
      `  RECORD=1 npx jest ${shellQuote(testPath)}${only}`,
      `or record only what is missing: JEST_REPLAY_MODE=record-if-missing npx jest ${shellQuote(testPath)}`,
      ...(scope.mode === 'replay' ? ["This test sets replay.mode('replay'): remove that call while recording it."] : []),
    ].join('\n');
  }
}

const isDefined = <T>(value: T | undefined): value is T => value !== undefined;
const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const shellQuote = (text: string) => (/^[\w./:=@-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`);

/** A live request's URL as it may be printed: without any credential it carries. */
const shownUrl = (request: Request) => publicUrl(request.url, credentialsOf(request.url, request.headers));

function outsideTestMessage(request: Request): string {
  return (
    `jest-replay: ${request.method} ${shownUrl(request)} was made outside a running test ` +
    '(at module load, or in a beforeEach/afterEach shared by test.concurrent tests, which cannot be charged to one test). ' +
    'Make the request inside a test, beforeEach/afterEach, or beforeAll/afterAll.'
  );
}

function outlivedMessage(request: Request, scope: TestScope): string {
  return (
    `jest-replay: ${request.method} ${shownUrl(request)} was made outside a running test: it comes from a timer or ` +
    `promise started by "${scope.testId}", which has already ended. Await the request inside that test.`
  );
}

/**
 * Fails the test with `problem` (its full message is the test's failure) and answers the request
 * with a one-line pointer to it: the SDK's error is printed too, and the message must be read once.
 */
function failTest(scope: TestScope, problem: Error, headline: string): Response {
  scope.problems.push(problem);
  return refusal(`${headline} Not a server error: this test's jest-replay failure says why.`);
}

/**
 * The answer to a request that must fail: a 500 the SDKs surface at once. `x-should-retry:
 * false` stops the openai and anthropic SDKs from retrying with back-off, so a miss costs no time.
 */
function refusal(message: string): Response {
  return new Response(JSON.stringify({ error: { message, type: 'jest_replay_error', code: 'jest_replay_error' } }), {
    status: 500,
    headers: { 'content-type': 'application/json', 'x-should-retry': 'false', 'x-jest-replay': 'refused' },
  });
}

/** Waits for a scope's recordings to be written, also those started meanwhile. */
async function written(scope: TestScope): Promise<void> {
  while (scope.pending.size > 0) await Promise.all([...scope.pending]);
}

/** Keeps a scope open until the work is done; a failure becomes a problem of its test. */
function track(scope: TestScope, work: Promise<void>): void {
  const done = work.catch((error: Error) => {
    scope.problems.push(error);
  });
  scope.pending.add(done);
  void done.finally(() => scope.pending.delete(done));
}

/**
 * The signal for the upstream request. The caller's abort reaches the server only until the
 * response headers arrive (a client timeout); after that the body is drained and recorded even
 * if the caller stops reading. The scope's signal ends requests still running long after their test.
 */
function upstreamSignal(caller: AbortSignal | undefined, scope: AbortSignal): { signal: AbortSignal; headersArrived(): void } {
  const controller = new AbortController();
  const fromCaller = () => controller.abort(caller?.reason);
  if (caller?.aborted) fromCaller();
  caller?.addEventListener('abort', fromCaller, { once: true });
  scope.addEventListener('abort', () => controller.abort(scope.reason), { once: true });
  return { signal: controller.signal, headersArrived: () => caller?.removeEventListener('abort', fromCaller) };
}

function classify(error: unknown, callerSignal: AbortSignal | undefined): TransportFailure {
  const err = error as Error & { cause?: { code?: string; message?: string } };
  const timedOut = callerSignal?.aborted || err.name === 'AbortError' || err.name === 'TimeoutError';
  // A DOMException's `code` is a number (20 for an abort), not a socket error code.
  const code = [err.cause?.code, (err as { code?: unknown }).code].find((c): c is string => typeof c === 'string');
  const failure: TransportFailure = { kind: timedOut ? 'timeout' : 'network', message: err.cause?.message ?? err.message };
  if (code) failure.code = code;
  return failure;
}

interface Collected {
  captured: CapturedResponse;
  /** Per stream event, ms since the previous one (the first since the headers), when timing is recorded. */
  delays?: number[];
}

/** Status and headers of an upstream response whose body fetch has decoded: the encoding headers would lie. */
function decodedInit(upstream: Response): ResponseInit {
  const headers = new Headers(upstream.headers);
  for (const name of STALE_AFTER_DECODING) headers.delete(name);
  return { status: upstream.status, statusText: upstream.statusText, headers };
}

/** The upstream response as the caller gets it: the decoded body (or another stream of it) under truthful headers. */
function asDecoded(upstream: Response, body: ReadableStream<Uint8Array> | null = upstream.body): Response {
  return new Response(NULL_BODY_STATUS.has(upstream.status) ? null : body, decodedInit(upstream));
}

/**
 * Hands the upstream response to the caller as it arrives, and a copy of every chunk to the
 * recorder. The branches are independent: a caller that stops reading early, or aborts, does not
 * stop the recording, which still drains the rest of the stream.
 */
function tee(upstream: Response, timing: boolean, request: Request): { response: Response; captured: Promise<Collected> } {
  const capture = (body: ReceivedBytes, failure?: TransportFailure): CapturedResponse => ({ status: upstream.status, headers: upstream.headers, body, failure });
  if (!upstream.body) return { response: asDecoded(upstream), captured: Promise.resolve({ captured: capture(new Uint8Array()) }) };
  const [toCaller, toRecorder] = upstream.body.tee();
  const response = asDecoded(upstream, abortable(toCaller, request));
  const delimiter = /ndjson|jsonl/i.test(upstream.headers.get('content-type') ?? '') ? '\n' : '\n\n';
  return { response, captured: collect(toRecorder, timing ? delimiter : undefined).then(({ bytes, failure, delays }) => ({ captured: capture(bytes, failure), delays })) };
}

/** Reads a stream to its end (or its failure), timing each event when asked to. */
async function collect(stream: ReadableStream<Uint8Array>, eventDelimiter: string | undefined): Promise<{ bytes: Uint8Array[]; failure?: TransportFailure; delays?: number[] }> {
  const parts: Uint8Array[] = [];
  const delays: number[] = [];
  const decoder = new TextDecoder();
  let text = '';
  let last = performance.now();
  let failure: TransportFailure | undefined;
  try {
    for await (const part of stream as unknown as AsyncIterable<Uint8Array>) {
      parts.push(part);
      if (eventDelimiter === undefined) continue;
      text += decoder.decode(part, { stream: true }).replace(/\r\n/g, '\n');
      const now = performance.now();
      // Every event completed by this part arrived now: the first waited, the others came at once.
      for (let at = text.indexOf(eventDelimiter); at !== -1; at = text.indexOf(eventDelimiter)) {
        delays.push(Math.round(now - last));
        last = now;
        text = text.slice(at + eventDelimiter.length);
      }
    }
  } catch (error) {
    failure = classify(error, undefined);
  }
  // Not joined: the allocator keeps the pieces' memory after a join, so a huge stream would be held twice.
  return { bytes: parts, failure, delays: eventDelimiter === undefined ? undefined : delays };
}
