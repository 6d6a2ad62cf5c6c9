/**
 * The whole system after `fix --phase all --yes --include-review` with the options the Vault rules need, on the
 * example repository and on every corpus repository that deploys Vault or External Secrets, rendered through the
 * real charts (`helm template`, ../shared/charts):
 * - no client of a Vault that serves TLS still reaches it over http:// (stores, seals, env, scripts, monitors...);
 * - no release renders the same object twice (the External Secrets metrics Service on charts before 0.14.1);
 * - every Secret a pod mounts or reads that the fixes brought in exists: the chart renders it, the repository makes
 *   it (Secret, SOPS Secret, Certificate, ExternalSecret, SealedSecret), or the fix tells the person to create it.
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  GROUPS,
  helmReleases,
  isExternalSecrets,
  isReachable,
  isVaultServer,
  releaseName,
  releaseNamespace,
  secretSource,
  serviceConsumers,
  vaultServers,
  vaultServesTls,
  vaultServiceTarget,
  type Repo,
  type Resource,
} from '../../src/kit/index.js';
import { loadRepo } from '../../src/engine/repo/load.js';
import { commitMessage } from '../../src/engine/messages.js';
import { planFixes, type Plan } from '../../src/engine/plan.js';
import { rules } from '../../src/engine/registry.js';
import { openSession } from '../../src/engine/session.js';
import { missing, skipTitle } from '../support/needs.js';
import { helmTemplate, type Rendered } from '../support/helm-render.js';
import { corpusRepos, ROOT } from '../support/tree.js';

/** The options a person running the Vault rules sets (what the picker would ask), for every repository. */
const RAW: Record<string, unknown> = {
  'vault-manual-unseal': {
    method: 'transit',
    transitAddress: 'https://transit.example.net:8200',
    // A publicly trusted transit Vault: the seal trusts the image's system bundle, not the server's own CA.
    transitCaFile: '/etc/ssl/certs/ca-certificates.crt',
    // webgrip: vault-unseal is the transit backend of vault; it gets a KMS seal of its own.
    releases: { 'vault-unseal/vault-unseal': { method: 'awskms', awsRegion: 'eu-west-1', awsKmsKeyId: 'alias/vault-unseal' } },
  },
  'vault-tls-disabled': {
    // webgrip: the transit backend's CA reaches the vault namespace as this ConfigMap (trust-manager).
    releases: { 'vault-unseal/vault-unseal': { clientCa: { kind: 'ConfigMap', name: 'vault-unseal-ca' } } },
  },
  'vault-no-backup': { method: 'raft-snapshot' },
  'missing-monitoring': { prometheusOperator: true },
  'flux-metrics-unmonitored': { prometheusOperator: true },
};

const VAULT_CHARTS = ['0.27.0', '0.28.1', '0.29.1', '0.33.0', '0.34.1'];
const ESO_CHARTS = ['0.9.11', '0.10.4', '0.11.0', '1.2.1', '2.9.0'];

/** The chart folder helm renders for a pinned version or range: the exact one, the newest of the same minor, else the newest. */
function chartDir(name: 'vault' | 'external-secrets', version: string | undefined): string {
  const have = name === 'vault' ? VAULT_CHARTS : ESO_CHARTS;
  const v = (version ?? '').replace(/^v/, '').trim();
  if (have.includes(v)) return `${name}-${v}`;
  const minor = /^[~^]?v?(\d+)\.(\d+)(\.(x|\*|\d+))?$/.exec(v);
  const same = minor ? have.filter((h) => h.startsWith(`${minor[1]}.${minor[2]}.`)) : [];
  return `${name}-${(same.length ? same : have)[(same.length ? same : have).length - 1]}`;
}

interface ReleaseRender {
  readonly hr: Resource;
  readonly namespace: string;
  readonly objects: Rendered[];
}

function renderReleases(repo: Repo): ReleaseRender[] {
  const out: ReleaseRender[] = [];
  for (const hr of helmReleases(repo)) {
    if (!isReachable(repo, hr.file)) continue;
    const vault = isVaultServer(repo, hr);
    if (!vault && !isExternalSecrets(repo, hr)) continue;
    const chart = chartDir(vault ? 'vault' : 'external-secrets', repo.flux.helmChart(hr).version);
    const namespace = releaseNamespace(repo, hr) ?? 'default';
    out.push({ hr, namespace, objects: helmTemplate(chart, releaseName(hr), namespace, repo.flux.values(hr), ['monitoring.coreos.com/v1']) });
  }
  return out;
}

const rec = (v: unknown) => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined);
const list = (v: unknown) => (Array.isArray(v) ? v : []);

/** Secrets a pod spec mounts or reads (volumes, projected sources, env secretKeyRef, envFrom). */
function podSecrets(spec: unknown): string[] {
  const s = rec(spec) ?? {};
  const out = new Set<string>();
  for (const v of list(s.volumes)) {
    const name = rec(rec(v)?.secret)?.secretName;
    if (typeof name === 'string') out.add(name);
    for (const src of list(rec(rec(v)?.projected)?.sources)) {
      const p = rec(rec(src)?.secret)?.name;
      if (typeof p === 'string') out.add(p);
    }
  }
  for (const c of [...list(s.containers), ...list(s.initContainers)]) {
    for (const e of list(rec(c)?.env)) {
      const ref = rec(rec(rec(e)?.valueFrom)?.secretKeyRef);
      if (typeof ref?.name === 'string' && ref.optional !== true) out.add(ref.name);
    }
    for (const e of list(rec(c)?.envFrom)) {
      const ref = rec(rec(e)?.secretRef);
      if (typeof ref?.name === 'string' && ref.optional !== true) out.add(ref.name);
    }
  }
  return [...out];
}

function podSpecOf(o: { kind?: unknown; spec?: unknown }): unknown {
  const spec = rec(o.spec);
  if (o.kind === 'Pod') return spec;
  if (o.kind === 'CronJob') return rec(rec(rec(rec(spec?.jobTemplate)?.spec)?.template)?.spec);
  return rec(rec(spec?.template)?.spec);
}

/** `namespace/secret` of every Secret the releases' pods and the plan's new workloads use. */
function usedSecrets(repo: Repo, renders: ReleaseRender[], created: Set<string>): Map<string, string> {
  const out = new Map<string, string>();
  for (const r of renders)
    for (const o of r.objects)
      for (const s of podSecrets(podSpecOf(o))) out.set(`${r.namespace}/${s}`, `${o.kind} ${o.metadata.name} (HelmRelease ${r.hr.name})`);
  for (const res of repo.resources) {
    if (!created.has(res.file) || !['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob', 'Pod'].includes(res.kind ?? '')) continue;
    const ns = repo.flux.namespaceOf(res) ?? 'default';
    for (const s of podSecrets(podSpecOf(res.data as { kind?: unknown; spec?: unknown }))) out.set(`${ns}/${s}`, `${res.kind} ${res.name} (${res.file})`);
  }
  return out;
}

interface Case {
  readonly name: string;
  readonly dir: string;
}

function hasVaultOrEso(dir: string): boolean {
  const { repo } = openSession(dir);
  return helmReleases(repo).some((hr) => isVaultServer(repo, hr) || isExternalSecrets(repo, hr));
}

/** Fixture repositories of the defects these checks are about, each with its own options. */
const FIXTURES = [
  'vault-tls-disabled/invalid-consumers-everywhere',
  'vault-tls-disabled/invalid-transit-backend-in-repo',
  'vault-manual-unseal/invalid-transit-own-ca',
  'vault-no-backup/invalid-raft-snapshot-actual-release',
  'missing-monitoring/invalid-eso-old-chart-metrics-service',
];

const CASES: Case[] = [
  { name: 'example-repo', dir: join(ROOT, 'fixtures', 'example-repo') },
  ...corpusRepos()
    .filter(hasVaultOrEso)
    .map((dir) => ({ name: dir.split('/').pop()!, dir })),
  ...FIXTURES.map((f) => ({ name: `fixtures/${f}`, dir: join(ROOT, 'fixtures', f, 'before') })),
];

function planAll(dir: string): { before: Repo; after: Repo; plan: Plan } {
  const session = openSession(dir);
  const options = new Map(session.options);
  // The repository's own configuration wins; the options above fill in what it does not set.
  const own = session.loaded.config.rules;
  for (const [id, raw] of Object.entries(RAW)) if (own[id] === undefined) options.set(id, rules.find((r) => r.meta.id === id)!.options!.parse(raw));
  const plan = planFixes(session.repo, { rules, options });
  const after = loadRepo(session.repo.root, {
    settings: session.repo.settings,
    base: session.repo,
    overrides: new Map([...plan.finalFiles].filter(([p]) => /\.ya?ml$/.test(p))),
  });
  return { before: session.repo, after, plan };
}

const why = missing('charts', 'helm');

describe.skipIf(!!why)(skipTitle('the system after every fix, rendered through the real charts', why), () => {
  it('covers the example repository and every corpus repository with Vault or External Secrets', () => {
    expect(CASES.map((c) => c.name)).toContain('example-repo');
    expect(CASES.length).toBeGreaterThan(1);
  });

  for (const c of CASES) {
    describe(c.name, () => {
      let before: Repo;
      let after: Repo;
      let plan: Plan;
      beforeAll(() => {
        ({ before, after, plan } = planAll(c.dir));
      });

      it('plans every fix without a verification failure', () => {
        expect(plan.rules.flatMap((r) => r.dropped.map((d) => `${r.rule.meta.id}: ${d.finding?.file}: ${d.reason}`))).toEqual([]);
      });

      it('leaves no http:// client of a Vault that serves TLS', () => {
        const left: string[] = [];
        for (const s of vaultServers(after).filter((x) => vaultServesTls(x))) {
          const own = new Set(after.flux.valuesSources(s.release).map((v) => v.resource.id));
          for (const k of serviceConsumers(after, vaultServiceTarget(s))) {
            if (own.has(k.resource.id) || !isReachable(after, k.resource.file)) continue;
            const monitor = k.kind === 'service-monitor' || k.kind === 'pod-monitor';
            if (k.scheme === 'http' || (monitor && k.scheme !== 'https'))
              left.push(`${s.namespace}/${s.release.name} <- ${k.kind} ${k.resource.file} ${k.path.join('.')} ${k.ref ?? k.targetPort}`);
          }
        }
        expect(left).toEqual([]);
      });

      it('renders no object twice, and no chart monitor collides with one the repository applies', () => {
        const dups: string[] = [];
        for (const r of renderReleases(after)) {
          const seen = new Map<string, number>();
          for (const o of r.objects) {
            const ns = (o.metadata as { namespace?: string }).namespace ?? r.namespace;
            const key = `${o.kind} ${ns}/${o.metadata.name}`;
            seen.set(key, (seen.get(key) ?? 0) + 1);
            if (o.kind === 'ServiceMonitor' || o.kind === 'PodMonitor') {
              const own = after
                .ofKind(o.kind, GROUPS.monitoring)
                .find((m) => m.name === o.metadata.name && after.flux.namespaceOf(m) === ns && isReachable(after, m.file));
              if (own) dups.push(`${key} rendered by HelmRelease ${r.hr.name} and applied by ${own.file}`);
            }
          }
          for (const [key, n] of seen) if (n > 1) dups.push(`${key} rendered ${n} times by HelmRelease ${r.hr.name}`);
        }
        expect(dups).toEqual([]);
      });

      it('every Secret the fixes made a pod use exists, is created, or the fix says to create it', () => {
        const created = new Set([...plan.finalFiles.keys()].filter((p) => plan.originalFiles.get(p) === null));
        const renderedAfter = renderReleases(after);
        const old = usedSecrets(before, renderReleases(before), new Set());
        const rendered = new Set(
          renderedAfter.flatMap((r) =>
            r.objects.filter((o) => o.kind === 'Secret').map((o) => `${(o.metadata as { namespace?: string }).namespace ?? r.namespace}/${o.metadata.name}`),
          ),
        );
        const told = plan.rules.flatMap((r) => [...r.notes, ...r.warnings]).join('\n');
        const missing: string[] = [];
        for (const [key, user] of usedSecrets(after, renderedAfter, created)) {
          if (old.has(key) || rendered.has(key)) continue;
          const [ns, name] = key.split('/') as [string, string];
          if (secretSource(after, ns, name)) continue;
          if (told.includes(`${ns}/${name}`)) continue;
          missing.push(`${key} used by ${user}`);
        }

        expect(missing).toEqual([]);
      });
    });
  }

  it('External Secrets before 0.14.1: the monitoring fix alone renders each metrics Service once, where both keys rendered it twice', () => {
    const dir = join(ROOT, 'fixtures', 'missing-monitoring', 'invalid-eso-old-chart-metrics-service', 'before');
    const session = openSession(dir);
    const plan = planFixes(session.repo, { rules: [rules.find((r) => r.meta.id === 'missing-monitoring')!], options: session.options });
    const after = loadRepo(session.repo.root, { settings: session.repo.settings, base: session.repo, overrides: new Map(plan.finalFiles) });
    const services = (values: unknown) =>
      helmTemplate('external-secrets-0.10.4', 'eso', 'security', values, ['monitoring.coreos.com/v1'])
        .filter((o) => o.kind === 'Service')
        .map((o) => o.metadata.name)
        .sort();
    const fixed = after.flux.values(helmReleases(after)[0]!);
    expect((fixed.serviceMonitor as { enabled?: unknown }).enabled).toBe(true);
    const once = services(fixed);
    expect(once).toEqual([...new Set(once)]);
    expect(once).toContain('eso-external-secrets-metrics');
    // What writing metrics.service.enabled next to serviceMonitor.enabled renders on this chart version.
    const both = services({ ...fixed, metrics: { service: { enabled: true } }, certController: { metrics: { service: { enabled: true } } } });
    expect(both.filter((n, i) => both.indexOf(n) !== i)).toEqual(['eso-external-secrets-cert-controller-metrics', 'eso-external-secrets-metrics']);
  });

  it('example repository: comments the TLS and storage changes contradict are listed in their commit messages, and kept', () => {
    const { plan } = planAll(join(ROOT, 'fixtures', 'example-repo'));
    const file = 'infra/kubernetes/flux/infrastructure/vault/helmrelease.yaml';
    const message = (id: string) => commitMessage(plan.rules.find((r) => r.rule.meta.id === id)!);
    expect(message('vault-tls-disabled')).toContain(`Comments to review (the change may contradict them; the files keep them):\n- ${file}:`);
    expect(message('vault-tls-disabled')).toContain(': # TODO: Enable TLS in production');
    expect(message('vault-listener-insecure')).toContain(': # Plain HTTP inside the cluster for now; Linkerd encrypts pod-to-pod.');
    expect(message('vault-file-storage')).toContain(': # The file backend is single-node only.');
    expect(plan.finalFiles.get(file)).toContain('# TODO: Enable TLS in production');
    expect(plan.finalFiles.get(file)).toContain('# The file backend is single-node only.');
  });
});
