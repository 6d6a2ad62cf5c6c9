/** Linkerd in a repository: its releases, and which namespaces, workloads and chart pods are meshed. */
import { asRecord } from './data.js';
import { helmReleases, isExternalSecrets, isVaultServer, releaseNamespace } from './charts.js';
import type { Repo, Resource } from './repo.js';
import { workloads } from './workloads.js';

export const LINKERD_INJECT = 'linkerd.io/inject';

/** Linkerd's charts (control plane, CRDs, CNI plugin, extensions). */
export const LINKERD_CHARTS = [
  'linkerd-control-plane',
  'linkerd-crds',
  'linkerd2',
  'linkerd2-cni',
  'linkerd-cni',
  'linkerd-viz',
  'linkerd-jaeger',
  'linkerd-multicluster',
  'linkerd-smi',
];

export interface LinkerdRelease {
  readonly release: Resource;
  readonly chart: string;
  readonly version: string | undefined;
  readonly namespace: string | undefined;
  readonly url: string | undefined;
  /** Secrets the release reads values from (trust anchor, identity issuer). */
  readonly secrets: readonly string[];
}

export function linkerdReleases(repo: Repo): LinkerdRelease[] {
  return helmReleases(repo).flatMap((hr) => {
    const c = repo.flux.helmChart(hr);
    if (!c.chart || !LINKERD_CHARTS.includes(c.chart)) return [];
    const from = hr.get(['spec', 'valuesFrom']);
    const secrets = (Array.isArray(from) ? from : []).flatMap((f) =>
      asRecord(f)?.kind === 'Secret' && typeof asRecord(f)?.name === 'string' ? [String(asRecord(f)!.name)] : [],
    );
    return [{ release: hr, chart: c.chart, version: c.version, namespace: releaseNamespace(repo, hr), url: c.url, secrets: [...new Set(secrets)] }];
  });
}

export interface MeshedNamespace {
  readonly name: string;
  /** enabled | ingress | disabled */
  readonly inject: string;
  readonly object: Resource;
}

/** Namespace objects with a `linkerd.io/inject` annotation. */
export function injectionNamespaces(repo: Repo): MeshedNamespace[] {
  return repo.ofKind('Namespace').flatMap((n) => {
    const v = asRecord(n.get(['metadata', 'annotations']))?.[LINKERD_INJECT];
    return n.group === '' && n.name && typeof v === 'string' ? [{ name: n.name, inject: v, object: n }] : [];
  });
}

export interface MeshedPods {
  /** "Deployment production/api", "HelmRelease vault/vault (Vault server pods)" */
  readonly what: string;
  readonly namespace: string | undefined;
  readonly file: string;
  /** enabled | ingress | disabled, and where it comes from. */
  readonly inject: string;
  readonly via: 'pod annotation' | 'namespace' | 'chart values';
  readonly resource: Resource;
  /** Pod annotations (Vault Agent injection, Linkerd config). */
  readonly annotations: Readonly<Record<string, string>>;
}

/** Chart values that hold pod annotations, per chart. */
function chartPodAnnotations(repo: Repo, hr: Resource): { label: string; annotations: Record<string, string> }[] {
  const v = repo.flux.values(hr);
  const str = (x: unknown) => Object.fromEntries(Object.entries(asRecord(x) ?? {}).map(([k, y]) => [k, String(y)]));
  if (isVaultServer(repo, hr)) {
    return [
      { label: 'Vault server pods', annotations: str(asRecord(v.server)?.annotations) },
      { label: 'Vault Agent Injector pods', annotations: str(asRecord(v.injector)?.annotations) },
    ];
  }
  if (isExternalSecrets(repo, hr)) return [{ label: 'External Secrets controller pods', annotations: str(v.podAnnotations) }];
  return [{ label: 'pods', annotations: str(v.podAnnotations) }];
}

/**
 * Every workload manifest and chart release with the Linkerd injection that applies to its pods: a pod-level
 * annotation wins over the namespace's. Releases' pods count when their values set pod annotations or their
 * namespace is annotated.
 */
export function meshedPods(repo: Repo): MeshedPods[] {
  const nsInject = new Map(injectionNamespaces(repo).map((n) => [n.name, n.inject]));
  const out: MeshedPods[] = [];
  for (const w of workloads(repo)) {
    const own = w.podAnnotations[LINKERD_INJECT];
    const ns = w.namespace ? nsInject.get(w.namespace) : undefined;
    const inject = own ?? ns;
    if (!inject) continue;
    out.push({
      what: `${w.kind} ${w.namespace ? `${w.namespace}/` : ''}${w.name}`,
      namespace: w.namespace,
      file: w.file,
      inject,
      via: own ? 'pod annotation' : 'namespace',
      resource: w.resource,
      annotations: w.podAnnotations,
    });
  }
  for (const hr of helmReleases(repo)) {
    const c = repo.flux.helmChart(hr).chart;
    if (c && LINKERD_CHARTS.includes(c)) continue;
    const namespace = releaseNamespace(repo, hr);
    for (const pods of chartPodAnnotations(repo, hr)) {
      const own = pods.annotations[LINKERD_INJECT];
      const ns = namespace ? nsInject.get(namespace) : undefined;
      const inject = own ?? ns;
      if (!inject) continue;
      out.push({
        what: `HelmRelease ${namespace ? `${namespace}/` : ''}${hr.name} (${pods.label})`,
        namespace,
        file: hr.file,
        inject,
        via: own ? 'chart values' : 'namespace',
        resource: hr,
        annotations: pods.annotations,
      });
    }
  }
  return out;
}

/** Does the repository use Linkerd (a release, or an injection annotation anywhere)? The object that shows it. */
export function linkerdEvidence(repo: Repo): Resource | undefined {
  const rel = linkerdReleases(repo).find((r) => r.chart === 'linkerd-control-plane' || r.chart === 'linkerd2') ?? linkerdReleases(repo)[0];
  if (rel) return rel.release;
  return meshedPods(repo).find((m) => m.inject === 'enabled')?.resource ?? injectionNamespaces(repo).find((n) => n.inject === 'enabled')?.object;
}
