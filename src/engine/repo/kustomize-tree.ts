/**
 * The kustomize directories of a repository and the files each build includes, as Flux builds them: a directory
 * with a kustomization file builds what it lists (recursively); one without builds every manifest below it, with
 * the sub-directories that have their own kustomization file built as kustomize directories.
 */
import type { Repo, Resource } from '../../kit/index.js';
import { asArray, asRecord, dirOf, isKustomizeFileName, joinPath, stringsOf as strings } from '../../kit/data.js';
import { under } from './paths.js';

/** The paths a kustomization lists: resources, components, bases, patches, CRDs and generator files. */
function kustomizationEntries(data: Record<string, unknown>): string[] {
  const entries = [
    ...strings(data.resources),
    ...strings(data.components),
    ...strings(data.bases),
    ...strings(data.patchesStrategicMerge),
    ...strings(data.crds),
  ];
  for (const p of Array.isArray(data.patches) ? data.patches : []) {
    const path = asRecord(p)?.path;
    if (typeof path === 'string') entries.push(path);
  }
  for (const gen of [...asArray(data.configMapGenerator), ...asArray(data.secretGenerator)]) {
    for (const f of strings(asRecord(gen)?.files)) entries.push(f.includes('=') ? f.slice(f.indexOf('=') + 1) : f);
  }
  return entries.filter((e) => !/^[a-z]+:\/\//i.test(e) && !e.startsWith('github.com/'));
}

export class KustomizeTree {
  /** Directory → its kustomization document. */
  readonly dirs = new Map<string, Resource>();
  /** Every directory with a file somewhere below it ('' included): "does this path name a directory" in O(1). */
  private readonly dirsWithFiles = new Set<string>();
  private readonly sortedPaths: string[];
  private readonly built = new Map<string, ReadonlySet<string>>();

  constructor(private readonly repo: Repo) {
    for (const f of repo.files) {
      if (isKustomizeFileName(f.path) && f.resources[0] && asRecord(f.resources[0].data)) this.dirs.set(dirOf(f.path), f.resources[0]);
    }
    const allPaths = repo.files.map((f) => f.path);
    for (const p of allPaths) {
      for (let d = dirOf(p); !this.dirsWithFiles.has(d); d = dirOf(d)) {
        this.dirsWithFiles.add(d);
        if (d === '') break;
      }
    }
    this.sortedPaths = [...allPaths].sort();
  }

  /** Is `dir` a directory of the repository (a kustomize directory, or one with files below it)? */
  isDir(dir: string): boolean {
    return this.dirs.has(dir) || this.dirsWithFiles.has(dir);
  }

  /** Files below `dir`: a contiguous run of the sorted paths. */
  private filesBelow(dir: string): string[] {
    if (dir === '') return this.sortedPaths;
    const prefix = `${dir}/`;
    let lo = 0;
    let hi = this.sortedPaths.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.sortedPaths[mid]! < prefix) lo = mid + 1;
      else hi = mid;
    }
    const out: string[] = [];
    for (let i = lo; i < this.sortedPaths.length && this.sortedPaths[i]!.startsWith(prefix); i++) out.push(this.sortedPaths[i]!);
    return out;
  }

  /** Is a directory above `path` and below `dir` (both exclusive) a kustomize directory? */
  private kustomizeDirBetween(dir: string, path: string): boolean {
    for (let a = dirOf(path); a !== dir && a.length > dir.length; a = dirOf(a)) if (this.dirs.has(a)) return true;
    return false;
  }

  /** The files the build of `dir` includes (memoised; a directory already on `stack` is a cycle and adds nothing). */
  files(dir: string, stack: Set<string> = new Set()): ReadonlySet<string> {
    const memo = this.built.get(dir);
    if (memo) return memo;
    if (stack.has(dir)) return new Set();
    stack.add(dir);
    const k = this.dirs.get(dir);
    const out = k ? this.listed(dir, k, stack) : this.generated(dir, stack);
    stack.delete(dir);
    this.built.set(dir, out);
    return out;
  }

  /** A kustomization's build: its own file and what it lists (directories recursively). */
  private listed(dir: string, k: Resource, stack: Set<string>): Set<string> {
    const out = new Set<string>([k.file]);
    for (const e of kustomizationEntries(asRecord(k.data) ?? {})) {
      const p = joinPath(dir, e);
      if (this.repo.file(p)) out.add(p);
      else if (this.isDir(p)) for (const f of this.files(p, stack)) out.add(f);
    }
    return out;
  }

  /** Flux's generated kustomization: every manifest below `dir`, nested kustomize directories built by their own. */
  private generated(dir: string, stack: Set<string>): Set<string> {
    const out = new Set<string>();
    for (const f of this.filesBelow(dir)) if (!this.kustomizeDirBetween(dir, f)) out.add(f);
    const top = [...this.dirs.keys()].filter((d) => d !== dir && under(dir, d) && !this.kustomizeDirBetween(dir, d));
    for (const d of top) for (const f of this.files(d, stack)) out.add(f);
    return out;
  }
}
