/**
 * Rules that `require` each other are applied together or not at all: when one fix is not made (refused by the
 * editor, dropped by verification, skipped, or left out), every fix that goes with it — of a rule that requires
 * it, or that it requires — is dropped with it, for the same subject (the Vault release), with the reason.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defineRule, type Rule } from '../../src/kit/index.js';
import { fromRaw } from '../../src/engine/config.js';
import { loadRepo } from '../../src/engine/repo/load.js';
import { findingKey, planFixes, Planner, type Plan } from '../../src/engine/plan.js';
import { ruleById } from '../../src/engine/registry.js';
import { openSession } from '../../src/engine/session.js';
import { tempDir, writeTree } from '../support/tree.js';
import { EXAMPLE_REPO } from '../support/git-repo.js';
import { anchoredConfig, VAULT_HR, vaultExample } from '../support/vault-example.js';

const VAULT_RULES = ['vault-tls-disabled', 'vault-listener-insecure', 'vault-file-storage', 'vault-single-instance'];

function plan(dir: string, rules: readonly string[] = VAULT_RULES, exclude?: (f: { ruleId: string }) => boolean): Plan {
  const s = openSession(dir);
  return planFixes(s.repo, { rules: rules.map((id) => ruleById(id)!), options: s.options, ...(exclude ? { exclude } : {}) });
}

const status = (p: Plan, id: string) => {
  const rp = p.rules.find((r) => r.rule.meta.id === id)!;
  return { fixed: rp.fixed.length, dropped: rp.dropped.map((d) => d.reason) };
};
const skipReasons = (p: Plan, id: string) => p.rules.find((r) => r.rule.meta.id === id)!.skipped.map((d) => d.reason);

/** Test rules on ConfigMaps (subject: the ConfigMap's name) whose fix is skipped for the names in `refuse`. */
const testRule = (id: string, meta: { requires?: string[]; after?: string[] }, refuse: readonly string[] = []): Rule =>
  defineRule({
    meta: { id, title: id, reviewItem: 1, severity: 'high', phase: 1, ...meta, messages: { m: '{name}' } },
    *detect({ repo }) {
      for (const r of repo.ofKind('ConfigMap'))
        if (!r.get(['data', id])) yield { messageId: 'm' as const, resource: r, path: ['data'], data: { name: r.name }, subject: r.name! };
    },
    fix: {
      kind: 'edit',
      safe: true,
      apply: ({ resource }) =>
        refuse.includes(resource.name!)
          ? { skipped: `no ${id} for ${resource.name}` }
          : { changes: [{ op: 'merge', resource, path: ['data'], value: { [id]: 'yes' } }] },
    },
  }) as Rule;

/** ConfigMaps a and b, loaded. */
function configMaps() {
  const dir = tempDir();
  const cm = (n: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${n}\ndata:\n  x: "1"\n`;
  writeTree(
    dir,
    new Map([
      ['a.yaml', cm('a')],
      ['b.yaml', cm('b')],
    ]),
  );
  return loadRepo(dir, { settings: fromRaw({}).settings });
}

describe('fixes of rules that require each other', () => {
  it('the listener fix refused: the TLS fix, planned before it, is dropped too, with the reason', () => {
    const p = plan(vaultExample(anchoredConfig));
    expect(status(p, 'vault-listener-insecure').fixed).toBe(0);
    const tls = status(p, 'vault-tls-disabled');
    expect(tls.fixed).toBe(0);
    expect(tls.dropped).toEqual([
      expect.stringMatching(
        /^vault-tls-disabled requires vault-listener-insecure, and that rule's fix here was not made \(.*anchor &vaultconfig.*\): not applied without it$/,
      ),
    ]);
    // Nothing of either fix is in the plan: no certificate, no https probes.
    expect([...p.finalFiles.keys()].some((f) => f.endsWith('vault-server-tls.yaml'))).toBe(false);
    expect(p.finalFiles.get(VAULT_HR) ?? '').not.toMatch(/tlsDisable: false/);
  });

  it('the TLS fix left out: the listener fix (which requires it) is not made; the listener left out: the TLS fix is dropped', () => {
    const dir = vaultExample((t) => t);
    const noTls = plan(dir, VAULT_RULES, (f) => f.ruleId === 'vault-tls-disabled');
    // The listener rule declines by itself (the chart's side stays plain HTTP): its own reason is shown.
    expect(status(noTls, 'vault-listener-insecure')).toEqual({ fixed: 0, dropped: [] });
    expect(skipReasons(noTls, 'vault-listener-insecure')).toEqual([expect.stringMatching(/^global\.tlsDisable is still true/)]);
    expect(noTls.finalFiles.get(VAULT_HR) ?? '').not.toMatch(/tls_cert_file/);
    const noListener = plan(dir, VAULT_RULES, (f) => f.ruleId === 'vault-listener-insecure');
    expect(status(noListener, 'vault-tls-disabled')).toEqual({
      fixed: 0,
      dropped: [expect.stringContaining("vault-tls-disabled requires vault-listener-insecure, and that rule's fix here was not made (left out")],
    });
    // The rules that do not go with them are planned as usual.
    expect(status(noListener, 'vault-file-storage').fixed).toBe(1);
    expect(status(noListener, 'vault-single-instance').fixed).toBe(1);
  });

  it('one direction only where only one rule requires the other: single-instance goes with file-storage, not the reverse', () => {
    const dir = vaultExample((t) => t);
    const noStorage = plan(dir, VAULT_RULES, (f) => f.ruleId === 'vault-file-storage');
    expect(status(noStorage, 'vault-single-instance')).toEqual({ fixed: 0, dropped: [] });
    expect(skipReasons(noStorage, 'vault-single-instance')).toEqual([expect.stringMatching(/^storage is still "file"/)]);
    const noHa = plan(dir, VAULT_RULES, (f) => f.ruleId === 'vault-single-instance');
    expect(status(noHa, 'vault-file-storage').fixed).toBe(1);
  });

  it('only the fixes of the same Vault release are dropped', () => {
    const dir = vaultExample(anchoredConfig);
    // A second Vault release in another namespace whose configuration is a plain block: its fixes stay.
    const second = readFileSync(join(EXAMPLE_REPO, VAULT_HR), 'utf8')
      .replace(/namespace: vault\n/, 'namespace: vault-two\n')
      .replace('name: vault\n', 'name: vault-two\n');
    writeTree(dir, new Map([['infra/kubernetes/flux/infrastructure/vault-two/helmrelease.yaml', second]]));
    const p = plan(dir);
    const tls = p.rules.find((r) => r.rule.meta.id === 'vault-tls-disabled')!;
    expect(tls.fixed.map((x) => x.finding.file)).toEqual(['infra/kubernetes/flux/infrastructure/vault-two/helmrelease.yaml']);
    expect(tls.dropped.map((d) => d.finding!.file)).toEqual([VAULT_HR]);
  });

  it('a fix planned before the one it goes with is dropped by planning again, not left in the plan', () => {
    // Test rules: "early" runs first and requires "late"; late's fix is refused for subject b.
    const early = testRule('test-early', { requires: ['test-late'] });
    const late = testRule('test-late', { requires: ['test-early'] }, ['b']);
    const repo = configMaps();
    const planner = new Planner(repo, { rules: [early, late], options: new Map() });
    const p = planner.result();
    const [e, l] = p.rules;
    expect(e!.fixed.map((x) => x.finding.file)).toEqual(['a.yaml']);
    expect(e!.dropped).toEqual([{ finding: expect.objectContaining({ file: 'b.yaml' }), reason: expect.stringContaining('test-early requires test-late') }]);
    expect(l!.fixed.map((x) => x.finding.file)).toEqual(['a.yaml']);
    expect(l!.skipped.map((d) => d.reason)).toEqual(['no test-late for b']);
    expect(p.finalFiles.get('b.yaml')).toBeUndefined();
    expect(planner.restarts).toBe(1);
    expect(findingKey(e!.dropped[0]!.finding!)).toContain('b.yaml');
  });

  it('a fix planned after the one it requires, which was not made: the rule is asked, and a fix it makes is dropped', () => {
    const first = testRule('test-first', {}, ['b']);
    const then = testRule('test-then', { requires: ['test-first'], after: ['test-first'] });
    const planner = new Planner(configMaps(), { rules: [then, first], options: new Map() });
    const p = planner.result();
    expect(p.rules.map((r) => r.rule.meta.id)).toEqual(['test-first', 'test-then']);
    const t = p.rules[1]!;
    expect(t.fixed.map((x) => x.finding.file)).toEqual(['a.yaml']);
    expect(t.dropped).toEqual([
      {
        finding: expect.objectContaining({ file: 'b.yaml' }),
        reason: "test-then requires test-first, and that rule's fix here was not made (no test-first for b): not applied without it",
      },
    ]);
    expect(t.skipped).toEqual([]);
    expect(p.finalFiles.get('b.yaml')).toBeUndefined();
    expect(planner.restarts).toBe(0);
  });

  it('a rule that declines by itself where the fix it requires was not made keeps its own reason (skipped, not dropped)', () => {
    const first = testRule('test-first', {}, ['b']);
    const then = testRule('test-then', { requires: ['test-first'], after: ['test-first'] }, ['b']);
    const p = planFixes(configMaps(), { rules: [first, then], options: new Map() });
    const t = p.rules[1]!;
    expect(t.dropped).toEqual([]);
    expect(t.skipped.map((d) => d.reason)).toEqual(['no test-then for b']);
    expect(p.finalFiles.get('b.yaml')).toBeUndefined();
  });
});

describe('the Vault configuration as one double-quoted YAML string', () => {
  /** The example's `config: |` block written as a double-quoted string, `\n` escapes and all. */
  const quotedConfig = (t: string) => {
    const m = /( {8}config: )\|\n((?: {10}.*\n|\n)+)/.exec(t)!;
    const hcl = m[2]!.replace(/^ {10}/gm, '');
    return t.replace(m[0], `${m[1]}${JSON.stringify(hcl)}\n`);
  };

  it('the listener fix is made (the editor writes the new configuration as a literal block), and so is the TLS fix', () => {
    const dir = vaultExample(quotedConfig);
    expect(readFileSync(join(dir, VAULT_HR), 'utf8')).toMatch(/ {8}config: "ui = true\\n/);
    const p = plan(dir);
    for (const id of VAULT_RULES) expect(status(p, id), id).toEqual({ fixed: 1, dropped: [] });
    const after = p.finalFiles.get(VAULT_HR)!;
    expect(after).toMatch(/ config: \|\+?\n +ui = true\n/);
    expect(after).not.toMatch(/config: "/);
    expect(after).toMatch(/tls_cert_file = /);
    const s = openSession(dir);
    const again = planFixes(loadRepo(dir, { settings: s.loaded.settings, overrides: p.finalFiles }), {
      rules: VAULT_RULES.map((id) => ruleById(id)!),
      options: s.options,
    });
    expect(again.rules.flatMap((r) => r.findings.map((f) => f.ruleId))).toEqual([]);
  });
});
