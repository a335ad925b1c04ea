/**
 * A test's own nock 14 or msw 2 beside jest-replay, for `node:http` clients (axios, `http.get`, openai v4).
 *
 * Each brings its own copy of @mswjs/interceptors, applied in the test's global. Left alone, its ClientRequest
 * interceptor would patch `node:http` a second time, over ours: the innermost patch's socket sees a request first, so
 * jest-replay would answer (replay, record) what the test's nock scope mocks, and hand the rest to the other copy in a
 * form it cannot read. So before any test code runs, the test's global holds a stand-in for a running ClientRequest
 * interceptor, under the registered symbol every copy looks for: theirs then patches nothing and adds its listeners
 * here, and ours offers each request to them first, as their own interceptor would. What they leave is jest-replay's.
 * `fetch` needs none of this: their patch of the test's `fetch` wraps ours, so they already come first.
 */
export const CLIENT_REQUEST_INTERCEPTOR = Symbol.for('client-request-interceptor');

type Listener = (event: Record<string, unknown>) => unknown;

/** The part of a request controller the listeners of every @mswjs/interceptors version use. */
export interface Controller {
  respondWith(response: Response): void;
  errorWith(reason?: Error): void;
}

export interface RequestEvent {
  request: Request;
  requestId: string;
  controller: Controller;
}

/**
 * An error made in the test's realm (nock's NetConnectNotAllowedError) is no `Error` to our interceptor, which would
 * take it for a response: the same error, made here, with its name, code and stack.
 */
function fromTestRealm(reason: unknown): Error | undefined {
  if (reason instanceof Error || reason === undefined) return reason;
  const source = reason as { message?: unknown; name?: unknown; stack?: unknown } | null;
  const error = new Error(String(source?.message ?? reason));
  const own = typeof reason === 'object' ? reason : {};
  return Object.assign(error, own, { name: String(source?.name ?? 'Error'), stack: source?.stack ?? error.stack });
}

export class UserInterceptors {
  private readonly listeners = new Map<string, Listener[]>();

  /** What another copy's `Interceptor.apply()` uses of a running instance: it adds (and on dispose removes) listeners. */
  readonly emitter = {
    addListener: (event: string, listener: Listener) => {
      this.listeners.set(event, [...this.of(event), listener]);
      return this.emitter;
    },
    removeListener: (event: string, listener: Listener) => {
      this.listeners.set(event, this.of(event).filter((l) => l !== listener));
      return this.emitter;
    },
  };

  /**
   * Installed on a prototype of the test's global rather than on the global itself: their `dispose()` deletes the
   * global's own property (nock disposes once as it loads, before it applies), and the next `apply()` must still find
   * this one instead of patching `node:http` after all.
   */
  constructor(testGlobal: object) {
    const layer = Object.create(Object.getPrototypeOf(testGlobal), { [CLIENT_REQUEST_INTERCEPTOR]: { value: this } });
    Object.setPrototypeOf(testGlobal, layer);
  }

  /**
   * Offers a request to the test's own listeners, in the order they were added, as their interceptor would; true
   * when one answered it (a response or an error). A listener that throws fails the request unless one of their
   * `unhandledException` listeners answers instead (nock's turns `disableNetConnect()` refusals into errors so).
   */
  async answer({ request, requestId, controller }: RequestEvent): Promise<boolean> {
    const outcome = { state: 'open' as 'open' | 'answered' | 'passed' };
    const theirs = {
      respondWith: (response: Response) => ((outcome.state = 'answered'), controller.respondWith(response)),
      errorWith: (reason?: Error) => ((outcome.state = 'answered'), controller.errorWith(fromTestRealm(reason))),
      // msw's passthrough(): the request goes on as if unmocked, to jest-replay.
      passthrough: () => void (outcome.state = 'passed'),
    };
    const offer = async (event: string, extra: Record<string, unknown> = {}) => {
      for (const listener of this.of(event)) {
        await listener({ request, requestId, controller: theirs, ...extra });
        if (outcome.state !== 'open') break;
      }
    };
    try {
      await offer('request');
    } catch (error) {
      await offer('unhandledException', { error });
      if (outcome.state === 'open') theirs.errorWith(error as Error);
    }
    return outcome.state === 'answered';
  }

  private of(event: string): Listener[] {
    return this.listeners.get(event) ?? [];
  }
}
