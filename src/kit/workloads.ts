/** Workloads declared as manifests in the repository: what runs, where, how many, with which labels. */
import { asRecord } from './data.js';
import type { Repo, Resource, YamlPath } from './repo.js';
import { scalarText } from './scalar.js';

export const WORKLOAD_KINDS = ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'CronJob', 'Pod'] as const;
export type WorkloadKind = (typeof WORKLOAD_KINDS)[number];

/** Kinds whose `spec.replicas` sets the pod count (a PodDisruptionBudget makes sense for them). */
export const SCALABLE_KINDS: readonly WorkloadKind[] = ['Deployment', 'StatefulSet', 'ReplicaSet'];

const API_GROUP: Record<WorkloadKind, string> = {
  Deployment: 'apps',
  StatefulSet: 'apps',
  DaemonSet: 'apps',
  ReplicaSet: 'apps',
  Job: 'batch',
  CronJob: 'batch',
  Pod: '',
};

export interface LabelSelector {
  readonly matchLabels?: Readonly<Record<string, string>>;
  readonly matchExpressions?: readonly { readonly key: string; readonly operator: string; readonly values?: readonly string[] }[];
}

export interface ContainerPort {
  readonly name?: string;
  readonly containerPort: number;
  readonly protocol: string;
}

export interface Container {
  readonly name: string;
  readonly image: string | undefined;
  /** 'containers' | 'initContainers' */
  readonly list: 'containers' | 'initContainers';
  /** Path of the container inside the workload document. */
  readonly path: YamlPath;
  /** `resources.requests` / `resources.limits` as written (quantities are strings or numbers). */
  readonly requests: Readonly<Record<string, string | number>>;
  readonly limits: Readonly<Record<string, string | number>>;
  readonly ports: readonly ContainerPort[];
  /** An init container with `restartPolicy: Always` (a native sidecar) runs for the pod's lifetime. */
  readonly sidecar: boolean;
}

export interface Workload {
  readonly resource: Resource;
  readonly kind: WorkloadKind;
  readonly name: string;
  readonly file: string;
  /** Namespace the pods land in (metadata.namespace, kustomize `namespace:`, Flux targetNamespace). */
  readonly namespace: string | undefined;
  /**
   * Declared pod count for scalable kinds: `spec.replicas`, 1 when absent, undefined when it is not a literal
   * integer (e.g. a Flux `${replicas}` substitution). Undefined for DaemonSet, Job, CronJob and Pod.
   */
  readonly replicas: number | undefined;
  /** A HorizontalPodAutoscaler in the repository that scales this workload. */
  readonly autoscaler: { readonly resource: Resource; readonly minReplicas: number | undefined; readonly maxReplicas: number | undefined } | undefined;
  /** Labels of the pods (`spec.template.metadata.labels`, or the Pod's own labels). */
  readonly podLabels: Readonly<Record<string, string>>;
  /** Annotations of the pods. */
  readonly podAnnotations: Readonly<Record<string, string>>;
  /** `spec.selector` (undefined for Pod and CronJob/Job without one). */
  readonly selector: LabelSelector | undefined;
  /** Path of the pod template's metadata (['spec','template','metadata'], ['metadata'] for a Pod). */
  readonly podMetadataPath: YamlPath;
  /** Path of the pod spec inside the document. */
  readonly podSpecPath: YamlPath;
  readonly serviceAccountName: string | undefined;
  readonly containers: readonly Container[];
  readonly initContainers: readonly Container[];
}

function stringMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(asRecord(v) ?? {})) if (x !== null && x !== undefined && typeof x !== 'object') out[k] = scalarText(x);
  return out;
}

function quantityMap(v: unknown): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  for (const [k, x] of Object.entries(asRecord(v) ?? {})) if (typeof x === 'string' || typeof x === 'number') out[k] = x;
  return out;
}

function intOf(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string' && /^\d+$/.test(v)) return Number(v);
  return undefined;
}

export function podPaths(kind: WorkloadKind): { metadata: YamlPath; spec: YamlPath } {
  if (kind === 'Pod') return { metadata: ['metadata'], spec: ['spec'] };
  if (kind === 'CronJob')
    return { metadata: ['spec', 'jobTemplate', 'spec', 'template', 'metadata'], spec: ['spec', 'jobTemplate', 'spec', 'template', 'spec'] };
  return { metadata: ['spec', 'template', 'metadata'], spec: ['spec', 'template', 'spec'] };
}

function containersOf(res: Resource, specPath: YamlPath, list: 'containers' | 'initContainers'): Container[] {
  const raw = res.get([...specPath, list]);
  if (!Array.isArray(raw)) return [];
  return raw.flatMap((c, i) => {
    const r = asRecord(c);
    if (!r) return [];
    const resources = asRecord(r.resources) ?? {};
    const ports = Array.isArray(r.ports)
      ? r.ports.flatMap((p) => {
          const pr = asRecord(p);
          const n = intOf(pr?.containerPort);
          if (!pr || n === undefined) return [];
          return [
            { ...(typeof pr.name === 'string' ? { name: pr.name } : {}), containerPort: n, protocol: typeof pr.protocol === 'string' ? pr.protocol : 'TCP' },
          ];
        })
      : [];
    return [
      {
        name: typeof r.name === 'string' ? r.name : `${list}[${i}]`,
        image: typeof r.image === 'string' ? r.image : undefined,
        list,
        path: [...specPath, list, i],
        requests: quantityMap(resources.requests),
        limits: quantityMap(resources.limits),
        ports,
        sidecar: list === 'initContainers' && r.restartPolicy === 'Always',
      },
    ];
  });
}

function selectorOf(v: unknown): LabelSelector | undefined {
  const r = asRecord(v);
  if (!r) return undefined;
  const exprs = Array.isArray(r.matchExpressions)
    ? r.matchExpressions.flatMap((e) => {
        const x = asRecord(e);
        if (!x || typeof x.key !== 'string' || typeof x.operator !== 'string') return [];
        return [{ key: x.key, operator: x.operator, ...(Array.isArray(x.values) ? { values: x.values.map(String) } : {}) }];
      })
    : undefined;
  return { ...(r.matchLabels !== undefined ? { matchLabels: stringMap(r.matchLabels) } : {}), ...(exprs ? { matchExpressions: exprs } : {}) };
}

/** Does a Kubernetes label selector select these labels? An empty selector selects everything. */
export function selectorMatches(selector: LabelSelector | undefined, labels: Readonly<Record<string, string>>): boolean {
  if (!selector) return false;
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const value = Object.prototype.hasOwnProperty.call(labels, e.key) ? labels[e.key] : undefined;
    const has = value !== undefined;
    const vals = e.values ?? [];
    if (e.operator === 'In' && !(has && vals.includes(value))) return false;
    if (e.operator === 'NotIn' && has && vals.includes(value)) return false;
    if (e.operator === 'Exists' && !has) return false;
    if (e.operator === 'DoesNotExist' && has) return false;
  }
  return true;
}

/** The selector as a parsed LabelSelector (for PodDisruptionBudget, NetworkPolicy and Service selectors). */
export function parseSelector(v: unknown): LabelSelector | undefined {
  return selectorOf(v);
}

function isWorkloadKind(kind: string | undefined): kind is WorkloadKind {
  return WORKLOAD_KINDS.some((k) => k === kind);
}

function isWorkloadResource(r: Resource): r is Resource & { kind: WorkloadKind } {
  if (!isWorkloadKind(r.kind)) return false;
  return r.group === API_GROUP[r.kind] || (r.kind === 'CronJob' && r.group === 'batch');
}

/** Read one workload manifest (undefined when the document is not a workload). */
export function workloadOf(repo: Repo, res: Resource): Workload | undefined {
  if (!isWorkloadResource(res)) return undefined;
  const kind = res.kind;
  const paths = podPaths(kind);
  const meta = asRecord(res.get(paths.metadata)) ?? {};
  const rawReplicas = res.get(['spec', 'replicas']);
  const replicas = SCALABLE_KINDS.includes(kind) ? (rawReplicas === undefined || rawReplicas === null ? 1 : intOf(rawReplicas)) : undefined;
  const namespace = repo.flux.namespaceOf(res);
  const hpa = repo.ofKind('HorizontalPodAutoscaler', 'autoscaling').find((h) => {
    const ref = asRecord(h.get(['spec', 'scaleTargetRef']));
    return ref?.kind === kind && ref?.name === res.name && repo.flux.namespaceOf(h) === namespace;
  });
  const sa = res.get([...paths.spec, 'serviceAccountName']);
  return {
    resource: res,
    kind,
    name: res.name ?? '(unnamed)',
    file: res.file,
    namespace,
    replicas,
    autoscaler: hpa
      ? { resource: hpa, minReplicas: intOf(hpa.get(['spec', 'minReplicas'])) ?? 1, maxReplicas: intOf(hpa.get(['spec', 'maxReplicas'])) }
      : undefined,
    podLabels: stringMap(meta.labels),
    podAnnotations: stringMap(meta.annotations),
    selector: kind === 'Pod' ? undefined : selectorOf(res.get(['spec', 'selector'])),
    podMetadataPath: paths.metadata,
    podSpecPath: paths.spec,
    serviceAccountName: typeof sa === 'string' ? sa : undefined,
    containers: containersOf(res, paths.spec, 'containers'),
    initContainers: containersOf(res, paths.spec, 'initContainers'),
  };
}

/**
 * Every workload manifest in the repository (Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob, Pod),
 * in file order. `kinds` narrows the list. Charts' workloads (HelmRelease) are not manifests and not listed.
 */
const workloadsCache = new WeakMap<Repo, Map<string, Workload[]>>();

/** Every workload of these kinds, in file order; computed once per repository (a fix asks for each finding). */
export function workloads(repo: Repo, kinds: readonly WorkloadKind[] = WORKLOAD_KINDS): Workload[] {
  let byKinds = workloadsCache.get(repo);
  if (!byKinds) workloadsCache.set(repo, (byKinds = new Map<string, Workload[]>()));
  const key = kinds.join(',');
  let list = byKinds.get(key);
  if (!list) byKinds.set(key, (list = findWorkloads(repo, kinds)));
  return [...list];
}

function findWorkloads(repo: Repo, kinds: readonly WorkloadKind[]): Workload[] {
  const out: Workload[] = [];
  for (const kind of kinds) {
    for (const r of repo.ofKind(kind)) {
      const w = workloadOf(repo, r);
      if (w) out.push(w);
    }
  }
  return out.sort((a, b) => a.file.localeCompare(b.file) || a.resource.doc - b.resource.doc);
}

/** Workloads whose pods land in `namespace`. */
export function workloadsIn(repo: Repo, namespace: string, kinds?: readonly WorkloadKind[]): Workload[] {
  return workloads(repo, kinds).filter((w) => w.namespace === namespace);
}

/** The pod count that matters for availability: the autoscaler's minimum when one scales the workload. */
export function effectiveReplicas(w: Workload): number | undefined {
  if (w.autoscaler?.minReplicas !== undefined) return w.autoscaler.minReplicas;
  return w.replicas;
}

/** The containers that run for the pod's lifetime (regular containers and native sidecars). */
export function runningContainers(w: Workload): Container[] {
  return [...w.containers, ...w.initContainers.filter((c) => c.sidecar)];
}
