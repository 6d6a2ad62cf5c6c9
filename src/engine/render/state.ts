/**
 * One desired state of a repository as the cluster would get it: every HelmRelease rendered through its chart, every
 * Flux Kustomization's build (exactly with `kubectl kustomize` where a change could matter, from the loaded
 * manifests elsewhere), grouped per cluster.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { parse } from 'yaml';
import { GROUPS, kustomizeFileView, type Repo, type Resource } from '../../kit/index.js';
import { asArray, asRecord, dirOf, joinPath, KUSTOMIZE_FILE_NAMES } from '../../kit/data.js';
import type { Producer, ReleaseView, ScopedObject, Universe } from './universe.js';
import type { ReleaseRender, Renderer } from './helm.js';
import { parseManifests, toObject, type K8sObject } from './objects.js';
import { releaseInputs, type ReleaseInputs } from './release.js';
import { run } from './tools.js';

export interface BuildUnit {
  /** `Kustomization flux-system/apps`, or `repository` when no Flux Kustomization applies anything here. */
  readonly id: string;
  /** Repository-relative directory it builds. */
  readonly dir: string;
  readonly targetNamespace: string | undefined;
  /** Clusters it belongs to ('' when no cluster directory reaches it). */
  readonly scopes: readonly string[];
  /** Files the build reads. */
  readonly files: readonly string[];
  /** The directory has a kustomization.yaml (only then can `kubectl kustomize` build it as Flux does). */
  readonly kustomize: boolean;
}

function scopesOf(repo: Repo, file: string): string[] {
  const c = repo.flux.clustersOf(file);
  return c.length ? [...c] : [''];
}

const patchMemo = new WeakMap<Repo, Set<string>>();

/** Files that kustomizations use as patches (not applied as objects). */
export function patchFiles(repo: Repo): Set<string> {
  const memo = patchMemo.get(repo);
  if (memo) return memo;
  const out = new Set<string>();
  patchMemo.set(repo, out);
  for (const f of repo.files) {
    if (!KUSTOMIZE_FILE_NAMES.includes(basename(f.path))) continue;
    const k = asRecord(f.resources[0]?.data);
    if (!k) continue;
    const dir = dirOf(f.path);
    for (const p of Array.isArray(k.patchesStrategicMerge) ? k.patchesStrategicMerge : [])
      if (typeof p === 'string' && !p.includes('\n')) out.add(joinPath(dir, p));
    for (const p of [...asArray(k.patches), ...asArray(k.patchesJson6902)]) {
      const path = asRecord(p)?.path;
      if (typeof path === 'string') out.add(joinPath(dir, path));
    }
  }
  return out;
}

/** The HelmReleases the repository applies (patch files left out). */
export function helmReleasesOf(repo: Repo): Resource[] {
  const patches = patchFiles(repo);
  return repo.ofKind('HelmRelease', GROUPS.fluxHelm).filter((hr) => !patches.has(hr.file) && hr.name);
}

/** What the repository's Flux Kustomizations build (one unit per directory and target namespace). */
export function buildUnits(repo: Repo): BuildUnit[] {
  const units = new Map<string, BuildUnit>();
  for (const ks of repo.ofKind('Kustomization', GROUPS.fluxKustomize)) {
    // Only Kustomizations that build this repository: an OCIRepository, Bucket or ExternalArtifact is another artifact.
    const kind = ks.get(['spec', 'sourceRef', 'kind']);
    if (kind !== undefined && kind !== 'GitRepository') continue;
    const dir = repo.flux.kustomizationDir(ks);
    if (dir === undefined) continue;
    const t = ks.get(['spec', 'targetNamespace']);
    const target = typeof t === 'string' && t ? t : undefined;
    const scopes = scopesOf(repo, ks.file);
    const key = `${dir}|${target ?? ''}|${scopes.join(',')}`;
    if (units.has(key)) continue;
    units.set(key, {
      id: `Kustomization ${repo.flux.namespaceOf(ks) ?? ks.namespace ?? 'default'}/${ks.name ?? '?'}`,
      dir,
      targetNamespace: target,
      scopes,
      files: repo.flux.kustomizeFiles(dir),
      kustomize: KUSTOMIZE_FILE_NAMES.some((n) => repo.exists(joinPath(dir, n))),
    });
  }
  if (!units.size) {
    units.set('', { id: 'repository', dir: '', targetNamespace: undefined, scopes: [''], files: repo.files.map((f) => f.path), kustomize: false });
  }
  return [...units.values()];
}

/** A unit's objects from the loaded manifests (no kustomize run): each applied document in the namespace it lands in. */
export function unitObjectsFromRepo(repo: Repo, unit: BuildUnit, clusterScoped: ReadonlySet<string>): K8sObject[] {
  const patches = patchFiles(repo);
  const out: K8sObject[] = [];
  for (const path of unit.files) {
    if (patches.has(path)) continue;
    const f = repo.file(path);
    if (!f) continue;
    const isKustomization = KUSTOMIZE_FILE_NAMES.includes(basename(path));
    for (const r of f.resources) {
      if (isKustomization) {
        // generated ConfigMaps and Secrets (named as generated, without the content hash)
        for (const [key, kind] of [
          ['configMapGenerator', 'ConfigMap'],
          ['secretGenerator', 'Secret'],
        ] as const) {
          const k = kustomizeFileView(r);
          for (const g of k?.[key] ?? []) {
            const name = g?.name;
            if (name === undefined) continue;
            const ns = unit.targetNamespace ?? g?.namespace ?? k?.namespace ?? 'default';
            const o = toObject({ apiVersion: 'v1', kind, metadata: { name, namespace: ns } }, `${unit.id} (${path}, ${key})`, ns, clusterScoped);
            if (o) out.push({ ...o, file: path });
          }
        }
        continue;
      }
      if (!r.kind || !r.apiVersion || !r.name) continue;
      const ns = unit.targetNamespace ?? repo.flux.namespaceOf(r) ?? 'default';
      const o = toObject(r.data, `${unit.id} (${path})`, ns, clusterScoped);
      if (o) out.push({ ...o, file: path, ...(unit.targetNamespace && o.namespace ? { namespace: unit.targetNamespace } : {}) });
    }
  }
  return out;
}

/** A unit built by `kubectl kustomize` in `root` (the repository, or a copy of a planned state of it). */
export async function unitObjectsFromKustomize(kubectl: string, root: string, unit: BuildUnit, clusterScoped: ReadonlySet<string>): Promise<K8sObject[]> {
  const { stdout } = await run(kubectl, ['kustomize', join(root, unit.dir)], { timeoutMs: 120_000 });
  const out: K8sObject[] = [];
  for (const m of parseManifests(stdout)) {
    const o = toObject(m.data, `${unit.id} (kustomize build ${unit.dir || '.'})`, unit.targetNamespace ?? 'default', clusterScoped);
    if (o) out.push(unit.targetNamespace && o.namespace ? { ...o, namespace: unit.targetNamespace } : o);
  }
  return out;
}

/**
 * A copy of a repository with some files replaced, for `kubectl kustomize` of a planned state: a tree of hard links
 * (`cp -al`, fast and no extra space; a replaced file is unlinked before it is written, so the original is never
 * touched), or a plain copy where hard links cannot be made.
 */
export function materialise(root: string, files: ReadonlyMap<string, string>): { dir: string; dispose(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'gitops-fix-state-'));
  const entries = readdirSync(root)
    .filter((e) => e !== '.git' && e !== 'node_modules')
    .map((e) => join(root, e));
  if (entries.length) {
    try {
      execFileSync('cp', ['-al', ...entries, dir], { stdio: 'ignore' });
    } catch {
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir);
      for (const e of entries) cpSync(e, join(dir, basename(e)), { recursive: true });
    }
  }
  for (const [p, text] of files) {
    const target = join(dir, p);
    // The copied directories are our own (only files are links): one the user made read-only is made writable here.
    for (let d = dirname(target); d.startsWith(dir); d = dirname(d)) {
      const mode = existsSync(d) ? statSync(d).mode : undefined;
      if (mode !== undefined && (mode & 0o300) !== 0o300) chmodSync(d, mode | 0o700);
      if (d === dir) break;
    }
    mkdirSync(dirname(target), { recursive: true });
    rmSync(target, { force: true });
    writeFileSync(target, text);
  }
  return {
    dir,
    dispose: () => {
      // rm(1) removes a large tree of links several times faster than a recursive rmSync
      try {
        execFileSync('rm', ['-rf', dir], { stdio: 'ignore' });
      } catch {
        // Read-only directories copied from the repository: make the copies (never the linked files) writable first.
        try {
          execFileSync('find', [dir, '-type', 'd', '-exec', 'chmod', 'u+rwx', '{}', '+'], { stdio: 'ignore' });
        } catch {
          // removed below as far as possible
        }
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

/** SOPS-encrypted Secrets and ConfigMaps (the loader skips them; their names are in clear text). */
export function sopsProducers(repo: Repo): Producer[] {
  const out: Producer[] = [];
  for (const f of repo.files) {
    if (f.skipReason !== 'sops-encrypted' || !f.text) continue;
    try {
      const d = asRecord(parse(f.text));
      const meta = asRecord(d?.metadata);
      if ((d?.kind === 'Secret' || d?.kind === 'ConfigMap') && typeof meta?.name === 'string') {
        out.push({
          kind: d.kind,
          name: meta.name,
          namespace: typeof meta.namespace === 'string' ? meta.namespace : undefined,
          what: `SOPS-encrypted ${f.path}`,
        });
      }
    } catch {
      // not one YAML document
    }
  }
  return out;
}

/** How violations name a release: `HelmRelease <file#doc>` (unique, unlike `namespace/name`). */
export function releaseUnit(i: Pick<ReleaseInputs, 'key'>): string {
  return `HelmRelease ${i.key}`;
}

export interface StateOptions {
  readonly renderer: Renderer;
  /** Units built with kubectl (by id); the others come from the loaded manifests. */
  readonly exact: ReadonlySet<string>;
  /** The state's files on disk, for kubectl (undefined: none can be built exactly). */
  readonly root: string | undefined;
  readonly external: readonly string[];
  /** Releases to render (by key; default: all). Others are left out and their namespaces are opaque. */
  readonly releases?: ReadonlySet<string>;
  /** `Capabilities.APIVersions` for every release (default: those of this state, `repositoryApiVersions`). */
  readonly apiVersions?: readonly string[];
  /** kustomize builds by root and unit, shared between the states of one proof (a build runs once). */
  readonly builds?: Map<string, Promise<K8sObject[]>>;
}

export interface RepoState {
  readonly repo: Repo;
  readonly inputs: ReadonlyMap<string, ReleaseInputs>;
  readonly renders: ReadonlyMap<string, ReleaseRender>;
  readonly units: readonly BuildUnit[];
  readonly universe: Universe;
  /** Units that had to fall back to the loaded manifests, with why. */
  readonly buildProblems: ReadonlyMap<string, string>;
}

/** API versions the repository serves to charts (`Capabilities.APIVersions`): those of its objects and of its CRDs. */
export function repositoryApiVersions(repo: Repo, extra: readonly K8sObject[] = []): string[] {
  const out = new Set<string>();
  for (const r of repo.resources) if (r.apiVersion && r.kind && r.apiVersion.includes('/') && !r.file.endsWith('kustomization.yaml')) out.add(r.apiVersion);
  for (const o of extra) {
    if (o.kind !== 'CustomResourceDefinition') continue;
    const spec = asRecord(o.data.spec);
    for (const v of Array.isArray(spec?.versions) ? spec.versions : []) {
      const name = asRecord(v)?.name;
      if (typeof spec?.group === 'string' && typeof name === 'string' && asRecord(v)?.served !== false) out.add(`${spec.group}/${name}`);
    }
  }
  return [...out].sort();
}

/** Render the wanted releases, two helm processes at a time (the machine's cores, not more). */
async function renderReleases(
  inputs: ReadonlyMap<string, ReleaseInputs>,
  opts: StateOptions,
  apiVersions: readonly string[],
): Promise<Map<string, ReleaseRender>> {
  const renders = new Map<string, ReleaseRender>();
  const queue = [...inputs.values()].filter((i) => !opts.releases || opts.releases.has(i.key));
  await Promise.all(
    [0, 1].map(async () => {
      for (let i = queue.shift(); i; i = queue.shift()) renders.set(i.key, await opts.renderer.renderRelease(i, { apiVersions }));
    }),
  );
  return renders;
}

/** The objects of the rendered releases in each scope; releases that did not render make their namespace opaque. */
function releaseObjects(repo: Repo, inputs: ReadonlyMap<string, ReleaseInputs>, renders: ReadonlyMap<string, ReleaseRender>) {
  const objects: ScopedObject[] = [];
  const releases: ReleaseView[] = [];
  const opaque = new Set<string>();
  for (const i of inputs.values()) {
    const scopes = scopesOf(repo, i.resource.file);
    const r = renders.get(i.key);
    if (!r || !(r.status === 'rendered' || r.status === 'partial')) {
      for (const s of scopes) opaque.add(`${s}|${i.namespace}`);
      continue;
    }
    for (const s of scopes) {
      for (const o of r.objects) objects.push({ ...o, scope: s, unit: releaseUnit(i) });
      releases.push({ id: i.id, unit: releaseUnit(i), scope: s, values: i.values, objects: r.objects });
    }
  }
  return { objects, releases, opaque };
}

/** The builds of `opts.exact` made with kubectl kustomize (shared through `opts.builds`), and why some could not be. */
async function exactBuilds(units: readonly BuildUnit[], opts: StateOptions): Promise<{ built: Map<string, K8sObject[]>; problems: Map<string, string> }> {
  const { renderer, root } = opts;
  const problems = new Map<string, string>();
  const built = new Map<string, K8sObject[]>();
  // A directory without kustomization.yaml is what Flux generates one for: all its manifests, as loaded.
  const exactUnits = units.filter((u) => opts.exact.has(u.id) && u.kustomize);
  if (!exactUnits.length) return { built, problems };
  const kubectl = await renderer.kubectl();
  if (!kubectl.ok) for (const u of exactUnits) problems.set(u.id, `kustomize builds need kubectl: ${kubectl.reason ?? 'not found'}`);
  else if (!root) for (const u of exactUnits) problems.set(u.id, 'no copy of this state on disk');
  else {
    const builds = opts.builds ?? new Map<string, Promise<K8sObject[]>>();
    const pending = [...exactUnits];
    await Promise.all(
      [0, 1].map(async () => {
        for (let u = pending.shift(); u; u = pending.shift()) {
          const key = `${root}\0${u.dir}\0${u.targetNamespace ?? ''}`;
          let p = builds.get(key);
          if (!p) builds.set(key, (p = unitObjectsFromKustomize(kubectl.path, root, u, renderer.clusterScoped)));
          try {
            built.set(u.id, await p);
          } catch (e) {
            problems.set(u.id, `kubectl kustomize ${u.dir || '.'} failed: ${(e as Error).message}`);
          }
        }
      }),
    );
  }
  return { built, problems };
}

export async function buildState(repo: Repo, opts: StateOptions): Promise<RepoState> {
  const inputs = new Map<string, ReleaseInputs>();
  for (const hr of helmReleasesOf(repo)) {
    const i = releaseInputs(repo, hr);
    inputs.set(i.key, i);
  }
  const renders = await renderReleases(inputs, opts, opts.apiVersions ?? repositoryApiVersions(repo));
  const { objects, releases, opaque } = releaseObjects(repo, inputs, renders);
  const units = buildUnits(repo);
  const { built, problems } = await exactBuilds(units, opts);
  for (const u of units) {
    const objs = built.get(u.id) ?? unitObjectsFromRepo(repo, u, opts.renderer.clusterScoped);
    // Without Flux Kustomizations the repository is one unit: each object belongs to the clusters of its file.
    for (const o of objs) for (const s of u.id === 'repository' && o.file ? scopesOf(repo, o.file) : u.scopes) objects.push({ ...o, scope: s, unit: u.id });
  }
  return {
    repo,
    inputs,
    renders,
    units,
    buildProblems: problems,
    universe: { objects, releases, producers: sopsProducers(repo), opaque, external: opts.external },
  };
}
