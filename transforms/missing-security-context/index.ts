import {
  clean,
  containerSpecOf,
  defineRule,
  describeGaps,
  esoSecurityContexts,
  helmReleases,
  isExternalSecrets,
  isVaultServer,
  knownImageUser,
  knownLowPortImage,
  knownRootImage,
  locateValue,
  meetsRestricted,
  notApplicable,
  restrictedGaps,
  valueTarget,
  vaultAppend,
  vaultSecurityContexts,
  vaultServers,
  vaultSet,
  workloads,
  z,
  type Change,
  type ChartPod,
  type PodGaps,
  type Report,
  type Resource,
  type VaultServer,
  type YamlPath,
} from '../../src/kit/index.js';

const options = z
  .object({
    readOnlyRootFilesystem: z
      .boolean()
      .default(false)
      .describe('Also require readOnlyRootFilesystem: true on every container (not a Pod Security control; apps that write to / need emptyDir mounts).'),
    scope: z.enum(['all', 'production']).default('all').describe('Check every workload, or only those deployed to production.'),
  })
  .strict();

type M = 'notRestricted' | 'nonRootUnverified' | 'needsPrivileges' | 'chartPod' | 'chartPodBlocked' | 'chartTooOld';

/** What the fix changes: a manifest's pod spec, or the values of a chart release's pod. */
type Detail =
  | { readonly type: 'manifest'; readonly spec: YamlPath; readonly gaps: PodGaps }
  | { readonly type: 'chart'; readonly release: Resource; readonly server: VaultServer | undefined; readonly pod: ChartPod };

/** Why a container binds a port below 1024 (a containerPort, or an image known to), or undefined. */
function lowPort(resource: Resource, container: YamlPath, image: string | undefined): string | undefined {
  const low = (containerSpecOf(resource.get(container))?.ports ?? [])
    .map((p) => p?.containerPort)
    .find((p): p is number => typeof p === 'number' && p > 0 && p < 1024);
  if (low !== undefined) return `it binds port ${low}`;
  return knownLowPortImage(image);
}

/**
 * Why `runAsNonRoot: true` cannot be set safely on this pod, or undefined when it can: an image known to start as
 * root, a mount under /root, or an image whose user is unknown with no runAsUser set (the kubelet then refuses to
 * start a container whose image user is root or not numeric).
 */
function nonRootRisk(resource: Resource, spec: YamlPath, g: PodGaps): string | undefined {
  const containers = g.containers.filter((c) => c.list !== 'ephemeralContainers');
  for (const c of containers) {
    const root = knownRootImage(c.image);
    if (root) return `container ${c.name}: ${root}`;
    const home = (containerSpecOf(resource.get([...spec, c.list, c.index]))?.volumeMounts ?? [])
      .map((m) => m?.mountPath)
      .find((m) => m !== undefined && /^\/root(\/|$)/.test(m));
    if (home) return `container ${c.name} mounts ${home}, so it runs as root`;
  }
  const podUser = resource.get([...spec, 'securityContext', 'runAsUser']);
  if (typeof podUser === 'number' && podUser > 0) return undefined;
  const unknown = containers.filter((c) => {
    const own = resource.get([...spec, c.list, c.index, 'securityContext', 'runAsUser']);
    return !(typeof own === 'number' && own > 0) && !knownImageUser(c.image);
  });
  const users = containers.map((c) => knownImageUser(c.image)?.uid);
  if (unknown.length && users.some((u) => u !== undefined) && new Set(users.filter((u) => u !== undefined)).size > 1)
    return 'its containers run as different users';
  if (unknown.length) return `the user of ${unknown.map((c) => `${c.name} (${c.image ?? 'no image'})`).join(', ')} is unknown and no runAsUser is set`;
  return undefined;
}

/** Changes that close the gaps of a manifest pod spec at `spec` inside `resource`. */
function manifestChanges(resource: Resource, spec: YamlPath, g: PodGaps, readOnlyRoot: boolean): { changes: Change[]; notes: string[] } {
  const changes: Change[] = [];
  const notes: string[] = [];
  const sc = [...spec, 'securityContext'];
  if (g.runAsNonRoot) {
    const users = g.containers.filter((c) => c.list !== 'ephemeralContainers').map((c) => knownImageUser(c.image));
    const user = users.length > 0 && users.every((u) => u && u.uid === users[0]!.uid) ? users[0]! : undefined;
    // Reached only when it is safe (nonRootRisk): the images' user is known, or runAsUser says who runs.
    const hasUser = resource.get([...sc, 'runAsUser']) !== undefined;
    changes.push({ op: 'set', resource, path: [...sc, 'runAsNonRoot'], value: true });
    if (user && !hasUser) {
      changes.push({ op: 'set', resource, path: [...sc, 'runAsUser'], value: user.uid });
      changes.push({ op: 'set', resource, path: [...sc, 'runAsGroup'], value: user.gid });
      if (resource.get([...sc, 'fsGroup']) === undefined) changes.push({ op: 'set', resource, path: [...sc, 'fsGroup'], value: user.gid });
      notes.push(
        `${resource.kind} ${resource.name}: runs as uid ${user.uid}, gid ${user.gid}, the user of ${user.source}; fsGroup makes its volumes writable for that group.`,
      );
    }
  }
  if (g.seccomp) changes.push({ op: 'set', resource, path: [...sc, 'seccompProfile'], value: { type: 'RuntimeDefault' } });
  for (const c of g.containers) {
    if (c.list === 'ephemeralContainers') continue;
    const csc = [...spec, c.list, c.index, 'securityContext'];
    if (c.privilegeEscalation) changes.push({ op: 'set', resource, path: [...csc, 'allowPrivilegeEscalation'], value: false });
    if (c.capabilities) {
      changes.push({ op: 'set', resource, path: [...csc, 'capabilities', 'drop'], value: ['ALL'] });
      // Dropping ALL also drops NET_BIND_SERVICE: a container that binds a port below 1024 would fail to start.
      const low = lowPort(resource, [...spec, c.list, c.index], c.image);
      const added = resource.get([...csc, 'capabilities', 'add']);
      const add = Array.isArray(added) ? added.map(String) : [];
      if (low && !add.some((x) => x.replace(/^CAP_/, '') === 'NET_BIND_SERVICE')) {
        changes.push({ op: 'set', resource, path: [...csc, 'capabilities', 'add'], value: [...add, 'NET_BIND_SERVICE'] });
        notes.push(`${resource.kind} ${resource.name}: container ${c.name} keeps NET_BIND_SERVICE (${low}); the "restricted" profile allows adding it back.`);
      }
    }
    if (c.runAsRootAllowed) changes.push({ op: 'set', resource, path: [...csc, 'runAsNonRoot'], value: true });
    if (c.seccomp) changes.push({ op: 'set', resource, path: [...csc, 'seccompProfile'], value: { type: 'RuntimeDefault' } });
    if (readOnlyRoot && c.writableRoot) {
      changes.push({ op: 'set', resource, path: [...csc, 'readOnlyRootFilesystem'], value: true });
      notes.push(
        `${resource.kind} ${resource.name}: container ${c.name} now has a read-only root file system: mount an emptyDir wherever the app writes (e.g. /tmp) before merging.`,
      );
    }
  }
  return { changes, notes };
}

export const rule = defineRule({
  meta: {
    id: 'missing-security-context',
    title: 'Require security contexts that meet the Pod Security "restricted" profile',
    reviewItem: 11,
    quickWin: true,
    severity: 'medium',
    phase: 2,
    staleComments: /\b(root|privilege[ds]?|capabilit(y|ies)|security ?context|seccomp|non-?root)\b/i,
    messages: {
      notRestricted: '{kind} {name} does not meet {profile}: {problems}',
      needsPrivileges:
        '{kind} {name} needs what Pod Security "restricted" forbids ({blockers}); security contexts cannot fix that: run it in a namespace whose Pod Security level allows it, or change what it does',
      nonRootUnverified:
        "{kind} {name} does not set runAsNonRoot, and it cannot be set safely: {reason}; the kubelet would refuse to start the container. Set runAsUser to the image's non-root uid (and check that it starts), then runAsNonRoot: true",
      chartPod: 'HelmRelease {name}: the {component} pods do not meet {profile}: {problems}',
      chartPodBlocked: 'HelmRelease {name}: the {component} pods need what Pod Security "restricted" forbids ({blockers})',
      chartTooOld:
        'HelmRelease {name}: Vault chart {version} has no server.statefulSet.securityContext / injector.securityContext (added in 0.21.0) and renders pods without a seccompProfile; upgrade the chart',
    },
  },
  options,
  *detect({ repo, options }): Generator<Report<M, Detail>> {
    const ro = { readOnlyRootFilesystem: options.readOnlyRootFilesystem };
    const profile = options.readOnlyRootFilesystem ? 'Pod Security "restricted" with read-only root filesystems' : 'Pod Security "restricted"';
    const inScope = (r: Resource) => options.scope === 'all' || repo.flux.isProduction(r);
    for (const w of workloads(repo)) {
      if (/(^|\/)gotk-components\.ya?ml$/.test(w.file) || !inScope(w.resource)) continue; // flux bootstrap owns gotk-components
      const g = restrictedGaps(w.resource.get(w.podSpecPath));
      const data = { kind: w.kind, name: w.namespace ? `${w.namespace}/${w.name}` : w.name };
      const path = [...w.podSpecPath, 'securityContext'];
      if (g.blockers.length) {
        yield { messageId: 'needsPrivileges', resource: w.resource, path, data: { ...data, blockers: g.blockers.join('; ') }, fixable: false };
        continue;
      }
      const risk = g.runAsNonRoot ? nonRootRisk(w.resource, w.podSpecPath, g) : undefined;
      const rest = risk ? { ...g, runAsNonRoot: false } : g;
      if (risk) yield { messageId: 'nonRootUnverified', resource: w.resource, path, data: { ...data, reason: risk }, fixable: false };
      if (!meetsRestricted(rest, ro))
        yield {
          messageId: 'notRestricted',
          resource: w.resource,
          path,
          data: { ...data, profile, problems: describeGaps(rest, ro).join('; ') },
          detail: { type: 'manifest', spec: w.podSpecPath, gaps: rest },
        };
    }
    const charts: { hr: Resource; server?: VaultServer; pods: readonly ChartPod[] | { tooOld: string } }[] = [
      ...vaultServers(repo).map((s) => ({ hr: s.release, server: s, pods: vaultSecurityContexts(s) })),
      ...helmReleases(repo)
        .filter((hr) => isExternalSecrets(repo, hr))
        .map((hr) => ({ hr, pods: esoSecurityContexts(repo, hr) })),
    ];
    for (const { hr, server, pods } of charts) {
      if (!inScope(hr)) continue;
      const name = hr.name ?? '(unnamed)';
      if ('tooOld' in pods) {
        yield { messageId: 'chartTooOld', resource: hr, path: ['spec', 'chart', 'spec', 'version'], data: { name, version: pods.tooOld }, fixable: false };
        continue;
      }
      for (const pod of pods) {
        const at = valueTarget(repo, hr, pod.podKey);
        if (pod.gaps.blockers.length)
          yield {
            messageId: 'chartPodBlocked',
            resource: at.resource,
            path: at.path,
            data: { name, component: pod.component, blockers: pod.gaps.blockers.join('; ') },
            fixable: false,
          };
        else if (!meetsRestricted(pod.gaps, ro))
          yield {
            messageId: 'chartPod',
            resource: at.resource,
            path: at.path,
            data: { name, component: pod.component, profile, problems: describeGaps(pod.gaps, ro).join('; ') },
            detail: { type: 'chart', release: hr, server, pod },
          };
      }
    }
  },
  checklist({ repo, options }) {
    const inScope = (r: Resource) => options.scope === 'all' || repo.flux.isProduction(r);
    const pods = workloads(repo).some((w) => !/(^|\/)gotk-components\.ya?ml$/.test(w.file) && inScope(w.resource));
    const charts = helmReleases(repo).some((hr) => (isVaultServer(repo, hr) || isExternalSecrets(repo, hr)) && inScope(hr));
    const where = options.scope === 'all' ? '' : 'production ';
    if (!pods && !charts) return notApplicable(`no ${where}workload and no ${where}Vault or External Secrets release`);
    return clean(`every ${where}workload and chart release meets Pod Security "restricted"`);
  },
  fix: {
    kind: 'edit',
    safe: false,
    apply({ resource, detail }, { repo, options }) {
      const ro = options.readOnlyRootFilesystem;
      if (detail.type === 'manifest') {
        const { changes, notes } = manifestChanges(resource, detail.spec, detail.gaps, ro);
        return { changes, notes, summary: 'restricted security context' };
      }
      const { release: hr, server, pod } = detail;
      const fix = pod.fix(ro);
      const changes: Change[] = fix.edits.map((e) => {
        if (e.op === 'delete') {
          const loc = locateValue(repo, hr, e.path);
          return { op: 'delete', resource: loc.source!.resource, path: loc.path! };
        }
        if (server) return e.op === 'append' ? vaultAppend(repo, server, e.path, e.value) : vaultSet(repo, server, e.path, e.value);
        return { op: 'set', ...valueTarget(repo, hr, e.path), value: e.value };
      });
      return { changes, notes: fix.notes, summary: `${pod.component} security context` };
    },
  },
});
