/**
 * Unseal automation a repository already runs for a Vault: a workload that runs `vault operator unseal` (or calls
 * `/v1/sys/unseal`) itself or through a ConfigMap script it mounts, a known unsealer image or chart (bank-vaults,
 * vault-unsealer), and the Secrets of unseal keys it reads. Such a Vault is not waiting for someone to type keys:
 * its unseal keys are stored in the cluster.
 */
import {
  asRecord,
  containerSpecOf,
  helmReleases,
  podSpecOf,
  serviceConsumers,
  vaultServiceTarget,
  workloads,
  type Repo,
  type Resource,
  type VaultServer,
  type Workload,
} from '../../src/kit/index.js';

const UNSEAL_TEXT = /\boperator\s+unseal\b|\/v1\/sys\/unseal\b/;
const UNSEALER_IMAGE = /(^|\/)(bank-vaults|vault-unsealer|vault-unseal|vault-autounseal)(:|@|$)/;
const UNSEALER_CHARTS = /^(vault-operator|vault-unsealer|vault-unseal|vault-autounseal)$/;
const KEY_NAME = /unseal/i;

export interface Unsealer {
  /** "CronJob vault/unseal (k8s/unseal.yaml)". */
  readonly what: string;
  readonly resource: Resource;
  /** Secrets of unseal keys it reads ("vault/vault-unseal-keys"). */
  readonly keys: readonly string[];
}

/** ConfigMaps a workload mounts or reads its environment from. */
function configMapsOf(repo: Repo, w: Workload): Resource[] {
  const names = new Set<string>();
  for (const v of podSpecOf(w.resource.get(w.podSpecPath))?.volumes ?? []) {
    if (v?.configMap?.name !== undefined) names.add(v.configMap.name);
    for (const src of v?.projected?.sources ?? []) {
      const p = src?.configMap?.name;
      if (p !== undefined) names.add(p);
    }
  }
  for (const c of [...w.containers, ...w.initContainers]) {
    for (const e of containerSpecOf(w.resource.get(c.path))?.envFrom ?? []) {
      if (e?.configMapRef?.name !== undefined) names.add(e.configMapRef.name);
    }
  }
  return repo.ofKind('ConfigMap').filter((cm) => cm.group === '' && cm.name && names.has(cm.name) && repo.flux.namespaceOf(cm) === w.namespace);
}

/** Secrets a workload reads whose name or key says "unseal". */
function keySecrets(w: Workload): string[] {
  const out = new Set<string>();
  const add = (name: string | undefined, key?: string) => {
    if (name !== undefined && (KEY_NAME.test(name) || (key !== undefined && KEY_NAME.test(key)))) out.add(`${w.namespace ?? '?'}/${name}`);
  };
  for (const v of podSpecOf(w.resource.get(w.podSpecPath))?.volumes ?? []) add(v?.secret?.secretName);
  for (const c of [...w.containers, ...w.initContainers]) {
    const container = containerSpecOf(w.resource.get(c.path));
    for (const e of container?.env ?? []) {
      const ref = e?.valueFrom?.secretKeyRef;
      add(ref?.name, ref?.key ?? e?.name);
    }
    for (const e of container?.envFrom ?? []) add(e?.secretRef?.name);
  }
  return [...out];
}

function text(r: Resource, path: readonly (string | number)[]): string {
  return JSON.stringify(r.get(path) ?? '');
}

/** What unseals `server` today, if anything. */
export function unsealersOf(repo: Repo, server: VaultServer): Unsealer[] {
  const target = vaultServiceTarget(server);
  const referring = new Set(serviceConsumers(repo, target).map((c) => c.resource.id));
  const out: Unsealer[] = [];
  for (const w of workloads(repo)) {
    const images = [...w.containers, ...w.initContainers].map((c) => c.image ?? '');
    const scripts = [text(w.resource, w.podSpecPath), ...configMapsOf(repo, w).map((cm) => text(cm, ['data']))];
    const unseals = images.some((i) => UNSEALER_IMAGE.test(i.split('@')[0]!.replace(/:[^/]*$/, ''))) || scripts.some((t) => UNSEAL_TEXT.test(t));
    if (!unseals) continue;
    // Its Vault: the one it names (any DNS form), else the one in its namespace.
    const names = referring.has(w.resource.id) || configMapsOf(repo, w).some((cm) => referring.has(cm.id));
    if (!names && w.namespace !== server.namespace) continue;
    out.push({ what: `${w.kind} ${w.namespace ? `${w.namespace}/` : ''}${w.name} (${w.file})`, resource: w.resource, keys: keySecrets(w) });
  }
  for (const hr of helmReleases(repo)) {
    const chart = repo.flux.helmChart(hr).chart ?? '';
    if (!UNSEALER_CHARTS.test(chart)) continue;
    if (repo.flux.namespaceOf(hr) !== server.namespace && !referring.has(hr.id)) continue;
    out.push({ what: `HelmRelease ${hr.name} (chart ${chart}, ${hr.file})`, resource: hr, keys: [] });
  }
  for (const v of repo.ofKind('Vault', 'vault.banzaicloud.com')) {
    if (repo.flux.namespaceOf(v) !== server.namespace) continue;
    out.push({ what: `bank-vaults Vault ${v.name} (${v.file})`, resource: v, keys: [] });
  }
  return out;
}

/** Secrets of the repository named like unseal keys (by name or data key), in a namespace. */
export function unsealKeySecrets(repo: Repo, namespace: string): string[] {
  const out: string[] = [];
  for (const s of repo.ofKind('Secret')) {
    if (s.group !== '' || repo.flux.namespaceOf(s) !== namespace) continue;
    const keys = [...Object.keys(asRecord(s.get(['data'])) ?? {}), ...Object.keys(asRecord(s.get(['stringData'])) ?? {})];
    if (KEY_NAME.test(s.name ?? '') || keys.some((k) => KEY_NAME.test(k))) out.push(`${namespace}/${s.name}`);
  }
  return out;
}
