import {
  clean,
  configuredVaultServers,
  defineRule,
  findBlocks,
  locateValue,
  notApplicable,
  vaultAddToRaft,
  vaultDelete,
  vaultIgnoredConfigs,
  vaultJoinServerName,
  vaultNotApplicable,
  vaultReplicas,
  vaultRetryJoinBlocks,
  vaultDisruptionBudget,
  vaultSet,
  vaultUpdateStrategy,
  vaultStorage,
  vaultValueSite,
  type Change,
  type ConfiguredVaultServer,
  type Report,
  type YamlPath,
  type Repo,
  type VaultConfig,
  type VaultServer,
} from '../../src/kit/index.js';
import { vaultEnsureServiceRegistration } from './service-registration.js';

/** Releases whose values are all in the repository: an absent key then really means the chart default. */
const COMPLETE = { complete: true };

const REPLICAS = 3;

type M = 'singleInstance' | 'fewReplicas' | 'ignoredConfig';

/** The server the fix changes, and for an ignored configuration key that key. */
interface Detail {
  readonly server: ConfiguredVaultServer;
  readonly ignored?: YamlPath;
}

/** Remove the standalone settings the HA mode ignores: the whole `server.standalone` map when that is all it holds. */
function dropStandalone(repo: Repo, s: VaultServer): Change[] {
  const loc = locateValue(repo, s.release, ['server', 'standalone']);
  const own = loc.source ? loc.source.resource.get(loc.path!) : undefined;
  if (own && typeof own === 'object' && Object.keys(own).every((k) => k === 'config' || k === 'enabled')) {
    return [{ op: 'delete', resource: loc.source!.resource, path: loc.path! }];
  }
  return [vaultDelete(repo, s, ['server', 'standalone', 'config']), vaultDelete(repo, s, ['server', 'standalone', 'enabled'])].filter((c): c is Change => !!c);
}

function haChanges(repo: Repo, s: VaultServer & { config: VaultConfig }, warnings: string[]): Change[] | string {
  const doc = s.config.doc;
  if (!doc) return `the configuration cannot be edited (${s.config.problem})`;
  const storage = vaultStorage(doc)?.labels[0];
  if (storage === 'file') return 'storage is still "file": vault-file-storage converts it to Raft first (it is selected together with this rule)';
  if (storage !== 'raft') return `storage "${storage ?? 'none'}" is not Raft: move the configuration to server.ha.config by hand for an external HA backend`;
  const replicas = Math.max(REPLICAS, vaultReplicas(s));
  let text = vaultEnsureServiceRegistration(s.config.text);
  if (findBlocks(vaultStorage(doc)!, 'retry_join').length === 0) {
    const join = vaultJoinServerName(repo, s, doc);
    if (join) warnings.push(join.warning);
    text = vaultAddToRaft(text, vaultRetryJoinBlocks(s, doc, replicas, join ? { serverName: join.serverName } : {}));
  }
  const definedReplicas = locateValue(repo, s.release, ['server', 'ha', 'replicas']).value;
  const changes: Change[] = [vaultSet(repo, s, ['server', 'ha', 'enabled'], true)];
  if (typeof definedReplicas !== 'number' || definedReplicas < REPLICAS) changes.push(vaultSet(repo, s, ['server', 'ha', 'replicas'], replicas));
  changes.push(
    vaultSet(repo, s, ['server', 'ha', 'raft', 'enabled'], true),
    vaultSet(repo, s, ['server', 'ha', 'raft', 'setNodeId'], true),
    vaultSet(repo, s, ['server', 'ha', 'raft', 'config'], text),
  );
  if (s.config.key.join('.') !== 'server.ha.raft.config') changes.push(...dropStandalone(repo, s));
  return changes;
}

export const rule = defineRule({
  meta: {
    id: 'vault-single-instance',
    title: 'Require Vault to run highly available: 3 Raft replicas',
    reviewItem: 2,
    severity: 'critical',
    phase: 1,
    staleComments: /\b(single|one) (replica|pod|server|instance|node)s?\b|\bstandalone\b|\bHA\b|\bhigh(ly)? availab|\breplicas?\b|\bis enough\b/i,
    requires: ['vault-file-storage'],
    after: ['vault-tls-disabled', 'vault-listener-insecure', 'vault-file-storage'],
    messages: {
      singleInstance: 'Vault {release} runs a single server pod ({reason}): every restart, node drain or crash makes every secret unavailable',
      fewReplicas: 'Vault {release} runs HA with {replicas} replica(s): Raft needs 3 to survive the loss of one',
      ignoredConfig: 'Vault {release} sets {key}, which the chart ignores in this mode (it renders {effective}): edits there have no effect',
    },
  },
  *detect({ repo }): Generator<Report<M, Detail>> {
    for (const s of configuredVaultServers(repo, COMPLETE)) {
      const release = `${s.namespace}/${s.release.name}`;
      for (const c of vaultIgnoredConfigs(repo, s)) {
        yield {
          messageId: 'ignoredConfig',
          resource: c.resource,
          path: c.path,
          data: { release, key: c.key.join('.'), effective: s.config.key.join('.') },
          detail: { server: s, ignored: c.key },
          subject: s.release.id,
        };
      }
      if (s.mode === 'standalone') {
        const site = vaultValueSite(repo, s, ['server', 'ha', 'enabled']);
        const set = locateValue(repo, s.release, ['server', 'ha', 'enabled']);
        const reason = set.source ? `server.ha.enabled: ${String(set.value)}` : 'server.ha.enabled is not set; the chart default is false';
        yield {
          messageId: 'singleInstance',
          resource: site.resource,
          path: site.path,
          data: { release, reason },
          detail: { server: s },
          subject: s.release.id,
        };
      } else if (s.raft && vaultReplicas(s) < REPLICAS) {
        const site = vaultValueSite(repo, s, ['server', 'ha', 'replicas']);
        yield {
          messageId: 'fewReplicas',
          resource: site.resource,
          path: site.path,
          data: { release, replicas: vaultReplicas(s) },
          detail: { server: s },
          subject: s.release.id,
        };
      }
    }
  },
  checklist({ repo }) {
    const na = vaultNotApplicable(repo);
    if (na) return notApplicable(na);
    if (!configuredVaultServers(repo, COMPLETE).length) return notApplicable('Vault runs in dev mode only (in memory)');
    return clean(`every Vault server runs in HA mode (with Raft, ${REPLICAS} or more replicas)`);
  },
  fix: {
    kind: 'edit',
    safe: false,
    apply({ messageId, detail: { server: s, ignored } }, { repo }) {
      const name = `${s.namespace}/${s.release.name}`;
      if (ignored) {
        const del = vaultDelete(repo, s, ignored);
        return { changes: del ? [del] : [], summary: `remove the ignored ${ignored.join('.')} of Vault ${name}` };
      }
      if (messageId === 'fewReplicas')
        return { changes: [vaultSet(repo, s, ['server', 'ha', 'replicas'], REPLICAS)], summary: `Vault ${name}: ${REPLICAS} replicas` };
      const warnings: string[] = [];
      const changes = haChanges(repo, s, warnings);
      if (typeof changes === 'string') return { skipped: changes };
      const affinity = s.value(['server', 'affinity']);
      // Read back what the release will run with: its replica count, budget and update strategy as it sets them.
      const replicas = Math.max(REPLICAS, vaultReplicas(s));
      const budget = vaultDisruptionBudget(s, replicas);
      const strategy = vaultUpdateStrategy(s);
      const others = Array.from({ length: replicas - 1 }, (_, i) => `${s.fullname}-${i + 1}`);
      return {
        changes,
        warnings,
        summary: `Vault ${name}: HA with ${replicas} Raft replicas`,
        notes: [
          typeof affinity === 'string' && affinity.includes('requiredDuringScheduling')
            ? `The chart's default pod anti-affinity is required per node (kubernetes.io/hostname): ${replicas} schedulable nodes are needed, or pods stay Pending.`
            : 'server.affinity is set in the release: check that it spreads the replicas over nodes.',
          `In HA mode the chart renders a PodDisruptionBudget (maxUnavailable ${budget} for ${replicas} replicas) and one data volume per pod (${s.fullname}-0..${replicas - 1}).`,
          `Each new pod starts sealed: unseal ${others.join(', ').replace(/, ([^,]*)$/, ' and $1')} after they join through retry_join (or let auto-unseal do it, see vault-manual-unseal).`,
          ...(strategy === 'OnDelete'
            ? ['The StatefulSet uses updateStrategy OnDelete: delete the old pod after the upgrade so it starts with the new configuration.']
            : [`The StatefulSet uses updateStrategy ${strategy}: Kubernetes replaces the pod after the upgrade by itself, and it starts sealed.`]),
        ],
      };
    },
  },
});
