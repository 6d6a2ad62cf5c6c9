/**
 * Platform hardening (review items 5, 7, 8, 10, 12) on the reviewed repository and on the shared corpus: the rules
 * find what the review says, their fixes verify, and what they generate is schema-valid, reachable and builds.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Repo } from '../src/kit/index.js';
import { planFixes, Planner } from '../src/engine/plan.js';
import { ruleById, rules } from '../src/engine/registry.js';
import { detectRule } from '../src/engine/scan.js';
import { openSession } from '../src/engine/session.js';
import { copyTree, corpusRepos, removeTree, ROOT, tempDir, writeTree } from './support/tree.js';
import { missing, skipTitle } from './support/needs.js';
import { checkGenerated } from './support/generated.js';

const HARDENING = [
  'secretstore-default-serviceaccount',
  'missing-pod-disruption-budget',
  'vault-no-backup',
  'namespace-missing-network-policy',
  'namespace-missing-resource-quota',
];
const hardening = rules.filter((r) => HARDENING.includes(r.meta.id));
const example = join(ROOT, 'fixtures', 'example-repo');

function findings(repo: Repo, options: ReadonlyMap<string, unknown>, id: string): string[] {
  return detectRule(repo, ruleById(id)!, options.get(id)).map((f) => `${f.file}:${f.line} ${f.messageId}`);
}

describe('platform hardening on the example repository', () => {
  const session = openSession(example);
  // The one option without a safe default: the example runs no Velero, so say which backup to write.
  const options = new Map(session.options);
  options.set('vault-no-backup', { ...(session.options.get('vault-no-backup') as object), method: 'velero' });

  it('finds what the review says', () => {
    const { repo } = session;
    expect(findings(repo, options, 'secretstore-default-serviceaccount')).toEqual([
      'infra/kubernetes/flux/infrastructure/external-secrets/secret-store.yaml:20 defaultAccountEveryNamespace',
    ]);
    expect(findings(repo, options, 'missing-pod-disruption-budget').sort()).toEqual([
      'infra/kubernetes/flux/apps/production/api/deployment.yaml:11 unprotected',
      'infra/kubernetes/flux/infrastructure/external-secrets/helmrelease.yaml:27 esoSingle',
      'infra/kubernetes/flux/infrastructure/external-secrets/helmrelease.yaml:29 esoSingle',
      'infra/kubernetes/flux/infrastructure/vault/helmrelease.yaml:41 vaultStandalone',
    ]);
    expect(findings(repo, options, 'vault-no-backup')).toEqual(['infra/kubernetes/flux/infrastructure/vault/helmrelease.yaml:35 noBackup']);
    expect(findings(repo, options, 'namespace-missing-network-policy')).toEqual(['infra/kubernetes/flux/infrastructure/namespaces/production.yaml:8 noPolicy']);
    expect(findings(repo, options, 'namespace-missing-resource-quota')).toEqual(['infra/kubernetes/flux/infrastructure/namespaces/production.yaml:8 noQuota']);
  });

  it('resolves items 5, 7, 8, 10 and 12 with verified fixes', () => {
    // Vault's own budget needs HA (item 2): plan its rule too when it is there, as a phase 1-4 run does.
    const withHa = ruleById('vault-single-instance');
    const planner = new Planner(session.repo, { rules: withHa ? [...hardening, withHa] : hardening, options });
    const plan = planner.result();
    expect(plan.rules.flatMap((r) => r.dropped.map((d) => `${r.rule.meta.id}: ${d.reason}`))).toEqual([]);
    const after = planner.repoAfter;
    for (const id of ['secretstore-default-serviceaccount', 'vault-no-backup', 'namespace-missing-network-policy', 'namespace-missing-resource-quota']) {
      expect(findings(after, options, id), id).toEqual([]);
    }
    // A standalone Vault cannot have a budget: the finding stays until item 2 turns HA on.
    expect(findings(after, options, 'missing-pod-disruption-budget')).toEqual(
      withHa ? [] : ['infra/kubernetes/flux/infrastructure/vault/helmrelease.yaml:41 vaultStandalone'],
    );
    expect(checkGenerated(plan.finalFiles, after)).toEqual([]);
    const generated = [...plan.finalFiles.keys()].filter((p) => plan.originalFiles.get(p) === null).sort();
    expect(generated).toEqual(
      expect.arrayContaining([
        'infra/kubernetes/flux/apps/production/api/api-pdb.yaml',
        'infra/kubernetes/flux/infrastructure/external-secrets/vault-backend-auth-serviceaccount.yaml',
        'infra/kubernetes/flux/infrastructure/namespaces/production-network-policies.yaml',
        'infra/kubernetes/flux/infrastructure/namespaces/production-resource-quota.yaml',
        'infra/kubernetes/flux/infrastructure/vault-backup-schedule.yaml',
      ]),
    );
    const notes = plan.rules.flatMap((r) => r.notes).join('\n');
    expect(notes).toContain(
      'vault write auth/kubernetes/role/external-secrets bound_service_account_names=vault-backend-auth bound_service_account_namespaces=external-secrets',
    );
  });

  const noKubectl = missing('kubectl');
  it.skipIf(noKubectl)(skipTitle('kubectl kustomize builds every touched directory of the fixed repository', noKubectl), () => {
    const plan = planFixes(session.repo, { rules: hardening, options });
    const dir = tempDir();
    try {
      copyTree(example, dir);
      writeTree(dir, plan.finalFiles);
      const dirs = new Set([...plan.finalFiles.keys()].map((p) => p.split('/').slice(0, -1).join('/')));
      for (const d of dirs) execFileSync('kubectl', ['kustomize', join(dir, d)], { stdio: 'pipe' });
      // The Flux entry points build too.
      for (const d of ['infra/kubernetes/flux/infrastructure', 'infra/kubernetes/flux/apps/production'])
        execFileSync('kubectl', ['kustomize', join(dir, d)], { stdio: 'pipe' });
    } finally {
      removeTree(dir);
    }
  });
});

const noCorpus = missing('corpus');

describe.skipIf(noCorpus)(skipTitle('platform hardening on the corpus', noCorpus), () => {
  for (const dir of corpusRepos()) {
    it(`${dir.split('/').pop()}: every fix verifies and what it generates is valid and reachable`, () => {
      const session = openSession(dir);
      const planner = new Planner(session.repo, { rules: hardening, options: session.options });
      const plan = planner.result();
      expect(plan.rules.flatMap((r) => r.dropped.map((d) => `${r.rule.meta.id}: ${d.finding?.file}: ${d.reason}`))).toEqual([]);
      expect(checkGenerated(plan.finalFiles, planner.repoAfter)).toEqual([]);
      // A second run plans nothing more.
      const again = planFixes(planner.repoAfter, { rules: hardening, options: session.options });
      expect([...again.finalFiles.keys()]).toEqual([]);
    }, 120_000);
  }
});
