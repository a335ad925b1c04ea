/**
 * The shared measuring loop: every contender runs once per round, in an order that rotates from
 * round to round, so machine noise (other processes, thermal drift) falls on all of them alike.
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

/** One run of a contender: one measurement, or several (e.g. one per request). */
export type Measure = () => Promise<number | number[]>;

/**
 * Runs `rounds` rounds of every contender after `warmup` uncounted ones (which fill the
 * file-system and Jest caches, so the first contender is not charged for them). `rotate: false`
 * keeps the given order, for contenders that depend on an earlier one (replay after record).
 */
export async function alternate<Name extends string>(
  contenders: Record<Name, Measure>,
  { rounds, warmup = 1, rotate = true, label }: { rounds: number; warmup?: number; rotate?: boolean; label: string },
): Promise<Record<Name, Stats>> {
  const names = Object.keys(contenders) as Name[];
  const samples = new Map<Name, number[]>(names.map((name) => [name, []]));
  for (let round = -warmup; round < rounds; round++) {
    const offset = rotate ? ((round % names.length) + names.length) % names.length : 0;
    const order = [...names.slice(offset), ...names.slice(0, offset)];
    for (const name of order) {
      const value = await contenders[name]();
      if (round >= 0) samples.get(name)!.push(...[value].flat());
    }
    log(`${label}: round ${round < 0 ? 'warm-up' : `${round + 1}/${rounds}`} done`);
  }
  return Object.fromEntries(names.map((name) => [name, stats(samples.get(name)!)])) as Record<Name, Stats>;
}

export async function timed(run: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await run();
  return performance.now() - start;
}

export const log = (message: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
