/**
 * The HCL configuration the vault-helm chart renders for a release: which values key holds it, where it lives in the
 * repository, and the queries and edits of its stanzas (listeners, storage, seals, mlock, retry_join) that several
 * Vault rules share.
 */
import { locateValue, valueTarget } from '../charts.js';
import { appendBlock, renderHclValue } from '../hcl/edit.js';
import { parseHcl, type HclBlock, type HclDoc } from '../hcl/parse.js';
import { findBlocks, getAttribute, isTruthyHcl } from '../hcl/query.js';
import type { Repo, Resource, YamlPath } from '../repo.js';
import { scalarText } from '../scalar.js';
import type { Change } from '../rule.js';
import { goTruthy, helmTrue, vaultChartDefault } from './values.js';
import { secretSource } from '../secret-sources.js';
import { vaultSecretMounts, type VaultMode, type VaultServer } from './server.js';

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

/** [major, minor] of a chart version or range (`0.34.1`, `v0.27.x`, `>=0.28.0`); undefined for `*`. */
export function vaultChartMinor(version: string | undefined): [number, number] | undefined {
  const m = /(\d+)\.(\d+)/.exec(version ?? '');
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

export function chartBefore(version: string | undefined, major: number, minor: number): boolean {
  const v = vaultChartMinor(version);
  return v !== undefined && (v[0] < major || (v[0] === major && v[1] < minor));
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

/** The configuration at a values key of a release, as the chart reads it. */
export function vaultConfigAt(repo: Repo, hr: Resource, key: YamlPath): VaultConfig {
  const loc = locateValue(repo, hr, key);
  if (loc.source && loc.value !== null && typeof loc.value === 'object') {
    // The chart renders the config with `tpl` and fails on anything but a string.
    const invalid =
      'it is written as a YAML map, and the chart fails with "structured server config is not supported": write it as an HCL string (`config: |`)';
    return { key, text: '', defined: true, resource: loc.source.resource, path: loc.path!, doc: undefined, problem: invalid, invalid };
  }
  const defined = loc.source !== undefined && typeof loc.value === 'string';
  const text = defined ? scalarText(loc.value) : scalarText(vaultChartDefault(key));
  const where = loc.source && defined ? { resource: loc.source.resource, path: loc.path! } : valueTarget(repo, hr, key);
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

/** Configuration keys the repository sets that the chart does not render in this mode, and that differ from the chart's own default. */
export function vaultIgnoredConfigs(repo: Repo, server: VaultServer): VaultConfig[] {
  if (!server.config) return [];
  const effective = server.config.key.join('.');
  return Object.values(VAULT_CONFIG_KEYS)
    .filter((k) => k.join('.') !== effective)
    .map((k) => vaultConfigAt(repo, server.release, k))
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

/** Write a new configuration text where the current one lives (or the chart default would be overridden). Throws
 *  when the text does not parse. */
export function vaultSetConfig(server: VaultServer & { config: VaultConfig }, text: string): Change {
  parseHcl(text);
  return { op: 'set', resource: server.config.resource, path: server.config.path, value: text };
}

// ---------------------------------------------------------------------------------------------------------------
// TLS material

/** Directory the chart mounts a Secret at: `/vault/userconfig/<secret>`. */
export function vaultCertDir(secret: string): string {
  return `/vault/userconfig/${secret}`;
}

export interface VaultCertFiles {
  readonly cert: string;
  readonly key: string;
  readonly ca: string;
}

/** The files of a cert-manager Secret mounted at `dir`: tls.crt, tls.key, ca.crt. */
export function vaultCertFiles(dir: string): VaultCertFiles {
  return { cert: `${dir}/tls.crt`, key: `${dir}/tls.key`, ca: `${dir}/ca.crt` };
}

// ---------------------------------------------------------------------------------------------------------------
// Listeners

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

// ---------------------------------------------------------------------------------------------------------------
// Storage and HA

/** The `storage` stanza (Vault allows one). */
export function vaultStorage(doc: HclDoc): HclBlock | undefined {
  return findBlocks(doc, 'storage')[0];
}

export function vaultStorageType(doc: HclDoc): string | undefined {
  return vaultStorage(doc)?.labels[0];
}

/** Add `blocks` at the end of the `storage "raft"` stanza. */
export function vaultAddToRaft(text: string, blocks: readonly string[]): string {
  let out = text;
  for (const b of blocks) out = appendBlock(out, b, { into: { type: 'storage', label: 'raft' } });
  return out;
}

/**
 * `leader_tls_servername` for retry_join when the server's certificate is not one the repository makes (so its names
 * are unknown: a certificate made by hand often covers the Services but not each pod `<fullname>-N.<fullname>-internal`),
 * with the warning to give; undefined when the listener serves no TLS or the repository makes the certificate.
 */
export function vaultJoinServerName(repo: Repo, server: VaultServer, doc: HclDoc): { serverName: string; warning: string } | undefined {
  const tls = vaultListenerTls(doc);
  if (!tls) return undefined;
  const dir = tls.cert.slice(0, tls.cert.lastIndexOf('/'));
  const secret = vaultSecretMounts(server).find((m) => m.dir === dir)?.secret;
  if (secret && secretSource(repo, server.namespace, secret)) return undefined;
  const serverName = `${server.fullname}.${server.namespace}.svc`;
  return {
    serverName,
    warning: `The server certificate ${secret ? `in Secret ${server.namespace}/${secret}` : `at ${tls.cert}`} is not made by this repository, so its names are unknown: retry_join checks the leader against leader_tls_servername = "${serverName}", which the certificate must cover. Better, give it *.${server.fullname}-internal (every pod ${server.fullname}-N.${server.fullname}-internal) and keep ca.crt in the Secret (leader_ca_cert_file); without them the pods cannot join the Raft cluster.`,
  };
}

export interface RetryJoinTls {
  /** `leader_tls_servername`: the name the join checks the leader's certificate against, when its SANs may not cover the pods. */
  readonly serverName?: string;
}

/**
 * `retry_join` stanzas, one per pod `<fullname>-N.<fullname>-internal`, over https with the listener's files when it
 * serves TLS.
 */
export function vaultRetryJoinBlocks(server: VaultServer, doc: HclDoc, replicas: number, opts: RetryJoinTls = {}): string[] {
  const tls = vaultListenerTls(doc);
  const cacert = server.value(['server', 'extraEnvironmentVars', 'VAULT_CACERT']);
  // The CA that signed the listener's certificate: the listener's client CA, VAULT_CACERT, else ca.crt next to the
  // certificate (cert-manager Secrets hold tls.crt, tls.key and ca.crt).
  const ca = tls && (tls.ca ?? (typeof cacert === 'string' ? cacert : `${tls.cert.slice(0, tls.cert.lastIndexOf('/'))}/ca.crt`));
  const out: string[] = [];
  for (let i = 0; i < replicas; i++) {
    const addr = `${tls ? 'https' : 'http'}://${server.fullname}-${i}.${server.fullname}-internal:8200`;
    const attrs: [string, string][] = [['leader_api_addr', addr]];
    if (tls) {
      if (ca) attrs.push(['leader_ca_cert_file', ca]);
      attrs.push(['leader_client_cert_file', tls.cert], ['leader_client_key_file', tls.key]);
      if (opts.serverName) attrs.push(['leader_tls_servername', opts.serverName]);
    }
    const width = Math.max(...attrs.map(([k]) => k.length));
    out.push(['retry_join {', ...attrs.map(([k, v]) => `  ${k.padEnd(width)} = ${renderHclValue(v)}`), '}'].join('\n'));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Seals and mlock

/** Seal stanzas that are in use (`disabled` not set): auto-unseal unless the only one is `shamir`. */
export function vaultActiveSeals(doc: HclDoc): HclBlock[] {
  return findBlocks(doc, 'seal').filter((b) => !isTruthyHcl(getAttribute(b, 'disabled')?.value));
}

/** The `disable_mlock` attribute at the top level, if written. */
export function vaultDisableMlock(doc: HclDoc): boolean | undefined {
  const a = getAttribute(doc, 'disable_mlock');
  return a ? isTruthyHcl(a.value) : undefined;
}
