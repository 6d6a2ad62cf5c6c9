import {
  hasParsedConfig,
  appendBlock,
  clean,
  configuredVaultServers,
  defineRule,
  notApplicable,
  findBlocks,
  getAttribute,
  optionsFor,
  releaseOverrides,
  vaultCertDir,
  vaultListenerTls,
  vaultMountedCert,
  vaultMountSecret,
  vaultSecretDir,
  vaultServesTls,
  vaultServiceTarget,
  vaultStorageAndSealRunbook,
  type MigrationRunbookInput,
  type VaultConfig,
  renderHclValue,
  replaceBlock,
  vaultActiveSeals,
  vaultAppend,
  vaultAppendAll,
  vaultAutoUnsealRunbook,
  vaultConfigWhere,
  vaultNotApplicable,
  vaultReplicas,
  vaultRunbookPath,
  vaultSet,
  vaultSetConfig,
  vaultStorage,
  scalarText,
  z,
  type Change,
  type ParsedVaultServer,
  type Repo,
  type Report,
  type VaultServer,
} from '../../src/kit/index.js';
import { unsealersOf, unsealKeySecrets, type Unsealer } from './unsealers.js';

/** Releases whose values are all in the repository: an absent key then really means the chart default. */
const COMPLETE = { complete: true };

const METHODS = ['transit', 'awskms', 'gcpckms', 'azurekeyvault'] as const;
const text = (d: string) => z.string().min(1).optional().describe(d);

const shape = {
  method: z.enum(METHODS).optional().describe('Auto-unseal method: transit | awskms | gcpckms | azurekeyvault.'),
  transitAddress: text('transit: address of the Vault that holds the transit key (https://...).'),
  transitKeyName: z.string().min(1).default('autounseal').describe('transit: key name.'),
  transitMountPath: z.string().min(1).default('transit/').describe('transit: mount path of the transit engine.'),
  transitTokenSecret: text('transit: Secret (in the Vault namespace) holding the token; default <fullname>-transit-token.'),
  transitTokenSecretKey: z.string().min(1).default('token').describe('transit: key of the token in that Secret.'),
  transitCaSecret: text(
    "transit: Secret (in the Vault namespace) with the CA of the transit Vault's certificate; mounted, and the seal's tls_ca_cert. Needed for an https transit Vault when the server sets VAULT_CACERT.",
  ),
  transitCaSecretKey: z.string().min(1).default('ca.crt').describe('transit: key of the CA in that Secret.'),
  transitCaFile: text(
    "transit: a CA file already in the server container for the seal's tls_ca_cert (for a publicly trusted transit Vault, the image's system bundle, e.g. /etc/ssl/certs/ca-certificates.crt on the Alpine-based official image).",
  ),
  awsRegion: text('awskms: AWS region of the key.'),
  awsKmsKeyId: text('awskms: KMS key id, ARN or alias.'),
  awsRoleArn: text('awskms: IAM role for the Vault service account (IRSA annotation).'),
  gcpProject: text('gcpckms: project.'),
  gcpRegion: z.string().min(1).default('global').describe('gcpckms: key ring location.'),
  gcpKeyRing: text('gcpckms: key ring.'),
  gcpCryptoKey: text('gcpckms: crypto key.'),
  gcpServiceAccount: text('gcpckms: Google service account for Workload Identity (annotation).'),
  azureTenantId: text('azurekeyvault: tenant id.'),
  azureVaultName: text('azurekeyvault: Key Vault name.'),
  azureKeyName: text('azurekeyvault: key name.'),
  azureCredentialsSecret: text('azurekeyvault: Secret with AZURE_CLIENT_ID and AZURE_CLIENT_SECRET; unset: managed identity.'),
  replaceUnsealer: z
    .boolean()
    .default(false)
    .describe(
      'A Vault that something in the repository already unseals (a job running vault operator unseal, bank-vaults): true to switch it to the auto-unseal method anyway (the runbook says to stop and remove the unsealer).',
    ),
};

const options = z.object({ ...shape, releases: releaseOverrides(shape) }).strict();

type Options = z.infer<typeof options>;

const REQUIRED: Record<(typeof METHODS)[number], (keyof Options)[]> = {
  transit: ['transitAddress'],
  awskms: ['awsRegion', 'awsKmsKeyId'],
  gcpckms: ['gcpProject', 'gcpKeyRing', 'gcpCryptoKey'],
  azurekeyvault: ['azureTenantId', 'azureVaultName', 'azureKeyName'],
};

interface SealPlan {
  attrs: [string, string][];
  changes: Change[];
  prerequisites: string[];
  notes: string[];
}

/**
 * The trust of a transit seal. Its client starts from the Vault API's default configuration, which reads VAULT_CACERT
 * (go-kms-wrapping's transit wrapper): without a tls_ca_cert of its own, a server that sets VAULT_CACERT to its own
 * private CA would trust only that CA for the transit Vault. So an https seal carries its own CA: the transit
 * Vault's CA mounted from transitCaSecret (or the Secret an in-repository transit Vault in the same namespace serves),
 * or transitCaFile; with neither, and VAULT_CACERT set, the fix asks for transitCaSecret.
 */
function transitCa(repo: Repo, s: VaultServer, o: Options): { file?: string; changes: Change[]; prerequisites: string[]; notes: string[]; missing?: string } {
  const address = o.transitAddress ?? '';
  if (!/^https:\/\//i.test(address)) return { changes: [], prerequisites: [], notes: [] };
  if (o.transitCaSecret) {
    const dir = vaultSecretDir(s, o.transitCaSecret) ?? vaultCertDir(o.transitCaSecret);
    return {
      file: `${dir}/${o.transitCaSecretKey}`,
      changes: vaultMountSecret(repo, s, o.transitCaSecret),
      prerequisites: [`The Secret ${s.namespace}/${o.transitCaSecret} holds the CA of ${address}'s certificate under the key \`${o.transitCaSecretKey}\`.`],
      notes: [],
    };
  }
  if (o.transitCaFile) return { file: o.transitCaFile, changes: [], prerequisites: [], notes: [] };
  const backend = transitBackendAt(repo, s, address);
  const served = backend && backend.namespace === s.namespace && vaultServesTls(backend) ? vaultMountedCert(backend) : undefined;
  if (served) {
    const dir = vaultSecretDir(s, served.secret) ?? vaultCertDir(served.secret);
    return { file: `${dir}/ca.crt`, changes: vaultMountSecret(repo, s, served.secret), prerequisites: [], notes: [] };
  }
  const cacert = s.value(['server', 'extraEnvironmentVars', 'VAULT_CACERT']);
  if (typeof cacert === 'string' && cacert)
    return {
      changes: [],
      prerequisites: [],
      notes: [],
      missing: `the server sets VAULT_CACERT (${cacert}), which the transit seal's client also reads: without a CA of its own the seal would trust only that CA and could not reach ${address}. Set rules.vault-manual-unseal.transitCaSecret (a Secret in ${s.namespace} with the transit Vault's CA) or rules.vault-manual-unseal.transitCaFile`,
    };
  return {
    changes: [],
    prerequisites: [],
    notes: [
      `The transit seal trusts the CAs of the server image for ${address} (no tls_ca_cert). If that Vault's certificate comes from a private CA, set rules.vault-manual-unseal.transitCaSecret to a Secret with it, and do not set VAULT_CACERT in the server before the seal has its own tls_ca_cert: the seal's client reads it.`,
    ],
  };
}

/** The Vault of this repository an address names (any DNS form of its Services), other than `s`. */
function transitBackendAt(repo: Repo, s: VaultServer, address: string): VaultServer | undefined {
  const host = /^[a-z]+:\/\/([^/:]+)/i.exec(address)?.[1]?.toLowerCase();
  if (!host) return undefined;
  return configuredVaultServers(repo).find((b) => {
    const t = vaultServiceTarget(b);
    return t.services.some(
      (svc) =>
        [`${svc}.${b.namespace}`, `${svc}.${b.namespace}.svc`, `${svc}.${b.namespace}.svc.cluster.local`].includes(host) ||
        (host === svc && b.namespace === s.namespace),
    );
  });
}

/** Other Vaults of the repository whose transit seal goes through this one. */
function transitClientsOf(repo: Repo, s: VaultServer): VaultServer[] {
  return configuredVaultServers(repo).filter(
    (c) =>
      c.release.id !== s.release.id &&
      !!c.config.doc &&
      findBlocks(c.config.doc, 'seal', 'transit').some((b) => {
        const address = getAttribute(b, 'address')?.value;
        return typeof address === 'string' && transitBackendAt(repo, c, address)?.release.id === s.release.id;
      }),
  );
}

/** What the storage runbook needs, read from the configuration as vault-file-storage left it (Raft, retry_join). */
function migrationInput(s: VaultServer & { config: VaultConfig }, file: string): MigrationRunbookInput {
  const storage = vaultStorage(s.config.doc!);
  const path = storage ? getAttribute(storage, 'path')?.value : undefined;
  const joins = storage ? findBlocks(storage, 'retry_join').length : 0;
  const tls = vaultListenerTls(s.config.doc!);
  return {
    dataPath: typeof path === 'string' ? path : '/vault/data',
    mountPath: scalarText(s.value(['server', 'dataStorage', 'mountPath']), '/vault/data').replace(/\/+$/, ''),
    caFile: tls?.ca,
    file,
    replicas: joins || vaultReplicas(s),
  };
}

function sealPlan(repo: Repo, s: VaultServer, o: Options): SealPlan {
  const sa = ['server', 'serviceAccount', 'annotations'];
  switch (o.method!) {
    case 'transit': {
      const secret = o.transitTokenSecret ?? `${s.fullname}-transit-token`;
      const ca = transitCa(repo, s, o);
      return {
        attrs: [
          ['address', o.transitAddress!],
          ['key_name', o.transitKeyName],
          ['mount_path', o.transitMountPath],
          ...(ca.file ? ([['tls_ca_cert', ca.file]] as [string, string][]) : []),
        ],
        changes: [
          vaultAppend(repo, s, ['server', 'extraSecretEnvironmentVars'], { envName: 'VAULT_TOKEN', secretName: secret, secretKey: o.transitTokenSecretKey }),
          ...ca.changes,
        ],
        prerequisites: [
          `On the transit Vault (${o.transitAddress}): \`vault secrets enable -path=${o.transitMountPath} transit\`, \`vault write -f ${o.transitMountPath.replace(/\/$/, '')}/keys/${o.transitKeyName}\`, and a periodic, orphan token whose policy allows update on \`${o.transitMountPath.replace(/\/$/, '')}/encrypt/${o.transitKeyName}\` and \`${o.transitMountPath.replace(/\/$/, '')}/decrypt/${o.transitKeyName}\`.`,
          `Create the Secret ${s.namespace}/${secret} with that token under the key \`${o.transitTokenSecretKey}\` outside Git (or SOPS-encrypted): \`kubectl -n ${s.namespace} create secret generic ${secret} --from-literal=${o.transitTokenSecretKey}=<token>\`.`,
          ...ca.prerequisites,
        ],
        notes: [
          `VAULT_TOKEN (the transit token) is set in the server container: \`vault\` commands run there with kubectl exec send it too; log in with \`VAULT_TOKEN= vault login\` or use your own shell.`,
          ...ca.notes,
        ],
      };
    }
    case 'awskms':
      return {
        attrs: [
          ['region', o.awsRegion!],
          ['kms_key_id', o.awsKmsKeyId!],
        ],
        changes: o.awsRoleArn ? [vaultSet(repo, s, [...sa, 'eks.amazonaws.com/role-arn'], o.awsRoleArn)] : [],
        prerequisites: [
          `The KMS key ${o.awsKmsKeyId} in ${o.awsRegion}, and an IAM role allowed kms:Encrypt, kms:Decrypt and kms:DescribeKey on it, ${o.awsRoleArn ? `bound to the service account (annotation set to ${o.awsRoleArn})` : 'given to the Vault pods without static keys (IRSA or EKS Pod Identity: set rules.vault-manual-unseal.awsRoleArn to annotate the service account)'}.`,
        ],
        notes: [],
      };
    case 'gcpckms':
      return {
        attrs: [
          ['project', o.gcpProject!],
          ['region', o.gcpRegion],
          ['key_ring', o.gcpKeyRing!],
          ['crypto_key', o.gcpCryptoKey!],
        ],
        changes: o.gcpServiceAccount ? [vaultSet(repo, s, [...sa, 'iam.gke.io/gcp-service-account'], o.gcpServiceAccount)] : [],
        prerequisites: [
          `The key ${o.gcpKeyRing}/${o.gcpCryptoKey} in ${o.gcpProject} (${o.gcpRegion}) and a Google service account with roles/cloudkms.cryptoKeyEncrypterDecrypter on it, used by the Vault pods through Workload Identity${o.gcpServiceAccount ? ` (${o.gcpServiceAccount})` : ' (set rules.vault-manual-unseal.gcpServiceAccount to annotate the service account)'}.`,
        ],
        notes: [],
      };
    case 'azurekeyvault': {
      const cred = o.azureCredentialsSecret;
      return {
        attrs: [
          ['tenant_id', o.azureTenantId!],
          ['vault_name', o.azureVaultName!],
          ['key_name', o.azureKeyName!],
        ],
        changes: cred
          ? vaultAppendAll(
              repo,
              s,
              ['server', 'extraSecretEnvironmentVars'],
              ['AZURE_CLIENT_ID', 'AZURE_CLIENT_SECRET'].map((k) => ({ envName: k, secretName: cred, secretKey: k })),
            )
          : [],
        prerequisites: [
          `The key ${o.azureKeyName} in Key Vault ${o.azureVaultName} with wrapKey/unwrapKey/get permissions for ${cred ? `the app registration whose AZURE_CLIENT_ID and AZURE_CLIENT_SECRET are in Secret ${s.namespace}/${cred} (created outside Git)` : 'the managed identity of the Vault pods'}.`,
        ],
        notes: [],
      };
    }
  }
}

type M = 'noSeal' | 'shamirOnly' | 'unsealedInCluster';

/** A server without an auto-unseal seal, what unseals it in the cluster, and whether the repository has other such servers. */
interface Detail {
  readonly server: ParsedVaultServer;
  readonly unsealers: readonly Unsealer[];
  readonly several: boolean;
}

/** The servers without an auto-unseal seal (no seal stanza, or Shamir only). */
function manuallyUnsealed(repo: Repo): ParsedVaultServer[] {
  return configuredVaultServers(repo, COMPLETE)
    .filter(hasParsedConfig)
    .filter((s) => !vaultActiveSeals(s.config.doc).some((b) => b.labels[0] !== 'shamir'));
}

export const rule = defineRule({
  meta: {
    id: 'vault-manual-unseal',
    title: 'Require Vault auto-unseal with a seal stanza',
    reviewItem: 4,
    severity: 'critical',
    phase: 1,
    staleComments: /\b(un)?seal(ed|ing)?\b|\bshamir\b|\bunseal keys?\b/i,
    after: ['vault-tls-disabled', 'vault-listener-insecure', 'vault-file-storage', 'vault-single-instance'],
    prompts: [
      {
        option: 'method',
        message: 'Which auto-unseal method should Vault use (transit, awskms, gcpckms, azurekeyvault)?',
        validate: (v) => (METHODS as readonly string[]).includes(v) || `one of ${METHODS.join(', ')}`,
      },
      {
        option: 'transitAddress',
        message: 'Address of the Vault that holds the transit key (https://...)?',
        validate: (v) => /^https?:\/\//.test(v) || 'an http(s):// URL',
      },
      {
        option: 'transitCaSecret',
        message: "Secret (in the Vault namespace) with the CA of the transit Vault's certificate (key ca.crt)?",
        validate: (v) => /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(v) || 'a Secret name',
      },
      { option: 'awsRegion', message: 'AWS region of the KMS key?' },
      { option: 'awsKmsKeyId', message: 'KMS key id, ARN or alias?' },
      { option: 'gcpProject', message: 'GCP project of the key ring?' },
      { option: 'gcpKeyRing', message: 'Cloud KMS key ring?' },
      { option: 'gcpCryptoKey', message: 'Cloud KMS crypto key?' },
      { option: 'azureTenantId', message: 'Azure tenant id?' },
      { option: 'azureVaultName', message: 'Azure Key Vault name?' },
      { option: 'azureKeyName', message: 'Azure Key Vault key name?' },
    ],
    messages: {
      noSeal: 'Vault {release} has no seal stanza ({where}): it starts sealed after every restart and waits for someone to type unseal keys',
      shamirOnly: 'Vault {release} seals with Shamir keys only ({where}): every restart needs unseal keys typed by hand',
      unsealedInCluster:
        'Vault {release} has no auto-unseal seal ({where}) and is unsealed by {unsealers}: its unseal keys are stored in the cluster{keys}, so whoever can read them can unseal it, and they are not recovery keys kept offline',
    },
  },
  options,
  *detect({ repo }): Generator<Report<M, Detail>> {
    const all = manuallyUnsealed(repo);
    for (const s of all) {
      const seals = vaultActiveSeals(s.config.doc);
      const where = vaultConfigWhere(repo, s.config, seals[0]?.range.start);
      const unsealers = unsealersOf(repo, s);
      const base = { resource: s.config.resource, path: s.config.path, detail: { server: s, unsealers, several: all.length > 1 } };
      const release = `${s.namespace}/${s.release.name}`;
      if (unsealers.length) {
        const keys = [...new Set([...unsealers.flatMap((u) => u.keys), ...unsealKeySecrets(repo, s.namespace)])];
        yield {
          messageId: 'unsealedInCluster',
          ...base,
          data: { release, where, unsealers: unsealers.map((u) => u.what).join(', '), keys: keys.length ? ` (Secret ${keys.join(', ')})` : '' },
        };
        continue;
      }
      yield { messageId: seals.length ? 'shamirOnly' : 'noSeal', ...base, data: { release, where } };
    }
  },
  checklist({ repo }) {
    const na = vaultNotApplicable(repo);
    if (na) return notApplicable(na);
    if (!configuredVaultServers(repo, COMPLETE).length) return notApplicable('Vault runs in dev mode only (in memory, never sealed)');
    return clean('every Vault server has an auto-unseal seal stanza');
  },
  fix: {
    kind: 'edit',
    safe: false,
    apply({ detail: { server: s, unsealers, several } }, { repo, options }) {
      const key = `${s.namespace}/${s.release.name}`;
      const own = options.releases?.[key];
      const o = optionsFor(options, key);
      if (unsealers.length && !o.replaceUnsealer)
        return {
          skipped: `Vault ${key} is already unsealed by ${unsealers.map((u) => u.what).join(', ')}; no seal change unless you opt in with rules.vault-manual-unseal.replaceUnsealer: true (the unsealer must then run vault operator unseal -migrate for the migration or be removed; the runbook says how)`,
        };
      if (!o.method) return { skipped: `set rules.vault-manual-unseal.method (${METHODS.join(' | ')}) and that method's options` };
      const missing = REQUIRED[o.method].filter((k) => !o[k]);
      if (missing.length) return { skipped: `method ${o.method} needs ${missing.map((k) => `rules.vault-manual-unseal.${k}`).join(', ')}` };
      if (o.method === 'transit') {
        const clients = transitClientsOf(repo, s);
        if (clients.length && !own?.method && !own?.transitAddress)
          return {
            skipped: `Vault ${key} is the transit backend of ${clients.map((c) => `${c.namespace}/${c.release.name}`).join(', ')}: it does not get the repository-wide transit seal; give it its own with rules.vault-manual-unseal.releases["${key}"] (another method, or a transit Vault of its own)`,
          };
        if (transitBackendAt(repo, s, o.transitAddress!)?.release.id === s.release.id)
          return {
            skipped: `rules.vault-manual-unseal.transitAddress ${o.transitAddress} is Vault ${key} itself: a Vault cannot unseal through its own transit engine`,
          };
        const ca = transitCa(repo, s, o);
        if (ca.missing) return { skipped: ca.missing };
      }
      const plan = sealPlan(repo, s, o);
      const width = Math.max(...plan.attrs.map(([k]) => k.length));
      const block = [`seal "${o.method}" {`, ...plan.attrs.map(([k, v]) => `  ${k.padEnd(width)} = ${renderHclValue(v)}`), '}'].join('\n');
      const doc = s.config.doc;
      const shamir = vaultActiveSeals(doc)[0];
      let config = s.config.text;
      if (shamir) config = replaceBlock(config, { type: 'seal', label: 'shamir' }, block);
      else config = appendBlock(config, block, vaultStorage(doc) ? { after: { type: 'storage' } } : {});
      const changes: Change[] = [vaultSetConfig(s, config), ...plan.changes];
      const input = {
        method: o.method,
        prerequisites: plan.prerequisites,
        sealBlock: block,
        replicas: s.mode === 'ha' ? vaultReplicas(s) : 1,
        ha: s.mode === 'ha',
        unsealers: unsealers.map((u) => `${u.what}${u.keys.length ? `, reading Secret ${u.keys.join(', ')}` : ''}`),
      };
      // The storage migration runbook a fix of this plan just wrote for this release: one ordered runbook for both.
      const storage = [true, false]
        .map((several) => vaultRunbookPath(repo, 'vault-file-to-raft-migration', s, several))
        .find((f) =>
          (repo.planned(f) ?? '').includes(
            `Generated by gitops-fix (vault-file-storage) for the HelmRelease ${s.release.namespace ?? s.namespace}/${s.release.name} `,
          ),
        );
      let file: string;
      if (storage) {
        file = storage;
        changes.push({ op: 'createText', file, text: vaultStorageAndSealRunbook(repo, s, migrationInput(s, file), input), replace: true });
      } else {
        file = vaultRunbookPath(repo, 'vault-auto-unseal', s, several);
        if (!repo.exists(file)) changes.push({ op: 'createText', file, text: vaultAutoUnsealRunbook(repo, s, input) });
      }
      const notes = [
        ...plan.notes,
        storage
          ? `Storage (file to Raft) and seal (Shamir to ${o.method}) migrate together: follow ${file}, one runbook in order (data first, then the seal migration at the first start on Raft).`
          : `Seal migration from Shamir to ${o.method}: follow ${file}.`,
      ];
      if (!storage && repo.exists(file) && !changes.some((c) => c.op === 'createText')) notes.push(`${file} already exists and was left as it is.`);
      const warnings = [
        `Before merging: ${plan.prerequisites.join(' ')} Without them Vault ${s.namespace}/${s.fullname} cannot unseal after its next restart.`,
      ];
      if (unsealers.length)
        warnings.push(
          `BLOCKING: stop ${unsealers.map((u) => u.what).join(', ')} before this change reaches the cluster: it sends the unseal keys without the migrate flag, which Vault refuses during the seal migration (vault operator unseal -migrate), and the keys are recovery keys afterwards. Remove it once the migration is done (${file}).`,
        );
      return {
        changes,
        notes,
        warnings,
        summary: `Vault ${s.namespace}/${s.release.name}: auto-unseal with ${o.method}`,
      };
    },
  },
});
