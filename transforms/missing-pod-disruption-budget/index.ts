import {
  clean,
  defineRule,
  getIn,
  effectiveReplicas,
  generateNear,
  helmReleases,
  isExternalSecrets,
  isVaultServer,
  notApplicable,
  parseSelector,
  selectorMatches,
  valueTarget,
  vaultReplicas,
  vaultServer,
  workloads,
  z,
  type Change,
  type Repo,
  type Report,
  type Resource,
  type TemplateValue,
  type Workload,
} from '../../src/kit/index.js';

const options = z
  .object({
    maxUnavailable: z
      .union([z.number().int().min(1), z.string().regex(/^([1-9]\d?|100)%$/, 'a percentage such as 25%')])
      .default(1)
      .describe('maxUnavailable of the generated PodDisruptionBudgets.'),
    singleReplica: z.enum(['ignore', 'report']).default('ignore').describe('Report workload manifests that run one replica (no budget is generated for them).'),
  })
  .strict();

type M =
  'unprotected' | 'singleReplica' | 'vaultStandalone' | 'vaultBudgetDisabled' | 'injectorUnprotected' | 'esoSingle' | 'esoBudgetOnOne' | 'esoUnprotected';

/** What the fix writes: a budget for a workload manifest, or values of a chart release. */
type Detail =
  | { readonly type: 'workload'; readonly workload: Workload }
  | {
      readonly type: 'values';
      readonly release: Resource;
      readonly set: readonly { readonly path: readonly string[]; readonly value: TemplateValue; readonly comment?: string }[];
    };

/** External Secrets Deployments with their own replicaCount and podDisruptionBudget (the cert controller only renews a certificate). */
const ESO_COMPONENTS = [
  { component: 'controller', prefix: [] as string[], leader: true },
  { component: 'webhook', prefix: ['webhook'], leader: false },
];

function int(v: unknown, fallback: number): number | undefined {
  if (v === undefined || v === null) return fallback;
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string' && /^\d+$/.test(v)) return Number(v);
  return undefined;
}

function isProtected(repo: Repo, w: Workload): boolean {
  return repo.ofKind('PodDisruptionBudget', 'policy').some((pdb) => {
    if (repo.flux.namespaceOf(pdb) !== w.namespace) return false;
    const sel = pdb.get(['spec', 'selector']);
    return sel !== null && selectorMatches(parseSelector(sel ?? {}), w.podLabels);
  });
}

function* chartFindings(repo: Repo, hr: Resource): Generator<Report<M, Detail>> {
  const values = repo.flux.values(hr);
  const name = hr.name ?? '(unnamed)';
  const at = (path: readonly string[]) => valueTarget(repo, hr, path);
  const loc = (path: readonly string[]) => {
    const t = at(path);
    return { resource: t.resource, path: t.path };
  };
  const server = isVaultServer(repo, hr) ? vaultServer(repo, hr) : undefined;
  if (server) {
    if (server.mode !== 'standalone' && server.mode !== 'ha') return;
    if (server.mode !== 'ha') {
      yield { messageId: 'vaultStandalone', ...loc(['server', 'ha', 'enabled']), data: { name }, fixable: false };
    } else if (String(server.value(['server', 'ha', 'disruptionBudget', 'enabled'])) === 'false') {
      const replicas = vaultReplicas(server);
      const set = [{ path: ['server', 'ha', 'disruptionBudget', 'enabled'], value: true }];
      yield {
        messageId: 'vaultBudgetDisabled',
        ...loc(set[0]!.path),
        data: { name, replicas },
        detail: { type: 'values', release: hr, set },
      };
    }
    const injectorOn = server.value(['injector', 'enabled']);
    const injectorReplicas = int(getIn(values, ['injector', 'replicas']), 1);
    const budget = getIn(values, ['injector', 'podDisruptionBudget']);
    const empty = budget === undefined || budget === null || (typeof budget === 'object' && Object.keys(budget).length === 0);
    if (injectorOn !== false && injectorOn !== 'false' && injectorReplicas !== undefined && injectorReplicas >= 2 && empty) {
      const set = [{ path: ['injector', 'podDisruptionBudget', 'maxUnavailable'], value: 1 }];
      yield {
        messageId: 'injectorUnprotected',
        ...loc(['injector', 'podDisruptionBudget']),
        data: { name, replicas: injectorReplicas },
        detail: { type: 'values', release: hr, set },
      };
    }
    return;
  }
  if (!isExternalSecrets(repo, hr)) return;
  for (const c of ESO_COMPONENTS) {
    if (c.component === 'webhook' && getIn(values, ['webhook', 'create']) === false) continue;
    const replicas = int(getIn(values, [...c.prefix, 'replicaCount']), 1);
    if (replicas === undefined || replicas === 0) continue;
    const enabled = getIn(values, [...c.prefix, 'podDisruptionBudget', 'enabled']) === true;
    const prefix = c.prefix.length ? `${c.prefix.join('.')}.` : '';
    const pdbPath = [...c.prefix, 'podDisruptionBudget', 'enabled'];
    const twoReplicas = [
      { path: [...c.prefix, 'replicaCount'], value: 2 },
      ...(c.leader && getIn(values, ['leaderElect']) !== true ? [{ path: ['leaderElect'], value: true }] : []),
    ];
    const data = { name, component: c.component, prefix, replicas, leader: c.leader ? ' with leaderElect: true' : '' };
    if (replicas >= 2 && enabled) continue;
    if (replicas >= 2) {
      const set = [{ path: pdbPath, value: true }, ...(c.leader && getIn(values, ['leaderElect']) !== true ? [{ path: ['leaderElect'], value: true }] : [])];
      yield { messageId: 'esoUnprotected', ...loc(pdbPath), data, detail: { type: 'values', release: hr, set } };
    } else if (enabled) {
      yield {
        messageId: 'esoBudgetOnOne',
        ...loc([...c.prefix, 'replicaCount']),
        data,
        detail: { type: 'values', release: hr, set: twoReplicas },
      };
    } else {
      yield {
        messageId: 'esoSingle',
        ...loc([...c.prefix, 'replicaCount']),
        data,
        detail: { type: 'values', release: hr, set: [...twoReplicas, { path: pdbPath, value: true }] },
      };
    }
  }
}

export const rule = defineRule({
  meta: {
    id: 'missing-pod-disruption-budget',
    title: 'Require a PodDisruptionBudget for replicated workloads',
    reviewItem: 7,
    severity: 'high',
    phase: 2,
    staleComments: /\b(replicas?|disruption|pdb|one (replica|pod) is enough)\b/i,
    messages: {
      unprotected:
        '{kind} {name} runs {replicas} replicas and no PodDisruptionBudget selects its pods: a node drain or cluster upgrade may evict all of them at once',
      singleReplica:
        '{kind} {name} runs one replica: a PodDisruptionBudget cannot keep it available (a budget that forbids evicting its only pod blocks node drains); run 2 or more replicas for availability',
      vaultStandalone:
        'HelmRelease {name}: Vault runs a single server (server.ha.enabled is not true), so no PodDisruptionBudget is possible: a budget on its only pod would block every node drain. Run Vault in HA mode (review item 2); the chart then renders its own budget',
      vaultBudgetDisabled:
        'HelmRelease {name}: Vault HA runs {replicas} servers with server.ha.disruptionBudget.enabled false: a node drain may evict enough of them to lose the Raft quorum',
      injectorUnprotected:
        'HelmRelease {name}: the Vault Agent Injector runs {replicas} replicas and injector.podDisruptionBudget is empty: a node drain may evict all of them at once',
      esoSingle:
        'HelmRelease {name}: the External Secrets {component} runs {replicas} replica and {prefix}podDisruptionBudget.enabled is false; a budget on one replica would block node drains, so it needs 2 replicas{leader} and then the budget',
      esoBudgetOnOne:
        'HelmRelease {name}: {prefix}podDisruptionBudget.enabled is true with {replicas} replica of the External Secrets {component}: minAvailable 1 on a single pod blocks every node drain',
      esoUnprotected:
        'HelmRelease {name}: the External Secrets {component} runs {replicas} replicas and {prefix}podDisruptionBudget.enabled is false: a node drain may evict all of them at once',
    },
  },
  options,
  *detect({ repo, options }): Generator<Report<M, Detail>> {
    for (const w of workloads(repo, ['Deployment', 'StatefulSet', 'ReplicaSet'])) {
      const replicas = effectiveReplicas(w);
      if (replicas === undefined || replicas === 0 || isProtected(repo, w)) continue;
      const data = { kind: w.kind, name: w.name, replicas };
      if (replicas >= 2) yield { messageId: 'unprotected', resource: w.resource, path: ['spec', 'replicas'], data, detail: { type: 'workload', workload: w } };
      else if (options.singleReplica === 'report') yield { messageId: 'singleReplica', resource: w.resource, path: ['spec', 'replicas'], data, fixable: false };
    }
    for (const hr of helmReleases(repo)) yield* chartFindings(repo, hr);
  },
  checklist({ repo }) {
    const replicated = workloads(repo, ['Deployment', 'StatefulSet', 'ReplicaSet']).some((w) => (effectiveReplicas(w) ?? 0) >= 2);
    const charts = helmReleases(repo).some((hr) => isVaultServer(repo, hr) || isExternalSecrets(repo, hr));
    if (!replicated && !charts) return notApplicable('no replicated workload and no Vault or External Secrets release');
    return clean('every replicated workload and Vault/External Secrets release has a PodDisruptionBudget that allows an eviction');
  },
  fix: {
    kind: 'generate',
    safe: false,
    apply({ detail }, { repo, options }) {
      if (detail.type === 'values') {
        const hr = detail.release;
        const changes: Change[] = detail.set.map((s) => {
          const t = valueTarget(repo, hr, s.path);
          return { op: 'set', resource: t.resource, path: t.path, value: s.value, ...(s.comment ? { comment: s.comment } : {}) };
        });
        const raises = detail.set.some((s) => s.path[s.path.length - 1] === 'replicaCount');
        return {
          changes,
          summary: `HelmRelease ${hr.name}: ${detail.set.map((s) => `${s.path.join('.')}: ${JSON.stringify(s.value)}`).join(', ')}`,
          ...(raises
            ? {
                notes: [
                  `HelmRelease ${hr.name}: ${detail.set
                    .filter((s) => s.path[s.path.length - 1] === 'replicaCount')
                    .map((s) => s.path.join('.'))
                    .join(
                      ', ',
                    )} raised to 2 so that a PodDisruptionBudget can allow one eviction; the External Secrets controller then runs 2 replicas with leader election (one reconciles, one stands by): check the resources requests and the nodes' room for the second pod.`,
                ],
              }
            : {}),
        };
      }
      const { workload } = detail;
      if (!workload.namespace)
        return { skipped: `${workload.kind} ${workload.name} has no namespace in the repository: write its PodDisruptionBudget by hand` };
      const selector = workload.resource.get(['spec', 'selector']);
      if (!selector || typeof selector !== 'object') return { skipped: `${workload.kind} ${workload.name} has no spec.selector` };
      const sameName = workloads(repo).filter((x) => x.name === workload.name && x.namespace === workload.namespace).length > 1;
      const name = sameName ? `${workload.name}-${workload.kind.toLowerCase()}` : workload.name;
      const g = generateNear(repo, {
        near: workload.resource,
        baseName: `${name}-pdb`,
        namespace: workload.namespace,
        templates: ['pdb'],
        vars: { name, namespace: workload.namespace, maxUnavailable: options.maxUnavailable, selector: selector as TemplateValue },
      });
      if ('reason' in g) return { skipped: g.reason };
      return { changes: g.changes, summary: `PodDisruptionBudget ${workload.namespace}/${name} (maxUnavailable ${options.maxUnavailable})` };
    },
  },
});
