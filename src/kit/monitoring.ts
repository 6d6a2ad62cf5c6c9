/**
 * Prometheus Operator in a repository: is it there (so ServiceMonitor/PodMonitor objects can be applied), which
 * labels its Prometheus selects monitors by, and which monitors already exist.
 */
import { asRecord } from './data.js';
import { helmReleases, releaseName, releaseNamespace } from './charts.js';
import { GROUPS, type Repo, type Resource } from './repo.js';
import { z } from './options.js';
import { scalarText } from './scalar.js';

/** Charts that install the Prometheus Operator or its CRDs. */
export const PROMETHEUS_OPERATOR_CHARTS = ['kube-prometheus-stack', 'prometheus-operator-crds', 'prometheus-operator', 'kube-prometheus'];

const MONITORING_CRDS = /\.monitoring\.coreos\.com$/;

/** Option shared by the rules that generate monitors: `auto` looks at the repository. */
export function prometheusOperatorOption() {
  return z
    .union([z.literal('auto'), z.boolean()])
    .default('auto')
    .describe('Does the cluster run the Prometheus Operator? auto: only when the repository installs it or has ServiceMonitor/PodMonitor objects.');
}

export interface PrometheusOperator {
  /** The operator (or at least its CRDs) is there. */
  readonly present: boolean;
  /** Why we think so (for messages). */
  readonly evidence: string | undefined;
  /** What installs the monitoring CRDs in this repository (a HelmRelease or a CustomResourceDefinition), if anything. */
  readonly installer: Resource | undefined;
}

function chartName(repo: Repo, hr: Resource): string | undefined {
  return repo.flux.helmChart(hr).chart;
}

/** Prometheus Operator detection; `configured` (the rule option) overrides it when not `auto`. */
export function prometheusOperator(repo: Repo, configured: 'auto' | boolean = 'auto'): PrometheusOperator {
  const releases = helmReleases(repo).filter((hr) => PROMETHEUS_OPERATOR_CHARTS.includes(chartName(repo, hr) ?? ''));
  const crds = repo.ofKind('CustomResourceDefinition').filter((c) => MONITORING_CRDS.test(c.name ?? ''));
  const installer = releases[0] ?? crds[0];
  if (configured === false) return { present: false, evidence: undefined, installer };
  if (configured === true) return { present: true, evidence: 'the configuration says so', installer };
  if (releases.length) return { present: true, evidence: `HelmRelease ${releases[0]!.name} (chart ${chartName(repo, releases[0]!)})`, installer };
  if (crds.length) return { present: true, evidence: `CustomResourceDefinition ${crds[0]!.name}`, installer };
  const monitors = repo.resources.filter((r) => r.group === GROUPS.monitoring && r.kind !== undefined);
  if (monitors.length) return { present: true, evidence: `${monitors[0]!.kind} ${monitors[0]!.name} (${monitors[0]!.file})`, installer: undefined };
  return { present: false, evidence: undefined, installer: undefined };
}

/** kube-prometheus-stack releases of the repository. */
export function prometheusStackReleases(repo: Repo): Resource[] {
  return helmReleases(repo).filter((hr) => chartName(repo, hr) === 'kube-prometheus-stack');
}

export interface MonitorSelector {
  /** Labels a ServiceMonitor/PodMonitor needs to be picked up (empty: any monitor is). */
  readonly labels: Readonly<Record<string, string>>;
  /** Where the labels come from. */
  readonly source: string;
}

/**
 * Labels the repository's Prometheus (kube-prometheus-stack) selects `serviceMonitor`s or `podMonitor`s by:
 * `prometheus.prometheusSpec.<kind>Selector.matchLabels`, or, when that is empty and
 * `<kind>SelectorNilUsesHelmValues` is true (the chart default), `release: <release name>`. Undefined when no
 * kube-prometheus-stack release is in the repository or the selector uses expressions.
 */
export function monitorSelector(repo: Repo, kind: 'serviceMonitor' | 'podMonitor'): MonitorSelector | undefined {
  const hr = prometheusStackReleases(repo)[0];
  if (!hr) return undefined;
  const spec = asRecord(asRecord(repo.flux.values(hr).prometheus)?.prometheusSpec) ?? {};
  const selector = asRecord(spec[`${kind}Selector`]);
  const where = `HelmRelease ${hr.name} prometheus.prometheusSpec.${kind}Selector`;
  if (selector && Array.isArray(selector.matchExpressions) && selector.matchExpressions.length) return undefined;
  const labels = asRecord(selector?.matchLabels);
  if (labels && Object.keys(labels).length) return { labels: Object.fromEntries(Object.entries(labels).map(([k, v]) => [k, String(v)])), source: where };
  if (spec[`${kind}SelectorNilUsesHelmValues`] === false)
    return { labels: {}, source: `${where} (empty: every ${kind === 'podMonitor' ? 'PodMonitor' : 'ServiceMonitor'})` };
  return { labels: { release: releaseName(hr) }, source: `HelmRelease ${hr.name} (${kind}SelectorNilUsesHelmValues: the release label)` };
}

/** The namespace a kube-prometheus-stack release runs in (where monitors usually go). */
export function prometheusNamespace(repo: Repo): string | undefined {
  const hr = prometheusStackReleases(repo)[0];
  return hr ? releaseNamespace(repo, hr) : undefined;
}

/** Does a monitor (its `spec`) scrape namespace `ns`? Without a namespaceSelector it scrapes its own namespace. */
function targetsNamespace(spec: unknown, ns: string, ownNamespace: string | undefined): boolean {
  const sel = asRecord(asRecord(spec)?.namespaceSelector);
  if (sel?.any === true) return true;
  const names = sel?.matchNames;
  if (Array.isArray(names)) return names.includes(ns);
  return ownNamespace === ns;
}

/**
 * ServiceMonitors and PodMonitors that scrape pods of `namespace`: objects in the repository (their
 * `namespaceSelector`, else their own namespace) and kube-prometheus-stack `additionalServiceMonitors` /
 * `additionalPodMonitors`.
 */
export function monitorsOf(repo: Repo, namespace: string): string[] {
  const out: string[] = [];
  for (const r of repo.resources) {
    if (r.group !== GROUPS.monitoring || (r.kind !== 'PodMonitor' && r.kind !== 'ServiceMonitor')) continue;
    if (targetsNamespace(r.get(['spec']), namespace, repo.flux.namespaceOf(r))) out.push(`${r.kind} ${r.name} (${r.file})`);
  }
  for (const hr of prometheusStackReleases(repo)) {
    const prom = asRecord(repo.flux.values(hr).prometheus) ?? {};
    for (const key of ['additionalServiceMonitors', 'additionalPodMonitors']) {
      const list = prom[key];
      for (const m of Array.isArray(list) ? list : []) {
        const mon = asRecord(m);
        if (mon && targetsNamespace(mon, namespace, releaseNamespace(repo, hr)))
          out.push(`HelmRelease ${hr.name} prometheus.${key} ${scalarText(mon.name)}`.trim());
      }
    }
  }
  return out;
}
