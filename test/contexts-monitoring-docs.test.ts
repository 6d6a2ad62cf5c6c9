/**
 * Security contexts, External Secrets RBAC and probes, monitoring, and the operational documents (review items 11,
 * 13, 15, 19, 22, 23, 24) on the reviewed repository and on the shared corpus: the rules find what the review
 * says, their fixes verify, every chart key they write exists, the HCL they write parses, and what they generate is
 * schema-valid and reachable.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { helmReleases, isExternalSecrets, isVaultChartKey, validateEdit, vaultServers, type Repo } from '../src/kit/index.js';
import { planFixes, Planner } from '../src/engine/plan.js';
import { ruleById, rules } from '../src/engine/registry.js';
import { detectRule } from '../src/engine/scan.js';
import { openSession } from '../src/engine/session.js';
import { copyTree, corpusRepos, removeTree, ROOT, tempDir, writeTree } from './support/tree.js';
import { missing, REFERENCE, skipTitle } from './support/needs.js';
import { checkGenerated } from './support/generated.js';

const IDS = [
  'missing-security-context',
  'external-secrets-rbac',
  'external-secrets-missing-probes',
  'missing-monitoring',
  'flux-metrics-unmonitored',
  'linkerd-undocumented',
  'secret-rotation-undocumented',
];
const selected = rules.filter((r) => IDS.includes(r.meta.id));
/** Findings with no fix by design on the example repository: what stays after every fix. */
const REPORT_ONLY: Record<string, string[]> = {
  'missing-security-context': ['infra/kubernetes/flux/apps/production/api/deployment.yaml nonRootUnverified'],
};
const withoutLine = (xs: string[]) => xs.map((x) => x.replace(/:\d+ /, ' '));
const example = join(ROOT, 'fixtures', 'example-repo');
/** The External Secrets chart's values.yaml (../shared/reference/external-secrets/, chart 2.9.0): the keys it has. */
const ESO_VALUES = join(REFERENCE, 'external-secrets', 'values.yaml');
const noReference = missing('reference');

function findings(repo: Repo, options: ReadonlyMap<string, unknown>, id: string): string[] {
  return detectRule(repo, ruleById(id)!, options.get(id)).map((f) => `${f.file}:${f.line} ${f.messageId}`);
}

/** Leaf paths whose value differs between two values maps (lists are one value). */
function changedKeys(before: unknown, after: unknown, base: string[] = []): string[][] {
  const isMap = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
  if (!isMap(after) || Object.keys(after).length === 0) return JSON.stringify(before) === JSON.stringify(after) ? [] : [base];
  return Object.entries(after).flatMap(([k, v]) => changedKeys(isMap(before) ? before[k] : undefined, v, [...base, k]));
}

/** Is `path` a key of a chart's values.yaml (anything below an empty map, null or a list is free-form)? */
function chartKey(defaults: unknown, path: readonly string[]): boolean {
  let cur = defaults;
  for (const seg of path) {
    if (cur === null || Array.isArray(cur)) return true;
    if (!cur || typeof cur !== 'object') return false;
    const map = cur as Record<string, unknown>;
    if (!(seg in map)) return Object.keys(map).length === 0;
    cur = map[seg];
  }
  return true;
}

/** Values keys the plan wrote into Vault releases that the chart (src/kit/vault-chart.ts) does not have. */
function unknownVaultKeys(before: Repo, after: Repo): string[] {
  const bad: string[] = [];
  for (const s of vaultServers(after)) {
    const old = vaultServers(before).find((b) => b.release.id === s.release.id);
    for (const k of changedKeys(old?.values ?? {}, s.values)) if (!isVaultChartKey(k)) bad.push(`vault ${k.join('.')}`);
  }
  return bad;
}

/** Values keys the plan wrote into External Secrets releases that the chart's values.yaml (ESO_VALUES) does not have. */
function unknownEsoKeys(before: Repo, after: Repo): string[] {
  const bad: string[] = [];
  const defaults = parse(readFileSync(ESO_VALUES, 'utf8'));
  for (const hr of helmReleases(after).filter((h) => isExternalSecrets(after, h))) {
    const old = helmReleases(before).find((b) => b.id === hr.id);
    for (const k of changedKeys(old ? before.flux.values(old) : {}, after.flux.values(hr)))
      if (!chartKey(defaults, k)) bad.push(`external-secrets ${k.join('.')}`);
  }
  return bad;
}

describe('security contexts, External Secrets, monitoring and documents on the example repository', () => {
  const session = openSession(example);
  // The one option without a safe default: whether the cluster runs the Prometheus Operator (installed outside
  // this repository). Everything else keeps its default.
  const options = new Map(session.options);
  for (const id of ['missing-monitoring', 'flux-metrics-unmonitored']) options.set(id, { ...(session.options.get(id) as object), prometheusOperator: true });

  it('finds what the review says', () => {
    const { repo } = session;
    const vault = 'infra/kubernetes/flux/infrastructure/vault/helmrelease.yaml';
    const eso = 'infra/kubernetes/flux/infrastructure/external-secrets/helmrelease.yaml';
    // Item 11: pod specs without securityContext, and the Vault chart's defaults (no seccomp profile, capabilities kept).
    expect(findings(repo, options, 'missing-security-context')).toEqual([
      // The orders-api image's user is unknown and no runAsUser is set: runAsNonRoot is reported, not written.
      'infra/kubernetes/flux/apps/production/api/deployment.yaml:20 nonRootUnverified',
      'infra/kubernetes/flux/apps/production/api/deployment.yaml:20 notRestricted',
      'infra/kubernetes/flux/apps/production/postgres/statefulset.yaml:23 notRestricted',
      `${vault}:35 chartPod`,
      `${vault}:32 chartPod`,
    ]);
    // Item 13: the ClusterSecretStore of secret-store.yaml:9 serves every namespace; the chart aggregates write access.
    expect(findings(repo, options, 'external-secrets-rbac')).toEqual([
      'infra/kubernetes/flux/infrastructure/external-secrets/secret-store.yaml:9 unrestrictedStore',
      `${eso}:25 aggregatedRoles`,
    ]);
    // Item 15: chart 2.9.0 defaults, controller probes off (helmrelease.yaml:25-31).
    expect(findings(repo, options, 'external-secrets-missing-probes')).toEqual([
      `${eso}:25 disabled`,
      `${eso}:25 disabled`,
      `${eso}:28 disabled`,
      `${eso}:30 disabled`,
    ]);
    // Item 19: no telemetry stanza, no serviceMonitor for Vault or External Secrets.
    expect(findings(repo, options, 'missing-monitoring')).toEqual([`${vault}:70 vault`, `${eso}:25 eso`]);
    // Item 23: nothing scrapes flux-system.
    expect(findings(repo, options, 'flux-metrics-unmonitored')).toEqual(['flux/clusters/production/flux-system/gotk-components.yaml:18 unmonitored']);
    // Items 22 and 24: no docs/ at all.
    expect(findings(repo, options, 'linkerd-undocumented')).toEqual(['infra/kubernetes/flux/infrastructure/linkerd/control-plane.yaml:8 undocumented']);
    // A repository finding: no document anywhere, so it is not pinned to one of the ExternalSecrets.
    expect(findings(repo, options, 'secret-rotation-undocumented')).toEqual(['.:1 undocumented']);
  });

  it('without the option, monitoring is reported but not generated', () => {
    const { repo } = session;
    expect(findings(repo, session.options, 'missing-monitoring')).toEqual([
      'infra/kubernetes/flux/infrastructure/vault/helmrelease.yaml:70 vaultNoOperator',
      'infra/kubernetes/flux/infrastructure/external-secrets/helmrelease.yaml:25 esoNoOperator',
    ]);
    expect(findings(repo, session.options, 'flux-metrics-unmonitored')).toEqual(['flux/clusters/production/flux-system/gotk-components.yaml:18 noOperator']);
  });

  it('resolves items 11, 13, 15, 19, 22, 23 and 24 with verified fixes', async () => {
    const planner = new Planner(session.repo, { rules: selected, options });
    const plan = planner.result();
    expect(plan.rules.flatMap((r) => r.dropped.map((d) => `${r.rule.meta.id}: ${d.reason}`))).toEqual([]);
    expect(plan.rules.flatMap((r) => r.skipped.map((d) => `${r.rule.meta.id}: ${d.finding?.file}: ${d.reason}`))).toEqual([
      'missing-security-context: infra/kubernetes/flux/apps/production/api/deployment.yaml: no automatic fix: see the message',
    ]);
    const after = planner.repoAfter;
    for (const id of IDS) expect(withoutLine(findings(after, options, id)), id).toEqual(REPORT_ONLY[id] ?? []);
    expect(checkGenerated(plan.finalFiles, after)).toEqual([]);
    expect(unknownVaultKeys(session.repo, after)).toEqual([]);
    const created = [...plan.finalFiles.keys()].filter((p) => plan.originalFiles.get(p) === null).sort();
    expect(created).toEqual(['docs/linkerd.md', 'docs/secret-rotation.md', 'flux/clusters/production/flux-system/flux-podmonitor.yaml']);
    // The Vault configuration edited inside the block scalar still parses (HashiCorp's HCL2 parser when the original does).
    const [before, edited] = [session.repo, after].map((r) => vaultServers(r)[0]!.config!.text);
    expect(edited).toContain('telemetry {');
    expect(await validateEdit(before!, edited!)).toMatchObject({ ok: true });
    // The documents carry facts of this repository and mark the team's decisions.
    const linkerd = plan.finalFiles.get('docs/linkerd.md')!;
    expect(linkerd).toContain('| production | enabled |');
    expect(linkerd).toContain('External Secrets (HelmRelease external-secrets) | external-secrets | no');
    expect(linkerd).toContain('vault-agent-init');
    expect(linkerd).toContain('TODO(gitops-fix) — team decision');
    const rotation = plan.finalFiles.get('docs/secret-rotation.md')!;
    expect(rotation).toContain('| production/postgres-credentials | ClusterSecretStore vault-backend | 1h | postgres-credentials |');
    expect(rotation).toContain('Deployment api (env, **restart needed**)');
    expect(rotation).toContain('vault kv patch -mount=secret production/postgres password=<new value>');
    expect(rotation).toContain('TODO(gitops-fix) — team decision');
  });

  it('phases 1-4 together leave none of these findings and drop none of their fixes', () => {
    // The other rule without a safe default in this repository: which backup to write for Vault.
    const all = new Map(options);
    all.set('vault-no-backup', { ...(session.options.get('vault-no-backup') as object), method: 'velero' });
    const planner = new Planner(session.repo, { rules, options: all });
    const plan = planner.result();
    expect(plan.rules.filter((r) => IDS.includes(r.rule.meta.id)).flatMap((r) => r.dropped.map((d) => `${r.rule.meta.id}: ${d.reason}`))).toEqual([]);
    for (const id of IDS) expect(withoutLine(findings(planner.repoAfter, all, id)), id).toEqual(REPORT_ONLY[id] ?? []);
    expect(checkGenerated(plan.finalFiles, planner.repoAfter)).toEqual([]);
    expect(unknownVaultKeys(session.repo, planner.repoAfter)).toEqual([]);
  });

  it.skipIf(noReference)(skipTitle('writes only keys the External Secrets chart has (its values.yaml)', noReference), () => {
    const all = new Map(options);
    all.set('vault-no-backup', { ...(session.options.get('vault-no-backup') as object), method: 'velero' });
    for (const [selection, opts] of [
      [selected, options],
      [rules, all],
    ] as const) {
      const planner = new Planner(session.repo, { rules: selection, options: opts });
      planner.result();
      expect(unknownEsoKeys(session.repo, planner.repoAfter)).toEqual([]);
    }
  });

  const noKubectl = missing('kubectl');
  it.skipIf(noKubectl)(skipTitle('kubectl kustomize builds every touched directory of the fixed repository', noKubectl), () => {
    const plan = planFixes(session.repo, { rules: selected, options });
    const dir = tempDir();
    try {
      copyTree(example, dir);
      writeTree(dir, plan.finalFiles);
      const dirs = new Set([...plan.finalFiles.keys()].filter((p) => /\.ya?ml$/.test(p)).map((p) => p.split('/').slice(0, -1).join('/')));
      const built = [...dirs].filter((d) => existsSync(join(dir, d, 'kustomization.yaml')));
      expect(built.length).toBeGreaterThan(0);
      for (const d of built) execFileSync('kubectl', ['kustomize', join(dir, d)], { stdio: 'pipe' });
    } finally {
      removeTree(dir);
    }
  });
});

const noCorpus = missing('corpus', 'reference');

describe.skipIf(noCorpus)(skipTitle('security contexts, External Secrets, monitoring and documents on the corpus', noCorpus), () => {
  for (const dir of corpusRepos()) {
    it(`${dir.split('/').pop()}: every fix verifies, writes chart keys that exist, and generates valid reachable resources`, () => {
      const session = openSession(dir);
      const planner = new Planner(session.repo, { rules: selected, options: session.options });
      const plan = planner.result();
      expect(plan.rules.flatMap((r) => r.dropped.map((d) => `${r.rule.meta.id}: ${d.finding?.file}: ${d.reason}`))).toEqual([]);
      expect(checkGenerated(plan.finalFiles, planner.repoAfter)).toEqual([]);
      expect(unknownVaultKeys(session.repo, planner.repoAfter)).toEqual([]);
      expect(unknownEsoKeys(session.repo, planner.repoAfter)).toEqual([]);
      // A second run plans nothing more.
      const again = planFixes(planner.repoAfter, { rules: selected, options: session.options });
      expect([...again.finalFiles.keys()]).toEqual([]);
    }, 180_000);
  }
});
