/**
 * What the Vault fixes tell the person who merges them, when several rules act on one release: one ordered runbook
 * when storage and seal migrate together, and follow-up notes that read the release's own values.
 */
import { describe, expect, it } from 'vitest';
import { fromRaw } from '../../src/engine/config.js';
import { loadRepo } from '../../src/engine/repo/load.js';
import { planFixes } from '../../src/engine/plan.js';
import { rules } from '../../src/engine/registry.js';
import { tempDir, writeTree } from '../support/tree.js';

const rule = (id: string) => rules.find((r) => r.meta.id === id)!;

function plan(files: Record<string, string>, ids: string[], raw: Record<string, unknown>) {
  const dir = tempDir();
  writeTree(dir, new Map(Object.entries(files)));
  const { settings } = fromRaw({});
  const repo = loadRepo(dir, { settings });
  const options = new Map(ids.map((id) => [id, rule(id).options?.parse(raw[id] ?? {})]));
  return planFixes(repo, { rules: ids.map(rule), options });
}

const RELEASE = (values: string) => `apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: store
  namespace: secrets-store
spec:
  interval: 1h
  chart:
    spec:
      chart: vault
      version: 0.31.0
      sourceRef:
        kind: HelmRepository
        name: hashicorp
  values:
${values}`;

describe('storage and seal migrating together', () => {
  const p = plan(
    {
      'platform/store.yaml': RELEASE(`    server:
      standalone:
        config: |
          listener "tcp" {
            tls_disable = 1
            address = "[::]:8200"
          }
          storage "file" {
            path = "/vault/data"
          }
`),
    },
    ['vault-file-storage', 'vault-manual-unseal'],
    { 'vault-manual-unseal': { method: 'gcpckms', gcpProject: 'p', gcpKeyRing: 'r', gcpCryptoKey: 'k' } },
  );

  it('both fixes apply', () => {
    expect(p.rules.flatMap((r) => [...r.dropped, ...r.skipped].map((d) => `${r.rule.meta.id}: ${d.reason}`))).toEqual([]);
    expect(p.rules.map((r) => [r.rule.meta.id, r.fixed.length])).toEqual([
      ['vault-file-storage', 1],
      ['vault-manual-unseal', 1],
    ]);
  });

  it('leaves one runbook, in order: the data into Raft first, then the seal migration at the first start on Raft', () => {
    const runbooks = [...p.finalFiles.keys()].filter((f) => f.startsWith('docs/runbooks/'));
    expect(runbooks).toEqual(['docs/runbooks/vault-file-to-raft-migration.md']);
    const text = p.finalFiles.get(runbooks[0]!)!;
    expect(text).toMatch(/^# Vault secrets-store\/store-vault: file storage to Raft, then auto-unseal with gcpckms/);
    const data = text.indexOf('vault operator migrate -config');
    const seal = text.indexOf('exec -it store-vault-0 -- vault operator unseal -migrate');
    expect(data).toBeGreaterThan(0);
    expect(seal).toBeGreaterThan(data);
    // The storage runbook alone says to unseal with the old keys; with the seal stanza that plain unseal is refused.
    expect(text).not.toContain('with the existing unseal keys. In HA mode');
    expect(text).toContain('seal "gcpckms" {');
  });

  it("the seal's commit replaces the runbook the storage commit created, and says so", () => {
    const unseal = p.rules.find((r) => r.rule.meta.id === 'vault-manual-unseal')!;
    const storage = p.rules.find((r) => r.rule.meta.id === 'vault-file-storage')!;
    const file = 'docs/runbooks/vault-file-to-raft-migration.md';
    expect(storage.files.find((f) => f.path === file)?.before).toBeNull();
    expect(unseal.files.find((f) => f.path === file)?.before).toBe(storage.files.find((f) => f.path === file)?.after);
    expect(unseal.notes.join('\n')).toContain(`follow ${file}, one runbook in order`);
  });
});

describe('follow-up notes read the release', () => {
  const p = plan(
    {
      'platform/store.yaml': RELEASE(`    server:
      updateStrategyType: RollingUpdate
      ha:
        replicas: 5
      standalone:
        config: |
          listener "tcp" {
            tls_disable = 1
            address = "[::]:8200"
          }
          storage "raft" {
            path = "/vault/data"
          }
`),
    },
    ['vault-single-instance', 'missing-monitoring'],
    { 'missing-monitoring': { prometheusOperator: true } },
  );
  const notes = (id: string) => p.rules.find((r) => r.rule.meta.id === id)!.notes.join('\n');

  it('HA conversion: the replica count, budget and update strategy the release has', () => {
    expect(notes('vault-single-instance')).toContain('maxUnavailable 2 for 5 replicas');
    expect(notes('vault-single-instance')).toContain('unseal store-vault-1, store-vault-2, store-vault-3 and store-vault-4');
    expect(notes('vault-single-instance')).toContain('updateStrategy RollingUpdate');
    expect(notes('vault-single-instance')).not.toContain('OnDelete');
  });

  it('monitoring: the restart note follows updateStrategyType, not the chart default', () => {
    expect(notes('missing-monitoring')).toContain('with updateStrategyType RollingUpdate the StatefulSet replaces the server pods itself');
    expect(notes('missing-monitoring')).not.toContain('OnDelete');
  });
});
