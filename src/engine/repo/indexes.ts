/** The Repo a loaded file list answers questions through: files by path, resources by kind and name, existence. */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import type { Repo, RepoFile, Resource, Settings } from '../../kit/index.js';
import { buildFluxGraph } from './flux-graph.js';

/** Resources by kind. */
function kindIndex(resources: readonly Resource[]): Map<string, Resource[]> {
  const byKind = new Map<string, Resource[]>();
  for (const r of resources) {
    if (!r.kind) continue;
    const list = byKind.get(r.kind) ?? [];
    list.push(r);
    byKind.set(r.kind, list);
  }
  return byKind;
}

/** `find` by kind, name and namespace: names indexed per kind and group on first use. */
function finder(ofKind: Repo['ofKind']): Repo['find'] {
  const byName = new Map<string, Map<string, Resource[]>>();
  return (kind, name, namespace, group) => {
    const key = `${kind}\0${group ?? ''}`;
    let names = byName.get(key);
    if (!names) {
      names = new Map();
      for (const r of ofKind(kind, group)) {
        if (r.name === undefined) continue;
        const same = names.get(r.name);
        if (same) same.push(r);
        else names.set(r.name, [r]);
      }
      byName.set(key, names);
    }
    const list = names.get(name) ?? [];
    if (namespace === undefined || list.length <= 1)
      return list.find((r) => namespace === undefined || r.namespace === undefined || r.namespace === namespace) ?? list[0];
    return list.find((r) => r.namespace === namespace) ?? list.find((r) => r.namespace === undefined);
  };
}

/** `exists`: listed and planned files, the directories that hold them, else a stat (remembered when found). */
function existence(root: string, files: readonly RepoFile[], byPath: ReadonlyMap<string, RepoFile>, planned?: ReadonlyMap<string, string>): Repo['exists'] {
  let allPaths: Set<string> | undefined;
  return (p) => {
    if (byPath.has(p) || planned?.has(p)) return true;
    if (!allPaths) {
      // Every directory holding a listed file exists: no stat for those.
      allPaths = new Set();
      for (const f of files) for (let d = f.path; d.includes('/');) allPaths.add((d = d.slice(0, d.lastIndexOf('/'))));
    }
    if (allPaths.has(p)) return true;
    try {
      statSync(join(root, p));
      allPaths.add(p);
      return true;
    } catch {
      return false;
    }
  };
}

export function makeRepo(root: string, files: RepoFile[], resources: Resource[], settings: Settings, planned?: ReadonlyMap<string, string>): Repo {
  const byPath = new Map(files.map((f) => [f.path, f]));
  const byKind = kindIndex(resources);
  const ofKind: Repo['ofKind'] = (kind, group) => {
    const list = byKind.get(kind) ?? [];
    return group === undefined ? list : list.filter((r) => r.group === group || r.group.startsWith(group));
  };
  const repo: Repo = {
    root,
    files,
    resources,
    settings,
    flux: undefined as unknown as Repo['flux'],
    file: (p) => byPath.get(p),
    ofKind,
    find: finder(ofKind),
    planned: (p) => planned?.get(p),
    exists: existence(root, files, byPath, planned),
  };
  (repo as { flux: Repo['flux'] }).flux = buildFluxGraph(repo);
  return repo;
}
