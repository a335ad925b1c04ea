import type { EnvironmentContext, JestEnvironment, JestEnvironmentConfig } from '@jest/environment';
import type { Circus } from '@jest/types';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { CONTROL, SKIPPED_LIVE_TEST } from '../control';
import { type ResolvedConfig, resolveConfig } from '../core/config';
import { ReplayError } from '../core/errors';
import { intercepts, reachesNetwork } from '../core/mode';
import { switchedOn } from '../core/util/switches';
import { loadRedact } from '../core/keying/redact';
import { loadBeforeRecord } from '../core/recording/before-record';
import { setPlaceholderKeys } from '../core/keying/placeholder-keys';
import { sha256 } from '../core/util/hash';
import { type MissReporting, ReplaySession, type TestScope } from '../core/session';
import { RecordingStore } from '../core/store/store';
import { collectFileHooks, describeTitles, FileTestIds, type TestIdResolver } from './test-id';
import { testControl } from './test-control';
import { writeDriftNote } from '../core/drift/scratch';
import { type ScopeStatus, type ShardConfig, UNUSABLE_USAGE_VARIABLE, unusableUsageDirs, writeFileUsage } from '../core/store/usage';
import { loadFunction } from '../core/util/user-module';
import { forwardWith, intercept, type Interception } from '../interception';
import { guardNetwork, type NetworkGuard } from '../interception/network-guard';
import { UNDICI_GLOBAL_DISPATCHER } from '../interception/undici';
import { runnersNodeEnvironment } from './node-environment';
import { replayOptionsOf, VERBOSE_VARIABLE } from './options';
import { reportProblems } from './failures';
import { cliCommand, forProject, RUN_COMMAND_VARIABLE, runCommand } from './run-command';

type EnvironmentClass = new (config: JestEnvironmentConfig, context: EnvironmentContext) => JestEnvironment;

/**
 * Adds recording and replay to any Jest environment class. Interception is installed for the
 * test file in `setup()`; each test (and each beforeAll/afterAll hook) gets its own scope,
 * opened when it starts and closed, with its recordings written, when it ends.
 */
export function withReplay<T extends EnvironmentClass>(Base: T): T {
  // @ts-expect-error TS cannot type a mixin over a constructor with a fixed signature.
  return class ReplayEnvironment extends Base {
    private readonly replayRootDir: string;
    private readonly replayTestPath: string;
    private readonly replayProject: JestEnvironmentConfig['projectConfig'];
    private readonly replayShard?: ShardConfig;
    /** Jest's `--ci` (or its own CI detection): CI for jest-replay too. */
    private readonly jestCi: boolean;
    private readonly missReporting: MissReporting;
    /** The name of this file's usage note, once written. */
    private usageName?: string;
    private replayConfig?: ResolvedConfig;
    private session?: ReplaySession;
    private interception?: Interception;
    private networkGuard?: NetworkGuard;
    private ids: FileTestIds;
    /** Running tests (several at once under test.concurrent) and running beforeAll/afterAll hooks. */
    private readonly scopes = new Map<Circus.TestEntry | Circus.Hook, TestScope>();
    /** Test and hook bodies as the user wrote them, before `runIn` wrapped them. */
    private readonly bodies = new WeakMap<Circus.TestEntry | Circus.Hook, Circus.TestFn | Circus.HookFn>();

    constructor(config: JestEnvironmentConfig, context: EnvironmentContext) {
      super(config, context);
      this.replayRootDir = config.projectConfig.rootDir;
      this.replayTestPath = context.testPath;
      this.ids = new FileTestIds({ testPath: context.testPath, rootDir: this.replayRootDir });
      this.replayProject = config.projectConfig;
      this.replayShard = config.globalConfig.shard;
      this.jestCi = config.globalConfig.ci;
      const command = process.env[RUN_COMMAND_VARIABLE] ?? runCommand({ env: process.env, execArgv: process.execArgv, args: [] });
      const project = { name: config.projectConfig.displayName?.name, several: config.globalConfig.projects.length > 1 };
      const verbose = switchedOn(process.env[VERBOSE_VARIABLE]);
      this.missReporting = { command: forProject(command, project), cli: cliCommand(process.env, project), verbose };
    }

    async setup(): Promise<void> {
      await super.setup();
      const options = replayOptionsOf(this.replayProject);
      const config = resolveConfig({ rootDir: this.replayRootDir, options, env: process.env, ci: this.jestCi });
      this.replayConfig = config;
      // In a live run nothing is intercepted: ids, modes and ignored fields change nothing, and nothing is replayed or recorded.
      const scope = (call: string) => (this.session ? (this.session.current ?? this.requireScope(call)) : undefined);
      const run = { mode: config.mode, jestCi: this.jestCi };
      this.global[CONTROL as unknown as string] = testControl(run, scope, (current) => this.session!.interactions(current));
      // Set files (setupFiles, a dotenv) ran already: only what is still unset gets the placeholder.
      if (config.mode === 'replay' && config.placeholderKeys) setPlaceholderKeys(this.global.process.env);
      if (!intercepts(config.mode)) return;
      if (config.testIdResolver) {
        const resolveTestId = loadFunction<TestIdResolver['resolveTestId']>('testIdResolver', config.testIdResolver, config.rootDir, 'resolveTestId', 'resolveTestId(context)');
        const file = { testPath: this.replayTestPath, rootDir: this.replayRootDir };
        this.ids = new FileTestIds(file, { resolveTestId, module: config.testIdResolver });
      }
      const redact = config.redact ? loadRedact(config.redact, config.rootDir) : undefined;
      const beforeRecord = config.beforeRecord ? loadBeforeRecord(config.beforeRecord, config.rootDir) : undefined;
      let session: ReplaySession | undefined;
      // Jest copied `fetch` into the sandbox before setup(): the sandbox needs the intercepting one.
      const handler = { handles: (url: URL) => session!.handles(url), handle: (request: Request, body: Uint8Array | null) => session!.handle(request, body) };
      this.interception = intercept(handler, this.global);
      const passthrough = forwardWith(this.interception.realFetch);
      session = new ReplaySession(config, new RecordingStore(config.dir), passthrough, { redact, beforeRecord }, this.missReporting);
      this.session = session;
      // A test that never runs (skipped) may still set its own id: the file's text says whether any may.
      if (fs.readFileSync(this.replayTestPath, 'utf8').includes('setTestId')) session.note('setsIds');
      // The `undici` package a test loads reads its global dispatcher from the test context's global.
      (this.global as Record<symbol, unknown>)[UNDICI_GLOBAL_DISPATCHER] = this.interception.dispatcher;
      this.global.fetch = this.interception.fetch;
      if (config.mode === 'replay') {
        // Hosts left alone by interception are meant to be reached: they pass the guard too.
        this.networkGuard = guardNetwork({
          allowHosts: [...config.allowHosts, ...config.ignoreHosts],
          onRefused: (error) => this.session?.current?.fail(error),
          // A test that picked a mode reaching the network (`replay.live()`) is not isolated.
          unguarded: () => {
            const current = this.session?.current;
            return current !== undefined && reachesNetwork(this.session!.modeOf(current));
          },
        });
      }
    }

    async teardown(): Promise<void> {
      this.networkGuard?.dispose();
      this.networkGuard = undefined;
      // What this file's code still sends from now on (timers, retries, promises nobody awaited) is refused by its
      // session, and the file's usage note lists it: the interception stays until the process runs another file.
      this.interception?.end();
      this.interception = undefined;
      this.session?.end(this.relativePath, () => this.noteUsage());
      this.noteUsage();
      await super.teardown();
    }

    /**
     * Notes what the file used, for the run's summary and `jest-replay prune` (see core/usage.ts), unless global
     * setup found the usage directory unusable and said so. Written again when a request comes after the file ended.
     */
    private noteUsage(): void {
      const session = this.session;
      const { drift } = session ?? {};
      if (!session || (!drift && unusableUsageDirs(process.env[UNUSABLE_USAGE_VARIABLE]).includes(session.config.usageDir))) return;
      this.usageName ??= `${sha256(this.replayTestPath).slice(0, 12)}-${process.pid}-${randomBytes(3).toString('hex')}`;
      // A drift run replays nothing: it notes its check instead, and prune keeps judging by the last run's usage.
      const [what, where] = drift ? ['drift check', session.config.driftDir] : ['usage', session.config.usageDir];
      try {
        if (drift) writeDriftNote(where, drift.note(this.relativePath), this.usageName);
        else writeFileUsage(where, this.replayShard, session.usage(this.relativePath), this.usageName);
      } catch (error) {
        // The tests ran as they should: an unwritable cache costs the summary and prune, not the run.
        process.stderr.write(`jest-replay: could not note this file's ${what} in ${where}: ${(error as Error).message}\n`);
      }
    }

    /** Makes the body of a test or hook run in `scope` (or in none), keeping its arity for `done` callbacks. */
    private runIn(owner: Circus.TestEntry | Circus.Hook, scope: TestScope | undefined): void {
      const body = this.bodies.get(owner) ?? owner.fn;
      if (!body) return;
      this.bodies.set(owner, body);
      if (!scope) {
        owner.fn = body;
        return;
      }
      const session = this.session!;
      const scoped = function (this: unknown, ...args: unknown[]) {
        return session.run(scope, () => (body as (...a: unknown[]) => unknown).apply(this, args));
      };
      Object.defineProperty(scoped, 'length', { value: body.length });
      owner.fn = scoped as typeof body;
    }

    /** Ends a scope with its problems, charged the refusals worker threads met meanwhile (they carry no scope of their own). */
    private closeScope(scope: TestScope): Promise<Error[]> {
      scope.fail(...(this.networkGuard?.workerRefusals() ?? []));
      return this.session!.close(scope);
    }

    private requireScope(call: string): never {
      throw new ReplayError(`jest-replay: ${call} must be called inside a test, beforeEach or a beforeAll/afterAll hook.`);
    }

    private get relativePath(): string {
      return this.ids.relativePath;
    }

    // A field, as JestEnvironment declares it; the base class's handler (if any) runs first.
    handleTestEvent = async (event: Circus.AsyncEvent | Circus.SyncEvent, state: Circus.State): Promise<void> => {
      await (Base.prototype as JestEnvironment).handleTestEvent?.call(this, event as Circus.SyncEvent, state);
      const session = this.session;
      if (!session) return;
      switch (event.name) {
        case 'test_start': {
          const fullName = [...describeTitles(event.test.parent), event.test.name].join(' ');
          // For a miss: an id recorded beside this test's that no test or hook has now is a renamed test's.
          const declaredIds = () => {
            try {
              return this.ids.declared(state);
            } catch {
              return undefined;
            }
          };
          const info = { testId: this.ids.ofTest(event.test, state), testPath: this.relativePath, fullName, declaredIds };
          this.scopes.set(event.test, session.open(info));
          break;
        }
        case 'test_fn_start':
          this.runIn(event.test, this.scopes.get(event.test));
          break;
        case 'test_skip':
          // Left out because other tests are focused: the run did not run every test.
          if (state.hasFocusedTests && event.test.mode === undefined) session.note('focused');
          // A test that runs live, skipped because this run refuses it: noted in its own mode, for the summary.
          if ((event.test.fn as { [SKIPPED_LIVE_TEST]?: boolean })[SKIPPED_LIVE_TEST]) this.scopes.get(event.test)?.setMode('live');
        // falls through
        case 'test_todo':
        case 'test_done': {
          const scope = this.scopes.get(event.test);
          this.scopes.delete(event.test);
          if (!scope) break;
          const problems = await this.closeScope(scope);
          if (event.name === 'test_done') reportProblems(event.test, problems, this.missReporting.verbose);
          session.settle(scope, event.name !== 'test_done' ? 'skipped' : event.test.errors.length === 0 ? 'passed' : 'failed');
          break;
        }
        case 'hook_start': {
          const { hook } = event;
          if (hook.type === 'beforeEach' || hook.type === 'afterEach') {
            // Part of the running test; ambiguous (so left unscoped) when several run concurrently.
            const running = [...this.scopes.entries()].filter(([owner]) => owner.type === 'test');
            this.runIn(hook, running.length === 1 ? running[0][1] : undefined);
            break;
          }
          const scope = session.open({ testId: this.ids.ofHook(hook), testPath: this.relativePath });
          this.scopes.set(hook, scope);
          this.runIn(hook, scope);
          break;
        }
        case 'hook_success':
        case 'hook_failure': {
          const scope = this.scopes.get(event.hook);
          if (!scope) break;
          this.scopes.delete(event.hook);
          // A hook has no result of its own to fail: its problems fail the test file.
          const problems = await this.closeScope(scope);
          state.unhandledErrors.push(...problems);
          const status: ScopeStatus = event.name === 'hook_success' && problems.length === 0 ? 'passed' : 'failed';
          session.settle(scope, status);
          break;
        }
        case 'run_finish':
          // The beforeAll/afterAll hooks that never ran (every test of their describe was skipped) keep their recordings.
          // `runIn` noted the body of every hook that started.
          for (const hook of collectFileHooks(state.rootDescribeBlock).filter((h) => !this.bodies.has(h))) {
            session.settle(session.open({ testId: this.ids.ofHook(hook), testPath: this.relativePath }), 'skipped');
          }
          break;
      }
    };
  };
}

/** `testEnvironment: 'jest-replay/environment'`: the running Jest's node environment with recording and replay. */
export default class ReplayEnvironment extends withReplay(runnersNodeEnvironment()) {}
export { ReplayEnvironment };
