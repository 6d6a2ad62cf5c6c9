/**
 * A HashiCorp Vault server deployed with the vault-helm chart, as the chart will render it: its names (fullname,
 * Services, pods), namespace, mode, configuration, the Secrets it mounts (the TLS Secret it actually serves), and its
 * image. Every rule that looks at Vault reads this one model.
 *
 * Semantics follow the chart's templates/_helpers.tpl (vault-helm 0.34.1; older behaviour noted where it differs).
 */
import { isVaultServer, releaseName, releaseNamespace } from '../charts.js';
import { deepMerge, getIn, isRecord } from '../data.js';
import { itemsOf, Volume, VolumeMount } from '../kinds.js';
import type { Repo, Resource, YamlPath } from '../repo.js';
import { scalarText } from '../scalar.js';
import type { ServiceTarget } from '../service-consumers.js';
import type { Change } from '../rule.js';
import { chartBefore, vaultCertDir, vaultConfigAt, vaultConfigKey, vaultListenerTls, type VaultConfig } from './config.js';
import { goTruthy, helmTrue, VAULT_CHART_DEFAULTS, vaultAppend } from './values.js';

/** The chart's mode (`vault.mode`): `external` also covers a disabled server; `none` renders no server. */
export type VaultMode = 'standalone' | 'ha' | 'dev' | 'external' | 'none';

export interface VaultServer {
  readonly release: Resource;
  /** Helm release name. */
  readonly releaseName: string;
  readonly namespace: string;
  /** `vault.name`: nameOverride, else `vault` (the `app.kubernetes.io/name` label). */
  readonly name: string;
  /** `vault.fullname`: the StatefulSet and Service name; pods are `<fullname>-N`. */
  readonly fullname: string;
  readonly mode: VaultMode;
  /** `server.ha.raft.enabled` as the chart reads it. */
  readonly raft: boolean;
  readonly chartVersion: string | undefined;
  /** Merged repository values (valuesFrom, then spec.values). */
  readonly values: Record<string, unknown>;
  /** The value the chart sees: repository values over the chart defaults. */
  value(path: YamlPath): unknown;
  /** The rendered configuration (standalone and HA modes). */
  readonly config: VaultConfig | undefined;
  /**
   * False when a `valuesFrom` source is not in the repository (a ConfigMap or Secret made elsewhere, SOPS, a
   * targetPath): values that look absent may be set there, so chart defaults cannot be assumed.
   */
  readonly valuesComplete: boolean;
}

/** `vault.fullname`: fullnameOverride, else the release name when it contains the chart name, else `<release>-<name>`. */
export function vaultFullname(release: string, values: Record<string, unknown>): string {
  const trim = (s: string) => s.slice(0, 63).replace(/-+$/, '');
  const override = getIn(values, ['fullnameOverride']);
  if (typeof override === 'string' && override) return trim(override);
  const name = vaultName(values);
  return trim(release.includes(name) ? release : `${release}-${name}`);
}

/** `vault.name`: nameOverride, else the chart name. */
export function vaultName(values: Record<string, unknown>): string {
  const nameOverride = getIn(values, ['nameOverride']);
  return (typeof nameOverride === 'string' && nameOverride ? nameOverride : 'vault').slice(0, 63).replace(/-+$/, '');
}

function modeOf(value: (p: YamlPath) => unknown): VaultMode {
  const serverEnabled = helmTrue(value(['server', 'enabled'])) || (String(value(['server', 'enabled'])) === '-' && helmTrue(value(['global', 'enabled'])));
  if (goTruthy(value(['injector', 'externalVaultAddr'])) || goTruthy(value(['global', 'externalVaultAddr'])) || !serverEnabled) return 'external';
  if (helmTrue(value(['server', 'dev', 'enabled']))) return 'dev';
  if (helmTrue(value(['server', 'ha', 'enabled']))) return 'ha';
  const standalone = String(value(['server', 'standalone', 'enabled']));
  return standalone === 'true' || standalone === '-' ? 'standalone' : 'none';
}

/** A Vault server HelmRelease, as the chart will render it. */
export function vaultServer(repo: Repo, hr: Resource): VaultServer {
  const values = repo.flux.values(hr);
  const effective = deepMerge(VAULT_CHART_DEFAULTS, values);
  const value = (p: YamlPath) => getIn(effective, p);
  const mode = modeOf(value);
  const chartVersion = repo.flux.helmChart(hr).version;
  const rel = releaseName(hr);
  const globalNs = value(['global', 'namespace']);
  const namespace = typeof globalNs === 'string' && globalNs ? globalNs : (releaseNamespace(repo, hr) ?? 'default');
  const key = vaultConfigKey(mode, value(['server', 'ha', 'raft', 'enabled']), chartVersion);
  const from = hr.get(['spec', 'valuesFrom']);
  const files = repo.flux.valuesSources(hr).filter((v) => v.kind === 'file').length;
  return {
    valuesComplete: !Array.isArray(from) || from.length <= files,
    release: hr,
    releaseName: rel,
    namespace,
    name: vaultName(values),
    fullname: vaultFullname(rel, values),
    mode,
    raft: chartBefore(chartVersion, 0, 29) ? helmTrue(value(['server', 'ha', 'raft', 'enabled'])) : goTruthy(value(['server', 'ha', 'raft', 'enabled'])),
    chartVersion,
    values,
    value,
    config: key ? vaultConfigAt(repo, hr, key) : undefined,
  };
}

export interface VaultServerFilter {
  /** Only releases whose values are all in the repository (`valuesComplete`). */
  readonly complete?: boolean;
}

/** Every Vault server release of the repository (chart `vault` from HashiCorp), in file order. */
export function vaultServers(repo: Repo, filter: VaultServerFilter = {}): VaultServer[] {
  return repo
    .ofKind('HelmRelease')
    .filter((hr) => hr.group === 'helm.toolkit.fluxcd.io' && isVaultServer(repo, hr))
    .map((hr) => vaultServer(repo, hr))
    .filter((s) => !filter.complete || s.valuesComplete);
}

/**
 * Why the Vault rules have nothing to check in this repository, or undefined when a Vault server runs here: no Vault
 * release, values partly outside the repository (so chart defaults cannot be assumed), or no server (an external
 * Vault, the injector only, or the server disabled).
 */
export function vaultNotApplicable(repo: Repo): string | undefined {
  const all = vaultServers(repo);
  if (!all.length) return 'no Vault release';
  const complete = all.filter((s) => s.valuesComplete);
  if (!complete.length)
    return `the values of Vault ${all.map((s) => s.release.name).join(', ')} come partly from outside the repository (valuesFrom), so they cannot be checked`;
  if (!complete.some((s) => s.mode !== 'external' && s.mode !== 'none'))
    return 'the Vault releases run no server here (an external Vault, or the injector only)';
  return undefined;
}

/** A Vault server that runs from a configuration. */
export type ConfiguredVaultServer = VaultServer & { readonly config: VaultConfig };

/** A configured Vault server whose configuration parses as HCL: what the rules that read or edit it need. */
export type ParsedVaultServer = VaultServer & { readonly config: VaultConfig & { readonly doc: NonNullable<VaultConfig['doc']> } };

/** Does the server's configuration parse (HCL, not JSON or a template)? */
export function hasParsedConfig(s: VaultServer): s is ParsedVaultServer {
  return s.config?.doc !== undefined;
}

/** Vault servers the rules act on: a server that runs from a configuration (not dev mode, not external, not disabled). */
export function configuredVaultServers(repo: Repo, filter: VaultServerFilter = {}): ConfiguredVaultServer[] {
  return vaultServers(repo, filter).filter((s): s is ConfiguredVaultServer => s.config !== undefined);
}

/** Servers that run pods (standalone, HA or dev mode). */
export function runningVaultServers(repo: Repo, filter: VaultServerFilter = {}): VaultServer[] {
  return vaultServers(repo, filter).filter((s) => s.mode !== 'external' && s.mode !== 'none');
}

/** The server's mode as people name it: `ha-raft` for HA with integrated storage. */
export function vaultModeLabel(server: VaultServer): VaultMode | 'ha-raft' {
  return server.mode === 'ha' && server.raft ? 'ha-raft' : server.mode;
}

/** The chart's headless Service (`<fullname>-internal`): pod `<fullname>-N` is `<fullname>-N.<fullname>-internal`. */
export function vaultInternalService(server: VaultServer): string {
  return `${server.fullname}-internal`;
}

/** Number of server pods the chart runs in HA mode (`vault.replicas`). */
export function vaultReplicas(server: VaultServer): number {
  const r = server.value(['server', 'ha', 'replicas']);
  return typeof r === 'number' && Number.isInteger(r) && r > 0 ? r : 3;
}

/** Server pods the release runs: the HA replicas, else one. */
export function vaultPodCount(server: VaultServer): number {
  return server.mode === 'ha' ? vaultReplicas(server) : server.mode === 'none' || server.mode === 'external' ? 0 : 1;
}

/** `server.updateStrategyType` as the release sets it (the chart default is OnDelete). */
export function vaultUpdateStrategy(server: VaultServer): string {
  return scalarText(server.value(['server', 'updateStrategyType']), 'OnDelete');
}

/** maxUnavailable of the PodDisruptionBudget the chart renders in HA mode: the value set, else floor((n-1)/2) (0 for one pod). */
export function vaultDisruptionBudget(server: VaultServer, replicas = vaultReplicas(server)): number | string {
  const set = server.value(['server', 'ha', 'disruptionBudget', 'maxUnavailable']);
  if (typeof set === 'number' || (typeof set === 'string' && set)) return set;
  return replicas <= 1 ? 0 : Math.floor((replicas - 1) / 2);
}

/** Labels of the server pods (`app.kubernetes.io/name`, `app.kubernetes.io/instance`, `component: server`). */
export function vaultServerLabels(server: VaultServer): Record<string, string> {
  return { 'app.kubernetes.io/name': server.name, 'app.kubernetes.io/instance': server.releaseName, component: 'server' };
}

export interface VaultService {
  readonly name: string;
  /** `main`, `active`, `standby`, `internal` (headless, one DNS name per pod), `ui`. */
  readonly role: 'main' | 'active' | 'standby' | 'internal' | 'ui';
  /** Whether the chart renders it for these values (active and standby: HA mode only). */
  readonly rendered: boolean;
  /** API port of the Service. */
  readonly port: number;
}

/** The Services the chart renders for the server (and those it would render in HA mode, marked not rendered). */
export function vaultServices(server: VaultServer): VaultService[] {
  const v = (path: YamlPath) => server.value(path);
  const on = server.mode === 'standalone' || server.mode === 'ha' || server.mode === 'dev';
  const ha = server.mode === 'ha';
  const enabled = (p: YamlPath) => String(v(p)) !== 'false';
  const port = Number(v(['server', 'service', 'port']) ?? 8200) || 8200;
  const main = on && enabled(['server', 'service', 'enabled']);
  return [
    { name: server.fullname, role: 'main', rendered: main, port },
    { name: `${server.fullname}-active`, role: 'active', rendered: main && ha && enabled(['server', 'service', 'active', 'enabled']), port },
    { name: `${server.fullname}-standby`, role: 'standby', rendered: main && ha && enabled(['server', 'service', 'standby', 'enabled']), port },
    { name: vaultInternalService(server), role: 'internal', rendered: on, port: 8200 },
    { name: `${server.fullname}-ui`, role: 'ui', rendered: on && helmTrue(v(['ui', 'enabled'])), port: Number(v(['ui', 'externalPort']) ?? 8200) || 8200 },
  ];
}

/** The server's Services as a target of the consumer index (every Service name the chart gives it, port 8200). */
export function vaultServiceTarget(server: VaultServer, clusterDomain = 'cluster.local'): ServiceTarget {
  const services = vaultServices(server);
  const labels = { 'app.kubernetes.io/name': server.name, 'app.kubernetes.io/instance': server.releaseName };
  return {
    namespace: server.namespace,
    services: services.map((s) => s.name),
    headless: [vaultInternalService(server)],
    ports: [...new Set(services.map((s) => s.port))],
    // Every label some Vault Service carries: a monitor selecting the active or the internal Service matches too.
    serviceLabels: { ...labels, 'vault-active': 'true', 'vault-internal': 'true' },
    podLabels: { ...labels, component: 'server' },
    clusterDomain,
  };
}

/** `global.tlsDisable` as the chart tests it (`if .Values.global.tlsDisable`): true means the chart's side is plain HTTP. */
export function vaultChartTlsDisabled(server: VaultServer): boolean {
  return goTruthy(server.value(['global', 'tlsDisable']));
}

/**
 * True when the server's API answers over https, so clients must use https: what its listener serves when the
 * configuration can be read, else what the chart's side says (global.tlsDisable).
 */
export function vaultServesTls(server: VaultServer): boolean {
  if (server.config?.doc) return !!vaultListenerTls(server.config.doc);
  return !vaultChartTlsDisabled(server);
}

// ---------------------------------------------------------------------------------------------------------------
// Mounted Secrets

const TLSISH = /tls|cert/i;

export interface VaultSecretMount {
  /** Directory in the server container. */
  readonly dir: string;
  readonly secret: string;
  /** Values key it comes from. */
  readonly via: 'volumes' | 'extraVolumes';
}

/** Secret volumes the release mounts into the server container, with their directories. */
export function vaultSecretMounts(server: VaultServer): VaultSecretMount[] {
  const mounts: VaultSecretMount[] = [];
  const volumes = itemsOf(Volume, server.value(['server', 'volumes']));
  const secretOf = (name: string | undefined) => volumes.find((v) => v !== undefined && v.name === name)?.secret?.secretName;
  for (const m of itemsOf(VolumeMount, server.value(['server', 'volumeMounts']))) {
    if (m?.mountPath === undefined) continue;
    const secret = secretOf(m.name);
    if (secret) mounts.push({ dir: m.mountPath.replace(/\/+$/, ''), secret, via: 'volumes' });
  }
  const ev = server.value(['server', 'extraVolumes']);
  for (const v of Array.isArray(ev) ? ev : []) {
    if (!isRecord(v) || v.type !== 'secret' || typeof v.name !== 'string') continue;
    const base = typeof v.path === 'string' && v.path ? v.path.replace(/\/+$/, '') : '/vault/userconfig';
    mounts.push({ dir: `${base}/${v.name}`, secret: v.name, via: 'extraVolumes' });
  }
  return mounts;
}

/**
 * The server certificate the release mounts: the Secret mounted where the listener's certificate is (when it serves
 * TLS), else where `VAULT_CACERT` points, else a Secret volume whose name or directory says tls/cert.
 */
export function vaultMountedCert(server: VaultServer): VaultSecretMount | undefined {
  const mounts = vaultSecretMounts(server);
  const listener = server.config?.doc ? vaultListenerTls(server.config.doc) : undefined;
  if (listener) {
    const dir = listener.cert.slice(0, listener.cert.lastIndexOf('/'));
    const byListener = mounts.find((m) => m.dir === dir);
    if (byListener) return byListener;
  }
  const cacert = server.value(['server', 'extraEnvironmentVars', 'VAULT_CACERT']);
  if (typeof cacert === 'string') {
    const byCa = mounts.find((m) => m.dir === cacert.slice(0, cacert.lastIndexOf('/')));
    if (byCa) return byCa;
  }
  return mounts.find((m) => TLSISH.test(m.secret) || TLSISH.test(m.dir));
}

/** The directory of the mounted server certificate (see vaultMountedCert). */
export function vaultMountedCertDir(server: VaultServer): string | undefined {
  return vaultMountedCert(server)?.dir;
}

/** Is the Secret mounted (as a volume or through extraVolumes)? */
export function vaultMountsSecret(server: VaultServer, secret: string): boolean {
  const volumes = server.value(['server', 'volumes']);
  const ev = server.value(['server', 'extraVolumes']);
  return (
    (Array.isArray(volumes) && volumes.some((v) => isRecord(v) && isRecord(v.secret) && v.secret.secretName === secret)) ||
    (Array.isArray(ev) && ev.some((v) => isRecord(v) && v.type === 'secret' && v.name === secret))
  );
}

/** Where the server sees a mounted Secret (undefined when it is not mounted). */
export function vaultSecretDir(server: VaultServer, secret: string): string | undefined {
  return vaultSecretMounts(server).find((m) => m.secret === secret)?.dir;
}

/**
 * Mount a Secret read-only at /vault/userconfig/<secret>: through `server.extraVolumes` when the release already
 * uses it, else `server.volumes` + `server.volumeMounts`.
 */
export function vaultMountSecret(repo: Repo, server: VaultServer, secret: string): Change[] {
  if (vaultMountsSecret(server, secret)) return [];
  const ev = server.value(['server', 'extraVolumes']);
  if (Array.isArray(ev) && ev.length > 0) return [vaultAppend(repo, server, ['server', 'extraVolumes'], { type: 'secret', name: secret })];
  const name = `userconfig-${secret}`.slice(0, 63).replace(/-+$/, '');
  return [
    vaultAppend(repo, server, ['server', 'volumes'], { name, secret: { secretName: secret } }),
    vaultAppend(repo, server, ['server', 'volumeMounts'], { name, mountPath: vaultCertDir(secret), readOnly: true }),
  ];
}
