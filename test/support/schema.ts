/**
 * Schema validation of generated resources.
 *
 * Kubernetes core kinds use the validators of the `kubernetes-models` package (generated from the Kubernetes OpenAPI
 * spec); cert-manager and Prometheus Operator kinds those of the `@kubernetes-models/*` packages (generated from the
 * projects' CRDs). Flux, External Secrets and Velero kinds are checked against JSON Schemas written by hand
 * (schemas/*.json): the releases of `@kubernetes-models/flux-cd` and `@kubernetes-models/external-secrets` that
 * support Node 20 predate the API versions and fields in use today (README, Dependencies). Each schema was written
 * from the domain reference and cross-checked against the upstream CRD, as its $comment says; they are closed
 * (additionalProperties: false), so an unknown field is a schema error there.
 *
 * The upstream OpenAPI schemas do not forbid unknown fields (the API server prunes or, with strict field validation,
 * rejects them), so a misspelt field would pass them. `validateResource` therefore also reports every field that the
 * schema does not know: it watches which properties the validator reads on each object, and a typed object (one
 * whose properties the validator reads) that has a key the validator never looked at has an unknown field. Free-form
 * objects (HelmRelease values, maps such as labels) are enumerated or not read at all, and are never reported.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Ajv } from 'ajv';

interface CompiledValidator {
  (data: unknown, ctx?: unknown): boolean;
  errors?: readonly { instancePath: string; keyword: string; params: Record<string, unknown>; message?: string }[] | null;
}

/** apiVersion + kind → module exporting `validate` (package `_schemas`). */
const MODELS: Record<string, string> = {
  'v1/ConfigMap': 'kubernetes-models/_schemas/IoK8sApiCoreV1ConfigMap',
  'v1/LimitRange': 'kubernetes-models/_schemas/IoK8sApiCoreV1LimitRange',
  'v1/Namespace': 'kubernetes-models/_schemas/IoK8sApiCoreV1Namespace',
  'v1/PersistentVolumeClaim': 'kubernetes-models/_schemas/IoK8sApiCoreV1PersistentVolumeClaim',
  'v1/Pod': 'kubernetes-models/_schemas/IoK8sApiCoreV1Pod',
  'v1/ResourceQuota': 'kubernetes-models/_schemas/IoK8sApiCoreV1ResourceQuota',
  'v1/Secret': 'kubernetes-models/_schemas/IoK8sApiCoreV1Secret',
  'v1/Service': 'kubernetes-models/_schemas/IoK8sApiCoreV1Service',
  'v1/ServiceAccount': 'kubernetes-models/_schemas/IoK8sApiCoreV1ServiceAccount',
  'apps/v1/DaemonSet': 'kubernetes-models/_schemas/IoK8sApiAppsV1DaemonSet',
  'apps/v1/Deployment': 'kubernetes-models/_schemas/IoK8sApiAppsV1Deployment',
  'apps/v1/StatefulSet': 'kubernetes-models/_schemas/IoK8sApiAppsV1StatefulSet',
  'autoscaling/v2/HorizontalPodAutoscaler': 'kubernetes-models/_schemas/IoK8sApiAutoscalingV2HorizontalPodAutoscaler',
  'batch/v1/CronJob': 'kubernetes-models/_schemas/IoK8sApiBatchV1CronJob',
  'batch/v1/Job': 'kubernetes-models/_schemas/IoK8sApiBatchV1Job',
  'networking.k8s.io/v1/Ingress': 'kubernetes-models/_schemas/IoK8sApiNetworkingV1Ingress',
  'networking.k8s.io/v1/NetworkPolicy': 'kubernetes-models/_schemas/IoK8sApiNetworkingV1NetworkPolicy',
  'policy/v1/PodDisruptionBudget': 'kubernetes-models/_schemas/IoK8sApiPolicyV1PodDisruptionBudget',
  'rbac.authorization.k8s.io/v1/ClusterRole': 'kubernetes-models/_schemas/IoK8sApiRbacV1ClusterRole',
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': 'kubernetes-models/_schemas/IoK8sApiRbacV1ClusterRoleBinding',
  'rbac.authorization.k8s.io/v1/Role': 'kubernetes-models/_schemas/IoK8sApiRbacV1Role',
  'rbac.authorization.k8s.io/v1/RoleBinding': 'kubernetes-models/_schemas/IoK8sApiRbacV1RoleBinding',
  'cert-manager.io/v1/Certificate': '@kubernetes-models/cert-manager/_schemas/CertManagerIoV1Certificate',
  'cert-manager.io/v1/ClusterIssuer': '@kubernetes-models/cert-manager/_schemas/CertManagerIoV1ClusterIssuer',
  'cert-manager.io/v1/Issuer': '@kubernetes-models/cert-manager/_schemas/CertManagerIoV1Issuer',
  'monitoring.coreos.com/v1/PodMonitor': '@kubernetes-models/prometheus-operator/_schemas/MonitoringCoreosComV1PodMonitor',
  'monitoring.coreos.com/v1/PrometheusRule': '@kubernetes-models/prometheus-operator/_schemas/MonitoringCoreosComV1PrometheusRule',
  'monitoring.coreos.com/v1/ServiceMonitor': '@kubernetes-models/prometheus-operator/_schemas/MonitoringCoreosComV1ServiceMonitor',
};

/**
 * Kinds validated against a hand-written JSON Schema in schemas/ (each file's $id is its apiVersion/kind): the kinds
 * that no Node 20 release of the model packages covers (see the README's Dependencies section).
 */
const JSON_SCHEMAS: Record<string, string> = {
  'external-secrets.io/v1/ClusterExternalSecret': 'external-secrets-v1-clusterexternalsecret.json',
  'external-secrets.io/v1/ClusterSecretStore': 'external-secrets-v1-clustersecretstore.json',
  'external-secrets.io/v1/ExternalSecret': 'external-secrets-v1-externalsecret.json',
  'external-secrets.io/v1/SecretStore': 'external-secrets-v1-secretstore.json',
  'external-secrets.io/v1alpha1/PushSecret': 'external-secrets-v1alpha1-pushsecret.json',
  'helm.toolkit.fluxcd.io/v2/HelmRelease': 'flux-helmrelease-v2.json',
  'kustomize.toolkit.fluxcd.io/v1/Kustomization': 'flux-kustomization-v1.json',
  'source.toolkit.fluxcd.io/v1/GitRepository': 'flux-gitrepository-v1.json',
  'source.toolkit.fluxcd.io/v1/HelmRepository': 'flux-helmrepository-v1.json',
  'source.toolkit.fluxcd.io/v1/OCIRepository': 'flux-ocirepository-v1.json',
  'velero.io/v1/Schedule': 'velero-schedule.json',
};

const here = dirname(fileURLToPath(import.meta.url));
const nodeModules = join(here, '..', '..', 'node_modules');
const validators = new Map<string, CompiledValidator>();
await Promise.all(
  Object.entries(MODELS).map(async ([key, spec]) => {
    // The CRD packages do not export their `_schemas` folder: import the file itself.
    const mod = (await import(pathToFileURL(join(nodeModules, `${spec}.mjs`)).href)) as { validate: CompiledValidator };
    validators.set(key, mod.validate);
  }),
);
// All schemas are added first: some refer to a definition of another by its $id (ClusterSecretStore → SecretStore).
const ajv = new Ajv({ allErrors: true, strict: false });
for (const file of Object.values(JSON_SCHEMAS)) ajv.addSchema(JSON.parse(readFileSync(join(here, 'schemas', file), 'utf8')) as object);
for (const key of Object.keys(JSON_SCHEMAS)) {
  const validate = ajv.getSchema(key);
  if (!validate) throw new Error(`schemas/${JSON_SCHEMAS[key]}: its $id is not ${key}`);
  validators.set(key, validate as unknown as CompiledValidator);
}

/** The kinds validated against a hand-written JSON Schema of schemas/ (`apiVersion/kind`). */
export const HAND_WRITTEN_KINDS: readonly string[] = Object.keys(JSON_SCHEMAS).sort();

/** The kinds `validateResource` knows (`apiVersion/kind`). */
export const KNOWN_KINDS: readonly string[] = [...validators.keys()].sort();

const CLUSTER_SCOPED = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'ClusterIssuer', 'ClusterSecretStore', 'ClusterExternalSecret']);
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const LABEL_NAME = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;

function isObject(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}

/** Proxy the data so that every property the validator reads, and every object it enumerates, is recorded. */
function watch(data: unknown) {
  const read = new Map<string, Set<string>>();
  const enumerated = new Set<string>();
  const cache = new WeakMap<object, unknown>();
  const wrap = (value: unknown, path: string): unknown => {
    if (!value || typeof value !== 'object') return value;
    const cached = cache.get(value);
    if (cached) return cached;
    const proxy = new Proxy(value, {
      get(target, prop, receiver) {
        const v = Reflect.get(target, prop, receiver);
        if (typeof prop !== 'string') return v;
        (read.get(path) ?? read.set(path, new Set()).get(path)!).add(prop);
        return Object.prototype.hasOwnProperty.call(target, prop) ? wrap(v, `${path}/${prop}`) : v;
      },
      has(target, prop) {
        if (typeof prop === 'string') (read.get(path) ?? read.set(path, new Set()).get(path)!).add(prop);
        return Reflect.has(target, prop);
      },
      ownKeys(target) {
        enumerated.add(path);
        return Reflect.ownKeys(target);
      },
    });
    cache.set(value, proxy);
    return proxy;
  };
  return { proxy: wrap(data, ''), read, enumerated };
}

function unknownFields(data: unknown, path: string, read: Map<string, Set<string>>, enumerated: Set<string>, out: string[]): void {
  if (Array.isArray(data)) {
    data.forEach((v, i) => unknownFields(v, `${path}/${i}`, read, enumerated, out));
    return;
  }
  if (!isObject(data)) return;
  const seen = read.get(path);
  const typed = !enumerated.has(path) && seen !== undefined && [...seen].some((k) => !/^\d+$/.test(k) && k !== 'length');
  for (const [k, v] of Object.entries(data)) {
    if (typed && !seen.has(k)) out.push(`${path || '/'}: unknown field "${k}"`);
    else unknownFields(v, `${path}/${k}`, read, enumerated, out);
  }
}

function describe(e: { instancePath: string; keyword: string; params: Record<string, unknown>; message?: string }): string {
  const where = e.instancePath || '/';
  const p = e.params;
  switch (e.keyword) {
    case 'required':
      return `${where}: missing required field "${String(p.missingProperty)}"`;
    case 'type':
      return `${where}: must be ${String(p.type)}`;
    case 'enum':
      return `${where}: must be one of ${JSON.stringify(p.allowedValues)}`;
    case 'additionalProperties':
      return `${where}: unknown field "${String(p.additionalProperty)}"`;
    case 'pattern':
      return `${where}: must match ${String(p.pattern)}`;
    default:
      return `${where}: ${e.message ?? `${e.keyword} ${JSON.stringify(p)}`}`;
  }
}

function metadataErrors(obj: Record<string, unknown>): string[] {
  const errors: string[] = [];
  const meta = obj.metadata;
  if (!isObject(meta)) return ['/metadata: missing'];
  const name = meta.name;
  if (typeof name !== 'string' || !name) errors.push('/metadata/name: missing');
  else if (name.length > 253 || !DNS_SUBDOMAIN.test(name)) errors.push(`/metadata/name: "${name}" is not a DNS subdomain name`);
  const kind = String(obj.kind);
  const ns = meta.namespace;
  if (CLUSTER_SCOPED.has(kind)) {
    if (ns !== undefined) errors.push(`/metadata/namespace: ${kind} is cluster-scoped`);
  } else if (ns !== undefined && (typeof ns !== 'string' || ns.length > 63 || !DNS_LABEL.test(ns))) {
    errors.push(`/metadata/namespace: ${JSON.stringify(ns)} is not a DNS label`);
  }
  for (const field of ['labels', 'annotations'] as const) {
    const m = meta[field];
    if (m === undefined) continue;
    if (!isObject(m)) {
      errors.push(`/metadata/${field}: must be a map of strings`);
      continue;
    }
    for (const [k, v] of Object.entries(m)) {
      if (typeof v !== 'string') errors.push(`/metadata/${field}/${k}: must be a string`);
      if (!LABEL_NAME.test(k)) errors.push(`/metadata/${field}: "${k}" is not a valid key`);
      if (field === 'labels' && typeof v === 'string' && (v.length > 63 || !LABEL_VALUE.test(v)))
        errors.push(`/metadata/labels/${k}: "${v}" is not a valid label value`);
    }
  }
  return errors;
}

/** Schema errors of one Kubernetes object (empty when it is valid). */
export function validateResource(obj: unknown): string[] {
  if (!isObject(obj)) return ['/: not an object'];
  const { apiVersion, kind } = obj;
  if (typeof apiVersion !== 'string' || typeof kind !== 'string') return ['/: apiVersion and kind are required'];
  const key = `${apiVersion}/${kind}`;
  const validate = validators.get(key);
  if (!validate) return [`no schema for ${apiVersion} ${kind}: add it to test/support/schema.ts`];
  const errors = metadataErrors(obj);
  const { proxy, read, enumerated } = watch(obj);
  if (!validate(proxy)) errors.push(...(validate.errors ?? []).map(describe));
  else unknownFields(obj, '', read, enumerated, errors);
  return [...new Set(errors)];
}
