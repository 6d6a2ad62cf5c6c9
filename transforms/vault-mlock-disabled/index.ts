import {
  asArray,
  asRecord,
  clean,
  configuredVaultServers,
  defineRule,
  getAttribute,
  hasParsedConfig,
  isRecord,
  locateValue,
  onlyVersionsBelow,
  notApplicable,
  setAttribute,
  vaultConfigWhere,
  vaultDisableMlock,
  vaultImageVersion,
  vaultMerge,
  vaultNotApplicable,
  vaultSet,
  vaultSetConfig,
  vaultStorageType,
  type Change,
  type ParsedVaultServer,
  type Repo,
  type Report,
  type VaultServer,
  scalarText,
} from '../../src/kit/index.js';

/** Releases whose values are all in the repository: an absent key then really means the chart default. */
const COMPLETE = { complete: true };

/**
 * Official images and mlock (domain.md §2.3): the IPC_LOCK file capability was baked into 1.19.17, 1.20.11, 1.21.6
 * and 2.0.1, and removed again from 1.19.18, 1.20.12, 1.21.7 and 2.0.2 on.
 */
function imageLine(v: readonly [number, number, number] | undefined): 'window' | 'removed' | 'older' | 'unknown' {
  if (!v) return 'unknown';
  const [major, minor, patch] = v;
  const window: Record<string, number> = { '1.19': 17, '1.20': 11, '1.21': 6, '2.0': 1 };
  const at = window[`${major}.${minor}`];
  if (major > 2 || (major === 2 && minor > 0) || (at !== undefined && patch > at)) return 'removed';
  if (at !== undefined && patch === at) return 'window';
  return 'older';
}

type M = 'raftImplicit' | 'raftMlock' | 'mlockDisabled' | 'imageCannotLock';

function release(s: VaultServer): string {
  return `${s.namespace}/${s.release.name}`;
}

/** The container security context with IPC_LOCK added (it replaces the chart's default, so that default is restated). */
function ipcLock(repo: Repo, s: VaultServer): { changes: Change[] } | { problem: string } {
  const path = ['server', 'statefulSet', 'securityContext', 'container'];
  const own = locateValue(repo, s.release, path).value;
  if (own !== undefined && !isRecord(own)) {
    return { problem: `${path.join('.')} is a template string: add the IPC_LOCK capability there by hand` };
  }
  const current = own ?? {};
  const add = asArray(asRecord(current.capabilities)?.add);
  if (add.includes('IPC_LOCK')) return { changes: [] };
  if (Object.keys(current).length === 0)
    return { changes: [vaultSet(repo, s, path, { allowPrivilegeEscalation: false, capabilities: { add: ['IPC_LOCK'] } })] };
  return { changes: [vaultMerge(repo, s, path, { capabilities: { add: [...add, 'IPC_LOCK'] } })] };
}

export const rule = defineRule({
  meta: {
    id: 'vault-mlock-disabled',
    title: "Require the disable_mlock setting that fits Vault's storage",
    reviewItem: 16,
    severity: 'medium',
    phase: 3,
    staleComments: /\bmlock\b|\bIPC_LOCK\b|\bswap\b|\bmemory lock/i,
    messages: {
      raftImplicit:
        'Vault {release} uses Raft storage without an explicit disable_mlock ({where}); Vault 1.20+ requires one (the chart only appends a default): write disable_mlock = true and run the nodes without swap',
      raftMlock:
        "Vault {release} uses Raft storage with disable_mlock = false ({where}): mlock pins BoltDB's memory-mapped file, so the whole dataset must fit in RAM; HashiCorp recommends true with swap off",
      mlockDisabled:
        'Vault {release} uses {storage} storage with memory locking disabled ({where}) on image {image}, which supports mlock: secrets in memory can be swapped to disk',
      imageCannotLock:
        "Vault {release} uses {storage} storage with memory locking disabled ({where}); image {image} cannot lock memory as the chart's non-root user: move to Vault 2.0.2+ and keep disable_mlock = true with swap off on the nodes",
    },
  },
  *detect({ repo }): Generator<Report<M, ParsedVaultServer>> {
    for (const s of configuredVaultServers(repo, COMPLETE).filter(hasParsedConfig)) {
      const doc = s.config.doc;
      // Charts before 0.32.0 always add `disable_mlock = true` to the rendered configuration (vault.config in
      // _helpers.tpl): Vault runs with it whatever the release writes, and a second disable_mlock is a duplicate
      // attribute that Vault 1.21+ rejects. Nothing to report or edit there.
      if (onlyVersionsBelow(s.chartVersion, '0.32.0')) continue;
      const storage = vaultStorageType(doc);
      const mlock = vaultDisableMlock(doc);
      const attr = getAttribute(doc, 'disable_mlock');
      const where = vaultConfigWhere(repo, s.config, attr?.range.start);
      const base = { resource: s.config.resource, path: s.config.path, detail: s };
      if (storage === 'raft') {
        if (mlock === undefined) yield { messageId: 'raftImplicit', ...base, data: { release: release(s), where } };
        else if (!mlock) yield { messageId: 'raftMlock', ...base, data: { release: release(s), where } };
        continue;
      }
      // Without the attribute the chart appends disable_mlock = true.
      if (storage === undefined || mlock === false) continue;
      const version = vaultImageVersion(repo, s);
      const line = imageLine(version);
      const data = { release: release(s), where, storage, image: version ? version.join('.') : scalarText(s.value(['server', 'image', 'tag']), 'unknown') };
      if (line === 'window') yield { messageId: 'mlockDisabled', ...base, data };
      else if (line === 'older') yield { messageId: 'imageCannotLock', ...base, data, fixable: false };
    }
  },
  checklist({ repo }) {
    const na = vaultNotApplicable(repo);
    if (na) return notApplicable(na);
    const servers = configuredVaultServers(repo, COMPLETE).filter(hasParsedConfig);
    if (!servers.length) return notApplicable('Vault runs in dev mode only (no configuration)');
    // Each server without a finding either runs with mlock off where HashiCorp recommends it, or locks memory.
    const state = servers.map((s) => {
      const doc = s.config.doc;
      const mlock = vaultDisableMlock(doc);
      if (vaultStorageType(doc) === 'raft') return 'recommended';
      if (mlock === false) return 'locked';
      return imageLine(vaultImageVersion(repo, s)) === 'removed' ? 'recommended' : 'unknown';
    });
    if (state.every((x) => x === 'recommended'))
      return notApplicable('disable_mlock = true is recommended for this storage and image; keep swap off on the nodes');
    const unknown = servers.filter((_, i) => state[i] === 'unknown').map(release);
    if (unknown.length) return notApplicable(`the image version of Vault ${unknown.join(', ')} is unknown, so whether it can lock memory cannot be told`);
    return clean('Vault locks memory (disable_mlock = false) where its storage and image support it, and keeps it off where HashiCorp recommends');
  },
  fix: {
    kind: 'edit',
    safe: false,
    apply({ messageId, detail: s }, { repo }) {
      if (messageId !== 'mlockDisabled') {
        return {
          changes: [vaultSetConfig(s, setAttribute(s.config.text, {}, 'disable_mlock', true))],
          notes: [
            `Vault ${release(s)} keeps secrets out of swap only if the nodes run without swap (or with encrypted swap): check the node configuration (Kubernetes schedules on swap-enabled nodes only when configured to).`,
          ],
          summary: `disable_mlock = true for Raft (${release(s)})`,
        };
      }
      const cap = ipcLock(repo, s);
      if ('problem' in cap) return { skipped: cap.problem };
      return {
        changes: [vaultSetConfig(s, setAttribute(s.config.text, {}, 'disable_mlock', false)), ...cap.changes],
        warnings: [
          `The IPC_LOCK capability is outside the Pod Security "baseline" and "restricted" levels: namespace ${s.namespace} must allow "privileged" pods, or Vault ${release(s)} is rejected.`,
          'If Vault logs "Failed to lock memory" at start, set disable_mlock = true again and turn swap off on the nodes instead.',
        ],
        summary: `mlock on for Vault ${release(s)} (disable_mlock = false, IPC_LOCK)`,
      };
    },
  },
});
