import {
  appendBlock,
  clean,
  configuredVaultServers,
  defineRule,
  durationOption,
  findBlocks,
  getAttribute,
  goTruthy,
  helmReleases,
  helmTrue,
  isExternalSecrets,
  isTruthyHcl,
  monitorSelector,
  notApplicable,
  onlyVersionsBelow,
  parseDuration,
  prometheusOperator,
  prometheusOperatorOption,
  renderHclValue,
  setAttribute,
  setBlockAttribute,
  valueTarget,
  vaultSet,
  vaultSetConfig,
  vaultTcpListeners,
  vaultUpdateStrategy,
  z,
  type Change,
  type Repo,
  type Report,
  type Resource,
  scalarText,
} from '../../src/kit/index.js';

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

type M = 'vault' | 'vaultNoOperator' | 'vaultOldChart' | 'eso' | 'esoNoOperator';

interface VaultGaps {
  readonly telemetry: boolean;
  readonly serviceMonitor: boolean;
  readonly metricsAccess: boolean;
}

function vaultGaps(server: ReturnType<typeof configuredVaultServers>[number], o: Options): VaultGaps | undefined {
  const doc = server.config.doc;
  if (!doc) return undefined; // JSON or unparseable configuration: not ours to read
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
      esoNoOperator:
        'HelmRelease {name}: External Secrets metrics are not scraped, and the repository shows no Prometheus Operator for serviceMonitor.enabled: enable metrics.service.enabled and scrape it yourself, or set rules.missing-monitoring.prometheusOperator: true',
    },
  },
  options,
  *detect({ repo, options }): Generator<Report<M>> {
    const op = prometheusOperator(repo, options.prometheusOperator);
    for (const server of configuredVaultServers(repo)) {
      const name = server.release.name ?? '(unnamed)';
      const old = onlyVersionsBelow(server.chartVersion, '0.22.0');
      const g = vaultGaps(server, options);
      if (!g) continue;
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
      if (!op.present) yield { messageId: 'vaultNoOperator', ...site, data: { name, missing }, fixable: false };
      else yield { messageId: 'vault', ...site, data: { name, missing }, detail: { release: server.release.id } };
    }
    for (const hr of helmReleases(repo)) {
      if (!isExternalSecrets(repo, hr) || esoMonitored(repo, hr)) continue;
      const at = valueTarget(repo, hr, ['serviceMonitor', 'enabled']);
      const data = { name: hr.name ?? '(unnamed)' };
      if (!op.present) yield { messageId: 'esoNoOperator', ...at, data, fixable: false };
      else yield { messageId: 'eso', ...at, data, detail: { release: hr.id } };
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
    apply(report, { repo, options }) {
      const { release } = report.detail as { release: string };
      const selector = monitorSelector(repo, 'serviceMonitor');
      const notes: string[] = [];
      const changes: Change[] = [];
      if (report.messageId === 'eso') {
        const hr = helmReleases(repo).find((r) => r.id === release)!;
        const values = repo.flux.values(hr) as {
          metrics?: { service?: { enabled?: unknown } };
          serviceMonitor?: { additionalLabels?: Record<string, unknown> };
        };
        changes.push({ op: 'set', ...valueTarget(repo, hr, ['serviceMonitor', 'enabled']), value: true });
        if (values.metrics?.service?.enabled !== true) changes.push({ op: 'set', ...valueTarget(repo, hr, ['metrics', 'service', 'enabled']), value: true });
        const have = values.serviceMonitor?.additionalLabels ?? {};
        for (const [k, v] of Object.entries(selector?.labels ?? {}))
          if (have[k] !== v) changes.push({ op: 'set', ...valueTarget(repo, hr, ['serviceMonitor', 'additionalLabels', k]), value: v });
        notes.push(
          selector
            ? `External Secrets' ServiceMonitors carry the labels ${selector.source} selects.`
            : 'Check that your Prometheus selects the External Secrets ServiceMonitors (serviceMonitor.additionalLabels).',
        );
        return { changes, notes, summary: 'serviceMonitor.enabled, metrics.service.enabled' };
      }
      const server = configuredVaultServers(repo).find((s) => s.release.id === release)!;
      const g = vaultGaps(server, options)!;
      let text = server.config.text;
      if (g.telemetry) {
        const block = findBlocks(server.config.doc!, 'telemetry')[0];
        text = block
          ? setAttribute(text, { block: { type: 'telemetry' } }, 'prometheus_retention_time', options.prometheusRetentionTime)
          : appendBlock(text, `telemetry {\n  prometheus_retention_time = ${renderHclValue(options.prometheusRetentionTime)}\n  disable_hostname = true\n}`);
      }
      if (g.metricsAccess) {
        const n = vaultTcpListeners(server.config.doc!).length;
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
