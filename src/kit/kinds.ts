/**
 * Typed views of the kinds the rules read: the Flux objects (HelmRelease, Kustomization, GitRepository,
 * HelmRepository, OCIRepository), External Secrets (ExternalSecret, ClusterExternalSecret, SecretStore,
 * ClusterSecretStore), Namespace, the workloads' pod templates and kustomize's own kustomization file.
 *
 * Each view is a zod schema, as Renovate's Flux manager validates these kinds, but lenient: real repositories hold
 * odd data. Every field is optional; a field of an unexpected type reads as absent (one odd field never hides the
 * rest of the object); unknown fields are kept; a list keeps its indexes (an item that is not a map reads as
 * undefined, so YAML paths built from an index stay right). A document of another kind or group has no view
 * (`undefined`): "not that shape", never an error. Free-form maps (Helm values, labels) are the loaded data itself.
 */
import { z } from 'zod';
import { isRecord } from './data.js';
import { GROUPS, type Resource } from './repo.js';

/** A field: its value when it has the shape, absent otherwise. */
function opt<T extends z.ZodType>(t: T) {
  return t.optional().catch(undefined);
}

/** A list whose items keep their index: an item without the shape reads as undefined. */
function list<T extends z.ZodType>(item: T) {
  return opt(z.array(opt(item)));
}

/** A map whose fields are all optional: a missing or odd one reads as `{}`. */
function section<S extends z.ZodRawShape>(shape: S) {
  const schema = z.looseObject(shape);
  return schema.catch(() => schema.parse({}));
}

/** A field as written, of any type (a rule tells absent, null and odd values apart). */
const raw = z.unknown().optional();
const str = opt(z.string());
const bool = opt(z.boolean());
/** A YAML scalar as the user wrote it (`branch: 1.0` is a number). */
const scalar = opt(z.union([z.string(), z.number(), z.boolean()]));
/** A Kubernetes quantity as written (`1Gi`, `512`). */
const quantity = opt(z.union([z.string(), z.number()]));
/** A free-form map (Helm values, labels, a selector): the loaded data itself, not a copy. */
const record = opt(z.custom<Record<string, unknown>>((v) => isRecord(v)));

/** `{kind, name, namespace}`: a Flux source or dependency reference, an ESO store reference. */
export const ObjectRef = z.looseObject({ apiVersion: str, kind: str, name: str, namespace: str });
export type ObjectRef = z.output<typeof ObjectRef>;

const Metadata = section({ name: str, namespace: str, labels: record, annotations: record });

// ---------------------------------------------------------------------------------------------- Flux

/** A kustomize patch (`patches[]`, `patchesJson6902[]`), in a kustomization file or a Flux Kustomization's spec. */
export const KustomizePatch = z.looseObject({
  path: str,
  patch: str,
  target: opt(z.looseObject({ group: str, version: str, kind: str, name: str, namespace: str, labelSelector: str })),
});
export type KustomizePatch = z.output<typeof KustomizePatch>;

const ValuesReference = z.looseObject({ kind: str, name: str, valuesKey: str, targetPath: str, optional: bool });

/** `spec.chart.spec` of a HelmRelease: a chart of a HelmRepository, GitRepository or Bucket (`version` as written). */
const HelmChartTemplateSpec = z.looseObject({ chart: str, version: raw, sourceRef: opt(ObjectRef), interval: str });
export type HelmChartTemplateSpec = z.output<typeof HelmChartTemplateSpec>;

export const HelmRelease = z.looseObject({
  metadata: Metadata,
  spec: section({
    chart: opt(z.looseObject({ spec: opt(HelmChartTemplateSpec) })),
    chartRef: opt(ObjectRef),
    releaseName: str,
    targetNamespace: str,
    storageNamespace: str,
    interval: str,
    dependsOn: list(ObjectRef),
    values: record,
    valuesFrom: list(ValuesReference),
  }),
});
export type HelmRelease = z.output<typeof HelmRelease>;

const FluxKustomization = z.looseObject({
  metadata: Metadata,
  spec: section({
    path: str,
    sourceRef: opt(ObjectRef),
    targetNamespace: str,
    interval: str,
    /** As written: absent, null and odd values mean different things to the rules. */
    retryInterval: raw,
    timeout: raw,
    wait: raw,
    prune: raw,
    dependsOn: list(ObjectRef),
    healthChecks: list(ObjectRef),
  }),
});
export type FluxKustomization = z.output<typeof FluxKustomization>;

/** As written: a rule tells an absent or null field from a present one of any type. */
const GitRef = z.looseObject({ branch: raw, tag: raw, semver: raw, name: raw, commit: raw });

const GitRepository = z.looseObject({
  metadata: Metadata,
  spec: section({ url: str, interval: str, ref: opt(GitRef) }),
});
export type GitRepository = z.output<typeof GitRepository>;

const HelmRepository = z.looseObject({
  metadata: Metadata,
  spec: section({ url: str, type: str, interval: raw }),
});
export type HelmRepository = z.output<typeof HelmRepository>;

const OCIRepository = z.looseObject({
  metadata: Metadata,
  spec: section({ url: str, interval: str, ref: opt(z.looseObject({ tag: scalar, semver: scalar, digest: str })) }),
});
export type OCIRepository = z.output<typeof OCIRepository>;

/** A source a HelmRelease's `chartRef` names: an OCIRepository or a HelmChart. */
const ChartSource = z.looseObject({
  spec: section({ url: str, chart: raw, version: raw, ref: opt(z.looseObject({ tag: raw, semver: raw })) }),
});
export type ChartSource = z.output<typeof ChartSource>;

// ---------------------------------------------------------------------------------------------- External Secrets

const DataSourceRef = z.looseObject({ storeRef: opt(ObjectRef), generatorRef: opt(ObjectRef) });

const ExternalSecretSpec = section({
  refreshInterval: raw,
  refreshPolicy: raw,
  secretStoreRef: opt(ObjectRef),
  target: opt(z.looseObject({ name: str, creationPolicy: str, template: record })),
  data: list(z.looseObject({ secretKey: str, remoteRef: opt(z.looseObject({ key: str, property: str })), sourceRef: opt(DataSourceRef) })),
  dataFrom: list(
    z.looseObject({
      extract: opt(z.looseObject({ key: str, property: str })),
      find: opt(z.looseObject({ path: str, name: opt(z.looseObject({ regexp: scalar })) })),
      sourceRef: opt(DataSourceRef),
    }),
  ),
});
export type ExternalSecretSpec = z.output<typeof ExternalSecretSpec>;

const ExternalSecret = z.looseObject({ metadata: Metadata, spec: ExternalSecretSpec });
export type ExternalSecret = z.output<typeof ExternalSecret>;

const ClusterExternalSecret = z.looseObject({
  metadata: Metadata,
  spec: section({
    externalSecretSpec: ExternalSecretSpec,
    externalSecretName: str,
    namespaces: list(z.string()),
    namespaceSelector: record,
    namespaceSelectors: list(z.custom<Record<string, unknown>>((v) => isRecord(v))),
  }),
});
export type ClusterExternalSecret = z.output<typeof ClusterExternalSecret>;

const ServiceAccountRef = z.looseObject({ name: str, namespace: str, audiences: list(z.string()) });

const SecretStore = z.looseObject({
  metadata: Metadata,
  spec: section({
    provider: record,
    conditions: list(z.custom<Record<string, unknown>>((v) => isRecord(v))),
    refreshInterval: raw,
  }),
});
export type SecretStore = z.output<typeof SecretStore>;

/** `spec.provider.vault` of a SecretStore: the fields the rules read. */
const VaultProvider = z.looseObject({
  server: str,
  path: str,
  version: str,
  namespace: str,
  caBundle: str,
  caProvider: record,
  auth: opt(
    z.looseObject({
      kubernetes: opt(z.looseObject({ mountPath: str, role: str, serviceAccountRef: opt(ServiceAccountRef), secretRef: record })),
      tokenSecretRef: record,
      appRole: record,
      jwt: record,
    }),
  ),
});
export type VaultProvider = z.output<typeof VaultProvider>;

// ---------------------------------------------------------------------------------------------- core

const Namespace = z.looseObject({ metadata: Metadata });
export type Namespace = z.output<typeof Namespace>;

const KeyToPath = z.looseObject({ key: str, path: str });
/** A reference to a key of a Secret or ConfigMap (`secretKeyRef`, `envFrom[].secretRef`, a projected source). */
const KeyRef = z.looseObject({ name: str, key: str, optional: bool });

const ProjectedSource = z.looseObject({ secret: opt(KeyRef), configMap: opt(KeyRef) });

export const Volume = z.looseObject({
  name: str,
  secret: opt(z.looseObject({ secretName: str, items: list(KeyToPath), optional: bool })),
  configMap: opt(z.looseObject({ name: str, items: list(KeyToPath), optional: bool })),
  projected: opt(z.looseObject({ sources: list(ProjectedSource) })),
  persistentVolumeClaim: opt(z.looseObject({ claimName: str })),
  emptyDir: record,
});
export type Volume = z.output<typeof Volume>;

export const VolumeMount = z.looseObject({ name: str, mountPath: str, readOnly: bool, subPath: str });
export type VolumeMount = z.output<typeof VolumeMount>;

const EnvVar = z.looseObject({
  name: str,
  value: scalar,
  valueFrom: opt(z.looseObject({ secretKeyRef: opt(KeyRef), configMapKeyRef: opt(KeyRef), fieldRef: record })),
});
const EnvFromSource = z.looseObject({ prefix: str, secretRef: opt(KeyRef), configMapRef: opt(KeyRef) });

const ContainerSpec = z.looseObject({
  name: str,
  image: str,
  ports: list(z.looseObject({ name: str, containerPort: opt(z.union([z.number(), z.string()])), protocol: str })),
  env: list(EnvVar),
  envFrom: list(EnvFromSource),
  volumeMounts: list(VolumeMount),
  securityContext: record,
  resources: record,
});
export type ContainerSpec = z.output<typeof ContainerSpec>;

const PodSpec = z.looseObject({
  containers: list(ContainerSpec),
  initContainers: list(ContainerSpec),
  volumes: list(Volume),
  securityContext: record,
  serviceAccountName: str,
});
export type PodSpec = z.output<typeof PodSpec>;

/** A PersistentVolumeClaim, or a StatefulSet's template of one (`spec.volumeClaimTemplates[]`). */
const PersistentVolumeClaim = z.looseObject({
  metadata: Metadata,
  spec: section({ resources: section({ requests: section({ storage: quantity }) }), storageClassName: str }),
});
export type PersistentVolumeClaim = z.output<typeof PersistentVolumeClaim>;

const StatefulSet = z.looseObject({
  metadata: Metadata,
  spec: section({ replicas: raw, volumeClaimTemplates: list(PersistentVolumeClaim) }),
});
export type StatefulSet = z.output<typeof StatefulSet>;

// ---------------------------------------------------------------------------------------------- kustomize

const Generator = z.looseObject({
  name: str,
  namespace: str,
  behavior: str,
  files: list(z.string()),
  envs: list(z.string()),
  env: str,
  literals: list(z.string()),
});
export type KustomizeGenerator = z.output<typeof Generator>;

/** kustomize's own configuration (`kustomization.yaml`, often without apiVersion or kind). */
const KustomizeFile = z.looseObject({
  namespace: str,
  resources: list(z.string()),
  components: list(z.string()),
  patches: list(KustomizePatch),
  patchesStrategicMerge: list(z.string()),
  patchesJson6902: list(KustomizePatch),
  configMapGenerator: list(Generator),
  secretGenerator: list(Generator),
  helmCharts: list(z.custom<Record<string, unknown>>((v) => isRecord(v))),
});
export type KustomizeFile = z.output<typeof KustomizeFile>;

// ---------------------------------------------------------------------------------------------- reading

const cache = new WeakMap<Resource, Map<z.ZodType, unknown>>();

/** Parse `value` with a view's schema: the typed view, or undefined when it does not have the shape at all. */
export function viewOf<S extends z.ZodType>(schema: S, value: unknown): z.output<S> | undefined {
  const r = schema.safeParse(value);
  return r.success ? r.data : undefined;
}

/** The items of a list read through `schema`: an item without the shape is undefined; a value that is no list has none. */
export function itemsOf<S extends z.ZodType>(schema: S, value: unknown): (z.output<S> | undefined)[] {
  return Array.isArray(value) ? value.map((v) => viewOf(schema, v)) : [];
}

/** A resource's document read through `schema`, once per resource. */
function cached<S extends z.ZodType>(r: Resource, schema: S): z.output<S> | undefined {
  let byView = cache.get(r);
  if (!byView) cache.set(r, (byView = new Map<z.ZodType, unknown>()));
  if (!byView.has(schema)) byView.set(schema, viewOf(schema, r.data));
  return byView.get(schema) as z.output<S> | undefined;
}

function viewer<S extends z.ZodType>(group: string, kinds: readonly string[], schema: S): (r: Resource) => z.output<S> | undefined {
  return (r) => (r.group === group && r.kind !== undefined && kinds.includes(r.kind) ? cached(r, schema) : undefined);
}

/** A helm.toolkit.fluxcd.io HelmRelease. */
export const helmReleaseView = viewer(GROUPS.fluxHelm, ['HelmRelease'], HelmRelease);
/** A kustomize.toolkit.fluxcd.io Kustomization (Flux's, not kustomize's own file). */
export const fluxKustomizationView = viewer(GROUPS.fluxKustomize, ['Kustomization'], FluxKustomization);
export const gitRepositoryView = viewer(GROUPS.fluxSource, ['GitRepository'], GitRepository);
export const helmRepositoryView = viewer(GROUPS.fluxSource, ['HelmRepository'], HelmRepository);
export const ociRepositoryView = viewer(GROUPS.fluxSource, ['OCIRepository'], OCIRepository);
/** An OCIRepository or HelmChart a HelmRelease's `chartRef` names (any group: the reference says which kind). */
export function chartSourceView(r: Resource): ChartSource | undefined {
  return cached(r, ChartSource);
}
export const externalSecretView = viewer(GROUPS.eso, ['ExternalSecret'], ExternalSecret);
export const clusterExternalSecretView = viewer(GROUPS.eso, ['ClusterExternalSecret'], ClusterExternalSecret);
/** The ExternalSecret spec of an ExternalSecret or of a ClusterExternalSecret's template. */
export function externalSecretSpecOf(r: Resource): ExternalSecretSpec | undefined {
  return externalSecretView(r)?.spec ?? clusterExternalSecretView(r)?.spec.externalSecretSpec;
}
/** A SecretStore or ClusterSecretStore. */
export const secretStoreView = viewer(GROUPS.eso, ['SecretStore', 'ClusterSecretStore'], SecretStore);
/** The Vault provider of a SecretStore or ClusterSecretStore (undefined for other providers). */
export function vaultProviderOf(r: Resource): VaultProvider | undefined {
  return viewOf(VaultProvider, secretStoreView(r)?.spec.provider?.vault);
}
export const namespaceView = viewer('', ['Namespace'], Namespace);
export const statefulSetView = viewer('apps', ['StatefulSet'], StatefulSet);
export const persistentVolumeClaimView = viewer('', ['PersistentVolumeClaim'], PersistentVolumeClaim);

/** kustomize's configuration in a kustomization file (the document, whatever its apiVersion and kind say). */
export function kustomizeFileView(r: Resource): KustomizeFile | undefined {
  return cached(r, KustomizeFile);
}

/** A pod spec (a workload's `spec.template.spec`, a Pod's `spec`) read from plain data. */
export function podSpecOf(value: unknown): PodSpec | undefined {
  return viewOf(PodSpec, value);
}

/** A container read from plain data. */
export function containerSpecOf(value: unknown): ContainerSpec | undefined {
  return viewOf(ContainerSpec, value);
}
