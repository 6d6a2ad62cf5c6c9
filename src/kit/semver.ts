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
