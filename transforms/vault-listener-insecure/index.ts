import {
  clean,
  configuredVaultServers,
  defineRule,
  goTruthy,
  hasParsedConfig,
  notApplicable,
  vaultCertFiles,
  vaultConfigWhere,
  vaultListenerState,
  vaultMountedCertDir,
  vaultNotApplicable,
  vaultSetConfig,
  vaultTcpListeners,
  z,
  type ParsedVaultServer,
  type Report,
  type VaultServer,
  scalarText,
} from '../../src/kit/index.js';
import { vaultOwnAddressesToHttps, vaultSecureListeners } from './listeners.js';

/** Releases whose values are all in the repository: an absent key then really means the chart default. */
const COMPLETE = { complete: true };

const options = z
  .object({
    dualStack: z.boolean().default(false).describe('The cluster is dual-stack or IPv6: report listeners bound to 0.0.0.0 (IPv4 only).'),
  })
  .strict();

type M = 'tlsDisabled' | 'noCertificate' | 'ipv4Only';

/** Dual stack declared by the option or by the release's own Service settings. */
function dualStack(s: VaultServer, option: boolean): boolean {
  const policy = scalarText(s.value(['server', 'service', 'ipFamilyPolicy']));
  const families = s.value(['server', 'service', 'ipFamilies']);
  return option || /DualStack/.test(policy) || (Array.isArray(families) && families.includes('IPv6'));
}

export const rule = defineRule({
  meta: {
    id: 'vault-listener-insecure',
    title: 'Require the Vault tcp listener to serve TLS with certificate files',
    reviewItem: 14,
    severity: 'medium',
    phase: 1,
    staleComments: /\b(tls|https?|ssl|plain[- ]?(text|http)|unencrypted|encrypt\w*|certificates?|ipv4|ipv6|dual[- ]stack)\b/i,
    // A TLS listener needs the chart's TLS side (probe scheme) and the certificate mount: they go together.
    requires: ['vault-tls-disabled'],
    after: ['vault-tls-disabled'],
    messages: {
      tlsDisabled: 'Vault {release}: listener "tcp" on {address} has tls_disable = {value} ({where}): the API and the UI are plain HTTP',
      noCertificate: 'Vault {release}: listener "tcp" on {address} enables TLS but has no tls_cert_file/tls_key_file ({where}): Vault cannot start it',
      ipv4Only: 'Vault {release}: listener "tcp" binds {address} ({where}), IPv4 only on a dual-stack cluster; "[::]" listens on IPv4 and IPv6',
    },
  },
  options,
  *detect({ repo, options: o }): Generator<Report<M, ParsedVaultServer>> {
    for (const s of configuredVaultServers(repo, COMPLETE).filter(hasParsedConfig)) {
      const { config } = s;
      for (const b of vaultTcpListeners(config.doc)) {
        const st = vaultListenerState(b);
        const data = { release: `${s.namespace}/${s.release.name}`, address: st.address, where: vaultConfigWhere(repo, config, b.range.start), value: '' };
        const base = { resource: config.resource, path: config.path, detail: s, subject: s.release.id };
        if (st.tlsDisabled) {
          const raw = b.attributes.filter((a) => a.name === 'tls_disable').pop()!;
          yield { messageId: 'tlsDisabled', ...base, data: { ...data, value: raw.raw, where: vaultConfigWhere(repo, config, raw.range.start) } };
        } else if (st.missingCertFiles) yield { messageId: 'noCertificate', ...base, data };
        // The listen address has nothing to do with TLS: its fix does not go with vault-tls-disabled's.
        if (st.ipv4Only && dualStack(s, o.dualStack)) yield { messageId: 'ipv4Only', ...base, subject: `${s.release.id} address`, data };
      }
    }
  },
  checklist({ repo }) {
    const na = vaultNotApplicable(repo);
    if (na) return notApplicable(na);
    if (!configuredVaultServers(repo, COMPLETE).length) return notApplicable('Vault runs in dev mode only (no listener configuration)');
    return clean('every Vault tcp listener serves TLS with certificate files');
  },
  fix: {
    kind: 'edit',
    safe: false,
    apply({ detail: s }, { options: o }) {
      const needsTls = vaultTcpListeners(s.config.doc).some((b) => {
        const st = vaultListenerState(b);
        return st.tlsDisabled || st.missingCertFiles;
      });
      const dir = vaultMountedCertDir(s);
      if (needsTls && goTruthy(s.value(['global', 'tlsDisable']))) {
        return {
          skipped:
            "global.tlsDisable is still true: a TLS listener would fail the chart's plain-HTTP probes. Fix vault-tls-disabled together with this rule (it mounts the certificate this listener uses).",
        };
      }
      if (needsTls && !dir) {
        return {
          skipped:
            'no server certificate Secret is mounted under /vault/userconfig/ (server.volumes/volumeMounts or extraVolumes): vault-tls-disabled generates and mounts one.',
        };
      }
      // Certificate files only where the listener needs TLS (then a certificate is mounted: checked above).
      const files = needsTls && dir ? vaultCertFiles(dir) : undefined;
      let text = vaultSecureListeners(s.config.text, files, { dualStack: dualStack(s, o.dualStack) });
      if (files) text = vaultOwnAddressesToHttps(text, files.ca);
      const notes = files
        ? [
            `The listener now serves TLS with ${files.cert}. tls_client_ca_file needs ca.crt in that Secret: cert-manager writes it for CA, self-signed and Vault issuers, not for ACME issuers.`,
          ]
        : [];
      return { changes: [vaultSetConfig(s, text)], notes, summary: `TLS listener for Vault ${s.namespace}/${s.release.name}` };
    },
  },
});
