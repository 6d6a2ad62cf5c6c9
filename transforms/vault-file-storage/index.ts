import {
  clean,
  configuredVaultServers,
  defineRule,
  getAttribute,
  hasParsedConfig,
  notApplicable,
  parseHcl,
  vaultAddToRaft,
  vaultConfigWhere,
  vaultDisableMlock,
  vaultFileToRaftRunbook,
  vaultJoinServerName,
  vaultListenerTls,
  vaultNotApplicable,
  vaultReplicas,
  vaultRetryJoinBlocks,
  vaultRunbookPath,
  vaultServers,
  vaultSetConfig,
  vaultStorage,
  vaultValueSite,
  type Change,
  type HclBlock,
  type ParsedVaultServer,
  type Repo,
  type Report,
  scalarText,
} from '../../src/kit/index.js';
import { vaultFileToRaft } from './raft.js';

/** Releases whose values are all in the repository: an absent key then really means the chart default. */
const COMPLETE = { complete: true };

type M = 'fileStorage' | 'invalidConfig' | 'devMode';

/** A server with storage "file", its storage block, and whether the repository has other such servers (runbook names). */
interface Detail {
  readonly server: ParsedVaultServer;
  readonly storage: HclBlock;
  readonly several: boolean;
}

/** The servers that keep their data in storage "file", with that block. */
function fileStorageServers(repo: Repo): { server: ParsedVaultServer; storage: HclBlock }[] {
  return configuredVaultServers(repo, COMPLETE)
    .filter(hasParsedConfig)
    .flatMap((server) => {
      const storage = vaultStorage(server.config.doc);
      return storage?.labels[0] === 'file' ? [{ server, storage }] : [];
    });
}

export const rule = defineRule({
  meta: {
    id: 'vault-file-storage',
    title: 'Replace Vault file storage with integrated Raft storage',
    reviewItem: 3,
    severity: 'critical',
    phase: 1,
    staleComments: /\bfile (backend|storage)\b|\bsingle[- ](node|pod)\b|\bstorage\b|\braft\b/i,
    after: ['vault-tls-disabled', 'vault-listener-insecure'],
    messages: {
      fileStorage:
        'Vault {release} keeps its data in storage "file" ({where}): a single pod on a single volume, no replication, no HA; losing the volume loses every secret',
      invalidConfig: 'Vault {release}: the server configuration ({key}) cannot be used: {problem}; no Vault rule edits it until it is fixed by hand',
      devMode:
        'Vault {release} runs in dev mode (server.dev.enabled: true): in-memory storage, emptied on every restart, and a known root token; use it only for throw-away tests (turn dev mode off and configure storage)',
    },
  },
  *detect({ repo }): Generator<Report<M, Detail>> {
    for (const s of vaultServers(repo, COMPLETE)) {
      if (s.mode !== 'dev') continue;
      const site = vaultValueSite(repo, s, ['server', 'dev', 'enabled']);
      yield {
        messageId: 'devMode',
        resource: site.resource,
        path: site.path,
        data: { release: `${s.namespace}/${s.release.name}` },
        fixable: false,
        subject: s.release.id,
      };
    }
    for (const s of vaultServers(repo, COMPLETE)) {
      if (s.mode === 'dev' || !s.config?.invalid) continue;
      yield {
        messageId: 'invalidConfig',
        resource: s.config.resource,
        path: s.config.path,
        data: { release: `${s.namespace}/${s.release.name}`, key: s.config.key.join('.'), problem: s.config.invalid },
        fixable: false,
        subject: s.release.id,
      };
    }
    const files = fileStorageServers(repo);
    for (const { server: s, storage } of files) {
      const where = vaultConfigWhere(repo, s.config, storage.range.start);
      yield {
        messageId: 'fileStorage',
        resource: s.config.resource,
        path: s.config.path,
        data: { release: `${s.namespace}/${s.release.name}`, where },
        detail: { server: s, storage, several: files.length > 1 },
        subject: s.release.id,
      };
    }
  },
  checklist({ repo }) {
    const na = vaultNotApplicable(repo);
    if (na) return notApplicable(na);
    return clean('no Vault server uses file storage or dev mode');
  },
  fix: {
    kind: 'edit',
    safe: false,
    apply({ detail: { server: s, storage, several } }, { repo }) {
      const doc = s.config.doc;
      const path = getAttribute(storage, 'path')?.value;
      const dataPath = typeof path === 'string' ? path : '/vault/data';
      const replicas = vaultReplicas(s);
      const raft = vaultFileToRaft(s.config.text);
      const join = vaultJoinServerName(repo, s, doc);
      const text = vaultAddToRaft(raft, vaultRetryJoinBlocks(s, doc, replicas, join ? { serverName: join.serverName } : {}));
      const tls = vaultListenerTls(doc);
      const mountPath = scalarText(s.value(['server', 'dataStorage', 'mountPath']), '/vault/data').replace(/\/+$/, '');
      const onVolume = String(s.value(['server', 'dataStorage', 'enabled'])) === 'true' && (dataPath === mountPath || dataPath.startsWith(`${mountPath}/`));
      const file = vaultRunbookPath(repo, 'vault-file-to-raft-migration', s, several);
      const changes: Change[] = [vaultSetConfig(s, text)];
      const notes = [`Migrate the data before this change reaches the cluster: ${file}.`];
      if (repo.exists(file)) notes.push(`${file} already exists and was left as it is: check that it describes this migration.`);
      else changes.push({ op: 'createText', file, text: vaultFileToRaftRunbook(repo, s, { dataPath, mountPath, caFile: tls?.ca, file, replicas }) });
      if (!onVolume)
        notes.push(
          `storage path ${dataPath} is not on the data volume (server.dataStorage, mounted at ${mountPath}): the data does not survive a pod restart; put the Raft path on the volume.`,
        );
      if (!tls)
        notes.push(
          'The listener serves plain HTTP, so retry_join uses http://; run vault-listener-insecure and vault-tls-disabled to move the cluster traffic to TLS.',
        );
      if (vaultDisableMlock(parseHcl(text)) === false)
        notes.push('disable_mlock = false with Raft keeps the whole BoltDB file in memory: see vault-mlock-disabled.');
      return {
        changes,
        notes,
        warnings: [
          ...(join ? [join.warning] : []),
          `BLOCKING: merging this change without migrating the data first starts Vault ${s.namespace}/${s.fullname} on an empty Raft store (uninitialised; the file data stays on the volume, unused). Follow ${file} (snapshot, stop, vault operator migrate, verify) before merging.`,
        ],
        summary: `storage "file" → storage "raft" with retry_join for ${replicas} pod(s) (${s.namespace}/${s.release.name})`,
      };
    },
  },
});
