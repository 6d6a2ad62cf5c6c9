/**
 * Which chart a HelmRelease installs, resolved as Flux resolves it, and where to get it: a local chart directory or
 * cache (`<name>-<version>/` with a Chart.yaml, or `<name>-<version>.tgz`), then `helm pull` from the source.
 * A chart that cannot be had is reported with the reason, never guessed.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parse } from 'yaml';
import type { Repo, Resource } from '../../kit/index.js';
import { asRecord, joinPath } from '../../kit/data.js';
import { normaliseFluxPath } from '../repo/paths.js';
import { exactVersion, highestMatching, parseConstraint } from '../../kit/semver.js';
import { run } from './tools.js';

/** Where a release's chart comes from. */
export interface ChartRequest {
  /** Chart name (for a path: the chart directory's name). */
  readonly name: string | undefined;
  /** Version constraint or exact version (`*` when the release sets none, as Flux defaults). */
  readonly version: string;
  /** How Flux gets it: a Helm repository index, an OCI registry, a path in a Git repository (this one or another). */
  readonly via: 'helm-repository' | 'oci' | 'path' | 'unknown';
  /** `helm pull` arguments for the chart (repository URL and name, or the OCI reference), when it can be pulled. */
  readonly pull?: { readonly ref: string; readonly repo?: string; readonly digest?: string };
  /** Absolute path of a chart directory in this repository. */
  readonly localPath?: string;
  /** Source objects read to find the chart (their files are inputs of the render). */
  readonly sources: readonly Resource[];
  /** `chart.spec.valuesFiles`: files of the chart used instead of its values.yaml. */
  readonly valuesFiles: readonly string[];
  /** Human description: `vault 0.34.1 from HelmRepository flux-system/hashicorp`. */
  readonly description: string;
  /** Why the chart cannot be resolved at all (missing source, another Git repository, ...). */
  readonly problem?: string;
}

export interface ResolvedChart {
  readonly name: string;
  readonly version: string;
  /** A chart directory or a .tgz. */
  readonly path: string;
  readonly from: 'charts-dir' | 'cache' | 'pulled' | 'repository';
}

export type ChartResolution = { readonly ok: true; readonly chart: ResolvedChart } | { readonly ok: false; readonly reason: string };

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v ? v : typeof v === 'number' ? String(v) : undefined;
}

/** A source object by kind and name in a namespace (the namespace it lands in, as Flux sees it). */
export function findSource(repo: Repo, kind: string, name: string, namespace: string | undefined): Resource | undefined {
  const all = repo.ofKind(kind, 'source.toolkit.fluxcd.io').filter((r) => r.name === name);
  return all.find((r) => (repo.flux.namespaceOf(r) ?? r.namespace) === namespace) ?? (all.length === 1 ? all[0] : undefined);
}

function ociJoin(url: string, name: string): string {
  return `${url.replace(/\/+$/, '')}/${name}`;
}

/** The Flux GitRepository that applies `file` to the cluster (this repository, as far as Flux is concerned). */
function ownGitRepositories(repo: Repo, file: string): Set<string> {
  const own = new Set<string>();
  for (const ks of repo.flux.fluxKustomizationsFor(file)) {
    const ref = asRecord(ks.get(['spec', 'sourceRef']));
    if (ref?.kind === 'GitRepository' && typeof ref.name === 'string') own.add(`${str(ref.namespace) ?? repo.flux.namespaceOf(ks) ?? ''}/${ref.name}`);
  }
  return own;
}

function fromChartSpec(repo: Repo, hr: Resource, spec: Record<string, unknown>, hrNamespace: string | undefined, extraSources: Resource[]): ChartRequest {
  const chart = str(spec.chart);
  const version = str(spec.version) ?? '*';
  const ref = asRecord(spec.sourceRef) ?? {};
  const kind = str(ref.kind) ?? 'HelmRepository';
  const srcName = str(ref.name);
  const srcNs = str(ref.namespace) ?? hrNamespace;
  const valuesFiles = [
    ...(Array.isArray(spec.valuesFiles) ? spec.valuesFiles.filter((f): f is string => typeof f === 'string') : []),
    ...(typeof spec.valuesFile === 'string' ? [spec.valuesFile] : []),
  ];
  const label = `${kind} ${srcNs ? `${srcNs}/` : ''}${srcName ?? '(unnamed)'}`;
  const base = { name: chart, version, sources: extraSources, valuesFiles };
  if (!chart) return { ...base, via: 'unknown', description: `(no chart) from ${label}`, problem: 'chart.spec.chart is not set' };
  const source = srcName ? findSource(repo, kind, srcName, srcNs) : undefined;
  const sources = source ? [...extraSources, source] : extraSources;
  if (kind === 'HelmRepository') {
    const url = str(source?.get(['spec', 'url']));
    const oci = url?.startsWith('oci://') || source?.get(['spec', 'type']) === 'oci';
    const description = `${chart} ${version} from ${label}${url ? ` (${url})` : ''}`;
    if (!url) return { ...base, sources, via: 'helm-repository', description };
    return {
      ...base,
      sources,
      via: oci ? 'oci' : 'helm-repository',
      pull: oci ? { ref: ociJoin(url, chart) } : { ref: chart, repo: url },
      description,
    };
  }
  if (kind === 'GitRepository' || kind === 'Bucket') {
    const path = normaliseFluxPath(chart);
    const description = `${path || '.'} from ${label}`;
    const own = kind === 'GitRepository' && srcName && ownGitRepositories(repo, hr.file).has(`${srcNs ?? ''}/${srcName}`);
    if (own || (kind === 'GitRepository' && repo.exists(joinPath(path, 'Chart.yaml')))) {
      return { ...base, name: basename(path || repo.root), sources, via: 'path', localPath: join(repo.root, path), description };
    }
    return {
      ...base,
      name: basename(path),
      sources,
      via: 'path',
      description,
      problem: `the chart is at ${path} in ${label}, which is not this repository`,
    };
  }
  return { ...base, sources, via: 'unknown', description: `${chart} from ${label}`, problem: `chart sources of kind ${kind} are not supported` };
}

/** The chart a HelmRelease installs: `chart.spec` (HelmRepository, GitRepository) or `chartRef` (OCIRepository, HelmChart). */
export function chartRequest(repo: Repo, hr: Resource): ChartRequest {
  const ns = repo.flux.namespaceOf(hr) ?? hr.namespace;
  const spec = asRecord(hr.get(['spec', 'chart', 'spec']));
  if (spec) return fromChartSpec(repo, hr, spec, ns, []);
  const ref = asRecord(hr.get(['spec', 'chartRef']));
  if (!ref)
    return {
      name: undefined,
      version: '*',
      via: 'unknown',
      sources: [],
      valuesFiles: [],
      description: '(no chart)',
      problem: 'neither spec.chart nor spec.chartRef is set',
    };
  const kind = str(ref.kind) ?? '';
  const name = str(ref.name) ?? '';
  const refNs = str(ref.namespace) ?? ns;
  const label = `${kind} ${refNs ? `${refNs}/` : ''}${name}`;
  const source = findSource(repo, kind, name, refNs);
  if (!source) {
    return { name: undefined, version: '*', via: 'unknown', sources: [], valuesFiles: [], description: label, problem: `${label} is not in this repository` };
  }
  if (kind === 'HelmChart') {
    const hcSpec = asRecord(source.get(['spec'])) ?? {};
    return fromChartSpec(repo, hr, hcSpec, repo.flux.namespaceOf(source) ?? source.namespace, [source]);
  }
  if (kind === 'OCIRepository') {
    const url = str(source.get(['spec', 'url'])) ?? '';
    const chart = url.replace(/\/+$/, '').split('/').pop();
    const tag = str(source.get(['spec', 'ref', 'tag']));
    const semverRange = str(source.get(['spec', 'ref', 'semver']));
    const digest = str(source.get(['spec', 'ref', 'digest']));
    // Flux's precedence: digest, then semver, then tag; no ref means the `latest` tag.
    const version = digest ? '*' : (semverRange ?? tag ?? 'latest');
    const description = `${chart ?? '(chart)'} ${digest ?? version} from ${label} (${url})`;
    if (!url.startsWith('oci://') || !chart)
      return { name: chart, version, via: 'oci', sources: [source], valuesFiles: [], description, problem: `${label}: spec.url is not an oci:// URL` };
    if (version === 'latest' && !digest) {
      return {
        name: chart,
        version,
        via: 'oci',
        sources: [source],
        valuesFiles: [],
        description,
        pull: { ref: url },
        problem: `${label} has no ref: the chart version is whatever the "latest" tag is`,
      };
    }
    return { name: chart, version, via: 'oci', sources: [source], valuesFiles: [], description, pull: digest ? { ref: url, digest } : { ref: url } };
  }
  return {
    name: undefined,
    version: '*',
    via: 'unknown',
    sources: [source],
    valuesFiles: [],
    description: label,
    problem: `chartRef of kind ${kind} is not supported`,
  };
}

interface Available {
  readonly name: string;
  readonly version: string;
  readonly path: string;
}

const TGZ = /^(.+)-(v?\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?)\.tgz$/;

/** Charts in a directory: sub-directories with a Chart.yaml (name and version read from it) and `<name>-<version>.tgz`. */
export function listCharts(dir: string): Available[] {
  const out: Available[] = [];
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const e of entries.sort()) {
    const p = join(dir, e);
    const m = TGZ.exec(e);
    if (m) {
      out.push({ name: m[1]!, version: m[2]!, path: p });
      continue;
    }
    const chartYaml = join(p, 'Chart.yaml');
    if (!existsSync(chartYaml)) continue;
    try {
      const meta = asRecord(parse(readFileSync(chartYaml, 'utf8')));
      const name = str(meta?.name);
      const version = str(meta?.version);
      if (name && version) out.push({ name, version, path: p });
    } catch {
      // an unreadable Chart.yaml is not a chart we can offer
    }
  }
  return out;
}

export interface ChartStoreOptions {
  /** Directories holding charts (`--charts DIR`, config `render.charts`), searched in order. */
  readonly chartDirs: readonly string[];
  /** Where pulled charts are kept between runs; no pulls without it. */
  readonly cacheDir?: string;
  /** Pull from the source when no local chart matches (default true). */
  readonly pull?: boolean;
  /** helm binary, for `helm pull`. */
  readonly helm?: string;
  /** Timeout of one pull. */
  readonly pullTimeoutMs?: number;
}

/** Finds chart versions locally, then pulls them (once per chart version and run; an unreachable host is tried once). */
export class ChartStore {
  private local: Available[] | undefined;
  private readonly failedHosts = new Map<string, string>();
  private readonly pulls = new Map<string, Promise<ChartResolution>>();

  constructor(private readonly opts: ChartStoreOptions) {}

  private available(): Available[] {
    this.local ??= [
      ...this.opts.chartDirs.flatMap((d) => listCharts(d).map((c) => ({ ...c, from: 'charts-dir' as const }))),
      ...(this.opts.cacheDir ? listCharts(this.opts.cacheDir) : []),
    ];
    return this.local;
  }

  /** Local versions of a chart. */
  versions(name: string): string[] {
    return [
      ...new Set(
        this.available()
          .filter((c) => c.name === name)
          .map((c) => c.version),
      ),
    ];
  }

  async resolve(req: ChartRequest): Promise<ChartResolution> {
    if (req.localPath) {
      if (!existsSync(join(req.localPath, 'Chart.yaml'))) return { ok: false, reason: `${req.description}: no Chart.yaml at ${req.localPath}` };
      const meta = asRecord(parse(readFileSync(join(req.localPath, 'Chart.yaml'), 'utf8')));
      return {
        ok: true,
        chart: {
          name: str(meta?.name) ?? req.name ?? basename(req.localPath),
          version: str(meta?.version) ?? '0.0.0',
          path: req.localPath,
          from: 'repository',
        },
      };
    }
    if (req.problem && !req.pull) return { ok: false, reason: req.problem };
    if (!req.name) return { ok: false, reason: req.problem ?? 'the chart name is unknown' };
    try {
      parseConstraint(req.version === 'latest' ? '*' : req.version);
    } catch (e) {
      return { ok: false, reason: `${req.description}: ${(e as Error).message}` };
    }
    if (!req.pull?.digest && req.version !== 'latest') {
      const local = this.available().filter((c) => c.name === req.name);
      const best = highestMatching(
        req.version,
        local.map((c) => c.version),
      );
      if (best) {
        const c = local.find((x) => x.version === best)!;
        const fromCache = this.opts.cacheDir !== undefined && c.path.startsWith(this.opts.cacheDir);
        return { ok: true, chart: { name: c.name, version: c.version, path: c.path, from: fromCache ? 'cache' : 'charts-dir' } };
      }
    }
    const have = this.versions(req.name);
    const localNote = this.opts.chartDirs.length
      ? `no version of ${req.name} matching "${req.version}" in ${this.opts.chartDirs.join(', ')}${have.length ? ` (have ${have.join(', ')})` : ''}`
      : `no chart directory given (--charts DIR or render.charts)`;
    if (!req.pull || this.opts.pull === false || !this.opts.cacheDir || !this.opts.helm) {
      const why =
        req.problem ??
        (!req.pull
          ? `the source's URL is not in this repository`
          : this.opts.pull === false
            ? 'pulling is off (render.pull: false)'
            : !this.opts.helm
              ? 'helm is not available to pull it'
              : 'no cache directory to pull into');
      return { ok: false, reason: `${localNote}; ${why}` };
    }
    const key = `${req.pull.repo ?? ''}|${req.pull.ref}|${req.pull.digest ?? req.version}`;
    let p = this.pulls.get(key);
    if (!p) {
      p = this.pull(req, localNote);
      this.pulls.set(key, p);
    }
    return p;
  }

  private async pull(req: ChartRequest, localNote: string): Promise<ChartResolution> {
    const pull = req.pull!;
    const host = /^[a-z]+:\/\/([^/]+)/i.exec(pull.repo ?? pull.ref)?.[1] ?? '';
    const failed = this.failedHosts.get(host);
    if (failed) return { ok: false, reason: `${localNote}; helm pull from ${host} failed earlier in this run: ${failed}` };
    const cache = this.opts.cacheDir!;
    mkdirSync(cache, { recursive: true });
    const tmp = mkdtempSync(join(cache, '.pull-'));
    try {
      const args = ['pull', pull.digest ? `${pull.ref}@${pull.digest}` : pull.ref, '--destination', tmp];
      if (pull.repo) args.push('--repo', pull.repo);
      if (!pull.digest && req.version !== '*' && req.version !== 'latest') args.push('--version', req.version);
      await run(this.opts.helm!, args, { timeoutMs: this.opts.pullTimeoutMs ?? 60_000 });
      const got = readdirSync(tmp).find((f) => f.endsWith('.tgz'));
      if (!got) return { ok: false, reason: `${localNote}; helm pull wrote no chart` };
      const m = TGZ.exec(got);
      const target = join(cache, got);
      if (!existsSync(target)) renameSync(join(tmp, got), target);
      this.local = undefined;
      const version = m?.[2] ?? exactVersion(req.version) ?? req.version;
      return { ok: true, chart: { name: m?.[1] ?? req.name!, version, path: target, from: 'pulled' } };
    } catch (e) {
      const why = (e as Error).message;
      this.failedHosts.set(host, why);
      return { ok: false, reason: `${localNote}; helm pull failed: ${why}` };
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }
}

/** A fingerprint of a chart's files (path, size, modification time), so that a changed local chart is rendered again. */
export function chartFingerprint(path: string): string {
  const parts: string[] = [];
  const walk = (p: string, rel: string) => {
    const st = statSync(p);
    if (st.isDirectory()) {
      for (const e of readdirSync(p).sort()) walk(join(p, e), rel ? `${rel}/${e}` : e);
    } else parts.push(`${rel}:${st.size}:${Math.floor(st.mtimeMs)}`);
  };
  try {
    walk(path, '');
  } catch {
    return 'unreadable';
  }
  return parts.join('\n');
}
