import {
  appendBlock,
  clean,
  configuredVaultServers,
  defineRule,
  durationOption,
  findBlocks,
  getAttribute,
  getIn,
  hasParsedConfig,
  GROUPS,
  isReachable,
  goTruthy,
  helmReleases,
  helmTrue,
  isExternalSecrets,
  isTruthyHcl,
  monitorSelector,
  notApplicable,
  onlyVersionsBelow,
  parseDuration,
  parseVersion,
  prometheusOperator,
  prometheusOperatorOption,
  releaseName,
  releaseNamespace,
  serviceConsumers,
  renderHclValue,
  setAttribute,
  setBlockAttribute,
  valueTarget,
  vaultSet,
  vaultServiceTarget,
  vaultSetConfig,
  vaultTcpListeners,
  vaultUpdateStrategy,
  versionAtLeast,
  z,
  type Change,
  type Repo,
  type ParsedVaultServer,
  type Report,
  type Resource,
  scalarText,
  type ServiceTarget,
} from '../../src/kit/index.js';

/** The metrics Services' own switches (controller, cert-controller) that charts before 0.14.1 also render from serviceMonitor.enabled. */
const ESO_METRICS_SERVICE_KEYS: readonly (readonly string[])[] = [
  ['metrics', 'service', 'enabled'],
  ['certController', 'metrics', 'service', 'enabled'],
];

/**
 * Does the External Secrets chart render one metrics Service for serviceMonitor.enabled and metrics.service.enabled
 * together? From 0.14.1 (external-secrets PR #4356, "Merging metrics and service monitor services"); before, both
 * render it and the upgrade fails on the duplicate (checked by rendering 0.9.11, 0.10.4, 0.11.0, 1.2.1 and 2.9.0).
 * A version that is not exact counts as possibly older.
 */
function esoMergesMetricsServices(version: string | undefined): boolean {
  const v = parseVersion(version);
  return v !== undefined && versionAtLeast(v, '0.14.1');
}

const options = z
  .object({
    prometheusOperator: prometheusOperatorOption(),
    prometheusRetentionTime: durationOption(
      '24h',
      "prometheus_retention_time of the telemetry stanza the fix writes (Vault's own default when the stanza exists).",
    ),
    unauthenticatedMetricsAccess: z
      .boolean()
      .default(true)
      .describe(
        'Let the ServiceMonitor scrape /v1/sys/metrics without a token (listener telemetry { unauthenticated_metrics_access = true }); false: configure serverTelemetry.serviceMonitor.authorization yourself.',
      ),
  })
  .strict();
type Options = z.infer<typeof options>;

type M = 'vault' | 'vaultNoOperator' | 'vaultOldChart' | 'eso' | 'esoNoOperator' | 'monitorCollision';

/** What the fix changes: the Vault server's telemetry and ServiceMonitor (the gaps found), or the External Secrets release's monitors. */
type Detail = { readonly type: 'vault'; readonly server: ParsedVaultServer; readonly gaps: VaultGaps } | { readonly type: 'eso'; readonly release: Resource };

/**
 * ServiceMonitors and PodMonitors the repository applies that already scrape the target: their selector matches its
 * Services (or pods) in its namespace, and an endpoint's path matches `path` (the default path when none is written).
 */
function scrapers(repo: Repo, target: ServiceTarget, path: RegExp): Resource[] {
  return serviceConsumers(repo, target)
    .filter((c) => c.kind === 'service-monitor' || c.kind === 'pod-monitor')
    .filter((c) => {
      const p = c.resource.get([...c.path, 'path']);
      return path.test(typeof p === 'string' ? p : '/metrics') && isReachable(repo, c.resource.file);
    })
    .map((c) => c.resource);
}

/** An object of that kind and name the repository applies in the namespace. */
function applied(repo: Repo, kind: string, name: string, namespace: string): Resource | undefined {
  return repo.ofKind(kind, GROUPS.monitoring).find((r) => r.name === name && repo.flux.namespaceOf(r) === namespace && isReachable(repo, r.file));
}

/** The External Secrets release's names as its chart renders them: metrics Services, their labels, the chart's monitors. */
function esoTarget(repo: Repo, hr: Resource): { target: ServiceTarget; monitors: string[]; monitorNamespace: string } {
  const values = repo.flux.values(hr);
  const nameOverride = getIn(values, ['nameOverride']);
  const name = typeof nameOverride === 'string' && nameOverride ? nameOverride : 'external-secrets';
  const rel = releaseName(hr);
  const override = getIn(values, ['fullnameOverride']);
  const fullname = (typeof override === 'string' && override ? override : rel.includes(name) ? rel : `${rel}-${name}`).slice(0, 63).replace(/-+$/, '');
  const namespace = releaseNamespace(repo, hr) ?? 'default';
  const smNs = getIn(values, ['serviceMonitor', 'namespace']);
  const services = [`${fullname}-metrics`, `${fullname}-webhook-metrics`, `${fullname}-cert-controller-metrics`];
  return {
    target: {
      namespace,
      services,
      ports: [8080],
      serviceLabels: { 'app.kubernetes.io/name': name, 'app.kubernetes.io/instance': rel },
      podLabels: { 'app.kubernetes.io/name': name, 'app.kubernetes.io/instance': rel },
    },
    monitors: services,
    monitorNamespace: typeof smNs === 'string' && smNs ? smNs : namespace,
  };
}

interface VaultGaps {
  readonly telemetry: boolean;
  readonly serviceMonitor: boolean;
  readonly metricsAccess: boolean;
}

function vaultGaps(server: ParsedVaultServer, o: Options): VaultGaps {
  const doc = server.config.doc;
  const telemetry = findBlocks(doc, 'telemetry');
  const retention = telemetry.map((t) => getAttribute(t, 'prometheus_retention_time')?.value);
  const sinkOff = retention.some((r) => r !== undefined && (r === 0 || parseDuration(scalarText(r)) === 0));
  const smOn =
    helmTrue(server.value(['serverTelemetry', 'serviceMonitor', 'enabled'])) || helmTrue(server.value(['global', 'serverTelemetry', 'prometheusOperator']));
  const listeners = vaultTcpListeners(doc);
  const unauth =
    listeners.length > 0 &&
    listeners.every((l) => findBlocks(l, 'telemetry').some((t) => isTruthyHcl(getAttribute(t, 'unauthenticated_metrics_access')?.value)));
  const token = goTruthy(server.value(['serverTelemetry', 'serviceMonitor', 'authorization']));
  return { telemetry: telemetry.length === 0 || sinkOff, serviceMonitor: !smOn, metricsAccess: o.unauthenticatedMetricsAccess && !unauth && !token };
}

function describeVault(g: VaultGaps, key: string): string {
  return [
    ...(g.telemetry ? [`no telemetry stanza with a Prometheus retention in ${key}`] : []),
    ...(g.serviceMonitor ? ['serverTelemetry.serviceMonitor.enabled is not true'] : []),
    ...(g.metricsAccess
      ? ['/v1/sys/metrics needs a token (no listener telemetry { unauthenticated_metrics_access = true }, no serviceMonitor.authorization)']
      : []),
  ].join('; ');
}

function esoMonitored(repo: Repo, hr: Resource): boolean {
  const sm = (repo.flux.values(hr).serviceMonitor ?? {}) as Record<string, unknown>;
  return sm.enabled === true;
}

export const rule = defineRule({
  meta: {
    id: 'missing-monitoring',
    title: 'Require Prometheus telemetry and ServiceMonitors for Vault and External Secrets',
    reviewItem: 19,
    severity: 'medium',
    phase: 3,
    staleComments: /\b(monitor(ing|ed)?|metrics|prometheus|telemetry|servicemonitor|scrape)\b/i,
    messages: {
      vault: 'HelmRelease {name}: Vault is not monitored: {missing}',
      vaultNoOperator:
        'HelmRelease {name}: Vault is not monitored ({missing}); the repository shows no Prometheus Operator for a ServiceMonitor, so add a telemetry stanza and scrape /v1/sys/metrics?format=prometheus yourself, or set rules.missing-monitoring.prometheusOperator: true',
      vaultOldChart:
        'HelmRelease {name}: Vault chart {version} has no serverTelemetry.serviceMonitor (added in 0.22.0); upgrade the chart to let it render a ServiceMonitor',
      eso: 'HelmRelease {name}: External Secrets metrics are not scraped (serviceMonitor.enabled is not true)',
      monitorCollision:
        'HelmRelease {name}: the chart would render ServiceMonitor {monitor}, and the repository already applies an object of that name ({file}) that does not scrape {what}; enabling the chart monitor would make two owners fight over it: rename one, or make that ServiceMonitor scrape {what}',
      esoNoOperator:
        'HelmRelease {name}: External Secrets metrics are not scraped, and the repository shows no Prometheus Operator for serviceMonitor.enabled: enable metrics.service.enabled and scrape it yourself, or set rules.missing-monitoring.prometheusOperator: true',
    },
  },
  options,
  *detect({ repo, options }): Generator<Report<M, Detail>> {
    const op = prometheusOperator(repo, options.prometheusOperator);
    for (const server of configuredVaultServers(repo)) {
      const name = server.release.name ?? '(unnamed)';
      // A monitor of the repository already scrapes it: nothing to report, and no chart monitor to add.
      if (scrapers(repo, vaultServiceTarget(server), /\/v1\/sys\/metrics/).length) continue;
      if (!hasParsedConfig(server)) continue; // JSON or unparseable configuration: not ours to read
      const old = onlyVersionsBelow(server.chartVersion, '0.22.0');
      const g = vaultGaps(server, options);
      const gaps = old ? { ...g, serviceMonitor: false, metricsAccess: false } : g;
      const site = { resource: server.config.resource, path: server.config.path };
      if (old && g.serviceMonitor)
        yield {
          messageId: 'vaultOldChart',
          resource: server.release,
          path: ['spec', 'chart', 'spec', 'version'],
          data: { name, version: server.chartVersion! },
          fixable: false,
        };
      if (!gaps.telemetry && !gaps.serviceMonitor && !gaps.metricsAccess) continue;
      const missing = describeVault(gaps, server.config.key.join('.'));
      const taken = gaps.serviceMonitor ? applied(repo, 'ServiceMonitor', server.fullname, server.namespace) : undefined;
      if (!op.present) yield { messageId: 'vaultNoOperator', ...site, data: { name, missing }, fixable: false };
      else if (taken)
        yield {
          messageId: 'monitorCollision',
          ...site,
          data: { name, monitor: `${server.namespace}/${server.fullname}`, file: taken.file, what: 'Vault' },
          fixable: false,
        };
      else yield { messageId: 'vault', ...site, data: { name, missing }, detail: { type: 'vault', server, gaps: g } };
    }
    for (const hr of helmReleases(repo)) {
      if (!isExternalSecrets(repo, hr) || esoMonitored(repo, hr)) continue;
      const eso = esoTarget(repo, hr);
      if (scrapers(repo, eso.target, /./).length) continue;
      const at = valueTarget(repo, hr, ['serviceMonitor', 'enabled']);
      const data = { name: hr.name ?? '(unnamed)' };
      const taken = eso.monitors.map((m) => ({ m, r: applied(repo, 'ServiceMonitor', m, eso.monitorNamespace) })).find((x) => x.r);
      if (!op.present) yield { messageId: 'esoNoOperator', ...at, data, fixable: false };
      else if (taken)
        yield {
          messageId: 'monitorCollision',
          ...at,
          data: { ...data, monitor: `${eso.monitorNamespace}/${taken.m}`, file: taken.r!.file, what: 'External Secrets' },
          fixable: false,
        };
      else yield { messageId: 'eso', ...at, data, detail: { type: 'eso', release: hr } };
    }
  },
  checklist({ repo }) {
    const vault = configuredVaultServers(repo).length > 0;
    const eso = helmReleases(repo).some((hr) => isExternalSecrets(repo, hr));
    if (!vault && !eso) return notApplicable('no Vault server or External Secrets release');
    return clean(
      [vault ? 'Vault has Prometheus telemetry and a ServiceMonitor' : '', eso ? 'External Secrets has ServiceMonitors' : ''].filter(Boolean).join('; '),
    );
  },
  fix: {
    kind: 'edit',
    safe: true,
    apply({ detail }, { repo, options }) {
      const selector = monitorSelector(repo, 'serviceMonitor');
      const notes: string[] = [];
      const changes: Change[] = [];
      if (detail.type === 'eso') {
        const hr = detail.release;
        const values = repo.flux.values(hr) as {
          metrics?: { service?: { enabled?: unknown } };
          serviceMonitor?: { additionalLabels?: Record<string, unknown> };
        };
        changes.push({ op: 'set', ...valueTarget(repo, hr, ['serviceMonitor', 'enabled']), value: true });
        const merged = esoMergesMetricsServices(repo.flux.helmChart(hr).version);
        if (merged) {
          if (values.metrics?.service?.enabled !== true) changes.push({ op: 'set', ...valueTarget(repo, hr, ['metrics', 'service', 'enabled']), value: true });
        } else {
          // Charts before 0.14.1 render the metrics Services from serviceMonitor.enabled themselves (servicemonitor.yaml);
          // metrics.service.enabled renders the same Service again, and Helm fails on the duplicate.
          const duplicates = ESO_METRICS_SERVICE_KEYS.filter((k) => getIn(values, k) === true);
          for (const k of duplicates) {
            const annotations = getIn(values, [...k.slice(0, -1), 'annotations']);
            if (annotations && typeof annotations === 'object' && Object.keys(annotations).length)
              return {
                skipped: `External Secrets chart ${repo.flux.helmChart(hr).version ?? '(unpinned)'} renders the metrics Service from serviceMonitor.enabled too, so ${k.join('.')}: true would render it twice; it carries annotations (${[...k.slice(0, -1), 'annotations'].join('.')}) that the ServiceMonitor's Service would not: turn it off by hand, or upgrade the chart to 0.14.1 or later`,
              };
            changes.push({ op: 'set', ...valueTarget(repo, hr, k), value: false });
          }
          notes.push(
            `External Secrets chart ${repo.flux.helmChart(hr).version ?? '(not pinned to one version)'} renders the metrics Services itself when serviceMonitor.enabled is true (before 0.14.1 they come from servicemonitor.yaml), so metrics.service.enabled is not set${duplicates.length ? `, and ${duplicates.map((k) => k.join('.')).join(', ')} ${duplicates.length > 1 ? 'are' : 'is'} turned off: the same Service twice fails the Helm upgrade (the Service stays, rendered once)` : ''}.`,
          );
        }
        const have = values.serviceMonitor?.additionalLabels ?? {};
        for (const [k, v] of Object.entries(selector?.labels ?? {}))
          if (have[k] !== v) changes.push({ op: 'set', ...valueTarget(repo, hr, ['serviceMonitor', 'additionalLabels', k]), value: v });
        notes.push(
          selector
            ? `External Secrets' ServiceMonitors carry the labels ${selector.source} selects.`
            : 'Check that your Prometheus selects the External Secrets ServiceMonitors (serviceMonitor.additionalLabels).',
        );
        return { changes, notes, summary: merged ? 'serviceMonitor.enabled, metrics.service.enabled' : 'serviceMonitor.enabled' };
      }
      const { server, gaps: g } = detail;
      let text = server.config.text;
      if (g.telemetry) {
        const block = findBlocks(server.config.doc, 'telemetry')[0];
        text = block
          ? setAttribute(text, { block: { type: 'telemetry' } }, 'prometheus_retention_time', options.prometheusRetentionTime)
          : appendBlock(text, `telemetry {\n  prometheus_retention_time = ${renderHclValue(options.prometheusRetentionTime)}\n  disable_hostname = true\n}`);
      }
      if (g.metricsAccess) {
        const n = vaultTcpListeners(server.config.doc).length;
        if (n === 1) {
          text = setBlockAttribute(text, { type: 'telemetry', parent: { type: 'listener', label: 'tcp' } }, 'unauthenticated_metrics_access', true);
          notes.push(
            `Vault ${server.release.name}: /v1/sys/metrics answers without a token (listener telemetry unauthenticated_metrics_access = true), as the chart's ServiceMonitor expects; it exposes operational metrics, no secrets. To require a token instead, set serverTelemetry.serviceMonitor.authorization and remove that setting.`,
          );
        } else
          notes.push(
            `Vault ${server.release.name}: ${n} tcp listeners; allow the ServiceMonitor to read /v1/sys/metrics (listener telemetry { unauthenticated_metrics_access = true } or serverTelemetry.serviceMonitor.authorization).`,
          );
      }
      if (text !== server.config.text) changes.push(vaultSetConfig(server, text));
      if (g.serviceMonitor) {
        changes.push(vaultSet(repo, server, ['serverTelemetry', 'serviceMonitor', 'enabled'], true));
        const current = server.value(['serverTelemetry', 'serviceMonitor', 'selectors']) as Record<string, unknown> | undefined;
        const wanted = selector?.labels;
        const chartDefault = !current || Object.keys(current).length === 0 ? { release: 'prometheus' } : current;
        if (wanted && Object.entries(wanted).some(([k, v]) => chartDefault[k] !== v))
          changes.push(vaultSet(repo, server, ['serverTelemetry', 'serviceMonitor', 'selectors'], { ...(current ?? {}), ...wanted }));
        notes.push(
          wanted
            ? `Vault's ServiceMonitor carries the labels ${selector.source} selects; it scrapes the active node only (standbys do not answer metrics requests).`
            : "Vault's ServiceMonitor carries the chart's default label release: prometheus; set serverTelemetry.serviceMonitor.selectors if your Prometheus selects other labels.",
        );
      }
      if (text !== server.config.text)
        notes.push(
          vaultUpdateStrategy(server) === 'OnDelete'
            ? `Vault ${server.release.name} reads its configuration only at start: restart the server pods (updateStrategyType OnDelete: delete them one at a time, standbys first; each comes back sealed unless auto-unseal is configured).`
            : `Vault ${server.release.name} reads its configuration only at start: with updateStrategyType ${vaultUpdateStrategy(server)} the StatefulSet replaces the server pods itself after the upgrade, one at a time; each comes back sealed unless auto-unseal is configured.`,
        );
      return { changes, notes, summary: describeVault(g, server.config.key.join('.')) };
    },
  },
});
