/** Edit distance (insertions, deletions, substitutions), for "did you mean" suggestions. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}

/** The candidates nearest to `word`, nearest first; only those close enough to be a plausible typo unless `all`. */
export function nearest(word: string, candidates: Iterable<string>, { all = false } = {}): string[] {
  const lower = word.toLowerCase();
  return [...new Set(candidates)]
    .map((candidate) => ({ candidate, distance: editDistance(lower, candidate.toLowerCase()) }))
    .filter(({ candidate, distance }) => all || distance <= Math.max(2, Math.floor(Math.max(word.length, candidate.length) / 3)))
    .sort((x, y) => x.distance - y.distance || x.candidate.localeCompare(y.candidate))
    .map(({ candidate }) => candidate);
}
