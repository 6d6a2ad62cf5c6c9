import {
  clean,
  defineRule,
  getIn,
  ESO_CHART_NEWEST,
  esoUpgrade,
  GROUPS,
  helmReleases,
  isExternalSecrets,
  notApplicable,
  parseVersion,
  storeUsers,
  valueTarget,
  versionAtLeast,
  z,
  type Change,
  type Report,
  type Resource,
  type StoreUsers,
} from '../../src/kit/index.js';

const options = z
  .object({
    aggregateToEdit: z
      .boolean()
      .default(false)
      .describe('rbac.aggregateToEdit the External Secrets release should have (namespace editors may create ExternalSecrets, SecretStores, PushSecrets).'),
    aggregateToAdmin: z
      .boolean()
      .default(false)
      .describe('rbac.aggregateToAdmin the release should have (chart 2.8.0 and later; namespace admins may create them).'),
  })
  .strict();

type M = 'unrestrictedStore' | 'unusedStore' | 'unresolvedUsers' | 'aggregatedRoles' | 'alwaysAggregated' | 'unknownVersion';

/** What the fix changes: a store's conditions (for the users found), the release's aggregation switches, or nothing on a chart without them. */
type Detail =
  | { readonly type: 'store'; readonly users: StoreUsers }
  | { readonly type: 'chart'; readonly release: Resource; readonly keys: readonly string[]; readonly adminFixed: boolean }
  | { readonly type: 'tooOld'; readonly version: string };

export const rule = defineRule({
  meta: {
    id: 'external-secrets-rbac',
    title: 'Restrict who can use External Secrets stores and create ExternalSecrets',
    reviewItem: 13,
    severity: 'medium',
    phase: 3,
    // On a chart without the aggregation switches, the chart upgrade runs first and this fix applies on the upgraded chart.
    requires: ['external-secrets-chart-upgrade'],
    after: ['external-secrets-chart-upgrade'],
    messages: {
      unrestrictedStore:
        'ClusterSecretStore {name} has no spec.conditions: an ExternalSecret in any namespace can read every secret it reaches, while this repository uses it only from {namespaces}',
      unusedStore:
        'ClusterSecretStore {name} has no spec.conditions, so any namespace can use it, and nothing in this repository does: add conditions for the namespaces that should',
      unresolvedUsers:
        'ClusterSecretStore {name} has no spec.conditions; the namespace of {users} cannot be told from the repository, so add conditions by hand',
      aggregatedRoles:
        'HelmRelease {name}: the External Secrets chart adds create/update/delete on ExternalSecrets, SecretStores and PushSecrets to the built-in {roles}, so every namespace {who} can pull secrets from any store their namespace may use (set {keys} to false, or keep them and rely on ClusterSecretStore conditions)',
      alwaysAggregated:
        'HelmRelease {name}: External Secrets chart {version} always adds write access to ExternalSecrets and SecretStores to the built-in edit and admin ClusterRoles; 0.16.2 adds rbac.aggregateToEdit (2.8.0 rbac.aggregateToAdmin): external-secrets-chart-upgrade upgrades the chart, then this fix turns them off',
      unknownVersion:
        'HelmRelease {name}: External Secrets chart version "{version}" is not exact, so whether rbac.aggregateToEdit/aggregateToAdmin exist is unknown; pin a version',
    },
  },
  options,
  *detect({ repo, options }): Generator<Report<M, Detail>> {
    for (const store of repo.ofKind('ClusterSecretStore', GROUPS.eso)) {
      const conditions = store.get(['spec', 'conditions']);
      if (Array.isArray(conditions) && conditions.length > 0) continue;
      const name = store.name ?? '(unnamed)';
      const users = storeUsers(repo, store);
      const path = ['spec', 'conditions'];
      if (users.unresolved.length) {
        const list = users.unresolved.map((r) => `${r.kind} ${r.name ?? '(unnamed)'} (${r.file})`).join(', ');
        yield { messageId: 'unresolvedUsers', resource: store, path, data: { name, users: list }, fixable: false };
      } else if (!users.namespaces.length && !users.selectors.length) {
        yield { messageId: 'unusedStore', resource: store, path, data: { name }, fixable: false };
      } else {
        const parts = [
          ...(users.namespaces.length ? [`namespace${users.namespaces.length > 1 ? 's' : ''} ${users.namespaces.join(', ')}`] : []),
          ...(users.selectors.length ? ['the namespaces its ClusterExternalSecrets/ClusterPushSecrets select'] : []),
        ];
        yield { messageId: 'unrestrictedStore', resource: store, path, data: { name, namespaces: parts.join(' and ') }, detail: { type: 'store', users } };
      }
    }
    for (const hr of helmReleases(repo)) {
      if (!isExternalSecrets(repo, hr)) continue;
      const values = repo.flux.values(hr);
      if (getIn(values, ['rbac', 'create']) === false) continue;
      const name = hr.name ?? '(unnamed)';
      const raw = repo.flux.helmChart(hr).version;
      const version = parseVersion(raw);
      const wants: [string, boolean, string][] = [
        ['aggregateToEdit', options.aggregateToEdit, '0.16.2'],
        ['aggregateToAdmin', options.aggregateToAdmin, '2.8.0'],
      ];
      const aggregated = wants.filter(([key, want]) => !want && getIn(values, ['rbac', key]) !== false);
      if (!aggregated.length) continue;
      const versionPath = ['spec', 'chart', 'spec', 'version'];
      if (!version) {
        yield { messageId: 'unknownVersion', resource: hr, path: versionPath, data: { name, version: raw ?? '*' }, fixable: false };
        continue;
      }
      if (!versionAtLeast(version, '0.16.2')) {
        const upgrade = esoUpgrade(repo, hr, ESO_CHART_NEWEST);
        yield {
          messageId: 'alwaysAggregated',
          resource: hr,
          path: versionPath,
          data: { name, version: raw!.replace(/^v/, '') },
          fixable: !!upgrade && !upgrade.blockers.length,
          detail: { type: 'tooOld', version: raw!.replace(/^v/, '') },
        };
        continue;
      }
      const keys = aggregated.filter(([, , since]) => versionAtLeast(version, since)).map(([key]) => key);
      if (!keys.length) continue;
      const roles = keys.map((k) => (k === 'aggregateToEdit' ? 'edit' : 'admin'));
      const at = valueTarget(repo, hr, ['rbac', keys[0]!]);
      yield {
        messageId: 'aggregatedRoles',
        resource: at.resource,
        path: at.path,
        data: {
          name,
          roles: roles.length > 1 ? 'edit and admin ClusterRoles' : `${roles[0]} ClusterRole`,
          who: roles.map((r) => (r === 'edit' ? 'editor' : 'admin')).join(' and '),
          keys: keys.map((k) => `rbac.${k}`).join(' and '),
        },
        detail: { type: 'chart', release: hr, keys, adminFixed: versionAtLeast(version, '2.8.0') },
      };
    }
  },
  checklist({ repo, options }) {
    const stores = repo.ofKind('ClusterSecretStore', GROUPS.eso).filter((s) => s.group === GROUPS.eso);
    const releases = helmReleases(repo).filter((hr) => isExternalSecrets(repo, hr));
    if (!stores.length && !releases.length) return notApplicable('no External Secrets release and no ClusterSecretStore');
    const parts = [
      ...(stores.length ? ['every ClusterSecretStore has conditions'] : []),
      ...(releases.length
        ? [
            options.aggregateToEdit && options.aggregateToAdmin
              ? "the chart's edit/admin aggregation is kept as configured"
              : 'the chart does not add ExternalSecret write access to the built-in edit/admin roles (or it is configured to)',
          ]
        : []),
    ];
    return clean(parts.join('; '));
  },
  fix: {
    kind: 'edit',
    safe: false,
    apply({ resource, detail }, { repo }) {
      if (detail.type === 'store') {
        const { users } = detail;
        const conditions: Record<string, unknown>[] = [];
        if (users.namespaces.length) conditions.push({ namespaces: users.namespaces });
        for (const s of users.selectors) conditions.push({ namespaceSelector: s });
        const who = [
          ...(users.namespaces.length ? [`namespaces ${users.namespaces.join(', ')}`] : []),
          ...(users.selectors.length ? ['the namespaces its ClusterExternalSecrets/ClusterPushSecrets select'] : []),
        ];
        return {
          changes: [{ op: 'set', resource, path: ['spec', 'conditions'], value: conditions }],
          summary: `conditions: ${who.join(' and ')}`,
          notes: [
            `ClusterSecretStore ${resource.name} now serves only ${who.join(' and ')}. An ExternalSecret in another namespace that uses it (one applied from outside this repository) stops syncing: add that namespace to spec.conditions before merging.`,
          ],
        };
      }
      if (detail.type === 'tooOld')
        return {
          skipped: `chart ${detail.version} has no rbac.aggregateToEdit, and the chart upgrade (external-secrets-chart-upgrade) did not run before this fix: see its finding`,
        };
      const { release: hr, keys, adminFixed } = detail;
      const changes: Change[] = keys.map((k) => {
        const at = valueTarget(repo, hr, ['rbac', k]);
        return { op: 'set', resource: at.resource, path: at.path, value: false } satisfies Change;
      });
      const notes = [
        `Users who only hold the built-in ${keys.includes('aggregateToAdmin') ? 'edit or admin' : 'edit'} role in a namespace can no longer create, change or delete ExternalSecrets, SecretStores or PushSecrets; Flux (cluster-admin) still applies them from Git. Grant the chart's <release>-edit ClusterRole through a RoleBinding to a team that must manage them by hand.`,
      ];
      if (!adminFixed)
        notes.push(
          `HelmRelease ${hr.name}: chart versions before 2.8.0 always aggregate write access into the admin ClusterRole; upgrade to turn that off with rbac.aggregateToAdmin.`,
        );
      return { changes, summary: keys.map((k) => `rbac.${k}: false`).join(', '), notes };
    },
  },
});
