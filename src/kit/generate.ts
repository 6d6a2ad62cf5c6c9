/**
 * Where generated resources go, and which namespaces are production.
 *
 * A generated file goes next to what it protects (the workload's or the namespace's directory) and is wired into
 * that directory's kustomize build, so the Flux Kustomization that applies the protected object applies the new
 * one too. Where Flux builds a directory without a kustomization.yaml, nothing needs wiring. A directory whose
 * kustomize `namespace:` (or Flux `targetNamespace`) would move the new objects into another namespace is passed
 * over for the nearest ancestor that keeps them where they belong. No placement is ever an orphan: when nothing
 * reachable fits, the helper says why instead.
 */
import { dirOf } from './data.js';
import type { Change, TemplateValue } from './rule.js';
import { GROUPS, type Repo, type Resource } from './repo.js';

export function joinDir(dir: string, name: string): string {
  return dir ? `${dir}/${name}` : name;
}

function under(dir: string, path: string): boolean {
  return dir === '' || path === dir || path.startsWith(dir + '/');
}

/** Relative POSIX path from directory `from` to `to` (both repository-relative). */
export function relativePath(from: string, to: string): string {
  const a = from ? from.split('/') : [];
  const b = to.split('/');
  let i = 0;
  while (i < a.length && i < b.length - 1 && a[i] === b[i]) i++;
  return [...a.slice(i).map(() => '..'), ...b.slice(i)].join('/');
}

function ancestors(dir: string): string[] {
  const out = [dir];
  let d = dir;
  while (d !== '') {
    d = dirOf(d);
    out.push(d);
  }
  return out;
}

/** Is the file applied by a Flux Kustomization of the repository (or, in a repository without any, by its root kustomize tree)? */
export function isReachable(repo: Repo, file: string): boolean {
  if (repo.flux.fluxKustomizationsFor(file).length > 0) return true;
  return repo.ofKind('Kustomization', GROUPS.fluxKustomize).length === 0 && repo.flux.kustomizeFiles('').includes(file);
}

/** A file name in `dir` that exists neither on disk nor in the repository: `<base>.yaml`, `<base>-2.yaml`, ... */
export function freeFileName(repo: Repo, dir: string, base: string, taken: ReadonlySet<string> = new Set()): string {
  for (let i = 1; ; i++) {
    const file = joinDir(dir, `${base}${i === 1 ? '' : `-${i}`}.yaml`);
    if (!repo.exists(file) && !repo.file(file) && !taken.has(file)) return file;
  }
}

/** The namespace a kustomize/Flux build forces on objects of `file` (outermost kustomize `namespace:`, Flux targetNamespace first). */
function forcedNamespace(repo: Repo, file: string): string | undefined {
  for (const ks of repo.flux.fluxKustomizationsFor(file)) {
    const t = ks.get(['spec', 'targetNamespace']);
    if (typeof t === 'string' && t) return t;
  }
  const dirs = ancestors(dirOf(file)).reverse();
  for (const d of dirs) {
    const k = repo.flux.kustomizeFile(d);
    const ns = k?.get(['namespace']);
    if (typeof ns === 'string' && ns && repo.flux.kustomizeFiles(d).includes(file)) return ns;
  }
  return undefined;
}

interface Location {
  /** Where the file goes. */
  readonly dir: string;
  /** kustomization.yaml directory to wire the file into (undefined: Flux picks it up by itself). */
  readonly wireDir: string | undefined;
  /** A file already built exactly like the new file will be: stands in for it in reachability checks. */
  readonly proxy: string | undefined;
  readonly rootAuto: boolean;
}

function fluxAutoDir(repo: Repo, dir: string): string | undefined {
  // A Flux Kustomization whose path is `dir` or an ancestor, with no kustomization.yaml on the way down.
  for (const d of ancestors(dir)) {
    if (repo.flux.kustomizeFile(d)) return undefined;
    const built = repo.ofKind('Kustomization', GROUPS.fluxKustomize).some((ks) => repo.flux.kustomizationDir(ks) === d);
    if (built) return d;
  }
  return undefined;
}

function locationFor(repo: Repo, dir: string): Location | undefined {
  const k = repo.flux.kustomizeFile(dir);
  if (k) {
    if (k.kind === 'Component') return undefined;
    return { dir, wireDir: dir, proxy: k.file, rootAuto: false };
  }
  const auto = fluxAutoDir(repo, dir);
  if (auto !== undefined) {
    const proxy = repo.flux.kustomizeFiles(auto).find((f) => under(dir, f)) ?? repo.flux.kustomizeFiles(auto)[0];
    return { dir, wireDir: undefined, proxy, rootAuto: false };
  }
  // The nearest kustomization.yaml above lists files of this directory one by one: wire the new file there too.
  for (const a of ancestors(dir).slice(1)) {
    const ka = repo.flux.kustomizeFile(a);
    if (!ka) continue;
    const entries = ka.get(['resources']);
    const lists = Array.isArray(entries) && entries.some((e) => typeof e === 'string' && dirOf(normalise(joinDir(a, e))) === dir);
    return lists ? { dir, wireDir: a, proxy: ka.file, rootAuto: false } : undefined;
  }
  if (repo.ofKind('Kustomization', GROUPS.fluxKustomize).length === 0) return { dir, wireDir: undefined, proxy: undefined, rootAuto: true };
  return undefined;
}

function normalise(p: string): string {
  const out: string[] = [];
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') out.pop();
    else out.push(seg);
  }
  return out.join('/');
}

export interface PlacementRequest {
  /** The object the new resources protect or belong with: they go in its directory (or the nearest suitable ancestor). */
  readonly near: Resource;
  /** File base name without `.yaml` (e.g. `api-pdb`); a free name is chosen. */
  readonly baseName: string;
  /** Namespace of the generated objects (undefined for cluster-scoped objects). */
  readonly namespace: string | undefined;
  /** Files already planned by the same fix (avoid their names). */
  readonly taken?: ReadonlySet<string>;
}

export interface Placement {
  readonly file: string;
  readonly dir: string;
  /** The kustomization.yaml directory the file is added to, if any. */
  readonly wireDir: string | undefined;
  /** The `addKustomizeResource` change (absent when Flux builds the directory without a kustomization.yaml). */
  readonly wiring: Change | undefined;
}

/**
 * Choose where a generated file goes: the directory of `near` when the build that applies `near` would apply the
 * new file unchanged (same clusters, no namespace override that moves it elsewhere), else the nearest such
 * ancestor. Returns a reason instead when no reachable directory fits.
 */
export function placeNear(repo: Repo, req: PlacementRequest): Placement | { readonly reason: string } {
  const want = new Set(repo.flux.clustersOf(req.near.file));
  const nearReachable = isReachable(repo, req.near.file);
  const rejected: string[] = [];
  for (const dir of ancestors(dirOf(req.near.file))) {
    const loc = locationFor(repo, dir);
    if (!loc) continue;
    if (!loc.rootAuto) {
      if (!loc.proxy || !isReachable(repo, loc.proxy)) continue;
      const got = repo.flux.clustersOf(loc.proxy);
      if (nearReachable && (got.length !== want.size || got.some((c) => !want.has(c)))) continue;
      const forced = forcedNamespace(repo, loc.proxy);
      if (req.namespace !== undefined && forced !== undefined && forced !== req.namespace) {
        rejected.push(`${dir || '.'} (its build sets namespace ${forced})`);
        continue;
      }
    }
    const file = freeFileName(repo, dir, req.baseName, req.taken);
    const entry = loc.wireDir === undefined ? undefined : relativePath(loc.wireDir, file);
    return {
      file,
      dir,
      wireDir: loc.wireDir,
      wiring: loc.wireDir !== undefined && entry ? { op: 'addKustomizeResource', dir: loc.wireDir, entry } : undefined,
    };
  }
  const why = rejected.length ? `: ${rejected.join(', ')}` : '';
  return { reason: `no directory applied by the same Flux Kustomization as ${req.near.file} keeps objects in namespace ${req.namespace ?? '(cluster)'}${why}` };
}

export interface GenerateRequest extends PlacementRequest {
  /** Template base names under templates/<rule-id>/ (one document each). */
  readonly templates: readonly string[];
  readonly vars: Readonly<Record<string, TemplateValue>>;
  /** Vars the tool guessed: marked `# TODO(gitops-fix)` in the file. */
  readonly todo?: readonly string[];
}

/** The changes that create a generated file next to `near` and make it reachable: [create, addKustomizeResource?]. */
export function generateNear(repo: Repo, req: GenerateRequest): { readonly file: string; readonly changes: readonly Change[] } | { readonly reason: string } {
  const p = placeNear(repo, req);
  if ('reason' in p) return p;
  const create: Change = { op: 'create', file: p.file, templates: req.templates, vars: req.vars, ...(req.todo?.length ? { todo: req.todo } : {}) };
  return { file: p.file, changes: p.wiring ? [create, p.wiring] : [create] };
}

// ---------------------------------------------------------------------------------------------------------------
// Namespaces

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
    const labels = n.get(['metadata', 'labels']);
    if (labels && typeof labels === 'object') {
      for (const k of PROD_LABEL_KEYS) {
        const v = (labels as Record<string, unknown>)[k];
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
