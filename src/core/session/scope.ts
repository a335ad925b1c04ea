import { ReplayError } from '../errors';
import type { Interaction } from './interaction';
import { ignorePathProblem } from '../keying/match-ignore';
import type { Mode } from '../mode';
import { addTokens, NO_TOKENS, type Tokens } from '../recording/tokens';
import type { WriteOutcome } from '../store/storage';
import type { ScopeStatus, ScopeUsage } from '../store/usage';

/** Who is making requests right now: a test, or a `beforeAll`/`afterAll` hook. */
export interface ScopeInfo {
  testId: string;
  /** Test file relative to rootDir, for the command that records a miss. */
  testPath: string;
  /** Jest's full name of the test (for `-t`); absent for hooks. */
  fullName?: string;
  /** The ids every test and beforeAll/afterAll hook of the test file has now (undefined when they cannot be told). */
  declaredIds?: () => readonly string[] | undefined;
}

/** A file a scope wrote, and whether it was new, changed or the same as before. */
export interface WrittenFile {
  file: string;
  outcome: WriteOutcome;
}

/** What a test replayed or recorded, in request order; `file` is set once the recording is written. */
interface ListedInteraction {
  source: Interaction['source'];
  file?: string;
}

/** How long a closed test waits for its recordings (a stream it stopped reading is still drained). */
const DRAIN_TIMEOUT_MS = 30_000;

/**
 * Per-test state: counters for identical requests, writes in flight, problems to report and what
 * the test used. Changed only through its methods, so each fact is noted in one place.
 */
export class TestScope {
  private readonly ordinals = new Map<string, number>();
  private readonly pending = new Set<Promise<void>>();
  private readonly problems: Error[] = [];
  // Each list is changed by a method below and read through its read-only view.
  private readonly writtenFiles: WrittenFile[] = [];
  private readonly replayedFiles: string[] = [];
  private readonly missedRequests: string[] = [];
  private readonly unreachedRequests: string[] = [];
  private readonly keptFiles: { file: string; got: string }[] = [];
  private readonly liveRequests: string[] = [];
  /** The tokens the responses this test replayed and recorded report (see recording/tokens.ts). */
  private readonly tokens: { replayed?: Tokens; recorded?: Tokens } = {};
  private readonly listed: ListedInteraction[] = [];
  private readonly ignoredPaths: string[] = [];
  private chosenMode?: Mode;
  private idSet = false;
  /** Set by the first request: keys must not change after it. */
  private started = false;
  private ended = false;
  private readonly upstreamController = new AbortController();

  /** Files this scope wrote. */
  readonly written: readonly WrittenFile[] = this.writtenFiles;
  /** Files this scope was answered from. */
  readonly replayed: readonly string[] = this.replayedFiles;
  /** Requests that found no recording (`METHOD url`). */
  readonly missed: readonly string[] = this.missedRequests;
  /** Requests not recorded because no connection to their server was made (`METHOD url (CODE)`). */
  readonly unreached: readonly string[] = this.unreachedRequests;
  /** Good recordings a failed re-recording left in place, with what it got instead (`401 Unauthorized`). */
  readonly kept: readonly { file: string; got: string }[] = this.keptFiles;
  /** What the test replayed or recorded, in request order. */
  readonly interactions: readonly ListedInteraction[] = this.listed;
  /** Body paths this test leaves out of its keys (`replay.matchIgnore()`), beside the configured ones. */
  readonly matchIgnore: readonly string[] = this.ignoredPaths;
  /** Ends upstream requests still running long after the test ended. */
  readonly upstream: AbortSignal = this.upstreamController.signal;
  constructor(
    readonly info: ScopeInfo,
    /**
     * Ids the test file's responses were received with → their stored form (see `recording/volatile.ts`).
     * Filled as responses are recorded, read when later requests send those ids back.
     */
    readonly replacedIds = new Map<string, string>(),
  ) {}

  get testId(): string {
    return this.info.testId;
  }

  /** The mode this test picked (`replay.mode()`), if it did. */
  get mode(): Mode | undefined {
    return this.chosenMode;
  }

  /** Set when the test has ended: a request still arriving comes from code that outlived it. */
  get closed(): boolean {
    return this.ended;
  }

  /** Lets a test pick its id (`setTestId`); only before its first request, so keys never mix. */
  setTestId(testId: string): void {
    if (typeof testId !== 'string' || testId.trim() === '') throw new ReplayError('jest-replay: setTestId needs a non-empty string.');
    this.beforeFirstRequest(`setTestId(${JSON.stringify(testId)})`);
    this.info.testId = testId;
    this.idSet = true;
  }

  /** Whether the test set its own id (`setTestId`). */
  get setsOwnId(): boolean {
    return this.idSet;
  }

  /** Lets a test pick its mode (`replay.mode()`, checked by `testMode`); only before its first request. */
  setMode(mode: Mode): void {
    this.beforeFirstRequest('replay.mode()');
    this.chosenMode = mode;
  }

  /** Adds body paths this test's keys leave out (`replay.matchIgnore()`); only before its first request. */
  ignore(paths: unknown[]): void {
    for (const p of paths) {
      const problem = typeof p === 'string' ? ignorePathProblem(p) : `${JSON.stringify(p)} is not a string.`;
      if (problem) throw new ReplayError(`jest-replay: replay.matchIgnore(): ${problem}`);
    }
    this.beforeFirstRequest('replay.matchIgnore()');
    this.ignoredPaths.push(...(paths as string[]));
  }

  private beforeFirstRequest(call: string): void {
    if (this.started) throw new ReplayError(`jest-replay: ${call} must be called before the test's first request.`);
  }

  /** Notes the first request: from now on the test's id, mode and ignored fields are fixed. */
  start(): void {
    this.started = true;
  }

  nextOrdinal(key: string): number {
    const n = (this.ordinals.get(key) ?? 0) + 1;
    this.ordinals.set(key, n);
    return n;
  }

  /** Fails the test with `problems`, reported when it ends. */
  fail(...problems: Error[]): void {
    this.problems.push(...problems);
  }

  noteReplayed(files: string[], tokens: Tokens | undefined): void {
    this.replayedFiles.push(...files);
    this.listed.push({ source: 'replayed', file: files[0] });
    if (tokens) this.tokens.replayed = addTokens(this.tokens.replayed ?? NO_TOKENS, tokens);
  }

  noteMissed(request: string): void {
    this.missedRequests.push(request);
  }

  noteUnreached(request: string): void {
    this.unreachedRequests.push(request);
  }

  /** Notes a request sent to its server because the test runs live (`METHOD url`). */
  noteLive(request: string): void {
    this.liveRequests.push(request);
  }

  noteKept(file: string, got: string): void {
    this.keptFiles.push({ file, got });
  }

  /** Notes a request being recorded, in request order; the function returned notes its file once written. */
  noteRecording(): (file: string, outcome: WriteOutcome, tokens: Tokens | undefined) => void {
    const interaction: ListedInteraction = { source: 'recorded' };
    this.listed.push(interaction);
    return (file, outcome, tokens) => {
      this.writtenFiles.push({ file, outcome });
      interaction.file = file;
      if (tokens) this.tokens.recorded = addTokens(this.tokens.recorded ?? NO_TOKENS, tokens);
    };
  }

  /** How the scope ended, in which mode, for the run's usage, with its files named by `relative`. */
  usage(status: ScopeStatus, mode: Mode, relative: (file: string) => string): ScopeUsage {
    return {
      id: this.testId,
      status,
      mode,
      replayed: [...new Set(this.replayedFiles.map(relative))],
      written: this.writtenFiles.map(({ file, outcome }) => ({ file: relative(file), outcome })),
      // The lists themselves: a request the scope started that fails after it ended is still counted.
      missed: this.missedRequests,
      unreached: this.unreachedRequests,
      ...(this.keptFiles.length > 0 ? { kept: this.keptFiles.map(({ file, got }) => ({ file: relative(file), got })) } : {}),
      ...(this.liveRequests.length > 0 ? { live: this.liveRequests } : {}),
      ...(this.tokens.replayed || this.tokens.recorded ? { tokens: { ...this.tokens } } : {}),
    };
  }

  /** Keeps the scope open until the work is done; a failure becomes a problem of its test. */
  track(work: Promise<void>): void {
    const done = work.catch((error: Error) => this.fail(error));
    this.pending.add(done);
    void done.finally(() => this.pending.delete(done));
  }

  /** Waits for the scope's recordings to be written, also those started meanwhile. */
  async allWritten(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  /** Ends the scope: waits for its recordings to be written and returns what went wrong. */
  async close(): Promise<Error[]> {
    this.ended = true;
    const late = `jest-replay: the server was still sending ${DRAIN_TIMEOUT_MS / 1000}s after "${this.testId}" ended; ` +
      'that response was not recorded.';
    const timer = setTimeout(() => this.upstreamController.abort(new ReplayError(late)), DRAIN_TIMEOUT_MS);
    try {
      await this.allWritten();
    } finally {
      clearTimeout(timer);
    }
    return this.problems;
  }
}
