import { describe, expect, it } from 'vitest';
import { planFixes } from '../../src/engine/plan.js';
import { selectRules } from '../../src/engine/registry.js';
import { openSession, runScan } from '../../src/engine/session.js';
import { excludeSuppressed, parseDirective } from '../../src/engine/suppress.js';
import { join } from 'node:path';
import { FIXTURES } from '../support/fixtures.js';
import { readTree, tempDir, writeTree } from '../support/tree.js';

const helmRepo = (name: string, extra = '', intervalLine = '  interval: 24h') => `apiVersion: source.toolkit.fluxcd.io/v1
kind: HelmRepository
metadata:
  name: ${name}
  namespace: flux-system
${extra}spec:
${intervalLine}
  url: https://charts.example.com/${name}
`;

const kustomization = `apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: apps
  namespace: flux-system
spec:
  interval: 10m
  path: ./apps
  prune: true
  sourceRef:
    kind: GitRepository
    name: flux-system
`;

function repo(files: Record<string, string>): string {
  const dir = tempDir('gitops-fix-suppress-');
  writeTree(dir, new Map(Object.entries(files)));
  return dir;
}

function scanOf(files: Record<string, string>, selection = {}) {
  return runScan(openSession(repo(files)), selection);
}

const ids = (fs: readonly { ruleId: string; file: string }[]) => fs.map((f) => `${f.ruleId} ${f.file}`).sort();

describe('parseDirective', () => {
  it('reads rule ids (commas or spaces) and the reason after the first colon', () => {
    expect(parseDirective(' a-b, c-d: upstream: weekly')).toEqual({ rules: ['a-b', 'c-d'], reason: 'upstream: weekly' });
    expect(parseDirective(' a-b c-d')).toEqual({ rules: ['a-b', 'c-d'], reason: undefined });
    expect(parseDirective(' a-b:   ')).toEqual({ rules: ['a-b'], reason: undefined });
  });
});

describe('comment suppressions', () => {
  it('a comment with a reason on the finding line hides it and counts it', () => {
    const r = scanOf({
      'a.yaml': helmRepo('a', '', '  interval: 24h # gitops-fix-ignore helmrepository-slow-interval: the vendor publishes weekly'),
      'b.yaml': helmRepo('b'),
    });
    expect(ids(r.findings)).toEqual(['helmrepository-slow-interval b.yaml']);
    expect(r.summary.suppressed).toBe(1);
    expect(r.suppressed.map((s) => [s.finding.file, s.by.source, s.by.reason])).toEqual([['a.yaml', 'comment', 'the vendor publishes weekly']]);
  });

  it('a whole-line comment on the line above hides it; a trailing comment on the line above does not', () => {
    const above = scanOf({ 'a.yaml': helmRepo('a', '', '  # gitops-fix-ignore helmrepository-slow-interval: weekly upstream\n  interval: 24h') });
    expect(above.findings).toEqual([]);
    expect(above.summary.suppressed).toBe(1);
    const trailing = scanOf({ 'a.yaml': helmRepo('a', '', '  url0: x # gitops-fix-ignore helmrepository-slow-interval: weekly\n  interval: 24h') });
    expect(ids(trailing.findings)).toEqual(['helmrepository-slow-interval a.yaml']);
  });

  it('names only the rules it lists (or * for all), and works in any file, HCL in block scalars included', () => {
    const r = scanOf({
      'a.yaml': helmRepo('a', '', '  # gitops-fix-ignore kustomization-no-wait: wrong rule\n  interval: 24h'),
      'b.yaml': helmRepo('b', '', '  # gitops-fix-ignore *: everything here is accepted\n  interval: 24h'),
      'c.yaml': helmRepo('c', '', '  #gitops-fix-ignore kustomization-no-wait,helmrepository-slow-interval: both\n  interval: 24h'),
    });
    expect(ids(r.findings)).toEqual(['helmrepository-slow-interval a.yaml']);
    expect(r.summary.suppressed).toBe(2);
  });

  it('a comment without a reason still hides the finding, and is reported with the severity and phase of what it hides', () => {
    const r = scanOf({ 'a.yaml': helmRepo('a', '', '  # gitops-fix-ignore helmrepository-slow-interval\n  interval: 24h') });
    expect(r.summary.suppressed).toBe(1);
    expect(r.findings).toHaveLength(1);
    const f = r.findings[0]!;
    expect(f).toMatchObject({
      ruleId: 'suppression-without-reason',
      file: 'a.yaml',
      line: 7,
      column: 3,
      severity: 'low',
      phase: 3,
      reviewItem: null,
      fixable: false,
    });
    expect(f.message).toMatch(/without a reason hides 1 finding of helmrepository-slow-interval: say why after a colon/);
  });

  it('an unused comment without a reason is reported by a full scan, not by one filtered to other rules', () => {
    const files = { 'a.yaml': helmRepo('a', '', '  interval: 1m # gitops-fix-ignore helmrepository-slow-interval') };
    expect(ids(scanOf(files).findings)).toEqual(['suppression-without-reason a.yaml']);
    expect(scanOf(files).findings[0]!.severity).toBe('low');
    expect(scanOf(files, { ruleIds: ['kustomization-no-wait'] }).findings).toEqual([]);
  });
});

describe('annotation suppressions', () => {
  it('gitops-fix.io/ignore hides the listed rules on that object; the reason annotation says why', () => {
    const r = scanOf({
      'a.yaml': helmRepo(
        'a',
        '  annotations:\n    gitops-fix.io/ignore: "helmrepository-slow-interval, kustomization-no-wait"\n    gitops-fix.io/ignore-reason: mirrored nightly\n',
      ),
      'b.yaml': helmRepo('b', '  annotations:\n    gitops-fix.io/ignore: kustomization-no-wait\n    gitops-fix.io/ignore-reason: other rule\n'),
    });
    expect(ids(r.findings)).toEqual(['helmrepository-slow-interval b.yaml']);
    expect(r.suppressed.map((s) => [s.finding.file, s.by.source, s.by.reason, s.by.line])).toEqual([['a.yaml', 'annotation', 'mirrored nightly', 7]]);
  });

  it('on a HelmRelease it also covers the findings in the values files it reads through valuesFrom', () => {
    const base = join(FIXTURES, 'external-secrets-missing-probes', 'invalid-values-file', 'before');
    const files = Object.fromEntries(readTree(base));
    expect(ids(scanOf(files, { ruleIds: ['external-secrets-missing-probes'] }).findings)).toEqual([
      'external-secrets-missing-probes eso/values.yaml',
      'external-secrets-missing-probes eso/values.yaml',
    ]);
    files['eso/helmrelease.yaml'] = files['eso/helmrelease.yaml']!.replace(
      '  namespace: external-secrets\n',
      "  namespace: external-secrets\n  annotations:\n    gitops-fix.io/ignore: external-secrets-missing-probes\n    gitops-fix.io/ignore-reason: probes come with the platform team's overlay\n",
    );
    const r = scanOf(files, { ruleIds: ['external-secrets-missing-probes'] });
    expect(r.findings).toEqual([]);
    expect(r.suppressed.map((x) => `${x.finding.file} ${x.by.file}:${x.by.line}`)).toEqual([
      'eso/values.yaml eso/helmrelease.yaml:7',
      'eso/values.yaml eso/helmrelease.yaml:7',
    ]);
  });

  it('without gitops-fix.io/ignore-reason it is reported at the annotation', () => {
    const r = scanOf({ 'a.yaml': helmRepo('a', '  annotations:\n    gitops-fix.io/ignore: "*"\n') });
    expect(r.summary.suppressed).toBe(1);
    expect(r.findings.map((f) => `${f.ruleId} ${f.file}:${f.line}:${f.column} ${f.severity}`)).toEqual(['suppression-without-reason a.yaml:7:5 low']);
    expect(r.findings[0]!.message).toMatch(/annotation gitops-fix.io\/ignore without gitops-fix.io\/ignore-reason hides 1 finding/);
  });
});

describe('config ignore entries', () => {
  const config = (entries: string) => `ignore:\n${entries}`;

  it('match a rule id or *, on path globs, with their reason', () => {
    const r = scanOf({
      '.gitops-fix.yaml': config(
        '  - rule: helmrepository-slow-interval\n    paths: ["sources/vendor-*.yaml"]\n    reason: vendors publish weekly\n  - rule: "*"\n    paths: ["legacy/**"]\n    reason: being removed\n',
      ),
      'sources/vendor-a.yaml': helmRepo('vendor-a'),
      'sources/own.yaml': helmRepo('own'),
      'legacy/apps.yaml': kustomization,
    });
    expect(ids(r.findings)).toEqual(['helmrepository-slow-interval sources/own.yaml']);
    expect(r.suppressed.map((s) => `${s.finding.ruleId} ${s.finding.file} ${s.by.source}: ${s.by.reason}`).sort()).toEqual([
      'helmrepository-slow-interval sources/vendor-a.yaml config: vendors publish weekly',
      'kustomization-retry-interval legacy/apps.yaml config: being removed',
    ]);
  });

  it('an entry without paths covers every file; an unknown rule id is a configuration error naming the key', () => {
    expect(
      scanOf({ '.gitops-fix.yaml': config('  - rule: helmrepository-slow-interval\n    reason: accepted\n'), 'x/a.yaml': helmRepo('a') }).findings,
    ).toEqual([]);
    expect(() => scanOf({ '.gitops-fix.yaml': config('  - rule: helmrepository-slow-intervl\n    reason: typo\n'), 'a.yaml': helmRepo('a') })).toThrow(
      /ignore\.0\.rule: unknown rule id "helmrepository-slow-intervl"/,
    );
    expect(() => scanOf({ '.gitops-fix.yaml': config('  - rule: helmrepository-slow-interval\n'), 'a.yaml': helmRepo('a') })).toThrow(/ignore\.0\.reason/);
  });
});

describe('fixes never touch suppressed findings', () => {
  it('planFixes with excludeSuppressed leaves them alone and fixes the rest', () => {
    const dir = repo({
      'a.yaml': helmRepo('a', '', '  # gitops-fix-ignore helmrepository-slow-interval: weekly upstream\n  interval: 24h'),
      'b.yaml': helmRepo('b', '  annotations:\n    gitops-fix.io/ignore: helmrepository-slow-interval\n    gitops-fix.io/ignore-reason: mirrored\n'),
      'c.yaml': helmRepo('c'),
    });
    const s = openSession(dir);
    const plan = planFixes(s.repo, { rules: selectRules({ ruleIds: ['helmrepository-slow-interval'] }), options: s.options, exclude: excludeSuppressed(s) });
    expect([...plan.finalFiles.keys()]).toEqual(['c.yaml']);
    expect(plan.rules[0]!.findings.map((f) => f.file)).toEqual(['c.yaml']);
  });

  it('a comment suppression holds when an earlier fix moves the finding to another line', () => {
    const dir = repo({ 'a.yaml': helmRepo('a', '', '  # gitops-fix-ignore helmrepository-slow-interval: weekly upstream\n  interval: 24h') });
    const s = openSession(dir);
    const exclude = excludeSuppressed(s);
    const [finding] = runScan(s, { ruleIds: ['helmrepository-slow-interval'] }).suppressed.map((x) => x.finding);
    expect(exclude(finding!)).toBe(true);
    expect(exclude({ ...finding!, line: finding!.line + 3 })).toBe(true);
    expect(exclude({ ...finding!, ruleId: 'kustomization-no-wait' })).toBe(false);
  });

  it('combines with another exclusion', () => {
    const s = openSession(repo({ 'c.yaml': helmRepo('c') }));
    const [f] = runScan(s).findings;
    expect(excludeSuppressed(s)(f!)).toBe(false);
    expect(excludeSuppressed(s, () => true)(f!)).toBe(true);
  });
});
