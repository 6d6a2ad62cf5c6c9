/**
 * Rendering a release through its real chart with `helm template`, as Flux's helm-controller would install it, with
 * its `postRenderers` applied by kustomize. Results are cached per (chart, version, inputs hash): a release whose
 * inputs did not change is not rendered again.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { ChartStore, chartFingerprint, type ResolvedChart } from './charts.js';
import { CLUSTER_SCOPED, parseManifests, toObject, type K8sObject } from './objects.js';
import type { PostRenderer, ReleaseInputs } from './release.js';
import { findTool, run, type Tool } from './tools.js';

export interface RendererOptions {
  /** helm: an explicit path (`--helm PATH`), else `helm` on PATH. */
  readonly helm?: string;
  /** kubectl (for postRenderers and kustomize builds): an explicit path, else `kubectl` on PATH. */
  readonly kubectl?: string;
  /** Local chart directories (`--charts DIR`, config `render.charts`). */
  readonly chartDirs?: readonly string[];
  /** Pulled charts and render results are kept here between runs; nothing is kept without it. */
  readonly cacheDir?: string;
  /** `helm pull` a chart that is not local (default true; it needs cacheDir). */
  readonly pull?: boolean;
  /** API versions the cluster serves beyond helm's built-in ones (`Capabilities.APIVersions`), e.g. `monitoring.coreos.com/v1`. */
  readonly apiVersions?: readonly string[];
  /** `Capabilities.KubeVersion` (helm's default when unset). */
  readonly kubeVersion?: string;
  /** Timeout of one helm or kubectl run. */
  readonly timeoutMs?: number;
}

export type RenderStatus = 'rendered' | 'partial' | 'not-rendered' | 'not-verified';

export interface ReleaseRender {
  readonly inputs: ReleaseInputs;
  /**
   * rendered: through its chart, from values all in the repository. partial: rendered, but some values come from
   * outside the repository (`partial` says which). not-rendered: the chart or its values could not be had
   * (`reason`). not-verified: there is no helm to render with.
   */
  readonly status: RenderStatus;
  readonly reason?: string;
  readonly partial: readonly string[];
  readonly chart?: ResolvedChart;
  readonly objects: readonly K8sObject[];
  /** Served from the cache (no helm run). */
  readonly cached: boolean;
  /** Time spent (resolution and helm), milliseconds. */
  readonly ms: number;
}

/** What to render when calling the chart directly (tests, rules comparing chart versions). */
export interface ChartRenderInput {
  /** A chart directory or .tgz. */
  readonly chart: string;
  readonly releaseName: string;
  readonly namespace: string;
  readonly values?: Record<string, unknown>;
  readonly apiVersions?: readonly string[];
  readonly kubeVersion?: string;
  readonly includeCrds?: boolean;
  readonly skipTests?: boolean;
  readonly noHooks?: boolean;
  readonly postRenderers?: readonly PostRenderer[];
  /** Origin recorded on each object (default `<releaseName> (<template>)`). */
  readonly origin?: string;
}

export interface RenderStats {
  /** helm template runs. */
  helmRuns: number;
  /** Renders answered from the in-memory or on-disk cache. */
  cacheHits: number;
  /** helm runs per release (`ReleaseInputs.key`; cache hits not counted). */
  readonly perRelease: Map<string, number>;
  /** Milliseconds spent in helm (and kustomize post-renderers). */
  helmMs: number;
}

function sha256(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

/** JSON with sorted keys: the same values always hash the same. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

interface CachedObjects {
  readonly objects: readonly { data: Record<string, unknown>; source: string | undefined }[];
}

/** The kustomization of one post-renderer, as Flux builds it (inline strategic-merge and JSON 6902 patches become `patches`). */
export function postRendererKustomization(p: PostRenderer, resource: string): Record<string, unknown> {
  const k = p.kustomize;
  const patches: unknown[] = Array.isArray(k.patches) ? [...(k.patches as unknown[])] : [];
  for (const sm of Array.isArray(k.patchesStrategicMerge) ? k.patchesStrategicMerge : []) patches.push({ patch: stringify(sm) });
  for (const j of Array.isArray(k.patchesJson6902) ? k.patchesJson6902 : []) {
    const r = j as { target?: unknown; patch?: unknown };
    patches.push({ target: r.target, patch: stringify(r.patch) });
  }
  const out: Record<string, unknown> = { apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', resources: [resource] };
  if (patches.length) out.patches = patches;
  if (Array.isArray(k.images) && k.images.length) out.images = k.images;
  return out;
}

export class Renderer {
  readonly stats: RenderStats = { helmRuns: 0, cacheHits: 0, perRelease: new Map(), helmMs: 0 };
  /** Kinds without a namespace: the built-in ones, plus those of cluster-scoped CRDs seen in renders. */
  readonly clusterScoped = new Set(CLUSTER_SCOPED);
  private store: ChartStore | undefined;
  private readonly memo = new Map<string, Promise<CachedObjects>>();
  private helmTool: Promise<Tool> | undefined;

  constructor(readonly opts: RendererOptions = {}) {}

  /** helm, found once. */
  helm(): Promise<Tool> {
    this.helmTool ??= findTool('helm', this.opts.helm);
    return this.helmTool;
  }

  kubectl(): Promise<Tool> {
    return findTool('kubectl', this.opts.kubectl);
  }

  private count(id: string): void {
    this.stats.perRelease.set(id, (this.stats.perRelease.get(id) ?? 0) + 1);
  }

  /** Render a release as Flux would; never throws for a chart or values problem (the status says it). */
  async renderRelease(inputs: ReleaseInputs, extra: { apiVersions?: readonly string[] } = {}): Promise<ReleaseRender> {
    const t0 = performance.now();
    const done = (r: Omit<ReleaseRender, 'inputs' | 'ms' | 'partial'> & { partial?: readonly string[] }): ReleaseRender => ({
      inputs,
      partial: inputs.partial,
      ...r,
      ms: performance.now() - t0,
    });
    const helm = await this.helm();
    if (!helm.ok) return done({ status: 'not-verified', reason: helm.reason, objects: [], cached: false });
    const store = this.storeWith(helm.path);
    const resolved = await store.resolve(inputs.chart);
    if (!resolved.ok) return done({ status: 'not-rendered', reason: `chart ${inputs.chart.description}: ${resolved.reason}`, objects: [], cached: false });
    const valuesFiles = inputs.chart.valuesFiles;
    const base: ChartRenderInput = {
      chart: resolved.chart.path,
      releaseName: inputs.releaseName,
      namespace: inputs.namespace,
      values: inputs.values,
      apiVersions: [...(this.opts.apiVersions ?? []), ...(extra.apiVersions ?? [])],
      includeCrds: inputs.includeCrds,
      skipTests: inputs.skipTests,
      noHooks: inputs.noHooks,
      postRenderers: inputs.postRenderers,
      origin: `HelmRelease ${inputs.id}`,
      ...(this.opts.kubeVersion ? { kubeVersion: this.opts.kubeVersion } : {}),
    };
    try {
      const { objects, cached } = await this.renderChartCached(base, helm, valuesFiles, resolved.chart);
      if (!cached) this.count(inputs.key);
      return done({ status: inputs.partial.length ? 'partial' : 'rendered', chart: resolved.chart, objects, cached });
    } catch (e) {
      this.count(inputs.key);
      return done({
        status: 'not-rendered',
        reason: `helm template with ${resolved.chart.name} ${resolved.chart.version}: ${(e as Error).message}`,
        chart: resolved.chart,
        objects: [],
        cached: false,
      });
    }
  }

  /** The chart store, made once helm is known (it pulls with that helm). */
  private storeWith(helmPath: string): ChartStore {
    this.store ??= new ChartStore({
      chartDirs: this.opts.chartDirs ?? [],
      ...(this.opts.cacheDir ? { cacheDir: join(this.opts.cacheDir, 'charts') } : {}),
      pull: this.opts.pull ?? true,
      helm: helmPath,
    });
    return this.store;
  }

  /** Render a chart directly (no HelmRelease): for tests and for rules that compare what two chart versions render. */
  async renderChart(input: ChartRenderInput): Promise<K8sObject[]> {
    const helm = await this.helm();
    if (!helm.ok) throw new Error(`cannot render ${input.chart}: ${helm.reason}`);
    return (await this.renderChartCached(input, helm, [], undefined)).objects;
  }

  private async renderChartCached(
    input: ChartRenderInput,
    helm: Extract<Tool, { ok: true }>,
    valuesFiles: readonly string[],
    chart: ResolvedChart | undefined,
  ): Promise<{ objects: K8sObject[]; cached: boolean }> {
    const key = sha256(
      canonicalJson({
        helm: helm.version,
        chart: input.chart,
        version: chart?.version ?? null,
        files: chart?.from === 'pulled' || chart?.from === 'cache' ? null : chartFingerprint(input.chart),
        releaseName: input.releaseName,
        namespace: input.namespace,
        values: input.values ?? {},
        valuesFiles,
        apiVersions: [...(input.apiVersions ?? [])].sort(),
        kubeVersion: input.kubeVersion ?? null,
        includeCrds: !!input.includeCrds,
        skipTests: input.skipTests !== false,
        noHooks: !!input.noHooks,
        postRenderers: input.postRenderers ?? [],
      }),
    );
    let cached = true;
    let p = this.memo.get(key);
    if (!p) {
      const disk = this.readDisk(key);
      if (disk) p = Promise.resolve(disk);
      else {
        cached = false;
        p = this.helmTemplate(input, helm.path, valuesFiles).then((r) => (this.writeDisk(key, r), r));
      }
      this.memo.set(key, p);
      p.catch(() => this.memo.delete(key));
    }
    const result = await p;
    if (cached) this.stats.cacheHits++;
    const objects: K8sObject[] = [];
    for (const o of result.objects) {
      if (o.data.kind === 'CustomResourceDefinition') {
        const spec = o.data.spec as { scope?: unknown; names?: { kind?: unknown } } | undefined;
        if (spec?.scope === 'Cluster' && typeof spec.names?.kind === 'string') this.clusterScoped.add(spec.names.kind);
      }
    }
    for (const o of result.objects) {
      const obj = toObject(o.data, `${input.origin ?? input.releaseName}${o.source ? ` (${o.source})` : ''}`, input.namespace, this.clusterScoped);
      if (obj) objects.push(obj);
    }
    return { objects, cached };
  }

  private readDisk(key: string): CachedObjects | undefined {
    if (!this.opts.cacheDir) return undefined;
    try {
      return JSON.parse(readFileSync(join(this.opts.cacheDir, 'render', `${key}.json`), 'utf8')) as CachedObjects;
    } catch {
      return undefined;
    }
  }

  private writeDisk(key: string, r: CachedObjects): void {
    if (!this.opts.cacheDir) return;
    try {
      const dir = join(this.opts.cacheDir, 'render');
      mkdirSync(dir, { recursive: true });
      const tmp = join(dir, `.${key}.${process.pid}.tmp`);
      writeFileSync(tmp, JSON.stringify(r));
      // rename is atomic: a concurrent reader sees the whole file or none
      renameSync(tmp, join(dir, `${key}.json`));
    } catch {
      // the cache is an optimisation: a failed write costs a render next time
    }
  }

  private async helmTemplate(input: ChartRenderInput, helm: string, valuesFiles: readonly string[]): Promise<CachedObjects> {
    const t0 = performance.now();
    const tmp = mkdtempSync(join(tmpdir(), 'gitops-fix-render-'));
    try {
      const valuesPath = join(tmp, 'values.json');
      writeFileSync(valuesPath, JSON.stringify(input.values ?? {}));
      const args = ['template', input.releaseName, input.chart, '--namespace', input.namespace];
      for (const f of valuesFiles) args.push('--values', join(input.chart, f));
      args.push('--values', valuesPath);
      for (const a of input.apiVersions ?? []) args.push('--api-versions', a);
      if (input.kubeVersion) args.push('--kube-version', input.kubeVersion);
      if (input.includeCrds) args.push('--include-crds');
      if (input.skipTests !== false) args.push('--skip-tests');
      if (input.noHooks) args.push('--no-hooks');
      this.stats.helmRuns++;
      let { stdout } = await run(helm, args, { cwd: tmp, ...(this.opts.timeoutMs ? { timeoutMs: this.opts.timeoutMs } : {}) });
      for (const [i, p] of (input.postRenderers ?? []).entries()) stdout = await this.postRender(stdout, p, join(tmp, `post-${i}`));
      const objects = parseManifests(stdout).map((m) => ({ data: m.data, source: m.source }));
      return { objects };
    } finally {
      this.stats.helmMs += performance.now() - t0;
      rmSync(tmp, { recursive: true, force: true });
    }
  }

  private async postRender(manifest: string, p: PostRenderer, dir: string): Promise<string> {
    const kubectl = await this.kubectl();
    if (!kubectl.ok) throw new Error(`postRenderers need kustomize: ${kubectl.reason}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'rendered.yaml'), manifest);
    writeFileSync(join(dir, 'kustomization.yaml'), stringify(postRendererKustomization(p, 'rendered.yaml')));
    const { stdout } = await run(kubectl.path, ['kustomize', dir], { ...(this.opts.timeoutMs ? { timeoutMs: this.opts.timeoutMs } : {}) });
    return stdout;
  }
}
