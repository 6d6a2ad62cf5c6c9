import {
  appendBlock,
  clean,
  configuredVaultServers,
  defineRule,
  notApplicable,
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
  z,
  type Change,
  type Repo,
  type VaultServer,
} from '../../src/kit/index.js';

/** Releases whose values are all in the repository: an absent key then really means the chart default. */
const COMPLETE = { complete: true };

const METHODS = ['transit', 'awskms', 'gcpckms', 'azurekeyvault'] as const;
const text = (d: string) => z.string().min(1).optional().describe(d);

const options = z
  .object({
    method: z.enum(METHODS).optional().describe('Auto-unseal method: transit | awskms | gcpckms | azurekeyvault.'),
    transitAddress: text('transit: address of the Vault that holds the transit key (https://...).'),
    transitKeyName: z.string().min(1).default('autounseal').describe('transit: key name.'),
    transitMountPath: z.string().min(1).default('transit/').describe('transit: mount path of the transit engine.'),
    transitTokenSecret: text('transit: Secret (in the Vault namespace) holding the token; default <fullname>-transit-token.'),
    transitTokenSecretKey: z.string().min(1).default('token').describe('transit: key of the token in that Secret.'),
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
  })
  .strict();

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

function sealPlan(repo: Repo, s: VaultServer, o: Options): SealPlan {
  const sa = ['server', 'serviceAccount', 'annotations'];
  switch (o.method!) {
    case 'transit': {
      const secret = o.transitTokenSecret ?? `${s.fullname}-transit-token`;
      return {
        attrs: [
          ['address', o.transitAddress!],
          ['key_name', o.transitKeyName],
          ['mount_path', o.transitMountPath],
        ],
        changes: [
          vaultAppend(repo, s, ['server', 'extraSecretEnvironmentVars'], { envName: 'VAULT_TOKEN', secretName: secret, secretKey: o.transitTokenSecretKey }),
        ],
        prerequisites: [
          `On the transit Vault (${o.transitAddress}): \`vault secrets enable -path=${o.transitMountPath} transit\`, \`vault write -f ${o.transitMountPath.replace(/\/$/, '')}/keys/${o.transitKeyName}\`, and a periodic, orphan token whose policy allows update on \`${o.transitMountPath.replace(/\/$/, '')}/encrypt/${o.transitKeyName}\` and \`${o.transitMountPath.replace(/\/$/, '')}/decrypt/${o.transitKeyName}\`.`,
          `Create the Secret ${s.namespace}/${secret} with that token under the key \`${o.transitTokenSecretKey}\` outside Git (or SOPS-encrypted): \`kubectl -n ${s.namespace} create secret generic ${secret} --from-literal=${o.transitTokenSecretKey}=<token>\`.`,
        ],
        notes: [
          `VAULT_TOKEN (the transit token) is set in the server container: \`vault\` commands run there with kubectl exec send it too; log in with \`VAULT_TOKEN= vault login\` or use your own shell.`,
          'If the transit Vault serves a certificate from a private CA, mount that CA and add tls_ca_cert to the seal stanza.',
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
    },
  },
  options,
  *detect({ repo }) {
    for (const s of configuredVaultServers(repo, COMPLETE)) {
      if (!s.config.doc) continue;
      const seals = vaultActiveSeals(s.config.doc);
      if (seals.some((b) => b.labels[0] !== 'shamir')) continue;
      const where = vaultConfigWhere(repo, s.config, seals[0]?.range.start);
      yield {
        messageId: seals.length ? 'shamirOnly' : 'noSeal',
        resource: s.config.resource,
        path: s.config.path,
        data: { release: `${s.namespace}/${s.release.name}`, where },
        detail: s.release.id,
      };
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
    apply(report, { repo, options: o }) {
      if (!o.method) return { changes: [], skipped: `set rules.vault-manual-unseal.method (${METHODS.join(' | ')}) and that method's options` };
      const missing = REQUIRED[o.method].filter((k) => !o[k]);
      if (missing.length) return { changes: [], skipped: `method ${o.method} needs ${missing.map((k) => `rules.vault-manual-unseal.${k}`).join(', ')}` };
      const all = configuredVaultServers(repo, COMPLETE).filter((x) => x.config.doc && !vaultActiveSeals(x.config.doc).some((b) => b.labels[0] !== 'shamir'));
      const s = all.find((x) => x.release.id === report.detail);
      if (!s) return { changes: [], skipped: 'the Vault configuration is gone or already has a seal' };
      const plan = sealPlan(repo, s, o);
      const width = Math.max(...plan.attrs.map(([k]) => k.length));
      const block = [`seal "${o.method}" {`, ...plan.attrs.map(([k, v]) => `  ${k.padEnd(width)} = ${renderHclValue(v)}`), '}'].join('\n');
      const doc = s.config.doc!;
      const shamir = vaultActiveSeals(doc)[0];
      let config = s.config.text;
      if (shamir) config = replaceBlock(config, { type: 'seal', label: 'shamir' }, block);
      else config = appendBlock(config, block, vaultStorage(doc) ? { after: { type: 'storage' } } : {});
      const file = vaultRunbookPath(repo, 'vault-auto-unseal', s, all.length > 1);
      const changes: Change[] = [vaultSetConfig(s, config), ...plan.changes];
      const notes = [...plan.notes, `Seal migration from Shamir to ${o.method}: follow ${file}.`];
      if (repo.exists(file)) notes.push(`${file} already exists and was left as it is.`);
      else {
        const runbook = vaultAutoUnsealRunbook(repo, s, {
          method: o.method,
          prerequisites: plan.prerequisites,
          sealBlock: block,
          replicas: s.mode === 'ha' ? vaultReplicas(s) : 1,
          ha: s.mode === 'ha',
        });
        changes.push({ op: 'createText', file, text: runbook });
      }
      return {
        changes,
        notes,
        warnings: [`Before merging: ${plan.prerequisites.join(' ')} Without them Vault ${s.namespace}/${s.fullname} cannot unseal after its next restart.`],
        summary: `Vault ${s.namespace}/${s.release.name}: auto-unseal with ${o.method}`,
      };
    },
  },
});
