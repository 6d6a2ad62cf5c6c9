import { describe, expect, it } from 'vitest';
import { formatDuration, MAX_DURATION_MS, parseDuration } from '../../src/kit/index.js';
import { fromRaw } from '../../src/engine/config.js';
import { loadRepo } from '../../src/engine/repo/load.js';
import { ruleById } from '../../src/engine/registry.js';
import { optionsFor, scan } from '../../src/engine/scan.js';
import { tempDir, writeTree } from '../support/tree.js';

describe('Go durations', () => {
  it('reads what time.ParseDuration reads', () => {
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('1.5s')).toBe(1500);
    expect(parseDuration('300ms')).toBe(300);
    expect(parseDuration('-1m')).toBe(-60_000);
    expect(parseDuration('0')).toBe(0);
    expect(parseDuration('2562047h47m16.854775807s')).toBeCloseTo(MAX_DURATION_MS, -1);
    expect(parseDuration('1x')).toBeUndefined();
  });

  it('rejects a duration longer than 2^63-1 nanoseconds, as Go does (the API server refuses it)', () => {
    expect(parseDuration('2562048h')).toBeUndefined();
    expect(parseDuration('100000000000000000000h')).toBeUndefined();
    expect(parseDuration(`${'9'.repeat(400)}h`)).toBeUndefined(); // Infinity
    expect(parseDuration('2562047h47m17s')).toBeUndefined();
  });

  it('formats real values compactly and never expands an impossible one', () => {
    expect(formatDuration(5_400_000)).toBe('1h30m');
    expect(formatDuration(90_500)).toBe('1m30s500ms');
    expect(formatDuration(-60_000)).toBe('-1m');
    expect(formatDuration(1e20 * 3_600_000)).toBe('more than 2562047h (the longest Go duration)');
    expect(formatDuration(Infinity)).toBe('more than 2562047h (the longest Go duration)');
  });

  it('an interval no cluster accepts is no finding of the interval rules (it used to print "100000000000000000000h36m13s312ms")', () => {
    const dir = tempDir();
    writeTree(
      dir,
      new Map([
        [
          'repo.yaml',
          'apiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmRepository\nmetadata:\n  name: huge\n  namespace: flux-system\nspec:\n  interval: 100000000000000000000h\n  url: https://charts.example.com\n',
        ],
      ]),
    );
    const { config, settings } = fromRaw({});
    const rules = ['helmrepository-slow-interval', 'kustomization-retry-interval', 'externalsecret-slow-refresh'].map((id) => ruleById(id)!);
    const findings = scan(loadRepo(dir, { settings }), rules, optionsFor(rules, config), { syntax: false });
    expect(findings.map((f) => f.message).join('\n')).not.toMatch(/\d{10,}h/);
    expect(findings).toEqual([]);
  });
});
