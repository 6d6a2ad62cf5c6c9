/**
 * The phase-1 Vault rules applied together to the example repository, in every combination: each rule works on the
 * result of the ones before it, and the release ends with one coherent values block and one HCL configuration.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { validateEdit } from '../../src/kit/hcl/validate.js';
import { configuredVaultServers, isVaultChartKey, type Repo, type Rule, type YamlPath } from '../../src/kit/index.js';
import { loadRepo } from '../../src/engine/repo/load.js';
import { planFixes, withRequired } from '../../src/engine/plan.js';
import { rules, selectRules } from '../../src/engine/registry.js';
import { detectRule } from '../../src/engine/scan.js';
import { openSession } from '../../src/engine/session.js';
import { readTree, ROOT } from '../support/tree.js';

const EXAMPLE = join(ROOT, 'fixtures', 'example-repo');
const HELMRELEASE = 'infra/kubernetes/flux/infrastructure/vault/helmrelease.yaml';

/** Review item → rule. */
const ITEMS: Record<number, string> = {
  1: 'vault-tls-disabled',
  14: 'vault-listener-insecure',
  3: 'vault-file-storage',
  2: 'vault-single-instance',
  4: 'vault-manual-unseal',
};
const VAULT_RULES = Object.values(ITEMS).map((id) => rules.find((r) => r.meta.id === id)!);

const session = openSession(EXAMPLE);
const unseal = VAULT_RULES.find((r) => r.meta.id === 'vault-manual-unseal')!;
const options = new Map(session.options);
// The transit seal carries its own CA (the server's VAULT_CACERT, set by the TLS fix, must not become its only trust).
options.set(
  unseal.meta.id,
  unseal.options!.parse({ method: 'transit', transitAddress: 'https://vault-transit.example.com:8200', transitCaSecret: 'vault-transit-ca' }),
);

function after(plan: ReturnType<typeof planFixes>): Repo {
  return loadRepo(session.repo.root, {
    settings: session.repo.settings,
    base: session.repo,
    overrides: new Map([...plan.finalFiles].filter(([p]) => /\.ya?ml$/.test(p))),
  });
}

function findingIds(repo: Repo, rule: Rule): string[] {
  return detectRule(repo, rule, options.get(rule.meta.id))
    .map((f) => `${f.ruleId}/${f.messageId}`)
    .sort();
}

/** Values paths whose value differs between two values trees (lists and scalars are leaves). */
function changedKeys(a: unknown, b: unknown, base: YamlPath = []): YamlPath[] {
  const obj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (obj(a) && obj(b)) return [...new Set([...Object.keys(a), ...Object.keys(b)])].flatMap((k) => changedKeys(a[k], b[k], [...base, k]));
  if (obj(b) && a === undefined) return Object.keys(b).length ? Object.keys(b).flatMap((k) => changedKeys(undefined, b[k], [...base, k])) : [base];
  return JSON.stringify(a) === JSON.stringify(b) ? [] : [base];
}

const before = new Map(VAULT_RULES.map((r) => [r.meta.id, findingIds(session.repo, r)]));
const original = configuredVaultServers(session.repo)[0]!;

describe('Vault rules on the example repository', () => {
  it('finds items 1, 2, 3, 4 and 14 before any fix', () => {
    for (const id of Object.values(ITEMS)) expect(before.get(id)!.length, id).toBeGreaterThan(0);
  });

  const subsets = Array.from({ length: 2 ** VAULT_RULES.length - 1 }, (_, mask) => VAULT_RULES.filter((_, i) => (mask + 1) & (1 << i)));
  for (const subset of subsets) {
    const name = subset.map((r) => Object.entries(ITEMS).find(([, id]) => id === r.meta.id)![0]).join('+');
    it(`items ${name}: every fix applies, HCL and YAML parse, keys exist, selected findings gone, others unchanged`, async () => {
      const plan = planFixes(session.repo, { rules: subset, options });
      const closure = new Set(withRequired(subset).rules.map((r) => r.meta.id));
      expect(plan.rules.flatMap((r) => [...r.dropped, ...r.skipped].map((d) => `${r.rule.meta.id}: ${d.reason}`))).toEqual([]);
      for (const [p, t] of plan.finalFiles) if (/\.ya?ml$/.test(p)) for (const d of parseAllDocuments(t)) expect(d.errors, p).toEqual([]);
      const repo = after(plan);
      const server = configuredVaultServers(repo)[0]!;
      expect(server.config.doc, server.config.problem).toBeDefined();
      const check = await validateEdit(original.config.text, server.config.text);
      expect(check).toMatchObject({ ok: true });
      expect('note' in check ? check.note : undefined).toBeUndefined();
      const written = changedKeys(original.values, server.values).filter((k) => !isVaultChartKey(k));
      expect(written.map((k) => k.join('.'))).toEqual([]);
      for (const rule of VAULT_RULES) {
        if (closure.has(rule.meta.id)) expect(findingIds(repo, rule), rule.meta.id).toEqual([]);
        else expect(findingIds(repo, rule), rule.meta.id).toEqual(before.get(rule.meta.id));
      }
    });
  }

  it('phase 1 resolves items 1, 2, 3, 4 and 14, keeps every comment, and leaves one coherent release', () => {
    const plan = planFixes(session.repo, { rules: selectRules({ phases: [1] }), options });
    const vaultPlans = plan.rules.filter((r) => VAULT_RULES.includes(r.rule));
    expect(vaultPlans.flatMap((r) => [...r.dropped, ...r.skipped].map((d) => `${r.rule.meta.id}: ${d.reason}`))).toEqual([]);
    const repo = after(plan);
    for (const rule of VAULT_RULES) expect(findingIds(repo, rule), rule.meta.id).toEqual([]);

    // One coherent release: HA Raft, TLS listener, retry_join over https, a seal, the certificate mounted.
    const s = configuredVaultServers(repo)[0]!;
    expect(s.mode).toBe('ha');
    expect(s.config.key.join('.')).toBe('server.ha.raft.config');
    expect(s.value(['server', 'ha', 'replicas'])).toBe(3);
    expect(s.value(['global', 'tlsDisable'])).toBe(false);
    expect(s.config.text).toMatch(/storage "raft"[\s\S]*retry_join \{\s*leader_api_addr\s*= "https:\/\/vault-2\.vault-internal:8200"/);
    expect(s.config.text).toMatch(/tls_cert_file = "\/vault\/userconfig\/vault-server-tls\/tls\.crt"/);
    expect(s.config.text).toMatch(/seal "transit" \{/);
    expect(s.config.text).toMatch(/tls_ca_cert\s*= "\/vault\/userconfig\/vault-transit-ca\/ca\.crt"/);
    expect(s.config.text).not.toMatch(/tls_disable/);

    // Comments of the HelmRelease and of the HCL survive.
    const comments = (t: string) =>
      t
        .split('\n')
        .map((l) => /#.*$/.exec(l)?.[0].trim())
        .filter((c): c is string => !!c);
    const fixedHr = plan.finalFiles.get(HELMRELEASE)!;
    for (const c of comments(readTree(EXAMPLE).get(HELMRELEASE)!)) expect(fixedHr, c).toContain(c);
    for (const c of comments(original.config.text)) expect(s.config.text, c).toContain(c);

    // test/kustomize-build.test.ts builds every kustomize directory of the phase-1 result.
  });
});
