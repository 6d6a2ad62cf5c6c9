/**
 * Findings about input that Flux cannot use, found by the loader rather than by a rule (like `yaml-syntax`):
 * a kustomization.yaml that lists files that do not exist, a HelmRelease whose `spec.values` is not a map, and an
 * object defined twice in one kustomize build.
 * They have no automatic fix; the message says what to do.
 */
import { GROUPS, kustomizeFileView, type Repo, type RepoFile, type Resource } from '../kit/index.js';
import { dirOf, isKustomizeFileName, joinPath, stringsOf } from '../kit/data.js';
import type { Finding } from './scan.js';

export const MISSING_FILE_RULE_ID = 'kustomize-missing-file';
export const VALUES_NOT_MAP_RULE_ID = 'helmrelease-values-not-map';
export const DUPLICATE_OBJECT_RULE_ID = 'duplicate-object';

function finding(ruleId: string, messageId: string, res: Resource, path: readonly (string | number)[], message: string): Finding {
  const pos = res.position(path);
  return { ruleId, reviewItem: null, severity: 'high', phase: 1, file: res.file, line: pos.line, column: pos.column, message, fixable: false, messageId };
}

/** Remote bases and git URLs are fetched by kustomize, not read from the repository. */
const isRemote = (entry: string) =>
  /^[a-z][a-z0-9+.-]*:\/\//i.test(entry) || /^(git@|github\.com\/|gitlab\.com\/|bitbucket\.org\/)/.test(entry) || entry.includes('?ref=');

/** `key=path` in generator `files` lists. */
const generatorPath = (entry: string) => (entry.includes('=') ? entry.slice(entry.indexOf('=') + 1) : entry);

function listedFiles(k: Resource): { path: (string | number)[]; entry: string; field: string }[] {
  const out: { path: (string | number)[]; entry: string; field: string }[] = [];
  const list = (field: string, map: (s: string) => string = (s) => s) => {
    const v = k.get([field]);
    if (Array.isArray(v)) v.forEach((e, i) => typeof e === 'string' && out.push({ path: [field, i], entry: map(e), field }));
  };
  for (const field of ['resources', 'components', 'bases', 'crds']) list(field);
  // Inline strategic-merge patches are YAML documents, not paths.
  const psm = k.get(['patchesStrategicMerge']);
  if (Array.isArray(psm))
    psm.forEach(
      (e, i) => typeof e === 'string' && !/[\n:]/.test(e) && out.push({ path: ['patchesStrategicMerge', i], entry: e, field: 'patchesStrategicMerge' }),
    );
  const view = kustomizeFileView(k);
  view?.patches?.forEach((p, i) => {
    if (p?.path !== undefined) out.push({ path: ['patches', i, 'path'], entry: p.path, field: 'patches' });
  });
  for (const gen of ['configMapGenerator', 'secretGenerator'] as const) {
    view?.[gen]?.forEach((g, gi) => {
      g?.files?.forEach((f, fi) => f !== undefined && out.push({ path: [gen, gi, 'files', fi], entry: generatorPath(f), field: `${gen} files` }));
      g?.envs?.forEach((f, fi) => f !== undefined && out.push({ path: [gen, gi, 'envs', fi], entry: f, field: `${gen} envs` }));
    });
  }
  return out.filter((x) => x.entry && !isRemote(x.entry));
}

export function missingKustomizeFiles(repo: Repo): Finding[] {
  const out: Finding[] = [];
  // Files of a git submodule are another repository's (and not checked out in a review worktree): not checked here.
  const submodules = repo.files.filter((f) => f.skipReason === 'submodule').map((f) => f.path);
  const inSubmodule = (p: string) => submodules.some((s) => p === s || p.startsWith(`${s}/`));
  for (const f of repo.files) {
    if (f.status !== 'parsed' || !isKustomizeFileName(f.path)) continue;
    const k = f.resources[0];
    if (!k || !k.data || typeof k.data !== 'object' || Array.isArray(k.data)) continue;
    if (k.group !== '' && k.group !== GROUPS.kustomizeConfig) continue; // a Flux Kustomization named kustomization.yaml
    const dir = dirOf(f.path);
    for (const x of listedFiles(k)) {
      const target = joinPath(dir, x.entry);
      if (target.startsWith('../') || target === '..' || inSubmodule(target) || repo.exists(target)) continue;
      out.push(
        finding(
          MISSING_FILE_RULE_ID,
          'missingFile',
          k,
          x.path,
          `${f.path.slice(f.path.lastIndexOf('/') + 1)} lists "${x.entry}" (${x.field}), which does not exist: kustomize build fails for this directory, and Flux with it. Create the file or remove the entry.`,
        ),
      );
    }
  }
  return out;
}

export function valuesNotMap(repo: Repo): Finding[] {
  const out: Finding[] = [];
  for (const hr of repo.ofKind('HelmRelease', GROUPS.fluxHelm)) {
    const v = hr.get(['spec', 'values']);
    if (v === undefined || v === null || (typeof v === 'object' && !Array.isArray(v))) continue;
    const what = Array.isArray(v) ? 'a list' : `a ${typeof v}`;
    out.push(
      finding(
        VALUES_NOT_MAP_RULE_ID,
        'valuesNotMap',
        hr,
        ['spec', 'values'],
        `HelmRelease ${hr.name ?? '(unnamed)'}: spec.values is ${what}, but Flux requires a map of chart values (the API server rejects this HelmRelease); write the values as a YAML map. Fixes of its values are refused until then.`,
      ),
    );
  }
  return out;
}

/** An object's identity in a kustomize build: API group, kind, namespace as written, name. */
function objectId(r: Resource): string | undefined {
  if (!r.kind || r.name === undefined || !r.apiVersion) return undefined;
  return `${r.group}\0${r.kind}\0${r.namespace ?? ''}\0${r.name}`;
}

/**
 * The objects each build adds as resources: a directory with a kustomization.yaml adds its `resources`, `bases`,
 * `components` and `crds` (files, or directories built the same way); a directory without one (a Flux
 * Kustomization's path) adds every manifest below it, a sub-directory with its own kustomization.yaml as that
 * build. Patches and generator files are not resources.
 */
/** The files of `sorted` (sorted by path) below `dir`: a contiguous run, found by binary search. */
function filesBelow(sorted: readonly RepoFile[], dir: string): readonly RepoFile[] {
  if (dir === '') return sorted;
  const prefix = `${dir}/`;
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((sorted[mid]?.path ?? '') < prefix) lo = mid + 1;
    else hi = mid;
  }
  let end = lo;
  while (end < sorted.length && sorted[end]?.path.startsWith(prefix)) end++;
  return sorted.slice(lo, end);
}

function buildObjects(repo: Repo): Map<string, Resource[]> {
  const kustomizeDirs = new Set(repo.files.filter((f) => isKustomizeFileName(f.path) && f.status === 'parsed').map((f) => dirOf(f.path)));
  const memo = new Map<string, Resource[]>();
  const parsed = repo.files.filter((f) => f.status === 'parsed').sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const below = (dir: string) => filesBelow(parsed, dir);
  const build = (dir: string, stack: Set<string>): Resource[] => {
    const known = memo.get(dir);
    if (known) return known;
    if (stack.has(dir)) return [];
    stack.add(dir);
    const out: Resource[] = [];
    const k = repo.flux.kustomizeFile(dir);
    if (k) {
      for (const e of ['resources', 'bases', 'components', 'crds'].flatMap((field) => stringsOf(k.get([field])))) {
        if (isRemote(e)) continue;
        const p = joinPath(dir, e);
        const f = repo.file(p);
        if (f) out.push(...f.resources);
        else out.push(...build(p, stack));
      }
    } else {
      // The nearest kustomize directory between dir and a file builds that file.
      const owner = (p: string) => {
        for (let d = dirOf(p); d !== dir && d.length > dir.length; d = dirOf(d)) if (kustomizeDirs.has(d)) return d;
        return undefined;
      };
      const subBuilds = new Set<string>();
      for (const f of below(dir)) {
        if (isKustomizeFileName(f.path)) continue;
        const o = owner(f.path);
        if (o === undefined) out.push(...f.resources);
        else subBuilds.add(o);
      }
      // only the outermost kustomize directories: the inner ones are theirs
      for (const d of subBuilds) if (![...subBuilds].some((e) => e !== d && d.startsWith(`${e}/`))) out.push(...build(d, stack));
    }
    stack.delete(dir);
    memo.set(dir, out);
    return out;
  };
  const roots = new Set<string>(kustomizeDirs);
  for (const ks of repo.ofKind('Kustomization', GROUPS.fluxKustomize)) {
    const d = repo.flux.kustomizationDir(ks);
    // `path: ./` without a kustomization.yaml here reads another repository's root (this one holds every cluster)
    if (d !== undefined && d !== '') roots.add(d);
  }
  const out = new Map<string, Resource[]>();
  for (const d of [...roots].sort()) out.set(d, build(d, new Set()));
  return out;
}

export interface DuplicateObject {
  readonly resource: Resource;
  readonly other: Resource;
  /** The directory whose build holds both. */
  readonly build: string;
}

const duplicatesOf = new WeakMap<Repo, DuplicateObject[]>();

/**
 * Documents that another document of the same build defines again (same group, kind, namespace and name).
 * Computed once per repository.
 */
export function duplicateObjects(repo: Repo): DuplicateObject[] {
  let known = duplicatesOf.get(repo);
  if (!known) duplicatesOf.set(repo, (known = findDuplicates(repo)));
  return known;
}

function findDuplicates(repo: Repo): DuplicateObject[] {
  const out = new Map<string, DuplicateObject>();
  for (const [dir, objects] of buildObjects(repo)) {
    const first = new Map<string, Resource>();
    for (const r of objects) {
      if (r.data === null || r.data === undefined) continue;
      const id = objectId(r);
      if (!id) continue;
      const seen = first.get(id);
      if (!seen) first.set(id, r);
      else if (seen.id !== r.id) {
        if (!out.has(r.id)) out.set(r.id, { resource: r, other: seen, build: dir });
        if (!out.has(seen.id)) out.set(seen.id, { resource: seen, other: r, build: dir });
      }
    }
  }
  return [...out.values()];
}

export function duplicateObjectFindings(repo: Repo): Finding[] {
  return duplicateObjects(repo).map((d) => {
    const r = d.resource;
    const where = `${d.other.file}:${d.other.position().line}`;
    const name = `${r.kind} ${r.namespace ? `${r.namespace}/` : ''}${r.name}`;
    return finding(
      DUPLICATE_OBJECT_RULE_ID,
      'duplicateObject',
      r,
      [],
      `${name} is defined twice in the build of ${d.build || '.'}: here and at ${where}. kustomize build fails ("may not add resource with an already registered id"), and Flux with it; no fix changes either copy. Remove one of them.`,
    );
  });
}

export function inputFindings(repo: Repo): Finding[] {
  return [...missingKustomizeFiles(repo), ...valuesNotMap(repo), ...duplicateObjectFindings(repo)];
}
