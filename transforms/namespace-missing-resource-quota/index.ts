import {
  clean,
  defineRule,
  formatCpu,
  formatMemory,
  formatStorage,
  generateNear,
  helmReleases,
  namespaceAnchor,
  namespacedResources,
  notApplicable,
  parseCpuMillis,
  parseQuantity,
  persistentVolumeClaimView,
  statefulSetView,
  productionNamespacesWithout,
  productionTargets,
  releaseNamespace,
  runningContainers,
  workloadsIn,
  z,
  type Container,
  type Repo,
  type Report,
  type Workload,
} from '../../src/kit/index.js';

const CPU = /^(\d+(\.\d+)?|\d+m)$/;
const MEMORY = /^\d+(Ki|Mi|Gi|Ti)$/;

const options = z
  .object({
    includeClusterNamespaces: z.boolean().default(false).describe('Also cover every namespace applied to a production cluster.'),
    headroom: z.number().int().min(0).max(500).default(50).describe('Percent added to the declared totals (rolling updates surge, growth).'),
    defaultRequestCpu: z.string().regex(CPU).default('100m').describe('LimitRange default CPU request.'),
    defaultRequestMemory: z.string().regex(MEMORY).default('128Mi').describe('LimitRange default memory request.'),
    defaultLimitMemory: z.string().regex(MEMORY).default('512Mi').describe('LimitRange default memory limit.'),
    quota: z
      .object({
        'requests.cpu': z.string().regex(CPU).default('4'),
        'requests.memory': z.string().regex(MEMORY).default('8Gi'),
        'limits.memory': z.string().regex(MEMORY).default('8Gi'),
        persistentvolumeclaims: z.string().regex(/^\d+$/).default('10'),
        'requests.storage': z.string().regex(MEMORY).default('100Gi'),
      })
      .strict()
      .default({ 'requests.cpu': '4', 'requests.memory': '8Gi', 'limits.memory': '8Gi', persistentvolumeclaims: '10', 'requests.storage': '100Gi' })
      .describe('The quota written when the repository declares no workload for the namespace.'),
  })
  .strict();
type Options = z.infer<typeof options>;

type M = 'noQuota';

/** The production namespace the finding is about. */
interface Detail {
  readonly namespace: string;
}

interface Totals {
  cpu: number; // millicores, requests
  memory: number; // bytes, requests
  memoryLimit: number; // bytes
  claims: number;
  storage: number; // bytes
  pods: number;
}

/** Injected sidecars and their resources (the Vault Agent Injector's defaults; Linkerd's proxy declares none). */
function sidecars(w: Workload, meshedNs: boolean): Container[] {
  const out: Container[] = [];
  const base = { image: undefined, list: 'containers' as const, path: [], ports: [], sidecar: true };
  if (meshedNs || w.podAnnotations['linkerd.io/inject'] === 'enabled') out.push({ ...base, name: 'linkerd-proxy', requests: {}, limits: {} });
  if (w.podAnnotations['vault.hashicorp.com/agent-inject'] === 'true')
    out.push({ ...base, name: 'vault-agent', requests: { cpu: '250m', memory: '64Mi' }, limits: { cpu: '500m', memory: '128Mi' } });
  return out;
}

function podCount(w: Workload): number {
  if (w.autoscaler?.maxReplicas !== undefined) return w.autoscaler.maxReplicas;
  return w.replicas ?? 1;
}

function declaredTotals(repo: Repo, namespace: string, o: Options): Totals | undefined {
  const ws = workloadsIn(repo, namespace);
  if (!ws.length) return undefined;
  const ns = repo.ofKind('Namespace').find((n) => n.group === '' && n.name === namespace);
  const meshed = ns?.get(['metadata', 'annotations', 'linkerd.io/inject']) === 'enabled';
  const t: Totals = { cpu: 0, memory: 0, memoryLimit: 0, claims: 0, storage: 0, pods: 0 };
  for (const w of ws) {
    const n = podCount(w);
    const running = [...runningContainers(w), ...sidecars(w, meshed)];
    // The LimitRange fills in what a container leaves out; a request defaults to the limit when only a limit is set.
    const req = (c: Container, k: 'cpu' | 'memory') => c.requests[k] ?? c.limits[k] ?? (k === 'cpu' ? o.defaultRequestCpu : o.defaultRequestMemory);
    const podCpu = Math.max(
      running.reduce((s, c) => s + (parseCpuMillis(req(c, 'cpu')) ?? 0), 0),
      ...w.initContainers.filter((c) => !c.sidecar).map((c) => parseCpuMillis(req(c, 'cpu')) ?? 0),
    );
    const podMem = Math.max(
      running.reduce((s, c) => s + (parseQuantity(req(c, 'memory')) ?? 0), 0),
      ...w.initContainers.filter((c) => !c.sidecar).map((c) => parseQuantity(req(c, 'memory')) ?? 0),
    );
    const podLim = running.reduce((s, c) => s + (parseQuantity(c.limits.memory ?? o.defaultLimitMemory) ?? 0), 0);
    t.cpu += n * podCpu;
    t.memory += n * podMem;
    t.memoryLimit += n * podLim;
    t.pods += n;
    if (w.kind === 'StatefulSet') {
      for (const vct of statefulSetView(w.resource)?.spec.volumeClaimTemplates ?? []) {
        const size = parseQuantity(vct?.spec.resources.requests.storage);
        t.claims += n;
        t.storage += n * (size ?? 0);
      }
    }
  }
  for (const { resource, namespace: pns } of namespacedResources(repo)) {
    if (pns !== namespace || resource.kind !== 'PersistentVolumeClaim' || resource.group !== '') continue;
    t.claims += 1;
    t.storage += parseQuantity(persistentVolumeClaimView(resource)?.spec.resources.requests.storage) ?? 0;
  }
  return t;
}

function sized(t: Totals, headroom: number): Record<string, string> {
  const f = 1 + headroom / 100;
  const hard: Record<string, string> = {
    'requests.cpu': formatCpu(Math.ceil((t.cpu * f) / 100) * 100),
    'requests.memory': formatMemory(t.memory * f),
    'limits.memory': formatMemory(t.memoryLimit * f),
  };
  if (t.claims) {
    hard.persistentvolumeclaims = String(Math.ceil(t.claims * f));
    hard['requests.storage'] = formatStorage(t.storage * f);
  }
  return hard;
}

export const rule = defineRule({
  meta: {
    id: 'namespace-missing-resource-quota',
    title: 'Require a ResourceQuota and LimitRange in production namespaces',
    reviewItem: 12,
    quickWin: true,
    severity: 'medium',
    phase: 3,
    messages: {
      noQuota: 'Namespace {name} is production and has no ResourceQuota: one runaway workload or a bad rollout can take all the CPU and memory its nodes have',
    },
  },
  options,
  *detect({ repo, options }): Generator<Report<M, Detail>> {
    const hasQuota = (ns: string) =>
      namespacedResources(repo).some((x) => x.namespace === ns && x.resource.kind === 'ResourceQuota' && x.resource.group === '');
    for (const gap of productionNamespacesWithout(repo, options.includeClusterNamespaces, hasQuota)) {
      yield { messageId: 'noQuota', resource: gap.resource, path: gap.path, data: { name: gap.name }, detail: { namespace: gap.name } };
    }
  },
  checklist({ repo, options }) {
    if (!productionTargets(repo, options.includeClusterNamespaces).length)
      return notApplicable('no production namespace in this repository (set production.namespaces or production.clusters)');
    return clean('every production namespace has a ResourceQuota');
  },
  fix: {
    kind: 'generate',
    safe: false,
    apply({ detail: { namespace } }, { repo, options }) {
      const near = namespaceAnchor(repo, namespace);
      if (!near) return { skipped: `nothing in the repository is applied to namespace ${namespace}` };
      const totals = declaredTotals(repo, namespace, options);
      const hard = totals ? sized(totals, options.headroom) : { ...options.quota };
      const hasLimitRange = namespacedResources(repo).some((x) => x.namespace === namespace && x.resource.kind === 'LimitRange');
      const templates = hasLimitRange ? ['resourcequota'] : ['resourcequota', 'limitrange'];
      const vars = {
        name: `${namespace}-quota`.slice(0, 63),
        namespace,
        hard,
        ...(hasLimitRange
          ? {}
          : {
              limitRangeName: `${namespace}-defaults`.slice(0, 63),
              defaultLimits: { memory: options.defaultLimitMemory },
              defaultRequests: { cpu: options.defaultRequestCpu, memory: options.defaultRequestMemory },
            }),
      };
      const releases = helmReleases(repo).filter((hr) => releaseNamespace(repo, hr) === namespace);
      const todo = totals && !releases.length ? [] : ['hard'];
      const g = generateNear(repo, { near, baseName: `${namespace}-resource-quota`, namespace, templates, vars, todo });
      if ('reason' in g) return { skipped: g.reason };
      const notes: string[] = [];
      const warnings: string[] = [];
      if (totals) {
        notes.push(
          `Namespace ${namespace}: the quota is the requests and limits its ${totals.pods} pods declare (with LimitRange defaults for what they leave out, and injected sidecars) plus ${options.headroom}% headroom: ${Object.entries(
            hard,
          )
            .map(([k, v]) => `${k} ${v}`)
            .join(', ')}. Raise it before scaling up.`,
        );
      } else {
        notes.push(
          `Namespace ${namespace}: the repository declares no workload for it, so the quota uses the configured defaults (marked TODO(gitops-fix)); size it from what runs there (kubectl top / describe quota).`,
        );
      }
      if (releases.length)
        warnings.push(
          `Namespace ${namespace} also runs HelmRelease ${releases.map((r) => r.name).join(', ')}, whose pods are not in the quota: add their requests before merging, or the quota rejects their pods.`,
        );
      if (!hasLimitRange)
        warnings.push(
          `Namespace ${namespace}: containers without a memory limit get ${options.defaultLimitMemory} from the LimitRange on their next restart; one that needs more is OOM-killed. Check the workloads that declare none.`,
        );
      return { changes: g.changes, summary: `ResourceQuota${hasLimitRange ? '' : ' and LimitRange'} for ${namespace}`, notes, warnings };
    },
  },
});
