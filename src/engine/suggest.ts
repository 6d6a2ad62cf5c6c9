/** "Did you mean" suggestions for mistyped rule ids, option names and configuration keys. */

/** Optimal string alignment distance: insertions, deletions, substitutions and swaps of two neighbours cost 1. */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * The candidates closest to `input`, best first: those within an edit distance of about a third of the input's length
 * (at least 2), then those that contain it or that it contains (`tls` → `vault-tls-disabled`). Case is ignored.
 */
export function closest(input: string, candidates: readonly string[], max = 3): string[] {
  const needle = input.toLowerCase();
  if (!needle) return [];
  const limit = Math.max(2, Math.floor(needle.length / 3));
  const scored = candidates
    .map((c) => {
      const hay = c.toLowerCase();
      const distance = editDistance(needle, hay);
      const contains = needle.length >= 3 && (hay.includes(needle) || needle.includes(hay));
      return { c, distance, rank: distance <= limit ? distance : contains ? limit + 1 : Infinity };
    })
    .filter((s) => s.rank !== Infinity && s.c !== input)
    .sort((x, y) => x.rank - y.rank || x.distance - y.distance || x.c.localeCompare(y.c));
  return scored.slice(0, max).map((s) => s.c);
}

/** ` (did you mean "a" or "b"?)`, or '' when nothing is close. */
export function didYouMean(input: string, candidates: readonly string[], max = 3): string {
  const near = closest(input, candidates, max).map((c) => `"${c}"`);
  if (!near.length) return '';
  const list = near.length === 1 ? near[0]! : `${near.slice(0, -1).join(', ')} or ${near[near.length - 1]!}`;
  return ` (did you mean ${list}?)`;
}
