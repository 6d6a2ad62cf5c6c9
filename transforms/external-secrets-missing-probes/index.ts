import {
  clean,
  defineRule,
  getIn,
  ESO_CHART_NEWEST,
  esoUpgrade,
  helmReleases,
  isExternalSecrets,
  notApplicable,
  parseVersion,
  valueTarget,
  versionAtLeast,
  type Repo,
  type Report,
  type Resource,
  type Version,
  type YamlPath,
} from '../../src/kit/index.js';

/** A probe switch of the External Secrets chart, and the first chart version that has it (domain: values.yaml history). */
interface Probe {
  readonly component: 'controller' | 'webhook' | 'cert-controller';
  readonly probe: 'liveness' | 'readiness';
  readonly key: readonly string[];
  readonly since: string;
  /** The chart's default for `enabled`. */
  readonly defaultOn: boolean;
  /** Values key that turns the component off. */
  readonly create?: readonly string[];
}

const PROBES: readonly Probe[] = [
  { component: 'controller', probe: 'liveness', key: ['livenessProbe', 'enabled'], since: '0.20.1', defaultOn: false },
  { component: 'controller', probe: 'readiness', key: ['readinessProbe', 'enabled'], since: '2.2.0', defaultOn: false },
  { component: 'webhook', probe: 'liveness', key: ['webhook', 'livenessProbe', 'enabled'], since: '2.4.1', defaultOn: false, create: ['webhook', 'create'] },
  { component: 'webhook', probe: 'readiness', key: ['webhook', 'readinessProbe', 'enabled'], since: '2.4.1', defaultOn: true, create: ['webhook', 'create'] },
  {
    component: 'cert-controller',
    probe: 'liveness',
    key: ['certController', 'livenessProbe', 'enabled'],
    since: '2.4.1',
    defaultOn: false,
    create: ['certController', 'create'],
  },
  {
    component: 'cert-controller',
    probe: 'readiness',
    key: ['certController', 'readinessProbe', 'enabled'],
    since: '2.4.1',
    defaultOn: true,
    create: ['certController', 'create'],
  },
];

/** Probes of this chart version that are off. */
type M = 'disabled' | 'noReadiness' | 'tooOld' | 'unknownVersion';

/** What the fix turns on (a probe switch, where the release keeps it), or the chart version too old for any. */
type Detail =
  | { readonly type: 'probe'; readonly release: Resource; readonly probe: Probe; readonly at: { readonly resource: Resource; readonly path: YamlPath } }
  | { readonly type: 'tooOld'; readonly version: string };

function disabledProbes(repo: Repo, hr: Resource, version: Version): Probe[] {
  const values = repo.flux.values(hr);
  return PROBES.filter((p) => {
    if (!versionAtLeast(version, p.since)) return false;
    if (p.create && getIn(values, p.create) === false) return false;
    const on = getIn(values, p.key);
    return on === undefined || on === null ? !p.defaultOn : on !== true;
  });
}

export const rule = defineRule({
  meta: {
    id: 'external-secrets-missing-probes',
    title: 'Require liveness and readiness probes on the External Secrets controllers',
    reviewItem: 15,
    severity: 'medium',
    phase: 3,
    // On a chart without the probe keys, the chart upgrade runs first and this fix applies on the upgraded chart.
    requires: ['external-secrets-chart-upgrade'],
    after: ['external-secrets-chart-upgrade'],
    messages: {
      disabled: 'HelmRelease {name}: the External Secrets {component} has no {probe} probe ({key} is not true)',
      noReadiness:
        'HelmRelease {name}: the External Secrets controller has no liveness probe ({key} is not true); chart {version} has no controller readiness probe, 2.2.0 adds it (external-secrets-chart-upgrade upgrades the chart)',
      tooOld:
        'HelmRelease {name}: External Secrets chart {version} has no controller liveness or readiness probe; 0.20.1 adds the liveness probe and 2.2.0 the readiness probe: external-secrets-chart-upgrade upgrades the chart, then this fix turns them on',
      unknownVersion:
        'HelmRelease {name}: External Secrets chart version "{version}" is not an exact version, so the probe keys it has are unknown; pin a version (0.20.1 adds the controller liveness probe, 2.2.0 the readiness probe)',
    },
  },
  *detect({ repo }): Generator<Report<M, Detail>> {
    for (const hr of helmReleases(repo)) {
      if (!isExternalSecrets(repo, hr)) continue;
      const name = hr.name ?? '(unnamed)';
      const raw = repo.flux.helmChart(hr).version;
      const version = parseVersion(raw);
      const versionPath = hr.get(['spec', 'chartRef']) !== undefined ? ['spec', 'chartRef'] : ['spec', 'chart', 'spec', 'version'];
      if (!version) {
        yield { messageId: 'unknownVersion', resource: hr, path: versionPath, data: { name, version: raw ?? '*' }, fixable: false };
        continue;
      }
      const text = raw!.replace(/^v/, '');
      if (!versionAtLeast(version, '0.20.1')) {
        const upgrade = esoUpgrade(repo, hr, ESO_CHART_NEWEST);
        const fixable = !!upgrade && !upgrade.blockers.length;
        yield { messageId: 'tooOld', resource: hr, path: versionPath, data: { name, version: text }, fixable, detail: { type: 'tooOld', version: text } };
        continue;
      }
      for (const p of disabledProbes(repo, hr, version)) {
        const at = valueTarget(repo, hr, p.key);
        const noReadiness = p.component === 'controller' && !versionAtLeast(version, '2.2.0');
        yield {
          messageId: noReadiness ? 'noReadiness' : 'disabled',
          resource: at.resource,
          path: at.path,
          data: { name, component: p.component, probe: p.probe, key: p.key.join('.'), version: text },
          detail: { type: 'probe', release: hr, probe: p, at },
        };
      }
    }
  },
  checklist({ repo }) {
    if (!helmReleases(repo).some((hr) => isExternalSecrets(repo, hr))) return notApplicable('no External Secrets release');
    return clean('the External Secrets controllers have liveness and readiness probes (those their chart versions have)');
  },
  fix: {
    kind: 'edit',
    safe: true,
    apply({ messageId, detail }) {
      if (detail.type === 'tooOld')
        return {
          skipped: `chart ${detail.version} has no probe keys, and the chart upgrade (external-secrets-chart-upgrade) did not run before this fix: see its finding`,
        };
      const { release: hr, probe, at } = detail;
      const notes =
        messageId === 'noReadiness'
          ? [
              `HelmRelease ${hr.name}: the controller gets a liveness probe only; upgrade the External Secrets chart to 2.2.0 or later for readinessProbe.enabled.`,
            ]
          : [];
      return { changes: [{ op: 'set', resource: at.resource, path: at.path, value: true }], summary: `${probe.key.join('.')}: true`, notes };
    },
  },
});
