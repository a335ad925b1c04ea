import { guardDatagrams } from './datagrams';
import { guardDns } from './dns';
import { NETWORK_ISOLATED, type OnRefused, type Unguarded } from './hosts';
import { guardSockets } from './sockets';
import { guardWorkers, RefusalLog, type WorkerGuardSettings } from './workers';

/**
 * Network isolation for replay mode, below every HTTP client: TCP connections (./sockets), UDP datagrams
 * (./datagrams), DNS lookups and queries (./dns) and the same in worker threads (./workers) are refused before any
 * packet leaves, unless their host is loopback or allowed.
 */

export { isLoopback, mayConnect } from './hosts';

export interface NetworkGuard {
  dispose(): void;
  /** Refusals in worker threads since the last call: they cannot reach the test themselves, so the test asks. */
  workerRefusals(): Error[];
}

/** Every guard of one thread (the test's, or a worker's); `onRefused` sees each refusal. */
export function guardThread(settings: WorkerGuardSettings, onRefused: OnRefused, unguarded: Unguarded = () => false): () => void {
  const restores = [
    guardSockets(settings.allowHosts, onRefused, unguarded),
    guardDatagrams(settings.allowHosts, onRefused, unguarded),
    guardDns(settings.allowHosts, onRefused, unguarded),
    guardWorkers(settings),
  ];
  return () => restores.forEach((restore) => restore());
}

/**
 * Refuses what would leave the machine, as each kind of call fails (the socket, callback or promise gets an error
 * naming the host and the option that allows it), and `onRefused` sees the error so the test can fail even if the
 * code swallows it.
 */
export function guardNetwork(options: { allowHosts: readonly string[]; onRefused: OnRefused; unguarded?: Unguarded }): NetworkGuard {
  const log = new RefusalLog();
  return {
    dispose: guardThread({ allowHosts: options.allowHosts, refusals: log.buffer }, options.onRefused, options.unguarded),
    workerRefusals: () =>
      log.take().map((message) => Object.assign(new Error(`${message} (Refused in a worker thread.)`), { code: NETWORK_ISOLATED })),
  };
}
