/**
 * Who in the repository talks to a Kubernetes Service: every reference to it by any DNS form (`<svc>` from its own
 * namespace, `<svc>.<ns>`, `<svc>.<ns>.svc`, `<svc>.<ns>.svc.<cluster domain>`, and pod names `<pod>.<headless svc>`
 * including shell-templated ones such as `vault-$i.vault-internal`) in any string of any object (URLs in env values
 * and args, scripts in ConfigMaps, stores, Helm values, HCL inside values), and the objects that reach it
 * structurally: ServiceMonitors and PodMonitors that select it, HTTPRoutes and Ingresses that route to it.
 *
 * A fix that changes how a Service answers (http → https, a port name) asks this index who else must change with it.
 */
import { asRecord } from './data.js';
import { GROUPS, type Repo, type Resource, type YamlPath } from './repo.js';
import { parseSelector, selectorMatches, workloadOf } from './workloads.js';

export interface ServiceTarget {
  readonly namespace: string;
  /** The Services (names in `namespace`). */
  readonly services: readonly string[];
  /** Headless Services among them: `<pod>.<svc>` names its pods. */
  readonly headless?: readonly string[];
  /** Ports clients use. */
  readonly ports: readonly number[];
  /** Labels the Services carry (what a ServiceMonitor selects). */
  readonly serviceLabels?: Readonly<Record<string, string>>;
  /** Labels of the pods behind them (what a PodMonitor selects). */
  readonly podLabels?: Readonly<Record<string, string>>;
  /** Cluster DNS domain (`cluster.local`). */
  readonly clusterDomain?: string;
}

export type ConsumerKind =
  /** `spec.provider.vault.server` of an External Secrets SecretStore or ClusterSecretStore. */
  | 'secret-store'
  /** A container env value (`env[].value`). */
  | 'env'
  /** A container `command` or `args` entry. */
  | 'command'
  /** A ConfigMap (or Secret `stringData`) value: scripts, configuration files. */
  | 'config-data'
  /** A string in HelmRelease values (inline or a values file): another chart's setting, an HCL configuration. */
  | 'helm-values'
  /** An annotation value. */
  | 'annotation'
  /** Any other string. */
  | 'other'
  /** A ServiceMonitor endpoint that scrapes the Service. */
  | 'service-monitor'
  /** A PodMonitor endpoint that scrapes the pods. */
  | 'pod-monitor'
  /** A Gateway API route backend. */
  | 'route'
  /** An Ingress backend. */
  | 'ingress';

export interface ServiceConsumer {
  readonly kind: ConsumerKind;
  readonly resource: Resource;
  /** Path of the value (a string for references, the endpoint or backend for structural consumers). */
  readonly path: YamlPath;
  /** The Service referred to. */
  readonly service: string;
  /** For references in strings: the text as written (`http://vault.vault.svc:8200`), its offset, scheme, port. */
  readonly ref?: string;
  readonly offset?: number;
  readonly scheme?: string;
  readonly port?: number;
  /** For container values: the workload's pod spec, the container and the env variable. */
  readonly container?: { readonly podSpec: YamlPath; readonly path: YamlPath; readonly env?: string };
  /** For monitors and routes: the port as they name it (a name or a number). */
  readonly targetPort?: string | number;
}

function esc(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Visit every string leaf of a document in document order. `path` is the leaf's path, reused between calls: copy
 * it to keep it (the walk allocates no path for the many leaves that nobody keeps).
 */
function eachString(data: unknown, path: (string | number)[], visit: (value: string, path: readonly (string | number)[]) => void): void {
  if (typeof data === 'string') visit(data, path);
  else if (Array.isArray(data)) {
    for (let i = 0; i < data.length; i++) {
      path.push(i);
      eachString(data[i], path, visit);
      path.pop();
    }
  } else if (data && typeof data === 'object') {
    for (const k in data) {
      if (!Object.prototype.hasOwnProperty.call(data, k)) continue;
      path.push(k);
      eachString((data as Record<string, unknown>)[k], path, visit);
      path.pop();
    }
  }
}

interface Pattern {
  readonly service: string;
  readonly rx: RegExp;
  /** Only from the Service's own namespace (the bare name). */
  readonly local: boolean;
}

/**
 * `scheme://host:port` references to the target. A bare `<svc>` counts only as a URL host (`http://vault`) or with a
 * port (`vault:8200`), so that the word "vault" in prose is not a reference.
 */
function patterns(t: ServiceTarget): Pattern[] {
  const domain = esc(t.clusterDomain ?? 'cluster.local');
  const ns = esc(t.namespace);
  const out: Pattern[] = [];
  const pre = '(?<![\\w.-])(?:([a-z][a-z0-9+.-]*)://)?';
  const post = '(?::(\\d+))?(?![\\w-]|\\.[a-z0-9])';
  for (const svc of t.services) {
    const s = esc(svc);
    const pod = (t.headless ?? []).includes(svc) ? '(?:[\\w$(){}-]+\\.)?' : '';
    out.push({ service: svc, local: false, rx: new RegExp(`${pre}(${pod}${s}\\.${ns}(?:\\.svc(?:\\.${domain})?)?)${post}`, 'gi') });
    out.push({
      service: svc,
      local: true,
      rx: new RegExp(`(?<![\\w.-])(?:([a-z][a-z0-9+.-]*)://(${pod}${s})(?::(\\d+))?|()(${pod}${s}):(\\d+))(?![\\w-]|\\.[a-z0-9])`, 'gi'),
    });
  }
  return out;
}

function kindOf(r: Resource, path: YamlPath, helmValues: boolean): ConsumerKind {
  const p = path.map(String);
  if (r.group === GROUPS.eso && (r.kind === 'SecretStore' || r.kind === 'ClusterSecretStore') && p.join('.') === 'spec.provider.vault.server')
    return 'secret-store';
  if (helmValues) return 'helm-values';
  if ((r.kind === 'ConfigMap' || r.kind === 'Secret') && r.group === '' && ['data', 'stringData'].includes(p[0] ?? '')) return 'config-data';
  if (p.includes('annotations')) return 'annotation';
  const envAt = p.lastIndexOf('env');
  if (envAt >= 0 && p[envAt + 2] === 'value' && p.length === envAt + 3) return 'env';
  if (p.some((x) => x === 'command' || x === 'args')) return 'command';
  return 'other';
}

/** The container (and env variable) a workload path is in. */
function containerOf(repo: Repo, r: Resource, path: YamlPath): ServiceConsumer['container'] {
  const w = workloadOf(repo, r);
  if (!w) return undefined;
  const spec = w.podSpecPath.map(String).join('.');
  const p = path.map(String);
  if (p.slice(0, w.podSpecPath.length).join('.') !== spec) return undefined;
  const list = p[w.podSpecPath.length];
  if (list !== 'containers' && list !== 'initContainers') return undefined;
  const cpath = path.slice(0, w.podSpecPath.length + 2);
  const envAt = p.indexOf('env', w.podSpecPath.length + 2);
  const env = envAt >= 0 ? r.get([...path.slice(0, envAt + 2), 'name']) : undefined;
  return { podSpec: w.podSpecPath, path: cpath, ...(typeof env === 'string' ? { env } : {}) };
}

/** Files that hold HelmRelease values: the values maps of every release (inline or valuesFrom files). */
function helmValueRoots(repo: Repo): Map<string, YamlPath[]> {
  const roots = new Map<string, YamlPath[]>();
  for (const hr of repo.ofKind('HelmRelease', GROUPS.fluxHelm)) {
    for (const s of repo.flux.valuesSources(hr)) roots.set(s.resource.id, [...(roots.get(s.resource.id) ?? []), s.path]);
  }
  return roots;
}

function under(path: YamlPath, root: YamlPath): boolean {
  return root.length <= path.length && root.every((seg, i) => String(path[i]) === String(seg));
}

interface Leaf {
  readonly resource: Resource;
  readonly path: YamlPath;
  readonly value: string;
}

/** Per repository: the string leaves that a quick test (by its source) matches, in resource and document order. */
const leafCache = new WeakMap<Repo, Map<string, Leaf[]>>();

/**
 * The string leaves of every object that `quick` matches. Targets that name the same Services (the same release in
 * many clusters) share one walk of the repository.
 */
function leavesMatching(repo: Repo, quick: RegExp): readonly Leaf[] {
  let byQuick = leafCache.get(repo);
  if (!byQuick) leafCache.set(repo, (byQuick = new Map<string, Leaf[]>()));
  const key = `${quick.flags}/${quick.source}`;
  let leaves = byQuick.get(key);
  if (!leaves) {
    const found: Leaf[] = [];
    for (const resource of repo.resources) {
      eachString(resource.data, [], (value, at) => {
        if (quick.test(value)) found.push({ resource, path: [...at], value });
      });
    }
    byQuick.set(key, (leaves = found));
  }
  return leaves;
}

/** References to the target's Services in the strings of every object. */
function references(repo: Repo, t: ServiceTarget): ServiceConsumer[] {
  const pats = patterns(t);
  const roots = helmValueRoots(repo);
  const out: ServiceConsumer[] = [];
  const quick = new RegExp(t.services.map(esc).join('|'), 'i');
  for (const { resource: r, path, value } of leavesMatching(repo, quick)) {
    const own = repo.flux.namespaceOf(r);
    const seen = new Set<number>();
    for (const p of pats) {
      if (p.local && own !== t.namespace) continue;
      p.rx.lastIndex = 0;
      for (let m = p.rx.exec(value); m; m = p.rx.exec(value)) {
        if (seen.has(m.index)) continue;
        seen.add(m.index);
        const scheme = (m[1] ?? m[4] ?? undefined) || undefined;
        const port = m[3] ?? m[6];
        if (r.kind === 'Service' && r.group === '' && path[0] === 'metadata') continue;
        const helm = [...(roots.get(r.id) ?? [])].some((root) => under(path, root));
        const kind = kindOf(r, path, helm);
        const container = kind === 'env' || kind === 'command' || kind === 'other' ? containerOf(repo, r, path) : undefined;
        out.push({
          kind,
          resource: r,
          path,
          service: p.service,
          ref: m[0],
          offset: m.index,
          ...(scheme ? { scheme: scheme.toLowerCase() } : {}),
          ...(port ? { port: Number(port) } : {}),
          ...(container ? { container } : {}),
        });
      }
    }
  }
  return out;
}

function namespaces(spec: Record<string, unknown> | undefined, own: string | undefined): { any: boolean; names: string[] } {
  const sel = asRecord(spec?.namespaceSelector);
  if (sel?.any === true) return { any: true, names: [] };
  if (Array.isArray(sel?.matchNames)) return { any: false, names: sel.matchNames.map(String) };
  return { any: false, names: own ? [own] : [] };
}

/** ServiceMonitors and PodMonitors of the repository that scrape the target. */
function monitors(repo: Repo, t: ServiceTarget): ServiceConsumer[] {
  const out: ServiceConsumer[] = [];
  const kinds = [
    { kind: 'ServiceMonitor', consumer: 'service-monitor' as const, labels: t.serviceLabels, list: 'endpoints' },
    { kind: 'PodMonitor', consumer: 'pod-monitor' as const, labels: t.podLabels, list: 'podMetricsEndpoints' },
  ];
  for (const k of kinds) {
    if (!k.labels) continue;
    for (const m of repo.ofKind(k.kind, GROUPS.monitoring)) {
      const spec = asRecord(m.get(['spec']));
      const ns = namespaces(spec, repo.flux.namespaceOf(m));
      if (!ns.any && !ns.names.includes(t.namespace)) continue;
      const sel = parseSelector(spec?.selector ?? {});
      if (!sel || (!sel.matchLabels && !sel.matchExpressions) || !selectorMatches(sel, k.labels)) continue;
      const eps = spec?.[k.list];
      (Array.isArray(eps) ? eps : []).forEach((ep, i) => {
        const e = asRecord(ep);
        const port = e?.port ?? e?.targetPort;
        out.push({
          kind: k.consumer,
          resource: m,
          path: ['spec', k.list, i],
          service: t.services[0]!,
          ...(typeof e?.scheme === 'string' ? { scheme: e.scheme.toLowerCase() } : {}),
          ...(typeof port === 'string' || typeof port === 'number' ? { targetPort: port } : {}),
        });
      });
    }
  }
  return out;
}

/** HTTPRoutes/GRPCRoutes/TLSRoutes backends and Ingress backends that send traffic to the target's Services. */
function routes(repo: Repo, t: ServiceTarget): ServiceConsumer[] {
  const out: ServiceConsumer[] = [];
  for (const kind of ['HTTPRoute', 'GRPCRoute']) {
    for (const r of repo.ofKind(kind, 'gateway.networking.k8s.io')) {
      const own = repo.flux.namespaceOf(r);
      const rules = r.get(['spec', 'rules']);
      (Array.isArray(rules) ? rules : []).forEach((rule, i) => {
        const refs = asRecord(rule)?.backendRefs;
        (Array.isArray(refs) ? refs : []).forEach((ref, j) => {
          const b = asRecord(ref);
          if (!b || (b.kind !== undefined && b.kind !== 'Service') || typeof b.name !== 'string' || !t.services.includes(b.name)) return;
          if ((typeof b.namespace === 'string' ? b.namespace : own) !== t.namespace) return;
          out.push({
            kind: 'route',
            resource: r,
            path: ['spec', 'rules', i, 'backendRefs', j],
            service: b.name,
            ...(b.port !== undefined ? { targetPort: b.port as number } : {}),
          });
        });
      });
    }
  }
  for (const ing of repo.ofKind('Ingress', 'networking.k8s.io')) {
    if (repo.flux.namespaceOf(ing) !== t.namespace) continue;
    const backends: { path: YamlPath; svc: unknown }[] = [];
    const def = asRecord(ing.get(['spec', 'defaultBackend', 'service']));
    if (def) backends.push({ path: ['spec', 'defaultBackend'], svc: def });
    const rules = ing.get(['spec', 'rules']);
    (Array.isArray(rules) ? rules : []).forEach((rule, i) => {
      const paths = asRecord(asRecord(rule)?.http)?.paths;
      (Array.isArray(paths) ? paths : []).forEach((p, j) =>
        backends.push({ path: ['spec', 'rules', i, 'http', 'paths', j, 'backend'], svc: asRecord(asRecord(p)?.backend)?.service }),
      );
    });
    for (const b of backends) {
      const svc = asRecord(b.svc);
      if (!svc || typeof svc.name !== 'string' || !t.services.includes(svc.name)) continue;
      const port = asRecord(svc.port);
      const targetPort = port?.number ?? port?.name;
      out.push({
        kind: 'ingress',
        resource: ing,
        path: b.path,
        service: svc.name,
        ...(typeof targetPort === 'string' || typeof targetPort === 'number' ? { targetPort } : {}),
      });
    }
  }
  return out;
}

/**
 * Everything in the repository that talks to the target's Services: references on one of its ports (or with no
 * port written), monitors that scrape them, routes to them.
 */
export function serviceConsumers(repo: Repo, target: ServiceTarget): ServiceConsumer[] {
  const refs = references(repo, target).filter((c) => c.port === undefined || target.ports.includes(c.port));
  return [...refs, ...monitors(repo, target), ...routes(repo, target)];
}

/** `kind/namespace/name path` of a consumer, for messages. */
export function describeConsumer(repo: Repo, c: ServiceConsumer): string {
  const ns = repo.flux.namespaceOf(c.resource);
  const obj = c.resource.kind ? `${c.resource.kind} ${ns ? `${ns}/` : ''}${c.resource.name ?? '(unnamed)'}` : 'values';
  const what = c.ref ? ` (${c.ref})` : c.targetPort !== undefined ? ` (port ${c.targetPort})` : '';
  return `${obj} ${c.path.join('.')}${what} in ${c.resource.file}:${c.resource.position(c.path).line}`;
}

/** The string at a consumer's path with its reference's scheme replaced (`http://` → `https://`). */
export function withScheme(c: ServiceConsumer, value: string, scheme: string): string {
  if (c.offset === undefined || !c.ref || !c.scheme) return value;
  const at = c.offset + value.slice(c.offset).toLowerCase().indexOf(`${c.scheme}://`);
  return value.slice(0, at) + scheme + value.slice(at + c.scheme.length);
}
