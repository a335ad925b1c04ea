import * as path from 'node:path';
// The module object itself (not an import * copy): its Worker is replaced in place.
import workerThreads = require('node:worker_threads');
import { patch } from './hosts';

/**
 * Worker threads: each starts a fresh Node realm with its own `net`, `dns`, `fetch`, none of them guarded. Every
 * Worker created while the guard is on starts with ./worker-preload, which installs the same guards there; a
 * refusal in the worker is written to shared memory, where the test's thread reads it the moment it happened (a
 * message would arrive on its own time, possibly after the test ended).
 */

/** What a worker's guard needs, handed to it as worker_threads environment data (copied into every new Worker). */
export interface WorkerGuardSettings {
  allowHosts: readonly string[];
  /** The RefusalLog buffer of the thread that runs the tests. */
  refusals: SharedArrayBuffer;
}

export const WORKER_GUARD_SETTINGS = 'jest-replay:network-guard';
const PRELOAD = ['--require', path.join(__dirname, 'worker-preload.js')];

const LOCK = 0;
const USED = 1;
const HEADER_BYTES = 8;
// Room for a few hundred refusals between two test ends.
const LOG_BYTES = 1 << 16;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Messages written by any thread and taken by one, in a SharedArrayBuffer (a NUL ends each message). */
export class RefusalLog {
  private readonly header: Int32Array;
  private readonly bytes: Uint8Array;

  constructor(readonly buffer = new SharedArrayBuffer(LOG_BYTES)) {
    this.header = new Int32Array(buffer, 0, HEADER_BYTES / 4);
    this.bytes = new Uint8Array(buffer, HEADER_BYTES);
  }

  write(message: string): void {
    const entry = encoder.encode(`${message.replace(/\0/g, '')}\0`);
    this.locked(() => {
      const used = this.header[USED];
      // A full log drops what does not fit: the refusals already in it fail the test all the same.
      if (used + entry.length > this.bytes.length) return;
      this.bytes.set(entry, used);
      this.header[USED] = used + entry.length;
    });
  }

  /** The messages written since the last call, oldest first. */
  take(): string[] {
    return this.locked(() => {
      const text = decoder.decode(this.bytes.slice(0, this.header[USED]));
      this.header[USED] = 0;
      return text.split('\0').slice(0, -1);
    });
  }

  private locked<T>(work: () => T): T {
    while (Atomics.compareExchange(this.header, LOCK, 0, 1) !== 0) Atomics.wait(this.header, LOCK, 1);
    try {
      return work();
    } finally {
      Atomics.store(this.header, LOCK, 0);
      Atomics.notify(this.header, LOCK);
    }
  }
}

/** Makes every Worker created from now on start guarded, until the function returned is called. */
export function guardWorkers(settings: WorkerGuardSettings): () => void {
  workerThreads.setEnvironmentData(WORKER_GUARD_SETTINGS, settings as never);
  const restore = patch(workerThreads, 'Worker', (Worker) =>
    new Proxy(Worker, {
      construct(target, [filename, options = {}, ...rest]: [unknown, workerThreads.WorkerOptions?, ...unknown[]], newTarget) {
        // The preload comes first: the guards are on before any other preload of the worker runs.
        const start = (execArgv: string[]) =>
          Reflect.construct(target, [filename, { ...options, execArgv: [...PRELOAD, ...execArgv] }, ...rest], newTarget);
        try {
          // What a Worker inherits when given no execArgv: the flags this process was started with.
          return start(options.execArgv ?? process.execArgv);
        } catch (error) {
          // Some of those (V8's, process-wide ones) are refused in a Worker's execArgv; they apply to the worker anyway.
          if (options.execArgv !== undefined || (error as { code?: string }).code !== 'ERR_WORKER_INVALID_EXEC_ARGV') throw error;
          return start([]);
        }
      },
    }),
  );
  return () => {
    restore();
    workerThreads.setEnvironmentData(WORKER_GUARD_SETTINGS, undefined as never);
  };
}
