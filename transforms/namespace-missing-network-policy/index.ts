import {
  clean,
  defineRule,
  generateNear,
  helmReleases,
  namespaceAnchor,
  namespacedResources,
  notApplicable,
  productionNamespacesWithout,
  productionTargets,
  releaseNamespace,
  workloadsIn,
  vaultServers,
  z,
  type Repo,
  type Report,
  type TemplateValue,
} from '../../src/kit/index.js';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

const options = z
  .object({
    includeClusterNamespaces: z
      .boolean()
      .default(false)
      .describe('Also cover every namespace applied to a production cluster, not only the namespaces named, labelled or configured as production.'),
    dnsNamespace: z.string().regex(DNS_LABEL).default('kube-system').describe('Namespace of the cluster DNS.'),
    dnsLabels: z.record(z.string(), z.string()).default({ 'k8s-app': 'kube-dns' }).describe('Labels of the cluster DNS pods.'),
  })
  .strict();

type M = 'noPolicy';

/** The production namespace the finding is about. */
interface Detail {
  readonly namespace: string;
}

/** Cluster-wide policy kinds: when the repository uses them, namespaces may be covered without a NetworkPolicy of their own. */
const CLUSTER_POLICY_KINDS = ['CiliumClusterwideNetworkPolicy', 'GlobalNetworkPolicy', 'AdminNetworkPolicy', 'BaselineAdminNetworkPolicy'];
const INGRESS_CHARTS = /^(ingress-nginx|nginx-ingress|traefik|haproxy-ingress|kubernetes-ingress|contour|kong|ingress)$/;

function hasPolicy(repo: Repo, namespace: string): boolean {
  return namespacedResources(repo).some((x) => x.namespace === namespace && /NetworkPolicy$/.test(x.resource.kind ?? ''));
}

function meshed(repo: Repo, namespace: string): boolean {
  const ns = repo.ofKind('Namespace').find((n) => n.group === '' && n.name === namespace);
  if (ns?.get(['metadata', 'annotations', 'linkerd.io/inject']) === 'enabled') return true;
  return workloadsIn(repo, namespace).some((w) => w.podAnnotations['linkerd.io/inject'] === 'enabled');
}

function linkerdNamespace(repo: Repo): string | undefined {
  const hr = helmReleases(repo).find((h) => /^linkerd(2|-control-plane)$/.test(repo.flux.helmChart(h).chart ?? ''));
  if (hr) return releaseNamespace(repo, hr);
  return repo.ofKind('Namespace').find((n) => n.get(['metadata', 'labels', 'linkerd.io/is-control-plane']) === 'true')?.name;
}

function ingressNamespace(repo: Repo): string | undefined {
  const hr = helmReleases(repo).find((h) => INGRESS_CHARTS.test(repo.flux.helmChart(h).chart ?? ''));
  return hr ? releaseNamespace(repo, hr) : undefined;
}

function vaultNamespace(repo: Repo): string | undefined {
  return vaultServers(repo)[0]?.namespace;
}

export const rule = defineRule({
  meta: {
    id: 'namespace-missing-network-policy',
    title: 'Require default-deny NetworkPolicies in production namespaces',
    reviewItem: 10,
    severity: 'medium',
    phase: 2,
    messages: {
      noPolicy: 'Namespace {name} is production and has no NetworkPolicy: every pod in the cluster can reach its pods, and its pods can reach anything',
    },
  },
  options,
  *detect({ repo, options }): Generator<Report<M, Detail>> {
    if (repo.resources.some((r) => CLUSTER_POLICY_KINDS.includes(r.kind ?? ''))) return;
    for (const gap of productionNamespacesWithout(repo, options.includeClusterNamespaces, (ns) => hasPolicy(repo, ns))) {
      yield { messageId: 'noPolicy', resource: gap.resource, path: gap.path, data: { name: gap.name }, detail: { namespace: gap.name } };
    }
  },
  checklist({ repo, options }) {
    const cluster = repo.resources.find((r) => CLUSTER_POLICY_KINDS.includes(r.kind ?? ''));
    if (cluster) return clean(`cluster-wide network policies apply (${cluster.kind} ${cluster.name ?? ''})`.replace(' )', ')'));
    if (!productionTargets(repo, options.includeClusterNamespaces).length)
      return notApplicable('no production namespace in this repository (set production.namespaces or production.clusters)');
    return clean('every production namespace has a NetworkPolicy');
  },
  fix: {
    kind: 'generate',
    safe: false,
    apply({ detail: { namespace } }, { repo, options }) {
      const near = namespaceAnchor(repo, namespace);
      if (!near) return { skipped: `nothing in the repository is applied to namespace ${namespace}` };
      const templates = ['default-deny', 'allow-dns', 'allow-same-namespace'];
      const vars: Record<string, TemplateValue> = { namespace, dnsNamespace: options.dnsNamespace, dnsLabels: options.dnsLabels };
      const todo: string[] = [];
      const notes: string[] = [];
      const from = ['the namespace itself'];
      const to = ['DNS', 'the namespace itself'];
      if (meshed(repo, namespace)) {
        const ln = linkerdNamespace(repo);
        templates.push('allow-linkerd');
        vars.linkerdNamespace = ln ?? 'linkerd';
        if (!ln) todo.push('linkerdNamespace');
        from.push('meshed clients on the proxy port 4143', `the Linkerd control plane (${vars.linkerdNamespace}) on the admin port 4191`);
        to.push(`the Linkerd control plane (${vars.linkerdNamespace})`);
        notes.push(
          `Namespace ${namespace} is meshed: the proxies' readiness and liveness probes go to the admin port 4191 from the kubelet; where the network plug-in applies policies to node traffic, allow the node addresses on 4191.`,
        );
      }
      const ingresses = repo.ofKind('Ingress', 'networking.k8s.io').filter((i) => repo.flux.namespaceOf(i) === namespace);
      if (ingresses.length) {
        const ing = ingressNamespace(repo);
        if (ing) {
          templates.push('allow-ingress-controller');
          vars.ingressNamespace = ing;
          from.push(`the ingress controller (${ing})`);
        } else {
          notes.push(
            `Namespace ${namespace} has Ingress objects (${ingresses.map((i) => i.name).join(', ')}) but the repository does not show the ingress controller: add a NetworkPolicy that allows traffic from its namespace, or the Ingresses stop working.`,
          );
        }
      }
      const injected = workloadsIn(repo, namespace).some((w) => w.podAnnotations['vault.hashicorp.com/agent-inject'] === 'true');
      const vn = injected ? vaultNamespace(repo) : undefined;
      if (vn && vn !== namespace) {
        templates.push('allow-vault');
        vars.vaultNamespace = vn;
        to.push(`Vault (${vn}:8200)`);
      }
      const g = generateNear(repo, { near, baseName: `${namespace}-network-policies`, namespace, templates, vars, todo });
      if ('reason' in g) return { skipped: g.reason };
      return {
        changes: g.changes,
        summary: `NetworkPolicies for ${namespace}: default deny; allow in from ${from.join(', ')}; allow out to ${to.join(', ')}`,
        notes,
        warnings: [
          `Namespace ${namespace}: after this change its pods accept traffic only from ${from.join(', ')} and reach only ${to.join(', ')}. List what else its workloads call or are called by (other namespaces, external APIs, the Kubernetes API, Prometheus scrapes) and allow it before merging.`,
        ],
      };
    },
  },
});
