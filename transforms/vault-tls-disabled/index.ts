import {
  clean,
  defineRule,
  durationOption,
  getAttribute,
  generateNear,
  goTruthy,
  GROUPS,
  locateValue,
  notApplicable,
  optionsFor,
  releaseOverrides,
  vaultCertDir,
  vaultListenerTls,
  vaultMountedCert,
  vaultMountSecret,
  vaultNotApplicable,
  vaultActiveSeals,
  vaultSecretMounts,
  vaultServers,
  vaultSet,
  vaultValueSite,
  scalarText,
  z,
  type Change,
  type Repo,
  type Report,
  type VaultServer,
} from '../../src/kit/index.js';
import { moveClients, vaultCertificateNames } from './clients.js';

/** Releases whose values are all in the repository: an absent key then really means the chart default. */
const COMPLETE = { complete: true };

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

const clientCa = z
  .object({
    kind: z.enum(['Secret', 'ConfigMap']).default('ConfigMap'),
    name: z.string().max(253).regex(DNS_LABEL),
    key: z.string().min(1).default('ca.crt'),
  })
  .strict()
  .optional()
  .describe(
    "A Secret or ConfigMap with this Vault's CA that exists in every namespace where a client outside the Vault namespace runs (distributed by trust-manager, reflector, ...): stores, monitors, workloads and other Vault servers there are moved to https with it. Unset: such clients make the fix refuse, listing them.",
  );

const shape = {
  issuerRef: z
    .object({
      name: z.string().min(1),
      kind: z.enum(['Issuer', 'ClusterIssuer']).default('ClusterIssuer'),
      group: z.string().min(1).default('cert-manager.io'),
    })
    .strict()
    .optional()
    .describe('cert-manager issuer that signs the server certificate; unset: a self-signed CA is generated in the Vault namespace.'),
  secretName: z.string().max(253).regex(DNS_LABEL).optional().describe('Secret of the server certificate (default <fullname>-server-tls).'),
  clusterDomain: z.string().min(1).default('cluster.local').describe('Cluster DNS domain used in the certificate names.'),
  duration: durationOption('2160h', 'Certificate lifetime.'),
  renewBefore: durationOption('360h', 'Renew this long before expiry.'),
  clientCa,
};

const options = z.object({ ...shape, releases: releaseOverrides(shape) }).strict();

type Options = z.infer<typeof options>;

const ACTIVE: readonly string[] = ['standalone', 'ha'];

type M = 'disabled' | 'stringValue' | 'defaulted';

/** The server's transit seals: address, whether it is https, whether the seal names its own CA. */
function transitSeals(s: VaultServer): { address: string; https: boolean; ownCa: boolean }[] {
  const doc = s.config?.doc;
  if (!doc) return [];
  return vaultActiveSeals(doc)
    .filter((b) => b.labels[0] === 'transit')
    .map((b) => {
      const address = scalarText(getAttribute(b, 'address')?.value);
      return {
        address,
        https: /^https:\/\//i.test(address),
        ownCa: getAttribute(b, 'tls_ca_cert') !== undefined || getAttribute(b, 'tls_skip_verify') !== undefined,
      };
    });
}

/** The Certificate (and, without an issuer, its bootstrap CA) next to the HelmRelease, in a directory whose build keeps
 *  the Vault namespace, wired into its kustomization.yaml. */
function certificateChanges(repo: Repo, s: VaultServer, secret: string, o: Options): { changes: readonly Change[]; file: string } | { reason: string } {
  const base = {
    namespace: s.namespace,
    name: secret,
    secretName: secret,
    ...vaultCertificateNames(s, o.clusterDomain),
    duration: o.duration,
    renewBefore: o.renewBefore,
  };
  const req = { near: s.release, baseName: `${s.fullname}-server-tls`, namespace: s.namespace };
  if (o.issuerRef) {
    return generateNear(repo, {
      ...req,
      templates: ['certificate'],
      vars: { ...base, issuerName: o.issuerRef.name, issuerKind: o.issuerRef.kind, issuerGroup: o.issuerRef.group },
    });
  }
  const ca = {
    selfSignedIssuer: `${s.fullname}-selfsigned`,
    caName: `${s.fullname}-ca`,
    caIssuer: `${s.fullname}-ca-issuer`,
    issuerName: `${s.fullname}-ca-issuer`,
    issuerKind: 'Issuer',
    issuerGroup: 'cert-manager.io',
  };
  return generateNear(repo, {
    ...req,
    templates: ['selfsigned-issuer', 'ca-certificate', 'ca-issuer', 'certificate'],
    vars: { ...base, ...ca },
    todo: ['issuerName'],
  });
}

export const rule = defineRule({
  meta: {
    id: 'vault-tls-disabled',
    title: 'Require TLS on the Vault server, with a cert-manager certificate',
    reviewItem: 1,
    severity: 'critical',
    phase: 1,
    staleComments: /\b(tls|https?|ssl|plain[- ]?(text|http)|unencrypted|encrypt\w*|certificates?)\b/i,
    requires: ['vault-listener-insecure'],
    messages: {
      disabled:
        'Vault {release}: global.tlsDisable is {value}, so the chart talks plain HTTP to Vault (VAULT_ADDR, probes, Services) and secrets cross the network unencrypted',
      stringValue: 'Vault {release}: global.tlsDisable is the string "{value}", which the chart\'s template treats as true: TLS is off',
      defaulted: 'Vault {release} does not set global.tlsDisable, and the chart default (true) turns TLS off: secrets cross the network unencrypted',
    },
  },
  options,
  *detect({ repo }): Generator<Report<M, VaultServer>> {
    for (const s of vaultServers(repo, COMPLETE)) {
      if (!ACTIVE.includes(s.mode)) continue;
      const loc = locateValue(repo, s.release, ['global', 'tlsDisable']);
      const site = vaultValueSite(repo, s, ['global', 'tlsDisable']);
      const data = { release: `${s.namespace}/${s.release.name}`, value: String(loc.value) };
      const base = { resource: site.resource, path: site.path, data, detail: s, subject: s.release.id };
      if (!loc.source) yield { messageId: 'defaulted', ...base };
      else if (typeof loc.value === 'string' && goTruthy(loc.value) && !/^(true|1)$/i.test(loc.value)) yield { messageId: 'stringValue', ...base };
      else if (goTruthy(loc.value)) yield { messageId: 'disabled', ...base };
    }
  },
  checklist({ repo }) {
    const na = vaultNotApplicable(repo);
    if (na) return notApplicable(na);
    if (!vaultServers(repo, COMPLETE).some((s) => ACTIVE.includes(s.mode)))
      return notApplicable('Vault runs in dev mode only (in memory, no listener to secure)');
    return clean('every Vault server sets global.tlsDisable: false');
  },
  fix: {
    kind: 'generate',
    safe: false,
    apply({ detail: s }, { repo, options }) {
      const o = optionsFor(options, `${s.namespace}/${s.release.name}`);
      // A certificate the release already mounts (or its listener already uses) is kept: nothing is generated.
      const listener = s.config?.doc ? vaultListenerTls(s.config.doc) : undefined;
      const mounted = vaultMountedCert(s);
      const existing = o.secretName === undefined || o.secretName === mounted?.secret ? mounted : undefined;
      const secret = existing?.secret ?? o.secretName ?? `${s.fullname}-server-tls`;
      const dir = listener ? listener.cert.slice(0, listener.cert.lastIndexOf('/')) : (existing?.dir ?? vaultCertDir(secret));
      const ownSecret = listener ? vaultSecretMounts(s).find((m) => m.dir === dir)?.secret : secret;
      const generate = !listener && !existing;
      const placed = generate ? certificateChanges(repo, s, secret, o) : undefined;
      if (placed && 'reason' in placed) return { skipped: `the server Certificate has no place: ${placed.reason}` };
      const cert = placed;
      const clients = moveClients({ repo, server: s, secret: ownSecret, clientCa: o.clientCa, clusterDomain: o.clusterDomain });
      if (clients.unresolved.length)
        return {
          skipped: `these clients of Vault ${s.namespace}/${s.release.name} cannot move to https in the same change, so TLS stays off until they can: ${clients.unresolved.join('; ')}`,
        };
      const changes: Change[] = [vaultSet(repo, s, ['global', 'tlsDisable'], false)];
      if (generate) changes.push(...vaultMountSecret(repo, s, secret));
      // A transit seal client reads VAULT_CACERT (go-kms-wrapping builds it from the Vault API's DefaultConfig): with
      // an https address and no tls_ca_cert of its own, the server's private CA would become its only trusted CA.
      const leaky = transitSeals(s).filter((t) => t.https && !t.ownCa);
      const cacertNotes: string[] = [];
      if (s.value(['server', 'extraEnvironmentVars', 'VAULT_CACERT']) === undefined) {
        if (leaky.length)
          cacertNotes.push(
            `VAULT_CACERT is not set in the Vault ${s.namespace}/${s.release.name} server container: its transit seal (${leaky.map((t) => t.address).join(', ')}) has no tls_ca_cert, and the seal's client reads VAULT_CACERT, so this private CA would become the only CA it trusts and the transit Vault would be unreachable at the next restart. Give the seal its own tls_ca_cert (the transit Vault's CA, mounted), then set VAULT_CACERT; until then run vault commands in the pod with -ca-cert=${dir}/ca.crt.`,
          );
        else changes.push(vaultSet(repo, s, ['server', 'extraEnvironmentVars', 'VAULT_CACERT'], listener?.ca ?? `${dir}/ca.crt`));
      }
      const plain = transitSeals(s).filter((t) => !t.https);
      if (plain.length && !leaky.length)
        cacertNotes.push(
          `The transit seal of Vault ${s.namespace}/${s.release.name} still reaches ${plain.map((t) => t.address).join(', ')} over plain HTTP. When that moves to https, give the seal its own tls_ca_cert: VAULT_CACERT (set here) would otherwise be the only CA its client trusts.`,
        );
      changes.push(...(cert?.changes ?? []), ...clients.changes);
      const source = cert
        ? `the cert-manager Certificate in ${cert.file} (Secret ${s.namespace}/${secret}, mounted at ${dir})`
        : `the certificate in ${dir}, which the release already ${listener ? 'serves' : 'mounts'} (nothing generated: check that it covers ${s.fullname}.${s.namespace}.svc, *.${s.fullname}-internal and 127.0.0.1)`;
      const notes = [
        `The server certificate is ${source}. Vault reads a renewed certificate only on SIGHUP: restart or signal the pods after each renewal (e.g. \`kubectl -n ${s.namespace} exec ${s.fullname}-0 -- kill -HUP 1\`, or a reloader).`,
        ...cacertNotes,
        ...clients.notes,
        ...(clients.moved.length ? [`Moved to https in this change, with this Vault's CA: ${clients.moved.join('; ')}.`] : []),
      ];
      if (generate && !o.issuerRef) {
        const issuers = repo.ofKind('ClusterIssuer', GROUPS.certManager).map((i) => `ClusterIssuer ${i.name}`);
        notes.push(
          `No issuer was configured, so a self-signed CA (Issuer ${s.fullname}-ca-issuer in ${s.namespace}) signs the certificate; clients trust it through ca.crt of Secret ${secret}. To use your own CA set rules.vault-tls-disabled.issuerRef${issuers.length ? ` (this repository has ${issuers.join(', ')})` : ''}.`,
        );
      }
      const warnings: string[] = [];
      if (
        generate &&
        !repo.resources.some((r) => r.group === GROUPS.certManager || (r.kind === 'HelmRelease' && repo.flux.helmChart(r).chart === 'cert-manager'))
      ) {
        warnings.push('cert-manager is not deployed from this repository: the generated Certificate needs it (and its CRDs) in the cluster.');
      }
      if (goTruthy(s.value(['injector', 'enabled'])) && String(s.value(['injector', 'enabled'])) !== 'false') {
        notes.push(
          `Pods injected by the Vault Agent Injector now reach Vault over https: give them the CA (annotation vault.hashicorp.com/ca-cert, or tls-skip-verify only for a test).`,
        );
      }
      return { changes, notes, warnings, summary: `TLS on for Vault ${s.namespace}/${s.release.name}${cert ? ` (certificate ${cert.file})` : ''}` };
    },
  },
});
