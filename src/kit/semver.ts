/**
 * Chart versions. A HelmRelease (or its OCIRepository or HelmChart) names an exact version or a constraint in
 * Masterminds semver v3 syntax, the library Helm and Flux use, which Flux resolves to the highest release of the
 * chart that matches. Constraints are evaluated with the `semver` package through a small adapter: `1.2.3`,
 * `v0.27.x`, `0.11.*`, `~1.2`, `^0.20`, `>= 1.2, < 3.0` (a comma is AND), `1.2 - 1.4.5`, `!= 1.3.0`, `||` (OR), `*`
 * or empty (any release). Pre-releases match only when the constraint names one, as in Masterminds. The rules and the
 * render proof share this one reading.
 */
import semver from 'semver';

export interface VersionConstraint {
  /** The constraint as written. */
  readonly text: string;
  /** True when `version` satisfies it. */
  test(version: string): boolean;
  /**
   * Whether the versions it allows are `min` or later: true when all of them are, false when none is, undefined
   * when some are (then which one Flux installs depends on the releases that exist).
   */
  atLeast(min: string): boolean | undefined;
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
    atLeast(min: string): boolean | undefined {
      // The `!=` exclusions only narrow an alternative: leaving them out keeps "all" and "none" true where they are.
      const from = new semver.Range(`>=${min}`, { loose: true, includePrerelease });
      if (alternatives.every((a) => semver.subset(a.range, from, { includePrerelease }))) return true;
      if (!alternatives.some((a) => semver.intersects(a.range, from, { includePrerelease }))) return false;
      return undefined;
    },
  };
}

/** The highest of `versions` that the constraint allows (Flux picks the newest match), or undefined. */
export function highestMatching(constraint: string, versions: readonly string[]): string | undefined {
  const c = parseConstraint(constraint);
  const ok = versions.filter((v) => c.test(v));
  return ok.sort((a, b) => semver.rcompare(a, b, true))[0];
}

/** [major, minor, patch] of an exact version. */
export type Version = readonly [major: number, minor: number, patch: number];

/** An exact version (`2.9.0`, `v1.2.1`, `0.20.2-rc.1` → its release numbers); undefined for ranges and wildcards. */
export function parseVersion(text: unknown): Version | undefined {
  if (typeof text !== 'string' && typeof text !== 'number') return undefined;
  const m = /^\s*v?(\d+)\.(\d+)\.(\d+)(?:[-+][0-9A-Za-z.+-]*)?\s*$/.exec(String(text));
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}

export function compareVersions(a: Version, b: Version): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}

/** True when `v` is `min` or later (`min` an exact version the caller writes, e.g. '0.16.2'). */
export function versionAtLeast(v: Version, min: string): boolean {
  const m = parseVersion(min);
  if (!m) throw new Error(`"${min}" is not an exact version`);
  return compareVersions(v, m) >= 0;
}

/** The constraint, or undefined when the text is not one. */
function constraintOf(text: string): VersionConstraint | undefined {
  try {
    return parseConstraint(text);
  } catch {
    return undefined;
  }
}

/**
 * The release Flux installs for `text`, when `releases` (the chart's releases as far as they are known, every one
 * up to the newest) tell it: an exact version as written; for a constraint, the highest known release it allows,
 * unless it also allows versions of a later minor line than that one, where releases newer than the known ones
 * may exist. Undefined otherwise (and for text that is no constraint).
 */
export function resolveChartVersion(text: string | undefined, releases: readonly string[]): string | undefined {
  if (text === undefined) return undefined;
  const exact = exactVersion(text);
  if (exact) return exact;
  const c = constraintOf(text);
  const best = c && highestMatching(text, releases);
  const v = best && semver.parse(best, { loose: true });
  if (!c || !v) return undefined;
  return c.atLeast(`${v.major}.${v.minor + 1}.0`) === false ? best : undefined;
}

/**
 * Whether the chart version Flux installs for `text` (an exact version or a constraint) is `min` or later: true or
 * false when every version the constraint allows gives the same answer, or when the known `releases` resolve it
 * (`resolveChartVersion`); undefined when it depends on releases the caller does not know, and for no version. An
 * exact pre-release counts as its release (`2.2.0-rc.1` has what 2.2.0 has).
 */
export function chartVersionAtLeast(text: string | undefined, min: string, releases?: readonly string[]): boolean | undefined {
  if (text === undefined) return undefined;
  const exact = parseVersion(text);
  if (exact) return versionAtLeast(exact, min);
  const decided = constraintOf(text)?.atLeast(min);
  if (decided !== undefined || !releases) return decided;
  const resolved = resolveChartVersion(text, releases);
  return resolved === undefined ? undefined : semver.gte(resolved, min, true);
}

/** True when every chart version `text` allows is older than `min` (exact versions and constraints alike). */
export function onlyVersionsBelow(text: string | undefined, min: string): boolean {
  return !!text && chartVersionAtLeast(text, min) === false;
}
