/**
 * HashiCorp Vault servers deployed with the vault-helm chart: which mode the chart renders, which HCL configuration
 * it uses, where that configuration and every other value live in the repository, the names the chart gives its
 * objects, and the HCL edits the Vault rules share.
 *
 * Semantics follow the chart's templates/_helpers.tpl (vault-helm 0.34.1; older behaviour noted where it differs).
 */
import { getIn, isVaultServer, locateValue, releaseName, releaseNamespace, valueTarget } from './charts.js';
import {
  appendBlock,
  findBlocks,
  getAttribute,
  isTruthyHcl,
  parseHcl,
  removeAttribute,
  renderHclValue,
  setAttribute,
  type HclBlock,
  type HclDoc,
} from './hcl.js';
import { GROUPS, type Repo, type Resource, type YamlPath } from './repo.js';
import type { Change } from './rule.js';
import { VAULT_CHART_DEFAULTS, VAULT_CHART_VERSION } from './vault-chart.js';
import { scalarText } from './scalar.js';

export { VAULT_CHART_DEFAULTS, VAULT_CHART_VERSION };

// ---------------------------------------------------------------------------------------------------------------
// Chart values: defaults and the keys the chart knows

/** Keys the chart's templates read that values.yaml does not list (domain.md §1.1). */
export const VAULT_TEMPLATE_ONLY_KEYS: readonly string[] = [
  'server.uid',
  'server.gid',
  'injector.uid',
  'injector.gid',
  'fullnameOverride',
  'nameOverride',
  'server.readinessProbe.path',
];

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The chart's default at a values path (undefined when values.yaml has none). */
export function vaultChartDefault(path: YamlPath): unknown {
  return getIn(VAULT_CHART_DEFAULTS, path);
}

/**
 * Is `path` a values key of the vault chart? True for keys of values.yaml, the template-only keys, and anything
 * below a free-form value: an empty map (`extraEnvironmentVars: {}`, `annotations: {}`), `null` or a list
 * (`volumes`, `extraSecretEnvironmentVars`), or a multi-line template string the chart also accepts as YAML
 * (`affinity`).
 */
export function isVaultChartKey(path: YamlPath): boolean {
  if (path.length === 0) return false;
  const dotted = path.join('.');
  if (VAULT_TEMPLATE_ONLY_KEYS.some((k) => dotted === k || dotted.startsWith(`${k}.`))) return true;
  let cur: unknown = VAULT_CHART_DEFAULTS;
  let last = '';
  for (const seg of path) {
    if (cur === null || Array.isArray(cur)) return true;
    // A template string the chart also takes as YAML (affinity, annotations); never an HCL `config` string.
    if (typeof cur === 'string') return cur.includes('\n') && last !== 'config';
    last = String(seg);
    if (!isPlainObject(cur)) return false;
    if (!(String(seg) in cur)) return Object.keys(cur).length === 0;
    cur = cur[String(seg)];
  }
  return true;
}

/** Every values key path a change of values writes (leaves of maps; lists count as one value). */
export function writtenValueKeys(value: unknown, base: YamlPath): YamlPath[] {
  if (!isPlainObject(value) || Object.keys(value).length === 0) return [base];
  return Object.entries(value).flatMap(([k, v]) => writtenValueKeys(v, [...base, k]));
}

// ---------------------------------------------------------------------------------------------------------------
// Releases

/** The chart's mode (`vault.mode`): `external` also covers a disabled server; `none` renders no server. */
export type VaultMode = 'standalone' | 'ha' | 'dev' | 'external' | 'none';

export interface VaultConfig {
  /** Values path of the configuration the chart renders. */
  readonly key: YamlPath;
  /** The configuration text (the chart's default when the repository does not set it). */
  readonly text: string;
  /** True when the repository sets it; false: the chart's default is used. */
  readonly defined: boolean;
  /** Where it lives, or where a fix writes it. */
  readonly resource: Resource;
  readonly path: YamlPath;
  /** Parsed HCL; undefined for JSON or text that does not parse. */
  readonly doc: HclDoc | undefined;
  /** Why `doc` is undefined. */
  readonly problem?: string;
  /** Set when the chart or Vault rejects the configuration as written (not merely text this tool cannot edit). */
  readonly invalid?: string;
}

export interface VaultServer {
  readonly release: Resource;
  /** Helm release name. */
  readonly releaseName: string;
  readonly namespace: string;
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

/** Helm's `eq (x | toString) "true"`. */
export function helmTrue(v: unknown): boolean {
  return String(v) === 'true';
}

/** Go template truthiness (`if .Values.x`): false, 0, "", null, empty collections are false; the string "false" is true. */
export function goTruthy(v: unknown): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (isPlainObject(v)) return Object.keys(v).length > 0;
  return true;
}

function deepMerge(base: unknown, over: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(over)) return over === undefined ? base : over;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = deepMerge(base[k], v);
  return out;
}

/** [major, minor] of a chart version or range (`0.34.1`, `v0.27.x`, `>=0.28.0`); undefined for `*`. */
export function vaultChartMinor(version: string | undefined): [number, number] | undefined {
  const m = /(\d+)\.(\d+)/.exec(version ?? '');
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

function chartBefore(version: string | undefined, major: number, minor: number): boolean {
  const v = vaultChartMinor(version);
  return v !== undefined && (v[0] < major || (v[0] === major && v[1] < minor));
}

/** `vault.fullname`: fullnameOverride, else the release name when it contains the chart name, else `<release>-vault`. */
export function vaultFullname(release: string, values: Record<string, unknown>): string {
  const trim = (s: string) => s.slice(0, 63).replace(/-+$/, '');
  const override = getIn(values, ['fullnameOverride']);
  if (typeof override === 'string' && override) return trim(override);
  const nameOverride = getIn(values, ['nameOverride']);
  const name = typeof nameOverride === 'string' && nameOverride ? nameOverride : 'vault';
  return trim(release.includes(name) ? release : `${release}-${name}`);
}

function modeOf(value: (p: YamlPath) => unknown): VaultMode {
  const serverEnabled = helmTrue(value(['server', 'enabled'])) || (String(value(['server', 'enabled'])) === '-' && helmTrue(value(['global', 'enabled'])));
  if (goTruthy(value(['injector', 'externalVaultAddr'])) || goTruthy(value(['global', 'externalVaultAddr'])) || !serverEnabled) return 'external';
  if (helmTrue(value(['server', 'dev', 'enabled']))) return 'dev';
  if (helmTrue(value(['server', 'ha', 'enabled']))) return 'ha';
  const standalone = String(value(['server', 'standalone', 'enabled']));
  return standalone === 'true' || standalone === '-' ? 'standalone' : 'none';
}

export const VAULT_CONFIG_KEYS = {
  standalone: ['server', 'standalone', 'config'],
  ha: ['server', 'ha', 'config'],
  raft: ['server', 'ha', 'raft', 'config'],
} as const satisfies Record<string, YamlPath>;

/**
 * Values path of the configuration the chart renders (`vault.config`): since chart 0.29.0 the mode's config, replaced
 * by `server.ha.raft.config` whenever `ha.raft.enabled` is set (even in standalone mode); before 0.29.0 the raft
 * config only in HA mode.
 */
export function vaultConfigKey(mode: VaultMode, raftEnabled: unknown, chartVersion: string | undefined): YamlPath | undefined {
  if (mode !== 'standalone' && mode !== 'ha') return undefined;
  if (chartBefore(chartVersion, 0, 29)) {
    if (mode === 'standalone') return VAULT_CONFIG_KEYS.standalone;
    return helmTrue(raftEnabled) ? VAULT_CONFIG_KEYS.raft : VAULT_CONFIG_KEYS.ha;
  }
  if (goTruthy(raftEnabled)) return VAULT_CONFIG_KEYS.raft;
  return mode === 'standalone' ? VAULT_CONFIG_KEYS.standalone : VAULT_CONFIG_KEYS.ha;
}

/** Parse a Vault configuration: HCL (the structural parser), or undefined with the reason (JSON, templates, errors). */
export function parseVaultConfig(text: string): { doc: HclDoc | undefined; problem?: string } {
  const t = text.trim();
  if (t.startsWith('{')) {
    try {
      JSON.parse(t);
      return { doc: undefined, problem: 'the configuration is JSON' };
    } catch {
      // not JSON: try HCL
    }
  }
  try {
    return { doc: parseHcl(text) };
  } catch (e) {
    return { doc: undefined, problem: `the configuration does not parse as HCL (${(e as Error).message})` };
  }
}

function configAt(repo: Repo, hr: Resource, key: YamlPath): VaultConfig {
  const loc = locateValue(repo, hr, key);
  if (loc.source && loc.value !== null && typeof loc.value === 'object') {
    // The chart renders the config with `tpl` and fails on anything but a string.
    const invalid =
      'it is written as a YAML map, and the chart fails with "structured server config is not supported": write it as an HCL string (`config: |`)';
    return { key, text: '', defined: true, resource: loc.source.resource, path: loc.path!, doc: undefined, problem: invalid, invalid };
  }
  const defined = loc.source !== undefined && typeof loc.value === 'string';
  const text = defined ? scalarText(loc.value) : scalarText(vaultChartDefault(key));
  const where = defined ? { resource: loc.source.resource, path: loc.path! } : valueTarget(repo, hr, key);
  const parsed = parseVaultConfig(text);
  // Templates (`{{ }}`) are rendered by the chart's `tpl` first: only template-free text that does not parse is broken.
  const invalid = parsed.problem && parsed.problem !== 'the configuration is JSON' && !text.includes('{{') ? parsed.problem : undefined;
  return {
    key,
    text,
    defined,
    resource: where.resource,
    path: where.path,
    doc: parsed.doc,
    ...(parsed.problem ? { problem: parsed.problem } : {}),
    ...(invalid ? { invalid } : {}),
  };
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
    fullname: vaultFullname(rel, values),
    mode,
    raft: chartBefore(chartVersion, 0, 29) ? helmTrue(value(['server', 'ha', 'raft', 'enabled'])) : goTruthy(value(['server', 'ha', 'raft', 'enabled'])),
    chartVersion,
    values,
    value,
    config: key ? configAt(repo, hr, key) : undefined,
  };
}

export interface VaultServerFilter {
  /** Only releases whose values are all in the repository (`valuesComplete`). */
  readonly complete?: boolean;
}

/** The server's mode as people name it: `ha-raft` for HA with integrated storage. */
export function vaultModeLabel(server: VaultServer): VaultMode | 'ha-raft' {
  return server.mode === 'ha' && server.raft ? 'ha-raft' : server.mode;
}

/** The chart's headless Service (`<fullname>-internal`): pod `<fullname>-N` is `<fullname>-N.<fullname>-internal`. */
export function vaultInternalService(server: VaultServer): string {
  return `${server.fullname}-internal`;
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

/** Vault servers the rules act on: a server that runs from a configuration (not dev mode, not external, not disabled). */
export function configuredVaultServers(repo: Repo, filter: VaultServerFilter = {}): (VaultServer & { config: VaultConfig })[] {
  return vaultServers(repo, filter).filter((s): s is VaultServer & { config: VaultConfig } => s.config !== undefined);
}

/** Configuration keys the repository sets that the chart does not render in this mode, and that differ from the chart's own default. */
export function vaultIgnoredConfigs(repo: Repo, server: VaultServer): VaultConfig[] {
  if (!server.config) return [];
  const effective = server.config.key.join('.');
  return Object.values(VAULT_CONFIG_KEYS)
    .filter((k) => k.join('.') !== effective)
    .map((k) => configAt(repo, server.release, k))
    .filter((c) => c.defined && !sameConfig(c.text, scalarText(vaultChartDefault(c.key))));
}

/** Structural equality of two configurations (comments and spacing ignored). */
export function sameConfig(a: string, b: string): boolean {
  const pa = parseVaultConfig(a);
  const pb = parseVaultConfig(b);
  if (pa.doc && pb.doc) return JSON.stringify(hclData(pa.doc)) === JSON.stringify(hclData(pb.doc));
  return a.trim() === b.trim();
}

function hclData(c: HclDoc | HclBlock): unknown {
  return {
    a: c.attributes.map((a) => [a.name, a.value]),
    b: c.blocks.map((b) => [b.type, b.labels, hclData(b)]),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Finding locations

/** Where to report a values path: the source that sets it, else the release's values. */
export function vaultValueSite(repo: Repo, server: VaultServer, path: YamlPath): { resource: Resource; path: YamlPath } {
  const loc = locateValue(repo, server.release, path);
  if (loc.source) return { resource: loc.source.resource, path: loc.path! };
  return valueTarget(repo, server.release, path);
}

/** "line N" of an HCL offset when the configuration is a block scalar in the repository; else a description. */
export function vaultConfigWhere(repo: Repo, config: VaultConfig, offset?: number): string {
  const label = config.key.join('.');
  if (!config.defined) return `the chart's default ${label}`;
  const pos = config.resource.position(config.path);
  const text = repo.file(config.resource.file)?.text ?? '';
  const line = text.split('\n')[pos.line - 1] ?? '';
  const block = /:\s*[|>][-+0-9]*\s*(#.*)?\r?$/.test(line);
  if (offset === undefined || !block) return `${label}, line ${pos.line}`;
  const hclLine = config.text.slice(0, offset).split('\n').length;
  return `line ${pos.line + hclLine}`;
}

// ---------------------------------------------------------------------------------------------------------------
// Changes to values, checked against the chart's keys

function assertKey(path: YamlPath): void {
  if (!isVaultChartKey(path)) throw new Error(`${path.join('.')} is not a key of the vault chart`);
}

/** Set a values path where it lives (or next to its siblings). */
export function vaultSet(repo: Repo, server: VaultServer, path: YamlPath, value: unknown, comment?: string): Change {
  for (const k of writtenValueKeys(value, path)) assertKey(k);
  const t = valueTarget(repo, server.release, path);
  return { op: 'set', resource: t.resource, path: t.path, value, ...(comment ? { comment } : {}) };
}

/** Deep-merge a map into the map at a values path, where it lives (set when no source has it). */
export function vaultMerge(repo: Repo, server: VaultServer, path: YamlPath, value: Record<string, unknown>): Change {
  for (const k of writtenValueKeys(value, path)) assertKey(k);
  const loc = locateValue(repo, server.release, path);
  if (loc.source && isPlainObject(loc.value)) return { op: 'merge', resource: loc.source.resource, path: loc.path!, value };
  return vaultSet(repo, server, path, value);
}

/**
 * Append to a list value where it lives; sets the list when the chart default (null or []) applies. Several items
 * for one list go in one call (vaultAppendAll): two separate sets of a missing list would overwrite each other.
 */
export function vaultAppend(repo: Repo, server: VaultServer, path: YamlPath, item: unknown): Change {
  return vaultAppendAll(repo, server, path, [item])[0]!;
}

/** Append items to a list value where it lives, or set the list to them when the repository does not set it. */
export function vaultAppendAll(repo: Repo, server: VaultServer, path: YamlPath, items: readonly unknown[]): Change[] {
  assertKey(path);
  const loc = locateValue(repo, server.release, path);
  if (loc.source && Array.isArray(loc.value)) return items.map((value) => ({ op: 'append', resource: loc.source!.resource, path: loc.path!, value }));
  return [vaultSet(repo, server, path, [...items])];
}

/** Delete a values path where it is set (undefined when no source sets it). */
export function vaultDelete(repo: Repo, server: VaultServer, path: YamlPath): Change | undefined {
  const loc = locateValue(repo, server.release, path);
  return loc.source ? { op: 'delete', resource: loc.source.resource, path: loc.path! } : undefined;
}

/** Write a new configuration text where the current one lives (or the chart default would be overridden). Throws
 *  when the text does not parse. */
export function vaultSetConfig(server: VaultServer & { config: VaultConfig }, text: string): Change {
  parseHcl(text);
  return { op: 'set', resource: server.config.resource, path: server.config.path, value: text };
}

// ---------------------------------------------------------------------------------------------------------------
// TLS material

/** Directory the chart mounts a server certificate Secret at: `/vault/userconfig/<secret>`. */
export function vaultCertDir(secret: string): string {
  return `/vault/userconfig/${secret}`;
}

export interface VaultCertFiles {
  readonly cert: string;
  readonly key: string;
  readonly ca: string;
}

export function vaultCertFiles(dir: string): VaultCertFiles {
  return { cert: `${dir}/tls.crt`, key: `${dir}/tls.key`, ca: `${dir}/ca.crt` };
}

const TLSISH = /tls|cert/i;

/** Secret volumes the release mounts into the server container, with their directories. */
export function vaultSecretMounts(server: VaultServer): { dir: string; secret: string }[] {
  const mounts: { dir: string; secret: string }[] = [];
  const volumes = server.value(['server', 'volumes']);
  const secretOf = (name: unknown): string | undefined => {
    const v = Array.isArray(volumes) ? (volumes as unknown[]).find((x) => isPlainObject(x) && x.name === name) : undefined;
    const s = isPlainObject(v) && isPlainObject(v.secret) ? v.secret.secretName : undefined;
    return typeof s === 'string' ? s : undefined;
  };
  const vm = server.value(['server', 'volumeMounts']);
  for (const m of Array.isArray(vm) ? vm : []) {
    if (!isPlainObject(m) || typeof m.mountPath !== 'string') continue;
    const secret = secretOf(m.name);
    if (secret) mounts.push({ dir: m.mountPath.replace(/\/+$/, ''), secret });
  }
  const ev = server.value(['server', 'extraVolumes']);
  for (const v of Array.isArray(ev) ? ev : []) {
    if (!isPlainObject(v) || v.type !== 'secret' || typeof v.name !== 'string') continue;
    const base = typeof v.path === 'string' && v.path ? v.path.replace(/\/+$/, '') : '/vault/userconfig';
    mounts.push({ dir: `${base}/${v.name}`, secret: v.name });
  }
  return mounts;
}

/**
 * The server certificate the release mounts: the Secret mounted where `VAULT_CACERT` points, else a Secret volume
 * whose name or directory says tls/cert.
 */
export function vaultMountedCert(server: VaultServer): { dir: string; secret: string } | undefined {
  const mounts = vaultSecretMounts(server);
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
    (Array.isArray(volumes) && volumes.some((v) => isPlainObject(v) && isPlainObject(v.secret) && v.secret.secretName === secret)) ||
    (Array.isArray(ev) && ev.some((v) => isPlainObject(v) && v.type === 'secret' && v.name === secret))
  );
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

/** DNS names and IPs the server certificate needs (domain.md §3): the services, the active service, every pod. */
export function vaultCertificateNames(server: VaultServer, clusterDomain: string): { dnsNames: string[]; ipAddresses: string[] } {
  const fn = server.fullname;
  const ns = server.namespace;
  const svc = (s: string) => [s, `${s}.${ns}`, `${s}.${ns}.svc`, `${s}.${ns}.svc.${clusterDomain}`];
  return {
    dnsNames: [
      ...svc(fn),
      ...svc(`${fn}-active`),
      ...[`*.${vaultInternalService(server)}`].flatMap((w) => [w, `${w}.${ns}.svc`, `${w}.${ns}.svc.${clusterDomain}`]),
    ],
    ipAddresses: ['127.0.0.1'],
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Clients of a Vault that turns TLS on

/**
 * External Secrets stores that reach this Vault over http://, moved to https:// with `caProvider` (Secret `secret`,
 * key ca.crt; namespace only on a ClusterSecretStore). A namespaced store in another namespace cannot read that
 * Secret: it is left alone and a note says so.
 */
export function vaultStoresToHttps(repo: Repo, s: VaultServer, secret: string, clusterDomain: string): { changes: Change[]; notes: string[] } {
  const changes: Change[] = [];
  const notes: string[] = [];
  const qualified = [s.fullname, `${s.fullname}-active`].flatMap((n) => [
    `${n}.${s.namespace}`,
    `${n}.${s.namespace}.svc`,
    `${n}.${s.namespace}.svc.${clusterDomain}`,
  ]);
  for (const store of [...repo.ofKind('SecretStore', GROUPS.eso), ...repo.ofKind('ClusterSecretStore', GROUPS.eso)]) {
    const vault = ['spec', 'provider', 'vault'];
    const url = store.get([...vault, 'server']);
    if (typeof url !== 'string' || !url.startsWith('http://')) continue;
    const host = /^http:\/\/([^/:]+)/.exec(url)?.[1] ?? '';
    const cluster = store.kind === 'ClusterSecretStore';
    const storeNs = cluster ? undefined : repo.flux.namespaceOf(store);
    const bare = !cluster && storeNs === s.namespace && (host === s.fullname || host === `${s.fullname}-active`);
    if (!qualified.includes(host) && !bare) continue;
    const name = `${store.kind} ${storeNs ? `${storeNs}/` : ''}${store.name}`;
    if (!cluster && storeNs !== s.namespace && store.get([...vault, 'caBundle']) === undefined && store.get([...vault, 'caProvider']) === undefined) {
      notes.push(
        `${name} (${store.file}) reaches Vault at ${url}: a namespaced store cannot read the CA Secret ${s.namespace}/${secret}; copy its ca.crt into ${storeNs} (or set caBundle), then change the server to https://.`,
      );
      continue;
    }
    changes.push({ op: 'set', resource: store, path: [...vault, 'server'], value: `https://${url.slice('http://'.length)}` });
    if (store.get([...vault, 'caBundle']) === undefined && store.get([...vault, 'caProvider']) === undefined) {
      const ca = { type: 'Secret', name: secret, key: 'ca.crt', ...(cluster ? { namespace: s.namespace } : {}) };
      changes.push({ op: 'set', resource: store, path: [...vault, 'caProvider'], value: ca });
    }
  }
  return { changes, notes };
}

/** Other Vault servers that auto-unseal through this one's transit engine over http://: they lose it once TLS is on. */
export function vaultTransitClientsOverHttp(repo: Repo, s: VaultServer): string[] {
  const hosts = [s.fullname, `${s.fullname}-active`].flatMap((n) => [n, `${n}.${s.namespace}`, `${n}.${s.namespace}.svc`]);
  const out: string[] = [];
  for (const other of configuredVaultServers(repo)) {
    if (other.release.id === s.release.id || !other.config.doc) continue;
    for (const seal of findBlocks(other.config.doc, 'seal', 'transit')) {
      const address = getAttribute(seal, 'address')?.value;
      const host = typeof address === 'string' ? /^http:\/\/([^/:]+)/.exec(address)?.[1] : undefined;
      if (host && (hosts.includes(host) || hosts.some((h) => host.startsWith(`${h}.`)))) {
        out.push(
          `Vault ${other.namespace}/${other.release.name} unseals through this Vault's transit engine at ${scalarText(address)}: once TLS is on, change that seal address to https:// and give it this CA (tls_ca_cert), or it cannot unseal after its next restart.`,
        );
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// HCL: listeners

const LOOPBACK = /^(127\.|localhost|\[::1\])/;

/** `listener "tcp"` blocks that serve other pods (not bound to loopback). The default address is 127.0.0.1:8200. */
export function vaultTcpListeners(doc: HclDoc): HclBlock[] {
  return findBlocks(doc, 'listener', 'tcp').filter((b) => {
    const addr = getAttribute(b, 'address')?.value;
    return typeof addr === 'string' && !LOOPBACK.test(addr);
  });
}

export interface ListenerState {
  readonly block: HclBlock;
  readonly address: string;
  readonly tlsDisabled: boolean;
  readonly missingCertFiles: boolean;
  readonly ipv4Only: boolean;
}

export function vaultListenerState(block: HclBlock): ListenerState {
  const address = scalarText(getAttribute(block, 'address')?.value);
  const cluster = scalarText(getAttribute(block, 'cluster_address')?.value);
  const tlsDisabled = isTruthyHcl(getAttribute(block, 'tls_disable')?.value);
  return {
    block,
    address,
    tlsDisabled,
    missingCertFiles: !tlsDisabled && (!getAttribute(block, 'tls_cert_file') || !getAttribute(block, 'tls_key_file')),
    ipv4Only: address.startsWith('0.0.0.0:') || cluster.startsWith('0.0.0.0:'),
  };
}

/** TLS files of the first served listener when it serves TLS. */
export function vaultListenerTls(doc: HclDoc): { cert: string; key: string; ca: string | undefined } | undefined {
  const l = vaultTcpListeners(doc)[0];
  if (!l) return undefined;
  const s = vaultListenerState(l);
  const cert = getAttribute(l, 'tls_cert_file')?.value;
  const key = getAttribute(l, 'tls_key_file')?.value;
  if (s.tlsDisabled || typeof cert !== 'string' || typeof key !== 'string') return undefined;
  const ca = getAttribute(l, 'tls_client_ca_file')?.value;
  return { cert, key, ca: typeof ca === 'string' ? ca : undefined };
}

/** Apply `edit` to the text of one block (a standalone HCL text), splicing the result back. */
function editBlock(text: string, block: HclBlock, edit: (blockText: string) => string): string {
  const before = text.slice(0, block.range.start);
  const own = text.slice(block.range.start, block.range.end);
  return before + edit(own) + text.slice(block.range.end);
}

const LISTENER = { block: { type: 'listener', label: 'tcp' } };

/**
 * Make every served tcp listener serve TLS with `files`: `tls_disable` removed, certificate, key and client CA files
 * added where missing. With `dualStack`, `0.0.0.0:` addresses become `[::]:` (all IPv4 and IPv6 interfaces).
 */
export function vaultSecureListeners(text: string, certs: VaultCertFiles | undefined, opts: { dualStack: boolean }): string {
  const doc = parseHcl(text);
  let out = text;
  for (const b of [...vaultTcpListeners(doc)].sort((x, y) => y.range.start - x.range.start)) {
    const s = vaultListenerState(b);
    out = editBlock(out, b, (t) => {
      let r = t;
      let files = certs;
      if (files && (s.tlsDisabled || s.missingCertFiles)) {
        r = removeAttribute(r, LISTENER, 'tls_disable');
        const inner = parseHcl(r).blocks[0]!;
        // A certificate already named keeps its directory for the other files.
        const own = getAttribute(inner, 'tls_cert_file')?.value;
        if (typeof own === 'string' && own.includes('/')) files = vaultCertFiles(own.slice(0, own.lastIndexOf('/')));
        if (!getAttribute(inner, 'tls_cert_file')) r = setAttribute(r, LISTENER, 'tls_cert_file', files.cert);
        if (!getAttribute(inner, 'tls_key_file')) r = setAttribute(r, LISTENER, 'tls_key_file', files.key);
        if (!getAttribute(inner, 'tls_client_ca_file')) r = setAttribute(r, LISTENER, 'tls_client_ca_file', files.ca);
      }
      if (opts.dualStack) {
        for (const attr of ['address', 'cluster_address']) {
          const v = getAttribute(parseHcl(r).blocks[0]!, attr)?.value;
          if (typeof v === 'string' && v.startsWith('0.0.0.0:')) r = setAttribute(r, LISTENER, attr, `[::]:${v.slice('0.0.0.0:'.length)}`);
        }
      }
      return r;
    });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// HCL: storage

/** The `storage` stanza (Vault allows one). */
export function vaultStorage(doc: HclDoc): HclBlock | undefined {
  return findBlocks(doc, 'storage')[0];
}

export function vaultStorageType(doc: HclDoc): string | undefined {
  return vaultStorage(doc)?.labels[0];
}

/** Number of server pods the chart runs in HA mode (`vault.replicas`). */
export function vaultReplicas(server: VaultServer): number {
  const r = server.value(['server', 'ha', 'replicas']);
  return typeof r === 'number' && Number.isInteger(r) && r > 0 ? r : 3;
}

/** `retry_join` stanzas, one per pod `<fullname>-N.<fullname>-internal`, over https with the listener's files when it serves TLS. */
export function vaultRetryJoinBlocks(server: VaultServer, doc: HclDoc, replicas: number): string[] {
  const tls = vaultListenerTls(doc);
  const cacert = server.value(['server', 'extraEnvironmentVars', 'VAULT_CACERT']);
  // The CA that signed the listener's certificate: the listener's client CA, VAULT_CACERT, else ca.crt next to the
  // certificate (cert-manager Secrets hold tls.crt, tls.key and ca.crt).
  const ca = tls && (tls.ca ?? (typeof cacert === 'string' ? cacert : `${tls.cert.slice(0, tls.cert.lastIndexOf('/'))}/ca.crt`));
  const out: string[] = [];
  for (let i = 0; i < replicas; i++) {
    const addr = `${tls ? 'https' : 'http'}://${server.fullname}-${i}.${vaultInternalService(server)}:8200`;
    const attrs: [string, string][] = [['leader_api_addr', addr]];
    if (tls) {
      if (ca) attrs.push(['leader_ca_cert_file', ca]);
      attrs.push(['leader_client_cert_file', tls.cert], ['leader_client_key_file', tls.key]);
    }
    const width = Math.max(...attrs.map(([k]) => k.length));
    out.push(['retry_join {', ...attrs.map(([k, v]) => `  ${k.padEnd(width)} = ${renderHclValue(v)}`), '}'].join('\n'));
  }
  return out;
}

/** Add `blocks` at the end of the `storage "raft"` stanza. */
export function vaultAddToRaft(text: string, blocks: readonly string[]): string {
  let out = text;
  for (const b of blocks) out = appendBlock(out, b, { into: { type: 'storage', label: 'raft' } });
  return out;
}

/** `storage "file"` becomes `storage "raft"` (label changed in place: its path, comments and layout stay). */
export function vaultFileToRaft(text: string): string {
  const storage = vaultStorage(parseHcl(text));
  if (!storage || storage.labels[0] !== 'file') throw new Error('no storage "file" stanza');
  const header = text.slice(storage.range.start, storage.bodyRange.start);
  const m = /^(storage\s*)("file"|file)/.exec(header);
  if (!m) throw new Error('cannot locate the storage label');
  const at = storage.range.start + m[1]!.length;
  return text.slice(0, at) + '"raft"' + text.slice(at + m[2]!.length);
}

/** Add `service_registration "kubernetes" {}` when the configuration has no service registration. */
export function vaultEnsureServiceRegistration(text: string): string {
  if (findBlocks(parseHcl(text), 'service_registration').length > 0) return text;
  return appendBlock(text, 'service_registration "kubernetes" {}');
}

// ---------------------------------------------------------------------------------------------------------------
// HCL: seals and mlock

/** Seal stanzas that are in use (`disabled` not set): auto-unseal unless the only one is `shamir`. */
export function vaultActiveSeals(doc: HclDoc): HclBlock[] {
  return findBlocks(doc, 'seal').filter((b) => !isTruthyHcl(getAttribute(b, 'disabled')?.value));
}

/** The `disable_mlock` attribute at the top level, if written. */
export function vaultDisableMlock(doc: HclDoc): boolean | undefined {
  const a = getAttribute(doc, 'disable_mlock');
  return a ? isTruthyHcl(a.value) : undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// Images

/** Default server image tag of each vault-helm release (hashicorp/vault-helm tags v0.20.0–v0.34.1, values.yaml `server.image.tag`). */
export const VAULT_CHART_IMAGE_TAGS: Readonly<Record<string, string>> = {
  '0.20.0': '1.10.3',
  '0.20.1': '1.10.3',
  '0.21.0': '1.11.2',
  '0.22.0': '1.11.3',
  '0.22.1': '1.12.0',
  '0.23.0': '1.12.1',
  '0.24.0': '1.13.1',
  '0.24.1': '1.13.1',
  '0.25.0': '1.14.0',
  '0.26.0': '1.15.1',
  '0.26.1': '1.15.1',
  '0.27.0': '1.15.2',
  '0.28.0': '1.16.1',
  '0.28.1': '1.17.2',
  '0.29.0': '1.18.1',
  '0.29.1': '1.18.1',
  '0.30.0': '1.19.0',
  '0.30.1': '1.20.1',
  '0.31.0': '1.20.4',
  '0.32.0': '1.21.2',
  '0.33.0': '2.0.2',
  '0.34.0': '2.0.3',
  '0.34.1': '2.0.4',
};

function chartDefaultTag(version: string | undefined): string | undefined {
  const exact = /^\s*v?(\d+\.\d+\.\d+)\s*$/.exec(version ?? '');
  if (exact) return VAULT_CHART_IMAGE_TAGS[exact[1]!];
  // A range or wildcard (`0.27.x`, `~0.27`): the newest release of that minor version.
  const v = vaultChartMinor(version);
  if (!v) return undefined;
  const same = Object.keys(VAULT_CHART_IMAGE_TAGS).filter((k) => k.startsWith(`${v[0]}.${v[1]}.`));
  return same.length ? VAULT_CHART_IMAGE_TAGS[same[same.length - 1]!] : undefined;
}

/** The server image version: `server.image.tag` when the repository sets it, else the pinned chart's default. */
export function vaultImageVersion(repo: Repo, server: VaultServer): [number, number, number] | undefined {
  const set = locateValue(repo, server.release, ['server', 'image', 'tag']);
  let tag: unknown = set.source ? set.value : undefined;
  if (tag === undefined) tag = chartDefaultTag(server.chartVersion);
  const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(scalarText(tag));
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}
