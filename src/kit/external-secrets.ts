/** External Secrets objects: which stores they use and from which namespaces. */
import { GROUPS, type Repo, type Resource, type YamlPath } from './repo.js';
import { asArray, asRecord, dirOf, isKustomizeFileName } from './data.js';
import { externalSecretSpecOf, fluxKustomizationView, type ExternalSecretSpec, type ObjectRef } from './kinds.js';
import { isReachable } from './placement.js';
import { parseSelector, selectorMatches, type LabelSelector } from './workloads.js';

export interface StoreRef {
  readonly kind: 'SecretStore' | 'ClusterSecretStore';
  readonly name: string;
}

function refOf(r: ObjectRef | undefined): StoreRef | undefined {
  if (r?.name === undefined) return undefined;
  return { kind: r.kind === 'ClusterSecretStore' ? 'ClusterSecretStore' : 'SecretStore', name: r.name };
}

/** Where an object keeps its ExternalSecret spec (`spec`, or `spec.externalSecretSpec` for a ClusterExternalSecret). */
export function externalSecretSpecPath(r: Resource): YamlPath {
  return r.kind === 'ClusterExternalSecret' ? ['spec', 'externalSecretSpec'] : ['spec'];
}

/** Stores an ExternalSecret spec reads from: `secretStoreRef` and per-item `sourceRef.storeRef`. */
function externalSecretStores(spec: ExternalSecretSpec): StoreRef[] {
  const out: StoreRef[] = [];
  const main = refOf(spec.secretStoreRef);
  if (main) out.push(main);
  for (const item of [...(spec.data ?? []), ...(spec.dataFrom ?? [])]) {
    const ref = refOf(item?.sourceRef?.storeRef);
    if (ref) out.push(ref);
  }
  return out;
}

/**
 * Stores a (Cluster)ExternalSecret or (Cluster)PushSecret names. PushSecret refs that select stores by label are
 * resolved against `stores` (the ClusterSecretStores and SecretStores of the repository).
 */
export function storeRefsOf(r: Resource, stores: readonly Resource[] = []): StoreRef[] {
  if (r.group !== GROUPS.eso) return [];
  if (r.kind === 'ExternalSecret' || r.kind === 'ClusterExternalSecret') {
    const spec = externalSecretSpecOf(r);
    return spec ? externalSecretStores(spec) : [];
  }
  if (r.kind === 'PushSecret' || r.kind === 'ClusterPushSecret') {
    const spec = asRecord(r.get(r.kind === 'ClusterPushSecret' ? ['spec', 'pushSecretSpec'] : ['spec']));
    const out: StoreRef[] = [];
    for (const item of Array.isArray(spec?.secretStoreRefs) ? spec.secretStoreRefs : []) {
      const i = asRecord(item);
      if (!i) continue;
      const kind = i.kind === 'ClusterSecretStore' ? 'ClusterSecretStore' : 'SecretStore';
      if (typeof i.name === 'string') out.push({ kind, name: i.name });
      else if (i.labelSelector) {
        const sel = parseSelector(i.labelSelector);
        for (const s of stores) {
          const labels = asRecord(s.get(['metadata', 'labels'])) ?? {};
          const strLabels = Object.fromEntries(Object.entries(labels).map(([k, v]) => [k, String(v)]));
          if (s.kind === kind && s.name && selectorMatches(sel, strLabels)) out.push({ kind, name: s.name });
        }
      }
    }
    return out;
  }
  return [];
}

export interface StoreUsers {
  /** Namespaces of the ExternalSecrets and PushSecrets (and ClusterExternalSecrets' `namespaces`) that use the store. */
  readonly namespaces: string[];
  /** Namespace selectors of the ClusterExternalSecrets and ClusterPushSecrets that use it. */
  readonly selectors: LabelSelector[];
  /** Users whose namespace the repository does not tell. */
  readonly unresolved: Resource[];
}

interface NamespacedKustomization {
  readonly file: string;
  readonly namespace: string;
  /** The files its build includes. */
  readonly files: ReadonlySet<string>;
}

const namespacedCache = new WeakMap<Repo, NamespacedKustomization[]>();

/** The kustomizations that set `namespace:`, once per repository (a large one has thousands of directories). */
function namespacedKustomizations(repo: Repo): NamespacedKustomization[] {
  let list = namespacedCache.get(repo);
  if (!list) {
    const dirs = new Set(repo.files.filter((f) => isKustomizeFileName(f.path)).map((f) => dirOf(f.path)));
    list = [];
    for (const d of dirs) {
      const k = repo.flux.kustomizeFile(d);
      const ns = k?.get(['namespace']);
      if (k && typeof ns === 'string' && ns !== '') list.push({ file: k.file, namespace: ns, files: new Set(repo.flux.kustomizeFiles(d)) });
    }
    namespacedCache.set(repo, list);
  }
  return list;
}

/**
 * Every namespace an object lands in. A file that several builds include (a kustomize component under several
 * `namespace:` kustomizations, or several Flux Kustomizations with a `targetNamespace`) lands in each of them.
 */
export function namespacesOf(repo: Repo, r: Resource): string[] {
  const targets = repo.flux.fluxKustomizationsFor(r.file).map((k) => fluxKustomizationView(k)?.spec.targetNamespace);
  if (targets.length && targets.every((t): t is string => !!t)) return [...new Set(targets)].sort();
  const namespaced = namespacedKustomizations(repo).filter((k) => k.files.has(r.file));
  // The outermost kustomization that sets a namespace wins.
  const outer = namespaced.filter((k) => !namespaced.some((e) => e !== k && e.files.has(k.file)));
  if (outer.length) return [...new Set(outer.map((k) => k.namespace))].sort();
  const ns = repo.flux.namespaceOf(r);
  return ns ? [ns] : [];
}

/** Who uses a ClusterSecretStore in this repository, by namespace. */
export function storeUsers(repo: Repo, store: Resource): StoreUsers {
  const stores = [...repo.ofKind('ClusterSecretStore', GROUPS.eso), ...repo.ofKind('SecretStore', GROUPS.eso)];
  const namespaces = new Set<string>();
  const selectors: LabelSelector[] = [];
  const seenSelectors = new Set<string>();
  const unresolved: Resource[] = [];
  for (const kind of ['ExternalSecret', 'PushSecret', 'ClusterExternalSecret', 'ClusterPushSecret']) {
    for (const r of repo.ofKind(kind, GROUPS.eso)) {
      if (!storeRefsOf(r, stores).some((ref) => ref.kind === 'ClusterSecretStore' && ref.name === store.name)) continue;
      if (!isReachable(repo, r.file)) continue; // not applied by any Flux Kustomization: not a user
      if (kind.startsWith('Cluster')) {
        const list = r.get(['spec', 'namespaces']);
        for (const n of Array.isArray(list) ? list : []) if (typeof n === 'string') namespaces.add(n);
        const sels = r.get(['spec', 'namespaceSelectors']);
        const one = r.get(['spec', 'namespaceSelector']);
        for (const s of [...asArray(sels), ...(one !== undefined && one !== null ? [one] : [])]) {
          const sel = parseSelector(s);
          const key = JSON.stringify(sel);
          if (sel && !seenSelectors.has(key)) {
            seenSelectors.add(key);
            selectors.push(sel);
          }
        }
        continue;
      }
      const ns = namespacesOf(repo, r);
      if (ns.length) ns.forEach((n) => namespaces.add(n));
      else unresolved.push(r);
    }
  }
  return { namespaces: [...namespaces].sort(), selectors, unresolved };
}
