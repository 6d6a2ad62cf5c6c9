import picomatch from 'picomatch';
import { asRecord, deepMerge, dirOf, isKustomizeFileName, joinPath, stringsOf } from '../kit/data.js';
import { GROUPS, type ChartInfo, type FluxGraph, type Repo, type Resource, type ValuesSource } from '../kit/index.js';
import { scalarText } from '../kit/scalar.js';

function under(dir: string, file: string): boolean {
  return dir === '' || file.startsWith(dir + '/');
}

/** Normalise a Flux `spec.path` to a repository-relative directory. */
export function normaliseFluxPath(p: unknown): string {
  if (typeof p !== 'string') return '';
  return joinPath('', p.replace(/^\/+/, ''));
}

/** Memoise a function of a resource by its id. */
/** Append `value` to the list of `key`, creating the list. */
function pushTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function memo<T>(f: (r: Resource) => T): (r: Resource) => T {
  const cache = new Map<string, T>();
  return (r) => {
    if (cache.has(r.id)) return cache.get(r.id)!;
    const v = f(r);
    cache.set(r.id, v);
    return v;
  };
}

export function buildFluxGraph(repo: Repo): FluxGraph {
  const parsedPaths = repo.files.filter((f) => f.status === 'parsed').map((f) => f.path);
  const allPaths = repo.files.map((f) => f.path);
  const kustomizeDirs = new Map<string, Resource>();
  for (const f of repo.files) {
    if (isKustomizeFileName(f.path) && f.resources[0] && asRecord(f.resources[0].data)) {
      kustomizeDirs.set(dirOf(f.path), f.resources[0]);
    }
  }
  const fluxKs = () => repo.ofKind('Kustomization', GROUPS.fluxKustomize);
  // Every directory with a file somewhere below it ('' included): "does this path name a directory" in O(1).
  const dirsWithFiles = new Set<string>();
  for (const p of allPaths) {
    for (let d = dirOf(p); !dirsWithFiles.has(d); d = dirOf(d)) {
      dirsWithFiles.add(d);
      if (d === '') break;
    }
  }
  const sortedPaths = [...allPaths].sort();
  /** Files below `dir`: a contiguous run of the sorted paths. */
  const filesBelow = (dir: string): string[] => {
    if (dir === '') return sortedPaths;
    const prefix = `${dir}/`;
    let lo = 0;
    let hi = sortedPaths.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (sortedPaths[mid]! < prefix) lo = mid + 1;
      else hi = mid;
    }
    const out: string[] = [];
    for (let i = lo; i < sortedPaths.length && sortedPaths[i]!.startsWith(prefix); i++) out.push(sortedPaths[i]!);
    return out;
  };
  /** Is a directory above `path` and below `dir` (both exclusive) a kustomize directory? */
  const kustomizeDirBetween = (dir: string, path: string): boolean => {
    for (let a = dirOf(path); a !== dir && a.length > dir.length; a = dirOf(a)) if (kustomizeDirs.has(a)) return true;
    return false;
  };

  const filesMemo = new Map<string, ReadonlySet<string>>();
  const kustomizeFileSet = (dir: string, stack: Set<string> = new Set()): ReadonlySet<string> => {
    const memo = filesMemo.get(dir);
    if (memo) return memo;
    if (stack.has(dir)) return new Set();
    stack.add(dir);
    const out = new Set<string>();
    const k = kustomizeDirs.get(dir);
    if (k) {
      out.add(k.file);
      const data = asRecord(k.data) ?? {};
      const entries = [
        ...stringsOf(data.resources),
        ...stringsOf(data.components),
        ...stringsOf(data.bases),
        ...stringsOf(data.patchesStrategicMerge),
        ...stringsOf(data.crds),
      ];
      for (const p of Array.isArray(data.patches) ? data.patches : []) {
        const path = asRecord(p)?.path;
        if (typeof path === 'string') entries.push(path);
      }
      for (const gen of [
        ...(Array.isArray(data.configMapGenerator) ? (data.configMapGenerator as unknown[]) : []),
        ...(Array.isArray(data.secretGenerator) ? (data.secretGenerator as unknown[]) : []),
      ]) {
        for (const f of stringsOf(asRecord(gen)?.files)) entries.push(f.includes('=') ? f.slice(f.indexOf('=') + 1) : f);
      }
      for (const e of entries) {
        if (/^[a-z]+:\/\//i.test(e) || e.startsWith('github.com/')) continue;
        const p = joinPath(dir, e);
        if (repo.file(p)) out.add(p);
        else if (kustomizeDirs.has(p) || dirsWithFiles.has(p)) for (const f of kustomizeFileSet(p, stack)) out.add(f);
      }
    } else {
      // Flux generates a kustomization of every manifest below the path; sub-directories with their own
      // kustomization.yaml are built as kustomize directories.
      for (const f of filesBelow(dir)) {
        // A file inside a nested kustomize directory is built by that directory's kustomization.
        if (!kustomizeDirBetween(dir, f)) out.add(f);
      }
      const top = [...kustomizeDirs.keys()].filter((d) => d !== dir && under(dir, d) && !kustomizeDirBetween(dir, d));
      for (const d of top) for (const f of kustomizeFileSet(d, stack)) out.add(f);
    }
    stack.delete(dir);
    filesMemo.set(dir, out);
    return out;
  };

  const sortedMemo = new Map<string, readonly string[]>();
  const dirMemo = new Map<string, string | undefined>();
  const kustomizationDir = (ks: Resource): string | undefined => {
    if (dirMemo.has(ks.id)) return dirMemo.get(ks.id);
    const dir = normaliseFluxPath(ks.get(['spec', 'path']));
    const found = dir === '' || kustomizeDirs.has(dir) || dirsWithFiles.has(dir) ? dir : undefined;
    dirMemo.set(ks.id, found);
    return found;
  };

  // Which cluster directories reach which files (fixpoint over Flux Kustomizations).
  let clusterMap: Map<string, string[]> | undefined;
  const clusters = () => {
    if (clusterMap) return clusterMap;
    clusterMap = new Map();
    const dirs = new Set<string>();
    for (const f of parsedPaths) {
      const m = /^(.*?(?:^|\/)clusters\/[^/]+)\//.exec(f);
      if (m) dirs.add(m[1]!);
    }
    const ksByFile = new Map<string, Resource[]>();
    for (const ks of fluxKs()) ksByFile.set(ks.file, [...(ksByFile.get(ks.file) ?? []), ks]);
    for (const cdir of dirs) {
      const reached = new Set<string>(kustomizeFileSet(cdir));
      const queue = [...reached];
      const seenDirs = new Set<string>([cdir]);
      while (queue.length) {
        const f = queue.pop()!;
        for (const ks of ksByFile.get(f) ?? []) {
          const d = kustomizationDir(ks);
          if (d === undefined || seenDirs.has(d)) continue;
          seenDirs.add(d);
          for (const g of kustomizeFileSet(d)) {
            if (reached.has(g)) continue;
            reached.add(g);
            queue.push(g);
          }
        }
      }
      for (const f of reached) pushTo(clusterMap, f, cdir);
    }
    return clusterMap;
  };

  // file → the Flux Kustomizations whose build includes it (in resource order), computed once.
  let ksIndex: Map<string, Resource[]> | undefined;
  const fluxKustomizationsFor = (file: string): readonly Resource[] => {
    if (!ksIndex) {
      ksIndex = new Map();
      for (const ks of fluxKs()) {
        const d = kustomizationDir(ks);
        if (d === undefined) continue;
        for (const f of kustomizeFileSet(d)) pushTo(ksIndex, f, ks);
      }
    }
    return ksIndex.get(file) ?? [];
  };

  const prodMatch = picomatch([...repo.settings.production.clusters], { dot: true });
  const prodNamespaces = new Set(repo.settings.production.namespaces);

  const namespaceOf = (res: Resource): string | undefined => {
    for (const ks of fluxKustomizationsFor(res.file)) {
      const t = ks.get(['spec', 'targetNamespace']);
      if (typeof t === 'string' && t) return t;
    }
    // The outermost kustomization that includes the file and sets namespace wins.
    const parts = res.file.split('/');
    for (let i = 0; i < parts.length; i++) {
      const d = parts.slice(0, i).join('/');
      const k = kustomizeDirs.get(d);
      const ns = k?.get(['namespace']);
      if (typeof ns === 'string' && ns && kustomizeFileSet(d).has(res.file)) return ns;
    }
    return res.namespace;
  };

  const isProduction = (res: Resource): boolean => {
    const parts = res.file.split('/');
    for (let i = 1; i < parts.length; i++) if (prodMatch(parts.slice(0, i).join('/'))) return true;
    if ((clusters().get(res.file) ?? []).some((c) => prodMatch(c))) return true;
    const ns = res.kind === 'Namespace' && res.group === '' ? res.name : namespaceOf(res);
    return ns !== undefined && prodNamespaces.has(ns);
  };

  const helmChart = (hr: Resource): ChartInfo => {
    const spec = asRecord(hr.get(['spec', 'chart', 'spec']));
    const ns = hr.namespace;
    if (spec) {
      const ref = asRecord(spec.sourceRef) ?? {};
      const kind = typeof ref.kind === 'string' ? ref.kind : undefined;
      const name = typeof ref.name === 'string' ? ref.name : undefined;
      const source = kind && name ? repo.find(kind, name, (ref.namespace as string | undefined) ?? ns, GROUPS.fluxSource) : undefined;
      const url = source?.get(['spec', 'url']);
      return {
        chart: typeof spec.chart === 'string' ? spec.chart : undefined,
        version: spec.version === undefined ? undefined : scalarText(spec.version),
        sourceKind: kind,
        sourceName: name,
        url: typeof url === 'string' ? url : undefined,
        source,
      };
    }
    const ref = asRecord(hr.get(['spec', 'chartRef']));
    if (ref) {
      const kind = typeof ref.kind === 'string' ? ref.kind : undefined;
      const name = typeof ref.name === 'string' ? ref.name : undefined;
      const source = kind && name ? repo.find(kind, name, (ref.namespace as string | undefined) ?? ns) : undefined;
      const url = source?.get(['spec', 'url']);
      const chartName = kind === 'HelmChart' ? source?.get(['spec', 'chart']) : typeof url === 'string' ? url.replace(/\/+$/, '').split('/').pop() : undefined;
      const tag = source?.get(['spec', 'ref', 'tag']) ?? source?.get(['spec', 'ref', 'semver']) ?? source?.get(['spec', 'version']);
      return {
        chart: typeof chartName === 'string' ? chartName : undefined,
        version: tag === undefined ? undefined : scalarText(tag),
        sourceKind: kind,
        sourceName: name,
        url: typeof url === 'string' ? url : undefined,
        source,
      };
    }
    return { chart: undefined, version: undefined, sourceKind: undefined, sourceName: undefined, url: undefined, source: undefined };
  };

  const valuesSources = (hr: Resource): readonly ValuesSource[] => {
    const out: ValuesSource[] = [];
    const from = hr.get(['spec', 'valuesFrom']);
    for (const item of Array.isArray(from) ? from : []) {
      const ref = asRecord(item);
      if (!ref || (ref.kind !== 'ConfigMap' && ref.kind !== 'Secret') || typeof ref.name !== 'string') continue;
      if (ref.targetPath !== undefined) continue; // a single value, not a values document
      const key = typeof ref.valuesKey === 'string' ? ref.valuesKey : 'values.yaml';
      const genKey = ref.kind === 'ConfigMap' ? 'configMapGenerator' : 'secretGenerator';
      for (const [dir, k] of kustomizeDirs) {
        if (!kustomizeFileSet(dir).has(hr.file) && dir !== dirOf(hr.file)) continue;
        const gens = k.get([genKey]);
        for (const gen of Array.isArray(gens) ? gens : []) {
          const g = asRecord(gen);
          if (!g || g.name !== ref.name) continue;
          for (const f of stringsOf(g.files)) {
            const [fileKey, filePath] = f.includes('=') ? [f.slice(0, f.indexOf('=')), f.slice(f.indexOf('=') + 1)] : [f.slice(f.lastIndexOf('/') + 1), f];
            if (fileKey !== key) continue;
            const target = repo.file(joinPath(dir, filePath));
            const res = target?.resources[0];
            if (res && (asRecord(res.data) || res.data === null)) out.push({ resource: res, path: [], kind: 'file' });
          }
        }
      }
    }
    out.push({ resource: hr, path: ['spec', 'values'], kind: 'inline' });
    return out;
  };

  const values = (hr: Resource): Record<string, unknown> => {
    let merged: Record<string, unknown> = {};
    for (const s of valuesSources(hr)) {
      const v = asRecord(s.path.length ? s.resource.get(s.path) : s.resource.data);
      if (v) merged = deepMerge(merged, v);
    }
    return merged;
  };

  return {
    kustomizationDir,
    clustersOf: (file) => clusters().get(file) ?? [],
    // The graph never changes once built: answers per resource are computed once (rules ask again and again).
    namespaceOf: memo(namespaceOf),
    isProduction: memo(isProduction),
    helmChart: memo(helmChart),
    valuesSources: memo(valuesSources),
    values,
    kustomizeFile: (dir) => kustomizeDirs.get(dir),
    fluxKustomizationsFor,
    kustomizeFiles: (dir) => {
      let sorted = sortedMemo.get(dir);
      if (!sorted) sortedMemo.set(dir, (sorted = [...kustomizeFileSet(dir)].sort()));
      return sorted;
    },
  };
}
