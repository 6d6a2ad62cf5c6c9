/** Chart versions: just enough semver to tell which keys a pinned chart version has. */

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

/** True when `v` is `min` or later. */
export function versionAtLeast(v: Version, min: string): boolean {
  return compareVersions(v, parseVersion(min)!) >= 0;
}

/**
 * True when every chart version `text` can select is older than `min`: an exact version, a wildcard (`0.20.x`,
 * `0.20.*`), a tilde or caret range on a 0.x minor (`~0.20.1`, `^0.20.1`), or an upper bound (`<0.21.0`, `<=0.20.9`).
 * Open ranges (`>=0.11.0`, `*`) can select the newest release: false.
 */
export function onlyVersionsBelow(text: string | undefined, min: string): boolean {
  if (!text) return false;
  const m = parseVersion(min)!;
  const parts = text.split('||').map((p) => p.trim());
  return parts.every((p) => {
    const exact = parseVersion(p);
    if (exact) return compareVersions(exact, m) < 0;
    const wild = /^v?(\d+)\.(\d+)\.(?:x|\*)$/i.exec(p) ?? /^[~^]v?(\d+)\.(\d+)\.\d+/.exec(p);
    if (wild && (p.startsWith('^') ? Number(wild[1]) === 0 : true)) return compareVersions([Number(wild[1]), Number(wild[2]), Number.MAX_SAFE_INTEGER], m) < 0;
    const upper = /(?:^|\s)<(=?)\s*v?(\d+\.\d+\.\d+)\s*$/.exec(p);
    if (upper) {
      const u = parseVersion(upper[2])!;
      return upper[1] ? compareVersions(u, m) < 0 : compareVersions(u, m) <= 0;
    }
    return false;
  });
}
