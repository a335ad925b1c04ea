import * as fs from 'node:fs';
import { Worker } from 'node:worker_threads';
import { listFolders } from '../core/store/listing-cache';
import { type Counted, countListed } from '../core/store/unused';
import type { FileUsage } from '../core/store/usage';

/** A recordings directory, and the file where its last listing is kept (see listing-cache.ts), if it can be. */
export interface CountedDir {
  dir: string;
  listing?: string;
}

/** Counts the unused recordings of `dir` on this thread, listing it now. */
export const countHere = ({ dir, listing }: CountedDir, files: FileUsage[], complete: boolean, deleted: string[]): Counted =>
  countListed(listFolders(dir, listing), files, complete, deleted);

/** Counts the unused recordings of a tree once the run's usage is known. */
export interface Counter {
  count(files: FileUsage[], complete: boolean, deleted: string[]): Promise<Counted>;
  stop(): void;
}

/**
 * A counter for `counted`, started as the run's first test file starts. A tree whose listing an earlier run kept is
 * counted at the end on this thread: a `stat` per folder and the listing read, which costs less than starting a
 * thread (its time and about 10 MiB). A tree never listed is listed on another thread while the tests run, so the
 * summary does not wait for it.
 */
export function startCounting(counted: CountedDir): Counter {
  if (counted.listing !== undefined && fs.existsSync(counted.listing)) {
    return { count: async (files, complete, deleted) => countHere(counted, files, complete, deleted), stop: () => undefined };
  }
  return new UnusedCounter(counted);
}

/** What the counting thread runs: it lists the tree at once, and judges it when the run's usage arrives. */
const COUNTER_CODE = `
const { parentPort, workerData } = require('node:worker_threads');
const { countListed } = require(workerData.unused);
const listed = require(workerData.listingCache).listFolders(workerData.dir, workerData.listing);
parentPort.on('message', ({ files, complete, deleted }) => parentPort.postMessage(countListed(listed, files, complete, deleted)));
`;

/**
 * Counts the unused recordings of a tree on another thread: listing and judging a large tree
 * takes long enough that the summary at the end of a run would otherwise wait for it. Counts on
 * this thread instead when that thread fails (the reporter run from TypeScript sources, say).
 */
export class UnusedCounter implements Counter {
  private readonly worker: Worker;
  /** Rejects when the thread fails or ends. */
  private readonly ended: Promise<never>;

  constructor(private readonly counted: CountedDir) {
    const modules = { unused: require.resolve('../core/store/unused'), listingCache: require.resolve('../core/store/listing-cache') };
    this.worker = new Worker(COUNTER_CODE, { eval: true, workerData: { ...modules, ...counted } });
    // The run never waits for a count it does not use.
    this.worker.unref();
    this.ended = new Promise<never>((_, reject) => {
      this.worker.once('error', reject);
      this.worker.once('exit', (code) => reject(new Error(`the thread counting ${counted.dir} ended with exit code ${code}`)));
    });
    this.ended.catch(() => undefined);
  }

  count(files: FileUsage[], complete: boolean, deleted: string[]): Promise<Counted> {
    const answer = new Promise<Counted>((resolve) => this.worker.once('message', resolve));
    this.worker.postMessage({ files, complete, deleted });
    return Promise.race([answer, this.ended]).catch(() => countHere(this.counted, files, complete, deleted));
  }

  stop(): void {
    void this.worker.terminate();
  }
}

