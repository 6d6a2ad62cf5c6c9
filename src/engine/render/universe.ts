/** The desired state the render checks look at: every object per cluster, the releases, and what makes Secrets. */
import { asRecord } from '../../kit/data.js';
import type { K8sObject } from './objects.js';

/** An object of one cluster's desired state. `scope` is the cluster directory ('' when the repository has none). */
export interface ScopedObject extends K8sObject {
  readonly scope: string;
  /** What applies it: `HelmRelease ns/name` or `Kustomization ns/name` (or a directory). */
  readonly unit: string;
}

/** Secret and ConfigMap names made by something other than a manifest (SOPS files, generators, config). */
export interface Producer {
  readonly kind: 'Secret' | 'ConfigMap';
  /** undefined: any namespace. */
  readonly namespace: string | undefined;
  readonly name: string;
  readonly what: string;
}

/** A release, for the checks that compare the rendered output with the values the repository wrote. */
export interface ReleaseView {
  readonly id: string;
  /** The unit its objects carry (`HelmRelease <file#doc>`). */
  readonly unit: string;
  readonly scope: string;
  readonly values: Record<string, unknown>;
  readonly objects: readonly K8sObject[];
}

export interface Universe {
  readonly objects: readonly ScopedObject[];
  readonly releases: readonly ReleaseView[];
  readonly producers: readonly Producer[];
  /** `scope|namespace` where something is applied that could not be seen (a release not rendered, a build that failed). */
  readonly opaque: ReadonlySet<string>;
  /** Config `render.external`: `Kind/namespace/name` patterns (`*` matches any segment) made outside the repository. */
  readonly external: readonly string[];
}

export type CheckId =
  'release-renders' | 'duplicate-object' | 'missing-reference' | 'vault-config' | 'listener-cert-path' | 'probe-scheme' | 'pdb-selects-nothing';

export const CHECK_TITLES: Record<CheckId, string> = {
  'release-renders': 'the chart still renders',
  'duplicate-object': 'no object is applied twice',
  'missing-reference': 'every Secret and ConfigMap a pod uses exists',
  'vault-config': 'the Vault configuration parses and is the one the repository wrote',
  'listener-cert-path': 'listener certificates sit under a mounted volume',
  'probe-scheme': 'probe scheme matches listener TLS',
  'pdb-selects-nothing': 'every PodDisruptionBudget selects pods',
};

export interface Violation {
  readonly check: CheckId;
  /** Stable identity, to compare before and after. */
  readonly key: string;
  readonly message: string;
  readonly scope: string;
  /** False when something applied in that namespace could not be seen: reported, never a reason to refuse a fix. */
  readonly certain: boolean;
  /** Units (releases, builds) involved. */
  readonly units: readonly string[];
}

export interface PodTemplate {
  readonly object: ScopedObject;
  readonly labels: Record<string, string>;
  readonly spec: Record<string, unknown>;
}

/** The pod template of a workload (Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob). */
export function podTemplate(o: ScopedObject): PodTemplate | undefined {
  const d = o.data;
  let tpl: Record<string, unknown> | undefined;
  if (o.kind === 'Pod' && o.group === '') tpl = { metadata: d.metadata, spec: d.spec };
  else if (['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet'].includes(o.kind) && o.group === 'apps') tpl = asRecord(asRecord(d.spec)?.template);
  else if (o.kind === 'Job' && o.group === 'batch') tpl = asRecord(asRecord(d.spec)?.template);
  else if (o.kind === 'CronJob' && o.group === 'batch') tpl = asRecord(asRecord(asRecord(asRecord(d.spec)?.jobTemplate)?.spec)?.template);
  const spec = asRecord(tpl?.spec);
  if (!tpl || !spec) return undefined;
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(asRecord(asRecord(tpl.metadata)?.labels) ?? {})) labels[k] = String(v);
  return { object: o, labels, spec };
}
