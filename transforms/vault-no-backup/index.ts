import {
  clean,
  defineRule,
  durationOption,
  formatDuration,
  generateNear,
  goTruthy,
  GROUPS,
  helmReleases,
  namespaceObject,
  notApplicable,
  durationMs,
  releaseNamespace,
  vaultNotApplicable,
  vaultImage,
  vaultMountedCert,
  vaultServers,
  vaultServesTls,
  vaultServices,
  vaultStorageType,
  z,
  type FixOutput,
  type Repo,
  type Report,
  type Resource,
  type TemplateValue,
  type VaultServer,
} from '../../src/kit/index.js';

const CRON = /^(@(yearly|annually|monthly|weekly|daily|midnight|hourly)|(\S+\s+){4}\S+)$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

const options = z
  .object({
    method: z
      .enum(['velero', 'raft-snapshot'])
      .optional()
      .describe('How to back Vault up: a Velero Schedule, or a CronJob that saves Raft snapshots (default: velero when the repository runs Velero).'),
    schedule: z.string().regex(CRON, 'a cron expression such as "0 2 * * *"').default('0 2 * * *').describe('When backups run (cron, cluster time zone).'),
    ttl: durationOption('720h', 'How long backups are kept.'),
    namespace: z.string().regex(DNS_LABEL).optional().describe("Velero's namespace (default: the Velero release's namespace, else velero)."),
    storageLocation: z.string().min(1).default('default').describe('Velero BackupStorageLocation the backups go to.'),
    snapshotStorage: z
      .string()
      .regex(/^\d+(Ki|Mi|Gi|Ti)$/, 'a size such as 10Gi')
      .default('10Gi')
      .describe('Size of the volume that keeps Raft snapshots.'),
    authMount: z.string().min(1).default('kubernetes').describe('Path of the Kubernetes auth method the snapshot job logs in with.'),
    vaultRole: z.string().min(1).default('raft-snapshot').describe('Vault role (Kubernetes auth) of the snapshot job.'),
  })
  .strict();
type Options = z.infer<typeof options>;

type M = 'noBackup' | 'noBackupChooseMethod';

interface Vault {
  readonly server: VaultServer;
  readonly hr: Resource;
  readonly name: string;
  readonly release: string;
  readonly namespace: string;
  readonly storage: string | undefined;
}

/** Vault servers that keep data: not dev mode (in-memory), not external, in a namespace the repository tells. */
function vaults(repo: Repo): Vault[] {
  const out: Vault[] = [];
  for (const server of vaultServers(repo)) {
    if (server.mode !== 'standalone' && server.mode !== 'ha') continue;
    if (!releaseNamespace(repo, server.release) && !goTruthy(server.value(['global', 'namespace']))) continue;
    const doc = server.config?.doc;
    out.push({
      server,
      hr: server.release,
      name: server.release.name ?? '(unnamed)',
      release: server.releaseName,
      namespace: server.namespace,
      storage: doc ? vaultStorageType(doc) : undefined,
    });
  }
  return out;
}

function veleroRelease(repo: Repo): Resource | undefined {
  return helmReleases(repo).find((hr) => repo.flux.helmChart(hr).chart === 'velero');
}

function runsVelero(repo: Repo): boolean {
  return !!veleroRelease(repo) || repo.resources.some((r) => r.group === GROUPS.velero);
}

function coveredByVelero(repo: Repo, namespace: string): boolean {
  return repo.ofKind('Schedule', GROUPS.velero).some((s) => {
    if (s.get(['spec', 'paused']) === true) return false;
    const inc = s.get(['spec', 'template', 'includedNamespaces']);
    const exc = s.get(['spec', 'template', 'excludedNamespaces']);
    const included = !Array.isArray(inc) || inc.length === 0 || inc.includes('*') || inc.includes(namespace);
    return included && !(Array.isArray(exc) && exc.includes(namespace));
  });
}

function hasSnapshotJob(repo: Repo): boolean {
  const snapshotText = /raft\s+snapshot\s+save|sys\/storage\/raft\/snapshot/;
  const jobs = [...repo.ofKind('CronJob', 'batch')].some((j) =>
    snapshotText.test(JSON.stringify(j.get(['spec', 'jobTemplate', 'spec', 'template', 'spec']) ?? '')),
  );
  const charts = helmReleases(repo).some((hr) => /raft-snapshot|vault-backup|vault-snapshot/.test(repo.flux.helmChart(hr).chart ?? ''));
  return jobs || charts;
}

function method(repo: Repo, options: Options): Options['method'] {
  return options.method ?? (runsVelero(repo) ? 'velero' : undefined);
}

function veleroFix(repo: Repo, vault: Vault, options: Options): FixOutput {
  const velero = veleroRelease(repo);
  const namespace = options.namespace ?? (velero && releaseNamespace(repo, velero)) ?? 'velero';
  const name = vault.release === vault.namespace ? vault.release : `${vault.namespace}-${vault.release}`.slice(0, 63).replace(/-+$/, '');
  const near = velero ?? vault.hr;
  const g = generateNear(repo, {
    near,
    baseName: `${name}-backup-schedule`,
    namespace,
    templates: ['schedule'],
    vars: {
      name,
      namespace,
      schedule: options.schedule,
      namespaces: [vault.namespace],
      storageLocation: options.storageLocation,
      ttl: formatDuration(durationMs(options.ttl)),
    },
  });
  if ('reason' in g) return { skipped: g.reason };
  const warnings = [
    `The Velero backup of ${vault.namespace} snapshots Vault's volumes while Vault runs: crash-consistent only. Test a restore; for consistent backups ${vault.storage === 'raft' ? 'add Raft snapshots (method raft-snapshot)' : 'add Raft snapshots (method raft-snapshot) once Vault runs on integrated storage (review item 3)'}.`,
  ];
  if (!runsVelero(repo))
    warnings.unshift(
      `This repository does not install Velero: the velero.io Schedule CRD and a BackupStorageLocation named ${options.storageLocation} must exist in the cluster before this change is applied, or the Flux Kustomization that applies it fails.`,
    );
  return {
    changes: g.changes,
    summary: `Velero Schedule ${namespace}/${name} (${options.schedule}, kept ${options.ttl})`,
    notes: [
      `Check that Velero can snapshot the volumes of ${vault.namespace} (a VolumeSnapshotLocation, or the CSI snapshot or file-system backup plug-in), and restore a backup into a scratch cluster.`,
    ],
    warnings,
  };
}

function raftFix(repo: Repo, vault: Vault, options: Options): FixOutput {
  const { server } = vault;
  const tls = vaultServesTls(server);
  const image = vaultImage(repo, server);
  if (!image.tag)
    return {
      skipped: `the image Vault ${vault.namespace}/${vault.name} runs cannot be told (chart version ${server.chartVersion ?? 'unpinned'}, no server.image.tag): set server.image.tag so the snapshot job runs the same Vault`,
    };
  const active = server.mode === 'ha' ? vaultServices(server).find((x) => x.role === 'active' && x.rendered) : undefined;
  const addr = `${tls ? 'https' : 'http'}://${active?.name ?? server.fullname}.${vault.namespace}.svc:8200`;
  // The CA of the certificate the server actually serves (ca.crt of the Secret it mounts for its listener).
  const cert = tls ? vaultMountedCert(server) : undefined;
  if (tls && !cert)
    return {
      skipped: `Vault ${vault.namespace}/${vault.name} serves TLS, but no Secret holding its certificate is mounted into the server (server.volumes or extraVolumes): the snapshot job would not know which CA to trust`,
    };
  const name = `${server.fullname}-raft-snapshot`.slice(0, 52);
  const serviceAccount = name;
  const claim = `${name}s`;
  const days = Math.max(1, Math.round(durationMs(options.ttl) / 86_400_000));
  const script = [
    `export VAULT_TOKEN="$(vault write -field=token auth/${options.authMount}/login role=${options.vaultRole} jwt="$(cat /var/run/secrets/kubernetes.io/serviceaccount/token)")"`,
    'vault operator raft snapshot save "/snapshots/vault-$(date +%Y%m%d-%H%M%S).snap"',
    `find /snapshots -name 'vault-*.snap' -mtime +${days} -delete`,
    '',
  ].join('\n');
  const env: TemplateValue[] = [{ name: 'VAULT_ADDR', value: addr }];
  const volumeMounts: TemplateValue[] = [{ name: 'snapshots', mountPath: '/snapshots' }];
  const volumes: TemplateValue[] = [{ name: 'snapshots', persistentVolumeClaim: { claimName: claim } }];
  const todo = ['image'];
  if (cert) {
    env.push({ name: 'VAULT_CACERT', value: '/vault/tls/ca.crt' });
    volumeMounts.push({ name: 'tls', mountPath: '/vault/tls', readOnly: true });
    volumes.push({ name: 'tls', secret: { secretName: cert.secret } });
    todo.push('volumes');
  }
  const nsObject = namespaceObject(repo, vault.namespace);
  const meshed = nsObject?.get(['metadata', 'annotations', 'linkerd.io/inject']) === 'enabled';
  // A meshed Job never completes: the proxy sidecar keeps running after the snapshot container exits.
  const podAnnotations: Record<string, string> = meshed ? { 'linkerd.io/inject': 'disabled' } : {};
  const g = generateNear(repo, {
    near: vault.hr,
    baseName: name,
    namespace: vault.namespace,
    templates: ['serviceaccount', 'pvc', 'cronjob'],
    vars: {
      name,
      namespace: vault.namespace,
      serviceAccount,
      claim,
      storage: options.snapshotStorage,
      schedule: options.schedule,
      podAnnotations,
      image: image.ref,
      script,
      env,
      volumeMounts,
      volumes,
    },
    todo,
  });
  if ('reason' in g) return { skipped: g.reason };
  return {
    changes: g.changes,
    summary: `CronJob ${vault.namespace}/${name}: Raft snapshot ${options.schedule}, kept ${days} days`,
    notes: [
      `Give the snapshot job read access to the snapshot endpoint: vault policy write ${options.vaultRole} - <<< 'path "sys/storage/raft/snapshot" { capabilities = ["read"] }'`,
      `Let it log in: vault write auth/${options.authMount}/role/${options.vaultRole} bound_service_account_names=${serviceAccount} bound_service_account_namespaces=${vault.namespace} policies=${options.vaultRole} ttl=10m`,
      `Copy the snapshots in the ${claim} volume off the cluster (object storage, another site): a backup on the cluster's own storage does not survive losing the cluster. Restore with vault operator raft snapshot restore.`,
      `The image ${image.ref} is ${image.chartDefault ? `the default of the pinned chart ${server.chartVersion ?? '(unpinned: the newest this tool knows)'}, which the server runs` : "the server's own image"}; it is marked TODO(gitops-fix): keep it at the Vault server's version.`,
    ],
  };
}

export const rule = defineRule({
  meta: {
    id: 'vault-no-backup',
    title: "Require backups of Vault's data",
    reviewItem: 8,
    severity: 'high',
    phase: 2,
    messages: {
      noBackup:
        "HelmRelease {name}: no Velero Schedule covers namespace {namespace} and no job saves Raft snapshots: losing Vault's {storage} storage loses every secret for good",
      noBackupChooseMethod:
        "HelmRelease {name}: no Velero Schedule covers namespace {namespace} and no job saves Raft snapshots: losing Vault's {storage} storage loses every secret for good (set rules.vault-no-backup.method to velero or raft-snapshot)",
    },
    prompts: [
      {
        option: 'method',
        message: 'How should Vault be backed up: velero (a Velero Schedule) or raft-snapshot (a CronJob saving Raft snapshots)?',
        validate: (v) => (v === 'velero' || v === 'raft-snapshot' ? true : 'velero or raft-snapshot'),
      },
    ],
  },
  options,
  *detect({ repo, options }): Generator<Report<M, Vault>> {
    if (hasSnapshotJob(repo)) return;
    for (const vault of vaults(repo)) {
      if (coveredByVelero(repo, vault.namespace)) continue;
      const data = { name: vault.name, namespace: vault.namespace, storage: vault.storage ?? 'unknown' };
      const chosen = method(repo, options);
      yield { messageId: chosen ? 'noBackup' : 'noBackupChooseMethod', resource: vault.hr, path: ['spec', 'values', 'server'], data, detail: vault };
    }
  },
  checklist({ repo }) {
    const na = vaultNotApplicable(repo);
    if (na) return notApplicable(na);
    if (!vaults(repo).length) return notApplicable('Vault runs in dev mode only (in memory, nothing to back up)');
    return clean(hasSnapshotJob(repo) ? 'a Raft snapshot job backs Vault up' : "a Velero schedule covers every Vault server's namespace");
  },
  fix: {
    kind: 'generate',
    safe: false,
    apply({ detail: vault }, { repo, options }) {
      const chosen = method(repo, options);
      if (!chosen) return { skipped: 'set rules.vault-no-backup.method (velero or raft-snapshot): this repository does not run Velero' };
      if (chosen === 'velero') return veleroFix(repo, vault, options);
      if (vault.storage !== 'raft')
        return {
          skipped: `Vault uses ${vault.storage ?? 'an unknown'} storage: Raft snapshots need integrated storage (review item 3); use method velero until then`,
        };
      return raftFix(repo, vault, options);
    },
  },
});
