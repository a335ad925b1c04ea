import * as os from 'node:os';

/**
 * The measuring loop: every contender runs once per round, the order rotating by one place from round
 * to round through a full rotation (each contender runs first, second… equally often), so the machine's
 * drift and the other processes on it fall on all of them alike, and the contenders of one round form a
 * pair whose ratio is the figure to trust.
 */

export interface Stats {
  median: number;
  min: number;
  max: number;
  samples: number[];
}

export function stats(samples: number[]): Stats {
  if (samples.length === 0) throw new Error('no samples');
  const sorted = [...samples].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
  return { median, min: sorted[0], max: sorted[sorted.length - 1], samples };
}

/** One run of a whole process: wall and CPU time (ms), peak RSS (MiB). */
export interface Sample {
  wall: number;
  cpu: number;
  rss: number;
}

export type Figure = keyof Sample;

/** Per-round ratios a/b of one figure: round i of `a` against round i of `b`. */
export const pairRatios = (a: Sample[], b: Sample[], figure: Figure): number[] => a.map((sample, i) => sample[figure] / b[i][figure]);

/** Per-round differences a − b of one figure. */
export const pairDifferences = (a: Sample[], b: Sample[], figure: Figure): number[] => a.map((sample, i) => sample[figure] - b[i][figure]);

/** The fewest rounds, at least `minimum`, that make a full rotation of `contenders`. */
export const fullRotation = (contenders: number, minimum = 7): number => Math.ceil(minimum / contenders) * contenders;

/** The 1-minute load average seen while a workload ran. */
export class LoadWatch {
  readonly seen: number[] = [os.loadavg()[0]];

  note(): void {
    this.seen.push(os.loadavg()[0]);
  }

  get range(): { min: number; max: number } {
    return { min: Math.min(...this.seen), max: Math.max(...this.seen) };
  }
}

/**
 * Runs `rounds` rounds of every contender after `warmup` uncounted ones (which fill the file-system and
 * Jest caches, so the first contender is not charged for them), rotating the order each round unless
 * `rotate` is false (contenders that depend on an earlier one: replay after record). Returns each
 * contender's results in round order.
 */
export async function paired<Name extends string, T>(
  contenders: Record<Name, () => Promise<T>>,
  { rounds, warmup = 1, rotate = true, label, load }: { rounds: number; warmup?: number; rotate?: boolean; label: string; load: LoadWatch },
): Promise<Record<Name, T[]>> {
  const names = Object.keys(contenders) as Name[];
  const results = Object.fromEntries(names.map((name) => [name, [] as T[]])) as Record<Name, T[]>;
  for (let round = -warmup; round < rounds; round++) {
    const offset = rotate ? ((round % names.length) + names.length) % names.length : 0;
    for (const name of [...names.slice(offset), ...names.slice(0, offset)]) {
      const value = await contenders[name]();
      if (round >= 0) results[name].push(value);
    }
    load.note();
    log(`${label}: round ${round < 0 ? 'warm-up' : `${round + 1}/${rounds}`} done (load ${os.loadavg()[0].toFixed(2)})`);
  }
  return results;
}

export const log = (message: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
