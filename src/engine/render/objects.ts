/** Kubernetes objects as a render or a kustomize build produces them, and their identities. */
import { parseAllDocuments, stringify } from 'yaml';
import { asRecord } from '../../kit/data.js';

export interface K8sObject {
  readonly apiVersion: string;
  /** API group ('' for the core group). */
  readonly group: string;
  readonly kind: string;
  /** '' for cluster-scoped objects. */
  readonly namespace: string;
  readonly name: string;
  readonly data: Record<string, unknown>;
  /** Where it came from: `HelmRelease vault/vault (vault/templates/server-statefulset.yaml)`, a kustomize build, a file. */
  readonly origin: string;
  /** The repository file it is written in, when read from the manifests. */
  readonly file?: string;
}

/** Kinds that have no namespace (the built-in ones and those of the CRDs rendered here; others are added per run). */
export const CLUSTER_SCOPED = new Set([
  'APIService',
  'CertificateSigningRequest',
  'ClusterIssuer',
  'ClusterRole',
  'ClusterRoleBinding',
  'ClusterExternalSecret',
  'ClusterGenerator',
  'ClusterPushSecret',
  'ClusterSecretStore',
  'ComponentStatus',
  'CSIDriver',
  'CSINode',
  'CustomResourceDefinition',
  'FlowSchema',
  'IngressClass',
  'MutatingAdmissionPolicy',
  'MutatingAdmissionPolicyBinding',
  'MutatingWebhookConfiguration',
  'Namespace',
  'Node',
  'PersistentVolume',
  'PodSecurityPolicy',
  'PriorityClass',
  'PriorityLevelConfiguration',
  'RuntimeClass',
  'StorageClass',
  'ValidatingAdmissionPolicy',
  'ValidatingAdmissionPolicyBinding',
  'ValidatingWebhookConfiguration',
  'VolumeAttachment',
]);

export function groupOf(apiVersion: string): string {
  return apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
}

/** A plain object as a K8sObject; namespaced objects without a namespace get `defaultNamespace` (as Helm and Flux apply them). */
export function toObject(data: unknown, origin: string, defaultNamespace: string, clusterScoped: ReadonlySet<string> = CLUSTER_SCOPED): K8sObject | undefined {
  const d = asRecord(data);
  if (!d || typeof d.apiVersion !== 'string' || typeof d.kind !== 'string') return undefined;
  const meta = asRecord(d.metadata) ?? {};
  const name = typeof meta.name === 'string' ? meta.name : '';
  const ns = clusterScoped.has(d.kind) ? '' : typeof meta.namespace === 'string' && meta.namespace ? meta.namespace : defaultNamespace;
  return { apiVersion: d.apiVersion, group: groupOf(d.apiVersion), kind: d.kind, namespace: ns, name, data: d, origin };
}

export interface ParsedManifest {
  readonly data: Record<string, unknown>;
  /** Helm's `# Source: chart/templates/x.yaml` comment, when present. */
  readonly source: string | undefined;
}

/** Every non-empty document of a multi-document manifest (Helm or kustomize output). Throws on YAML errors. */
export function parseManifests(text: string): ParsedManifest[] {
  const out: ParsedManifest[] = [];
  for (const doc of parseAllDocuments(text, { uniqueKeys: false })) {
    if (doc.errors.length) throw new Error(`rendered output is not valid YAML: ${doc.errors[0]!.message.split('\n')[0]}`);
    const data = asRecord(doc.toJS({ maxAliasCount: 10_000 }));
    if (!data) continue;
    const comments = `${doc.commentBefore ?? ''}\n${(doc.contents as { commentBefore?: string } | null)?.commentBefore ?? ''}`;
    const source = /Source:\s*(\S+)/.exec(comments)?.[1];
    out.push({ data, source });
  }
  return out;
}

/** `Kind/namespace/name` (`Kind/name` for cluster-scoped objects). */
export function objectLabel(o: Pick<K8sObject, 'kind' | 'namespace' | 'name'>): string {
  return o.namespace ? `${o.kind}/${o.namespace}/${o.name}` : `${o.kind}/${o.name}`;
}

/** Identity of an object in a cluster: API group (not version: v1beta1 and v1 are the same object), kind, namespace, name. */
export function objectKey(o: Pick<K8sObject, 'group' | 'kind' | 'namespace' | 'name'>): string {
  return `${o.group}|${o.kind}|${o.namespace}|${o.name}`;
}

/** Stable YAML of an object for diffs (keys in the order the producer wrote them). */
export function objectYaml(o: K8sObject): string {
  return stringify(o.data, { lineWidth: 0, aliasDuplicateObjects: false });
}
