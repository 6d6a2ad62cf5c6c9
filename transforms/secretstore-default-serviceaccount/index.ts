import {
  clean,
  defineRule,
  generateNear,
  GROUPS,
  helmReleases,
  isExternalSecrets,
  nonEmptyString,
  notApplicable,
  releaseNamespace,
  vaultProviderOf,
  z,
  type Change,
  type Repo,
  type Report,
  type Resource,
} from '../../src/kit/index.js';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

const options = z
  .object({
    namespace: z
      .string()
      .regex(DNS_LABEL, 'not a namespace name')
      .optional()
      .describe('Namespace of the ServiceAccount a ClusterSecretStore uses (default: the External Secrets release namespace, else external-secrets).'),
  })
  .strict();

type M = 'defaultAccount' | 'defaultAccountEveryNamespace';
const AUTH = ['spec', 'provider', 'vault', 'auth', 'kubernetes'] as const;
const REF = [...AUTH, 'serviceAccountRef'] as const;

interface Detail {
  readonly namespace: string;
  readonly account: string;
}

/** Where External Secrets runs: the ServiceAccount of a ClusterSecretStore goes there. */
function esoNamespace(repo: Repo): string | undefined {
  for (const hr of helmReleases(repo)) if (isExternalSecrets(repo, hr)) return releaseNamespace(repo, hr);
  return undefined;
}

/** The store's Vault Kubernetes auth (`spec.provider.vault.auth.kubernetes`), when it has one. */
function kubernetesAuth(store: Resource) {
  return vaultProviderOf(store)?.auth?.kubernetes;
}

function accountName(store: Resource): string {
  return `${(store.name ?? 'secretstore').slice(0, 58)}-auth`;
}

export const rule = defineRule({
  meta: {
    id: 'secretstore-default-serviceaccount',
    title: "Require a dedicated ServiceAccount for External Secrets' Vault Kubernetes auth",
    reviewItem: 5,
    quickWin: true,
    severity: 'high',
    phase: 1,
    messages: {
      defaultAccount:
        '{kind} {name} logs in to Vault (auth/{mount}, role {role}) as the ServiceAccount {namespace}/default: every pod in {namespace} that has no ServiceAccount of its own gets the same Vault access',
      defaultAccountEveryNamespace:
        'ClusterSecretStore {name} logs in to Vault (auth/{mount}, role {role}) as the default ServiceAccount of each namespace whose ExternalSecrets use it: the role must trust "default" in all of them, so any pod there gets the same Vault access',
    },
  },
  options,
  *detect({ repo, options }): Generator<Report<M, Detail>> {
    for (const kind of ['SecretStore', 'ClusterSecretStore'] as const) {
      for (const store of repo.ofKind(kind, GROUPS.eso)) {
        const auth = kubernetesAuth(store);
        if (auth?.serviceAccountRef?.name !== 'default') continue;
        const data = {
          kind,
          name: store.name ?? '(unnamed)',
          mount: nonEmptyString(auth.mountPath) ?? 'kubernetes',
          role: nonEmptyString(auth.role) ?? '(none)',
        };
        const refNs = auth.serviceAccountRef.namespace;
        const path = [...REF, 'name'];
        if (kind === 'SecretStore') {
          const namespace = repo.flux.namespaceOf(store) ?? 'default';
          yield {
            messageId: 'defaultAccount',
            resource: store,
            path,
            data: { ...data, namespace },
            detail: { namespace, account: accountName(store) },
          };
        } else if (refNs) {
          yield {
            messageId: 'defaultAccount',
            resource: store,
            path,
            data: { ...data, namespace: refNs },
            detail: { namespace: refNs, account: accountName(store) },
          };
        } else {
          const namespace = options.namespace ?? esoNamespace(repo) ?? 'external-secrets';
          yield { messageId: 'defaultAccountEveryNamespace', resource: store, path, data, detail: { namespace, account: accountName(store) } };
        }
      }
    }
  },
  checklist({ repo }) {
    const stores = [...repo.ofKind('SecretStore', GROUPS.eso), ...repo.ofKind('ClusterSecretStore', GROUPS.eso)].filter(
      (s) => s.group === GROUPS.eso && s.get([...AUTH]) !== undefined,
    );
    if (!stores.length) return notApplicable('no SecretStore or ClusterSecretStore uses Vault Kubernetes auth');
    return clean(`no store with Vault Kubernetes auth uses the default ServiceAccount (${stores.length} checked)`);
  },
  fix: {
    kind: 'generate',
    safe: false,
    apply({ resource: store, detail: { namespace, account } }, { repo }) {
      const changes: Change[] = [];
      const exists = repo.ofKind('ServiceAccount').some((sa) => sa.group === '' && sa.name === account && repo.flux.namespaceOf(sa) === namespace);
      if (!exists) {
        const g = generateNear(repo, {
          near: store,
          baseName: `${account}-serviceaccount`,
          namespace,
          templates: ['serviceaccount'],
          vars: { name: account, namespace },
        });
        if ('reason' in g) return { skipped: `cannot place the ServiceAccount: ${g.reason}` };
        changes.push(...g.changes);
      }
      changes.push({ op: 'set', resource: store, path: [...REF, 'name'], value: account });
      if (store.kind === 'ClusterSecretStore' && store.get([...REF, 'namespace']) === undefined)
        changes.push({ op: 'set', resource: store, path: [...REF, 'namespace'], value: namespace });
      const auth = kubernetesAuth(store);
      const mount = nonEmptyString(auth?.mountPath) ?? 'kubernetes';
      const role = nonEmptyString(auth?.role) ?? '<role>';
      const audiences = store.get([...REF, 'audiences']);
      const audience = Array.isArray(audiences) && audiences.length ? ` audience=${String(audiences[0])}` : '';
      return {
        changes,
        summary: `${store.kind} ${store.name}: Vault login as ${namespace}/${account}`,
        notes: [
          `Let Vault trust the new ServiceAccount before this change reaches the cluster: vault write auth/${mount}/role/${role} bound_service_account_names=${account} bound_service_account_namespaces=${namespace}${audience} (an update keeps the role's policies and TTLs; check them with vault read auth/${mount}/role/${role}).`,
        ],
        warnings: [
          `${store.kind} ${store.name} stops authenticating (status NotReady, ExternalSecrets stop refreshing) until the Vault role ${role} trusts ${namespace}/${account}.`,
        ],
      };
    },
  },
});
