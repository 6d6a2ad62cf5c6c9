import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ChecklistItem } from '../../src/engine/checklist.js';
import { openSession, runScan, type ScanReport } from '../../src/engine/session.js';
import { FIXTURES } from '../support/fixtures.js';
import { expectAccounted } from '../support/checklist.js';
import { tempDir, writeTree } from '../support/tree.js';

function scanDir(dir: string, selection = {}): ScanReport {
  return runScan(openSession(dir), selection);
}

function scanFiles(files: Record<string, string>): ScanReport {
  const dir = tempDir();
  writeTree(dir, new Map(Object.entries(files)));
  return scanDir(dir);
}

function item(report: ScanReport, n: number): ChecklistItem {
  return report.checklist.find((c) => c.item === n)!;
}

describe('review checklist', () => {
  it('accounts for all 24 items on the example repository', () => {
    const report = scanDir(join(FIXTURES, 'example-repo'));
    expectAccounted(report);
    expect(item(report, 16)).toEqual({
      item: 16,
      rules: ['vault-mlock-disabled'],
      status: 'not-applicable',
      count: 0,
      reason: 'disable_mlock = true is recommended for this storage and image; keep swap off on the nodes',
    });
    expect(item(report, 15)).toMatchObject({ status: 'found', rules: ['external-secrets-chart-upgrade', 'external-secrets-missing-probes'] });
  });

  it('says "not applicable here" for every item of a repository with nothing the review is about', () => {
    const report = scanFiles({ 'app.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\ndata:\n  a: "1"\n' });
    expectAccounted(report);
    expect(report.checklist.filter((c) => c.status !== 'not-applicable').map((c) => c.item)).toEqual([]);
    expect(item(report, 2).reason).toBe('no Vault release');
    expect(item(report, 15).reason).toBe('no External Secrets release');
  });

  it('gives item 16 the storage-and-image reason where HashiCorp recommends disable_mlock = true', () => {
    const report = scanDir(join(FIXTURES, 'vault-mlock-disabled', 'valid-recommended', 'before'));
    expect(item(report, 16)).toMatchObject({
      status: 'not-applicable',
      reason: 'disable_mlock = true is recommended for this storage and image; keep swap off on the nodes',
    });
  });

  it('counts an item whose findings are all suppressed as clean, quoting the reasons', () => {
    const report = scanFiles({
      'sources.yaml': [
        'apiVersion: source.toolkit.fluxcd.io/v1',
        'kind: HelmRepository',
        'metadata:',
        '  name: vendor',
        'spec:',
        '  url: https://charts.example.com',
        '  # gitops-fix-ignore helmrepository-slow-interval: the vendor publishes its index weekly',
        '  interval: 24h',
        '',
      ].join('\n'),
    });
    expect(report.summary.suppressed).toBe(1);
    expect(item(report, 20)).toMatchObject({ status: 'clean', count: 0, reason: '1 finding suppressed (the vendor publishes its index weekly)' });
  });

  it('says clean with what was checked when a rule finds nothing', () => {
    const report = scanFiles({
      'sources.yaml':
        'apiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmRepository\nmetadata:\n  name: ok\nspec:\n  url: https://charts.example.com\n  interval: 30m\n',
    });
    expect(item(report, 20)).toMatchObject({ status: 'clean', reason: 'every HelmRepository refreshes at least every 1h' });
  });

  it('covers only the items of the selected rules in a filtered scan', () => {
    const report = scanDir(join(FIXTURES, 'example-repo'), { ruleIds: ['helmrepository-slow-interval', 'vault-mlock-disabled'] });
    expect(report.checklist.map((c) => [c.item, c.status])).toEqual([
      [16, 'not-applicable'],
      [20, 'found'],
    ]);
  });
});
