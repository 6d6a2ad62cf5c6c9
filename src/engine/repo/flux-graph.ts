/**
 * The Flux graph of a loaded repository: which files each kustomize directory and Flux Kustomization builds, which
 * clusters reach a file, where objects land, what is production, and what HelmReleases install.
 */
import picomatch from 'picomatch';
import { GROUPS, type FluxGraph, type Repo, type Resource } from '../../kit/index.js';
import { helmChart, mergedValues, valuesSources } from './helm-releases.js';
import { KustomizeTree } from './kustomize-tree.js';
import { normaliseFluxPath, pushTo } from './paths.js';

/** Memoise a function of a resource by its id. */
function memo<T>(f: (r: Resource) => T): (r: Resource) => T {
  const cache = new Map<string, T>();
  return (r) => {
    if (cache.has(r.id)) return cache.get(r.id)!;
    const v = f(r);
    cache.set(r.id, v);
    return v;
  };
}

/** Flux Kustomizations: what each builds, which clusters reach which files, where objects land, what is production. */
class FluxKustomizations {
  private readonly dirs = new Map<string, string | undefined>();
  private clusterMap: Map<string, string[]> | undefined;
  private ksIndex: Map<string, Resource[]> | undefined;
  private readonly prodMatch: picomatch.Matcher;
  private readonly prodNamespaces: ReadonlySet<string>;

  constructor(
    private readonly repo: Repo,
    private readonly tree: KustomizeTree,
  ) {
    this.prodMatch = picomatch([...repo.settings.production.clusters], { dot: true });
    this.prodNamespaces = new Set(repo.settings.production.namespaces);
  }

  private all(): readonly Resource[] {
    return this.repo.ofKind('Kustomization', GROUPS.fluxKustomize);
  }

  kustomizationDir(ks: Resource): string | undefined {
    if (this.dirs.has(ks.id)) return this.dirs.get(ks.id);
    const dir = normaliseFluxPath(ks.get(['spec', 'path']));
    const found = dir === '' || this.tree.isDir(dir) ? dir : undefined;
    this.dirs.set(ks.id, found);
    return found;
  }

  /** Which cluster directories reach which files (fixpoint over Flux Kustomizations), computed once. */
  clusters(): Map<string, string[]> {
    if (this.clusterMap) return this.clusterMap;
    const map = new Map<string, string[]>();
    const dirs = new Set<string>();
    for (const f of this.repo.files) {
      const m = f.status === 'parsed' ? /^(.*?(?:^|\/)clusters\/[^/]+)\//.exec(f.path) : null;
      if (m) dirs.add(m[1]!);
    }
    const ksByFile = new Map<string, Resource[]>();
    for (const ks of this.all()) pushTo(ksByFile, ks.file, ks);
    for (const cdir of dirs) for (const f of this.reachedFrom(cdir, ksByFile)) pushTo(map, f, cdir);
    return (this.clusterMap = map);
  }

  /** The files a cluster directory reaches: its build, and the builds of the Flux Kustomizations in it, transitively. */
  private reachedFrom(cdir: string, ksByFile: ReadonlyMap<string, readonly Resource[]>): Set<string> {
    const reached = new Set<string>(this.tree.files(cdir));
    const queue = [...reached];
    const seenDirs = new Set<string>([cdir]);
    while (queue.length) {
      const f = queue.pop()!;
      for (const ks of ksByFile.get(f) ?? []) {
        const d = this.kustomizationDir(ks);
        if (d === undefined || seenDirs.has(d)) continue;
        seenDirs.add(d);
        for (const g of this.tree.files(d)) {
          if (reached.has(g)) continue;
          reached.add(g);
          queue.push(g);
        }
      }
    }
    return reached;
  }

  /** file → the Flux Kustomizations whose build includes it (in resource order), computed once. */
  fluxKustomizationsFor(file: string): readonly Resource[] {
    if (!this.ksIndex) {
      this.ksIndex = new Map();
      for (const ks of this.all()) {
        const d = this.kustomizationDir(ks);
        if (d === undefined) continue;
        for (const f of this.tree.files(d)) pushTo(this.ksIndex, f, ks);
      }
    }
    return this.ksIndex.get(file) ?? [];
  }

  namespaceOf(res: Resource): string | undefined {
    for (const ks of this.fluxKustomizationsFor(res.file)) {
      const t = ks.get(['spec', 'targetNamespace']);
      if (typeof t === 'string' && t) return t;
    }
    // The outermost kustomization that includes the file and sets namespace wins.
    const parts = res.file.split('/');
    for (let i = 0; i < parts.length; i++) {
      const d = parts.slice(0, i).join('/');
      const ns = this.tree.dirs.get(d)?.get(['namespace']);
      if (typeof ns === 'string' && ns && this.tree.files(d).has(res.file)) return ns;
    }
    return res.namespace;
  }

  isProduction(res: Resource, namespaceOf: (r: Resource) => string | undefined): boolean {
    const parts = res.file.split('/');
    for (let i = 1; i < parts.length; i++) if (this.prodMatch(parts.slice(0, i).join('/'))) return true;
    if ((this.clusters().get(res.file) ?? []).some((c) => this.prodMatch(c))) return true;
    const ns = res.kind === 'Namespace' && res.group === '' ? res.name : namespaceOf(res);
    return ns !== undefined && this.prodNamespaces.has(ns);
  }
}

export function buildFluxGraph(repo: Repo): FluxGraph {
  const tree = new KustomizeTree(repo);
  const ks = new FluxKustomizations(repo, tree);
  const sorted = new Map<string, readonly string[]>();
  // The graph never changes once built: answers per resource are computed once (rules ask again and again).
  const namespaceOf = memo((r) => ks.namespaceOf(r));
  const sources = memo((r) => valuesSources(repo, tree, r));
  return {
    kustomizationDir: (r) => ks.kustomizationDir(r),
    clustersOf: (file) => ks.clusters().get(file) ?? [],
    namespaceOf,
    isProduction: memo((r) => ks.isProduction(r, namespaceOf)),
    helmChart: memo((r) => helmChart(repo, r)),
    valuesSources: sources,
    values: (r) => mergedValues(sources(r)),
    kustomizeFile: (dir) => tree.dirs.get(dir),
    fluxKustomizationsFor: (file) => ks.fluxKustomizationsFor(file),
    kustomizeFiles: (dir) => {
      let list = sorted.get(dir);
      if (!list) sorted.set(dir, (list = [...tree.files(dir)].sort()));
      return list;
    },
  };
}
