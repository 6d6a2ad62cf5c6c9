/**
 * Chart version constraints as Flux reads them (Masterminds semver v3, the library Helm and Flux use), evaluated
 * with the `semver` package: `1.2.3`, `v0.27.x`, `0.11.*`, `~1.2`, `^0.20`, `>= 1.2, < 3.0` (a comma is AND),
 * `1.2 - 1.4.5`, `!= 1.3.0`, `||` (OR), `*` or empty (any release). Pre-releases match only when the constraint
 * names one, as in Masterminds.
 */
import semver from 'semver';

export interface VersionConstraint {
  /** The constraint as written. */
  readonly text: string;
  /** True when `version` satisfies it. */
  test(version: string): boolean;
}

/** An exact version (`1.2.3`, `v1.2.3`, `1.2.3-rc.1`), normalised, or undefined. */
export function exactVersion(text: string): string | undefined {
  const t = text.trim();
  if (!/^v?\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/.test(t)) return undefined;
  return semver.valid(t, { loose: true }) ?? undefined;
}

/** One alternative of an `||`: node-semver comparators plus the `!=` exclusions node-semver lacks. */
interface Alternative {
  readonly range: semver.Range;
  readonly excluded: readonly string[];
}

/** Parse a Masterminds constraint; throws with the reason when it is not one. */
export function parseConstraint(text: string): VersionConstraint {
  const raw = text.trim();
  const includePrerelease = /\d-[0-9A-Za-z]/.test(raw);
  const alternatives: Alternative[] = (raw === '' ? '*' : raw).split('||').map((part) => {
    const excluded: string[] = [];
    // `!= 1.2.3` (with or without a space) is an exclusion; node-semver has no such operator.
    const rest = part
      .replace(/!=\s*(v?[0-9][0-9A-Za-z.+-]*)/g, (_m, v: string) => {
        const exact = semver.valid(v, { loose: true });
        if (!exact) throw new Error(`"${text}": != needs a full version, got "${v}"`);
        excluded.push(exact);
        return ' ';
      })
      .replace(/,/g, ' ')
      .replace(/(^|[\s<>=~^])v(?=\d)/g, '$1')
      .trim();
    const range = semver.validRange(rest === '' ? '*' : rest, { loose: true, includePrerelease });
    if (range === null) throw new Error(`"${text}" is not a semver constraint`);
    return { range: new semver.Range(range, { loose: true, includePrerelease }), excluded };
  });
  return {
    text,
    test(version: string): boolean {
      const v = semver.valid(version, { loose: true });
      if (!v) return false;
      return alternatives.some((a) => a.range.test(v) && !a.excluded.includes(v));
    },
  };
}

/** The highest of `versions` that the constraint allows (Flux picks the newest match), or undefined. */
export function highestMatching(constraint: string, versions: readonly string[]): string | undefined {
  const c = parseConstraint(constraint);
  const ok = versions.filter((v) => c.test(v));
  return ok.sort((a, b) => semver.rcompare(semver.valid(a, { loose: true })!, semver.valid(b, { loose: true })!))[0];
}
