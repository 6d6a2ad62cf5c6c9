/** The server certificate's names and the clients of a Vault that turns TLS on. */
import {
  configuredVaultServers,
  findBlocks,
  getAttribute,
  GROUPS,
  vaultInternalService,
  type Change,
  type Repo,
  type VaultServer,
} from '../../src/kit/index.js';

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
          `Vault ${other.namespace}/${other.release.name} unseals through this Vault's transit engine at ${address}: once TLS is on, change that seal address to https:// and give it this CA (tls_ca_cert), or it cannot unseal after its next restart.`,
        );
      }
    }
  }
  return out;
}
