/** Go time.ParseDuration, as Flux and External Secrets read durations. */
const UNITS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** The longest Go duration: 2^63 - 1 nanoseconds (about 292 years), in milliseconds. */
export const MAX_DURATION_MS = 9_223_372_036_854.775;

/**
 * Milliseconds, or undefined when `text` is not a Go duration. Like time.ParseDuration, a value beyond 2^63 - 1
 * nanoseconds is not a duration ("invalid duration"): the API server rejects it.
 */
export function parseDuration(text: unknown): number | undefined {
  if (typeof text !== 'string') return undefined;
  let s = text.trim();
  if (s === '0') return 0;
  let sign = 1;
  if (s.startsWith('-') || s.startsWith('+')) {
    if (s[0] === '-') sign = -1;
    s = s.slice(1);
  }
  if (!s) return undefined;
  const re = /^(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/;
  let total = 0;
  while (s.length) {
    const m = re.exec(s);
    if (!m) return undefined;
    total += parseFloat(m[1]!) * UNITS[m[2]!]!;
    if (!Number.isFinite(total) || total > MAX_DURATION_MS) return undefined;
    s = s.slice(m[0].length);
  }
  return sign * total;
}

/** The milliseconds of a duration the options schema validated (`durationOption`); throws for text that is not one. */
export function durationMs(text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined) throw new Error(`"${text}" is not a Go duration`);
  return ms;
}

/** Short human form: 3600000 → "1h", 90000 → "1m30s". Values beyond a Go duration are shown as such, not expanded. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  if (!Number.isFinite(ms) || Math.abs(ms) > MAX_DURATION_MS) return 'more than 2562047h (the longest Go duration)';
  if (ms < 0) return `-${formatDuration(-ms)}`;
  let rest = Math.round(ms);
  let out = '';
  for (const [u, f] of [
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ] as const) {
    if (rest >= f) {
      out += `${Math.floor(rest / f)}${u}`;
      rest %= f;
    }
  }
  if (rest) out += `${rest}ms`;
  return out;
}
