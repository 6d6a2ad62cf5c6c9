/**
 * Which namespaces objects land in, and which of them are production: the production-namespace policy that
 * namespace-wide controls (NetworkPolicy, ResourceQuota) follow.
 */
import { namespaceView } from './kinds.js';
import { isReachable } from './placement.js';
import { GROUPS, type Repo, type Resource } from './repo.js';

/** Kinds that have no namespace (kustomize leaves them alone). */
export const CLUSTER_SCOPED_KINDS = new Set([
  'Namespace',
  'ClusterRole',
  'ClusterRoleBinding',
  'CustomResourceDefinition',
  'ClusterSecretStore',
  'ClusterExternalSecret',
  'ClusterIssuer',
  'PersistentVolume',
  'StorageClass',
  'PriorityClass',
  'MutatingWebhookConfiguration',
  'ValidatingWebhookConfiguration',
  'ValidatingAdmissionPolicy',
  'ValidatingAdmissionPolicyBinding',
  'APIService',
  'IngressClass',
  'RuntimeClass',
  'Node',
  'CSIDriver',
  'VolumeSnapshotClass',
  'ClusterPolicy',
  'ClusterGenerator',
  'ClusterPushSecret',
]);

/** Namespaces that belong to Kubernetes or Flux itself. */
export const SYSTEM_NAMESPACES = new Set(['kube-system', 'kube-public', 'kube-node-lease', 'flux-system']);

/** Namespaced objects of the repository with the namespace they land in. */
export function namespacedResources(repo: Repo): { resource: Resource; namespace: string }[] {
  const out: { resource: Resource; namespace: string }[] = [];
  for (const r of repo.resources) {
    if (!r.kind || !r.apiVersion || CLUSTER_SCOPED_KINDS.has(r.kind) || r.group === GROUPS.kustomizeConfig) continue;
    const ns = repo.flux.namespaceOf(r);
    if (ns) out.push({ resource: r, namespace: ns });
  }
  return out;
}

/** The Namespace object of that name in the repository. */
export function namespaceObject(repo: Repo, name: string): Resource | undefined {
  return repo.ofKind('Namespace').find((n) => n.group === '' && n.name === name);
}

export type ProductionReason = 'config' | 'name' | 'label' | 'cluster';

export interface ProductionNamespace {
  readonly name: string;
  /** The Namespace object, when the repository declares one. */
  readonly object: Resource | undefined;
  readonly reasons: readonly ProductionReason[];
  /** kube-system, kube-public, kube-node-lease, flux-system. */
  readonly system: boolean;
}

const PROD_WORD = /^(prod|production|prd)$/i;
const PROD_LABEL_KEYS = ['environment', 'env', 'tier'];

/** Does a namespace name say production (`production`, `prod`, `orders-prod`, `prd-eu`)? */
export function isProductionName(name: string): boolean {
  return name.split(/[-_.]/).some((w) => PROD_WORD.test(w));
}

/**
 * Production namespaces the repository shows: those listed in the config (`production.namespaces`) that appear in
 * the repository, Namespace objects named or labelled production (`environment|env|tier: production|prod`), and
 * (reason `cluster`) the namespaces of objects applied to a production cluster. Sorted by name.
 */
export function productionNamespaces(repo: Repo): ProductionNamespace[] {
  const reasons = new Map<string, Set<ProductionReason>>();
  const add = (ns: string, r: ProductionReason) => (reasons.get(ns) ?? reasons.set(ns, new Set()).get(ns)!).add(r);
  const config = new Set(repo.settings.production.namespaces);
  const seen = new Set<string>();
  for (const n of repo.ofKind('Namespace')) {
    if (n.group !== '' || !n.name) continue;
    seen.add(n.name);
    if (isProductionName(n.name)) add(n.name, 'name');
    const labels = namespaceView(n)?.metadata.labels;
    if (labels) {
      for (const k of PROD_LABEL_KEYS) {
        const v = labels[k];
        if (typeof v === 'string' && /^(prod|production)$/i.test(v)) add(n.name, 'label');
      }
    }
    if (repo.flux.clustersOf(n.file).length && repo.flux.isProduction(n) && !config.has(n.name)) add(n.name, 'cluster');
  }
  for (const { resource, namespace } of namespacedResources(repo)) {
    seen.add(namespace);
    if (repo.flux.clustersOf(resource.file).length && repo.flux.isProduction(resource) && !config.has(namespace)) add(namespace, 'cluster');
  }
  for (const ns of config) if (seen.has(ns)) add(ns, 'config');
  return [...reasons.entries()]
    .map(([name, rs]) => ({
      name,
      object: namespaceObject(repo, name),
      reasons: (['config', 'name', 'label', 'cluster'] as const).filter((r) => rs.has(r)),
      system: SYSTEM_NAMESPACES.has(name),
    }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * The object a namespace's generated resources go next to: its Namespace object when the repository applies one,
 * else the first workload or other object that lands in it.
 */
export function namespaceAnchor(repo: Repo, namespace: string): Resource | undefined {
  const obj = namespaceObject(repo, namespace);
  if (obj && isReachable(repo, obj.file)) return obj;
  const members = namespacedResources(repo).filter((x) => x.namespace === namespace && isReachable(repo, x.resource.file));
  const workload = members.find((x) => ['Deployment', 'StatefulSet', 'DaemonSet'].includes(x.resource.kind ?? ''));
  return (workload ?? members[0])?.resource ?? obj;
}

/**
 * The production namespaces a namespace-wide control (NetworkPolicy, ResourceQuota) should cover: declared ones
 * (config, name, label) and, with `includeCluster`, every namespace applied to a production cluster. System
 * namespaces (kube-system, flux-system, ...) are never included.
 */
export function productionTargets(repo: Repo, includeCluster: boolean): ProductionNamespace[] {
  return productionNamespaces(repo).filter((n) => !n.system && (includeCluster || n.reasons.some((r) => r !== 'cluster')));
}

export interface NamespaceGap {
  readonly name: string;
  /** Where a finding about the namespace points: its Namespace object, else a resource applied to it. */
  readonly resource: Resource;
  readonly path: readonly string[];
}

/** Production namespaces (see productionTargets) for which `has` is false, each with the place to report it. */
export function productionNamespacesWithout(repo: Repo, includeCluster: boolean, has: (namespace: string) => boolean): NamespaceGap[] {
  const out: NamespaceGap[] = [];
  for (const ns of productionTargets(repo, includeCluster)) {
    if (has(ns.name)) continue;
    const anchor = ns.object ?? namespaceAnchor(repo, ns.name);
    if (anchor) out.push({ name: ns.name, resource: anchor, path: anchor === ns.object ? ['metadata', 'name'] : ['metadata'] });
  }
  return out;
}
