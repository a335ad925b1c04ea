import * as vm from 'node:vm';
import { CLIENT_REQUEST_INTERCEPTOR, type Controller, UserInterceptors } from '../../src/interception/user-interceptors';

/** A test context's global, as Jest's node environment makes one. */
const testGlobal = (): Record<PropertyKey, unknown> => vm.runInContext('globalThis', vm.createContext({}));

function controller(): Controller & { calls: unknown[][] } {
  const calls: unknown[][] = [];
  return {
    calls,
    respondWith: (response) => calls.push(['respondWith', response]),
    errorWith: (reason) => calls.push(['errorWith', reason]),
  };
}

const event = (c: Controller) => ({ request: new Request('http://weather.example/today'), requestId: 'id-1', controller: c });

describe('UserInterceptors (a test’s own nock or msw, asked first for node:http requests)', () => {
  test('another copy of @mswjs/interceptors finds it as the running ClientRequest interceptor, even after deleting it', () => {
    const global = testGlobal();
    const user = new UserInterceptors(global);
    expect(global[CLIENT_REQUEST_INTERCEPTOR]).toBe(user);
    // What their dispose() does (nock disposes once as it loads): the next apply() must still find it.
    vm.runInContext("'use strict'; delete globalThis[Symbol.for('client-request-interceptor')]", vm.createContext(global));
    expect(global[CLIENT_REQUEST_INTERCEPTOR]).toBe(user);
  });

  test('listeners are asked in the order they were added; the first answer wins and the rest are not asked', async () => {
    const user = new UserInterceptors(testGlobal());
    const asked: string[] = [];
    const response = new Response('mocked');
    user.emitter.addListener('request', () => void asked.push('first, passes'));
    user.emitter.addListener('request', ({ controller: c }) => (asked.push('second, answers'), (c as Controller).respondWith(response)));
    user.emitter.addListener('request', () => void asked.push('third'));
    const c = controller();
    await expect(user.answer(event(c))).resolves.toBe(true);
    expect(asked).toEqual(['first, passes', 'second, answers']);
    expect(c.calls).toEqual([['respondWith', response]]);
  });

  test('no listener, a listener that does not answer, and a passthrough leave the request to jest-replay', async () => {
    const user = new UserInterceptors(testGlobal());
    const c = controller();
    await expect(user.answer(event(c))).resolves.toBe(false);
    const passing = () => undefined;
    user.emitter.addListener('request', passing);
    await expect(user.answer(event(c))).resolves.toBe(false);
    user.emitter.removeListener('request', passing);
    const asked: string[] = [];
    user.emitter.addListener('request', ({ controller: theirs }) => {
      asked.push('passthrough');
      (theirs as { passthrough(): void }).passthrough();
    });
    user.emitter.addListener('request', () => void asked.push('after a passthrough'));
    await expect(user.answer(event(c))).resolves.toBe(false);
    expect(asked).toEqual(['passthrough']);
    expect(c.calls).toEqual([]);
  });

  test('a listener that throws: their unhandledException listener answers, else the request fails with the error', async () => {
    const user = new UserInterceptors(testGlobal());
    const refusal = Object.assign(new Error('Nock: Disallowed net connect'), { code: 'ENETUNREACH' });
    user.emitter.addListener('request', () => {
      throw refusal;
    });
    const c = controller();
    await expect(user.answer(event(c))).resolves.toBe(true);
    expect(c.calls).toEqual([['errorWith', refusal]]);

    const handled = new UserInterceptors(testGlobal());
    const response = new Response('from unhandledException');
    handled.emitter.addListener('request', () => {
      throw refusal;
    });
    handled.emitter.addListener('unhandledException', ({ controller: theirs, error }) => {
      expect(error).toBe(refusal);
      (theirs as Controller).respondWith(response);
    });
    const d = controller();
    await expect(handled.answer(event(d))).resolves.toBe(true);
    expect(d.calls).toEqual([['respondWith', response]]);
  });

  test("an error made in the test's realm reaches the interceptor as an Error of this realm, with its name, code and stack", async () => {
    const global = testGlobal();
    const user = new UserInterceptors(global);
    const theirs = vm.runInContext(
      "Object.assign(new Error('Nock: Disallowed net connect'), { name: 'NetConnectNotAllowedError', code: 'ENETUNREACH' })",
      vm.createContext(global),
    );
    expect(theirs instanceof Error).toBe(false);
    user.emitter.addListener('request', ({ controller: c }) => (c as Controller).errorWith(theirs));
    const c = controller();
    await user.answer(event(c));
    const [[, error]] = c.calls as [[string, Error & { code: string }]];
    expect(error).toBeInstanceOf(Error);
    expect([error.name, error.message, error.code, error.stack]).toEqual([theirs.name, theirs.message, 'ENETUNREACH', theirs.stack]);
  });
});
