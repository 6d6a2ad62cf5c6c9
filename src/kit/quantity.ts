/** Kubernetes resource quantities (`250m`, `1.5`, `512Mi`, `1G`, `2e3`): parse, add, format. */

const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const DECIMAL: Record<string, number> = { n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };

/** The quantity as a plain number of base units (cores for cpu, bytes for memory), or undefined when invalid. */
export function parseQuantity(q: string | number | undefined): number | undefined {
  if (typeof q === 'number') return Number.isFinite(q) && q >= 0 ? q : undefined;
  if (typeof q !== 'string') return undefined;
  const m = /^\s*\+?(\d+(?:\.\d*)?|\.\d+)(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?)\s*$/.exec(q);
  if (!m) return undefined;
  const n = Number(m[1]! + (m[2] ?? ''));
  return n * (m[3] ? (BINARY[m[3]] ?? DECIMAL[m[3]]!) : 1);
}

/** CPU as millicores, rounded up (`250m` → 250, `1.5` → 1500). */
export function parseCpuMillis(q: string | number | undefined): number | undefined {
  const n = parseQuantity(q);
  return n === undefined ? undefined : Math.ceil(n * 1000 - 1e-9);
}

/** Format millicores the way people write them: whole cores as `2`, otherwise `1500m`. */
export function formatCpu(millis: number): string {
  const m = Math.ceil(millis);
  return m % 1000 === 0 ? String(m / 1000) : `${m}m`;
}

/** Format bytes with the largest binary suffix that keeps an integer, rounding up to whole Mi below 1Gi, to 1/4 Gi above. */
export function formatMemory(bytes: number): string {
  const mi = Math.ceil(bytes / 2 ** 20);
  if (mi < 1024) return `${mi}Mi`;
  const quarterGi = Math.ceil(bytes / 2 ** 28);
  if (quarterGi % 4 === 0) return `${quarterGi / 4}Gi`;
  return `${quarterGi * 256}Mi`;
}

/** Storage: whole Gi, rounded up. */
export function formatStorage(bytes: number): string {
  return `${Math.max(1, Math.ceil(bytes / 2 ** 30))}Gi`;
}
