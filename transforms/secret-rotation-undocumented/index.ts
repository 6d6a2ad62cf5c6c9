import {
  asRecord,
  certificateInventory,
  clean,
  code,
  decide,
  defineRule,
  docPath,
  existingDocument,
  externalSecretInventory,
  generatedDocHeader,
  getAttribute,
  GROUPS,
  helmReleases,
  isExternalSecrets,
  linkerdReleases,
  mdDocument,
  mdTable,
  notApplicable,
  secretConsumers,
  vaultActiveSeals,
  vaultMountedCertDir,
  vaultServers,
  type DocumentDetail,
  type ExternalSecretInfo,
  type Repo,
  type Report,
  type Resource,
  scalarText,
} from '../../src/kit/index.js';

const ID = 'secret-rotation-undocumented';
const NAMES = [
  'secret-rotation.md',
  'secrets-rotation.md',
  'SECRET-ROTATION.md',
  'SECRET_ROTATION.md',
  'rotation.md',
  'credential-rotation.md',
  'secret-rotation/README.md',
];

function findStore(repo: Repo, es: ExternalSecretInfo): Resource | undefined {
  const ref = es.stores[0];
  if (!ref) return undefined;
  return repo.ofKind(ref.kind, GROUPS.eso).find((s) => s.name === ref.name && (ref.kind === 'ClusterSecretStore' || repo.flux.namespaceOf(s) === es.namespace));
}

function storeRows(repo: Repo): unknown[][] {
  return [...repo.ofKind('ClusterSecretStore', GROUPS.eso), ...repo.ofKind('SecretStore', GROUPS.eso)].map((s) => {
    const provider = asRecord(s.get(['spec', 'provider'])) ?? {};
    const type = Object.keys(provider)[0] ?? '–';
    const v = asRecord(provider.vault);
    const auth = asRecord(v?.auth) ?? {};
    const k8s = asRecord(auth.kubernetes);
    const how = k8s
      ? `Kubernetes auth, role ${code(k8s.role)}, ServiceAccount ${code(asRecord(k8s.serviceAccountRef)?.name ?? "(the controller's)")}: short-lived tokens, nothing to rotate`
      : auth.tokenSecretRef
        ? `**static Vault token** in Secret ${code(asRecord(auth.tokenSecretRef)?.name)}: rotate it like any credential`
        : auth.appRole
          ? `AppRole, SecretID in Secret ${code(asRecord(asRecord(asRecord(auth.appRole)?.secretRef))?.name)}: rotate the SecretID`
          : Object.keys(auth).join(', ') || '–';
    const where = v ? `${code(v.server)} mount ${code(v.path ?? '(none)')} KV ${scalarText(v.version, 'v2')}` : '–';
    return [`${s.kind} ${s.name}`, type, where, how];
  });
}

function consumersText(repo: Repo, es: ExternalSecretInfo): string {
  if (es.namespace === undefined) return 'every selected namespace';
  const cs = secretConsumers(repo, es.namespace, es.target);
  if (!cs.length) return 'none in this repository';
  return cs
    .map((c) => `${c.workload.kind} ${c.workload.name} (${c.how}${c.how === 'volume' ? '' : c.reloads ? ', Reloader restarts it' : ', **restart needed**'})`)
    .join('; ');
}

function postgresCaveats(repo: Repo, items: readonly ExternalSecretInfo[]): string[] {
  const out: string[] = [];
  for (const es of items) {
    for (const c of secretConsumers(repo, es.namespace, es.target)) {
      const image = c.workload.containers.find((x) => x.name === c.container)?.image ?? '';
      if (/(^|\/)postgres(:|$)/.test(image.split('@')[0]!) && c.how !== 'volume') {
        out.push(
          `${c.workload.kind} ${c.workload.namespace}/${c.workload.name} (${image}) reads ${code(es.target)} as environment variables. The postgres image uses \`POSTGRES_PASSWORD\` only when it initialises an empty data directory: a new value in Vault does **not** change the database password. Change it in the database (\`ALTER ROLE … PASSWORD …\`) in the same step, then restart the clients.`,
        );
      }
    }
  }
  return [...new Set(out)];
}

function vaultSection(repo: Repo): string | undefined {
  const servers = vaultServers(repo).filter((s) => s.mode !== 'external' && s.mode !== 'none');
  if (!servers.length) return undefined;
  const blocks = ['## Vault'];
  for (const s of servers) {
    const seals = s.config?.doc ? vaultActiveSeals(s.config.doc) : [];
    const secretEnv = (
      Array.isArray(s.value(['server', 'extraSecretEnvironmentVars'])) ? (s.value(['server', 'extraSecretEnvironmentVars']) as unknown[]) : []
    ).map(asRecord);
    const lines: string[] = [];
    const decisions: string[] = [];
    if (!seals.length) {
      lines.push(
        '- **Unseal keys and root token.** No `seal` stanza: Vault uses Shamir unseal keys, held by people since `vault operator init`. Rotate the key shares with `vault operator rekey` (a quorum of current holders), the encryption key with `vault operator rotate`; revoke the initial root token and create one only for emergencies (`vault operator generate-root`).',
      );
      decisions.push(decide('who holds the unseal key shares, the quorum, and when they are rekeyed (at least whenever a holder leaves).'));
    }
    for (const seal of seals) {
      const type = seal.labels[0] ?? 'unknown';
      if (type === 'transit') {
        const token = getAttribute(seal, 'token')?.value;
        const envName = typeof token === 'string' && token.startsWith('env://') ? token.slice(6) : token === undefined ? 'VAULT_TOKEN' : undefined;
        const env = envName ? secretEnv.find((e) => e?.envName === envName) : undefined;
        const where = env
          ? `the Secret ${code(env.secretName)} (\`${envName}\`)`
          : envName
            ? `the environment (\`${envName}\`)`
            : 'the HCL configuration (**move it to a Secret**)';
        lines.push(
          `- **Transit auto-unseal token** from ${where}. Vault renews it unless \`disable_renewal\` is set; to rotate it, create a token with the same (periodic) policy on the transit Vault, update the Secret, restart the server pods one at a time, then revoke the old token.`,
        );
      } else {
        lines.push(
          `- **Auto-unseal with ${code(type)}.** Rotate the key in the key service (it keeps old versions for decryption); Vault picks up the new version by itself. Credentials should come from the pod's cloud identity, not a Secret.`,
        );
      }
      lines.push(
        '- Recovery keys (from `vault operator init` under auto-unseal) replace unseal keys for root-token generation: rekey them with `vault operator rekey -target=recovery`.',
      );
    }
    const cert = vaultMountedCertDir(s);
    lines.push(
      cert
        ? `- **TLS certificate** mounted at ${code(cert)}: Vault re-reads \`tls_cert_file\`/\`tls_key_file\` only on \`SIGHUP\`; after a renewal, send it (\`kubectl exec … -- kill -HUP 1\`) or restart the pods.`
        : '- **TLS**: no server certificate is mounted.',
    );
    blocks.push(`Vault ${code(s.releaseName)} (namespace ${code(s.namespace)}, ${s.mode} mode):`, lines.join('\n'), ...decisions);
  }
  return blocks.join('\n\n');
}

function procedure(repo: Repo, items: readonly ExternalSecretInfo[]): string {
  const example = items.find((e) => e.namespace && e.keys.length);
  const store = example ? findStore(repo, example) : undefined;
  const v = asRecord(asRecord(store?.get(['spec', 'provider']))?.vault);
  const mount = typeof v?.path === 'string' ? v.path : 'secret';
  const first = example ? (example.keys.find((k) => /#.*(pass|secret|token|key)/i.test(k)) ?? example.keys[0]) : undefined;
  const key = first?.split('#')[0]?.replace(/ \(all properties\)$/, '') ?? '<path>';
  const prop = first?.includes('#') ? first.split('#')[1] : '<property>';
  const restart = example
    ? secretConsumers(repo, example.namespace, example.target)
        .filter((c) => c.how !== 'volume' && !c.reloads)
        .map((c) => `${c.workload.kind.toLowerCase()}/${c.workload.name}`)
    : [];
  const ns = example?.namespace ?? '<namespace>';
  return mdDocument([
    '## Rotating a secret',
    example ? `Example: ${code(example.target)} in ${code(ns)} (ExternalSecret ${code(example.resource.name)}).` : undefined,
    [
      `1. Write the new value in Vault: \`vault kv patch -mount=${mount} ${key} ${prop}=<new value>\` (KV v2 keeps the previous version: \`vault kv rollback\` undoes it).`,
      `2. Wait for the refresh interval, or make External Secrets fetch it now: \`kubectl -n ${ns} annotate externalsecret ${example?.resource.name ?? '<name>'} force-sync=$(date +%s) --overwrite\`.`,
      `3. Restart what reads the Secret as environment variables (mounted files are updated by the kubelet within about a minute): ${restart.length ? `\`kubectl -n ${ns} rollout restart ${restart.join(' ')}\`` : '`kubectl rollout restart …` for each consumer listed above'}.`,
      '4. Check: `kubectl -n <namespace> get externalsecret <name>` shows `SecretSynced`, and the consumers are healthy with the new value.',
      '5. Revoke or delete the old credential where it is checked (database, API provider) once nothing uses it.',
    ].join('\n'),
    'For a credential that a server checks (a database password, an API key), the order matters: make the new value valid on the server first (or accept both), then rotate it in Vault, then restart the clients, then retire the old value.',
  ]).trimEnd();
}

export const rule = defineRule({
  meta: {
    id: ID,
    title: 'Add a documented secret rotation policy',
    reviewItem: 24,
    severity: 'low',
    phase: 4,
    messages: {
      undocumented: 'Secrets reach this cluster ({evidence}) but no document says who rotates them, how often, and how; {doc} would',
    },
  },
  // A finding about the repository (no document anywhere), not about one of the objects that show secrets are used.
  *detect({ repo }): Generator<Report<'undocumented', DocumentDetail, 'file'>> {
    const es = externalSecretInventory(repo);
    const vault = vaultServers(repo).find((s) => s.mode !== 'external' && s.mode !== 'none');
    const evidence = es[0]?.resource ?? vault?.release;
    if (!evidence || existingDocument(repo, NAMES)) return;
    const what = es.length ? `${es.length} ExternalSecret${es.length > 1 ? 's' : ''}` : `Vault ${vault?.release.name}`;
    const file = docPath(repo, 'secret-rotation.md');
    yield { messageId: 'undocumented', file: '.', data: { evidence: what, doc: file }, detail: { file } };
  },
  checklist({ repo }) {
    const vault = vaultServers(repo).some((s) => s.mode !== 'external' && s.mode !== 'none');
    if (!externalSecretInventory(repo).length && !vault) return notApplicable('no ExternalSecret and no Vault server in this repository');
    return clean(`the secret rotation policy is documented in ${existingDocument(repo, NAMES) ?? 'the repository'}`);
  },
  fix: {
    kind: 'generate',
    safe: true,
    apply({ detail: { file } }, { repo }) {
      const items = externalSecretInventory(repo);
      const esRows = items.map((e) => [
        `${e.namespace ?? '(cluster)'}/${e.resource.name}`,
        e.stores.map((s) => `${s.kind} ${s.name}`).join(', '),
        e.refresh,
        e.target,
        e.keys.join(', '),
        consumersText(repo, e),
      ]);
      const certs = certificateInventory(repo).map((c) => [`${c.namespace ?? ''}/${c.resource.name}`, c.secretName, c.duration, c.renewBefore, c.issuer]);
      const eso = helmReleases(repo).filter((h) => isExternalSecrets(repo, h));
      const linkerdSecrets = [...new Set(linkerdReleases(repo).flatMap((r) => r.secrets))];
      const slowest = Math.max(0, ...items.map((e) => e.refreshMs ?? 0));
      const text = mdDocument([
        generatedDocHeader(ID),
        '# Secret rotation',
        'Where the secrets of this cluster come from, how a new value reaches the pods, and how to rotate each kind. Derived from the manifests; the places marked TODO(gitops-fix) need a person.',
        '## Policy',
        mdTable(
          ['secret', 'owner', 'rotation cadence', 'on compromise'],
          [
            ...items.map((e) => [`${e.namespace ?? '(cluster)'}/${e.target}`, 'TODO(gitops-fix)', 'TODO(gitops-fix)', 'rotate now, then revoke']),
            ...(vaultServers(repo).length ? [['Vault unseal/recovery keys, root token', 'TODO(gitops-fix)', 'TODO(gitops-fix)', 'rekey']] : []),
          ],
        ),
        decide(
          'fill in an owner and a cadence for every row (for example 90 days for service credentials, immediately when someone with access leaves), and whether static database passwords should become Vault dynamic secrets (database secrets engine) instead.',
        ),
        '## Stores',
        mdTable(['store', 'provider', 'where', 'how External Secrets authenticates'], storeRows(repo)),
        '## ExternalSecrets',
        mdTable(['ExternalSecret', 'store', 'refresh', 'target Secret', 'remote keys', 'read by'], esRows),
        items.length > 0 &&
          `A new value reaches the Secret within the refresh interval${slowest ? ` (at most ${items.find((e) => e.refreshMs === slowest)!.refresh} here)` : ''}. Pods read environment variables only when they start: a consumer marked **restart needed** keeps the old value until it restarts. Mounted Secret files are updated in place (not with \`subPath\`).`,
        ...postgresCaveats(repo, items),
        procedure(repo, items),
        '## Certificates',
        mdTable(['Certificate', 'Secret', 'duration', 'renewed', 'issuer'], certs, '_No cert-manager Certificate in this repository._'),
        [
          certs.length > 0 &&
            'cert-manager renews these Secrets by itself; what reads them must reload: a process that read the files at start keeps the old certificate.',
          eso.length > 0 && "External Secrets' webhook certificate is rotated by its cert-controller (or by cert-manager with `webhook.certManager.enabled`).",
          linkerdSecrets.length > 0 &&
            `Linkerd's trust anchor and identity issuer come from the Secrets ${linkerdSecrets.map(code).join(', ')}, outside Git: nothing renews them.`,
        ]
          .filter(Boolean)
          .join(' '),
        linkerdSecrets.length > 0 && decide('who rotates the Linkerd identity issuer certificate, and when it expires.'),
        vaultSection(repo),
        '## References\n\n- External Secrets refresh and `force-sync`: https://external-secrets.io/latest/api/externalsecret/\n- Vault KV v2 versions and rollback: https://developer.hashicorp.com/vault/docs/secrets/kv/kv-v2\n- Vault rekey and rotate: https://developer.hashicorp.com/vault/docs/concepts/rotation\n- cert-manager renewal: https://cert-manager.io/docs/usage/certificate/#renewal',
      ]);
      return {
        changes: [{ op: 'createText', file, text }],
        summary: `document secret rotation in ${file}`,
        notes: [`Review ${file}: fill in owners and cadences (TODO(gitops-fix)).`],
      };
    },
  },
});
