/**
 * Where generated resources go.
 *
 * A generated file goes next to what it protects (the workload's or the namespace's directory) and is wired into
 * that directory's kustomize build, so the Flux Kustomization that applies the protected object applies the new
 * one too. Where Flux builds a directory without a kustomization.yaml, nothing needs wiring. A directory whose
 * kustomize `namespace:` (or Flux `targetNamespace`) would move the new objects into another namespace is passed
 * over for the nearest ancestor that keeps them where they belong. No placement is ever an orphan: when nothing
 * reachable fits, the helper says why instead.
 */
import type { Change, TemplateValue } from './rule.js';
import { dirOf } from './data.js';
import { joinDir, relativePath } from './paths.js';
import { GROUPS, type Repo, type Resource } from './repo.js';

function under(dir: string, path: string): boolean {
  return dir === '' || path === dir || path.startsWith(dir + '/');
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
