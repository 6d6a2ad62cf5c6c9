/**
 * The External Secrets Operator chart across versions: the newest version the rules know, the versions that added the
 * values keys the probe and RBAC fixes set, the values keys later versions dropped, the CRD versions each version
 * serves, and what an upgrade across them has to change in a repository.
 *
 * Sources (github.com/external-secrets/external-secrets): `deploy/charts/external-secrets/values.yaml` at every
 * `helm-chart-X` tag from 0.9.0 to 2.9.0, and the CRDs in `config/crds/bases` at helm-chart-0.9.11, 0.10.4, 0.11.0 and
 * 2.9.0 (served versions per kind, v1beta1 → v1 schema differences). The charts in `../shared/charts` (0.9.11, 0.10.4,
 * 0.11.0, 1.2.1, 2.9.0) are what the tests render.
 */
import { helmReleases, isExternalSecrets, locateValue, releaseName, releaseNamespace } from './charts.js';
import { GROUPS, type Repo, type Resource, type YamlPath } from './repo.js';
import { compareVersions, onlyVersionsBelow, parseVersion, versionAtLeast, type Version } from './semver.js';

/** The newest chart version whose values and CRDs the rules know. */
export const ESO_CHART_NEWEST = '2.9.0';

/** A values key the probe (item 15) and RBAC (item 13) fixes set, and the first chart version that has it. */
export interface EsoReviewKey {
  readonly key: YamlPath;
  readonly since: string;
  readonly item: 13 | 15;
  /** How a message names it. */
  readonly label: string;
}

export const ESO_REVIEW_KEYS: readonly EsoReviewKey[] = [
  { key: ['livenessProbe', 'enabled'], since: '0.20.1', item: 15, label: 'livenessProbe' },
  { key: ['readinessProbe', 'enabled'], since: '2.2.0', item: 15, label: 'readinessProbe' },
  { key: ['webhook', 'livenessProbe', 'enabled'], since: '2.4.1', item: 15, label: 'webhook.livenessProbe' },
  { key: ['certController', 'livenessProbe', 'enabled'], since: '2.4.1', item: 15, label: 'certController.livenessProbe' },
  { key: ['rbac', 'aggregateToEdit'], since: '0.16.2', item: 13, label: 'rbac.aggregateToEdit' },
  { key: ['rbac', 'aggregateToAdmin'], since: '2.8.0', item: 13, label: 'rbac.aggregateToAdmin' },
];

/** The first chart version with every key of ESO_REVIEW_KEYS. */
export const ESO_REVIEW_KEYS_SINCE: string = ESO_REVIEW_KEYS.map((k) => k.since).reduce((a, b) =>
  compareVersions(parseVersion(a)!, parseVersion(b)!) >= 0 ? a : b,
);

/** The review keys chart `version` does not have. */
export function esoMissingReviewKeys(version: Version): EsoReviewKey[] {
  return ESO_REVIEW_KEYS.filter((k) => !versionAtLeast(version, k.since));
}

/** Kinds whose external-secrets.io versions moved from v1beta1 to v1 (0.16.0 adds v1; 0.17.0 stops serving v1beta1). */
export const ESO_V1_KINDS: readonly string[] = ['ExternalSecret', 'ClusterExternalSecret', 'SecretStore', 'ClusterSecretStore'];
/** Kinds that have only ever been external-secrets.io/v1alpha1 (still the only version in 2.9.0). */
export const ESO_V1ALPHA1_KINDS: readonly string[] = ['PushSecret', 'ClusterPushSecret'];

/**
 * The external-secrets.io versions a chart serves for ExternalSecret, SecretStore and ClusterSecretStore:
 * before 0.16.0 v1alpha1 and v1beta1 (v1beta1 stored), 0.16.x v1beta1 and v1 (v1 stored), from 0.17.0 only v1
 * (v1beta1 stays in the CRDs with `served: false`; chart 1.3.1 adds the opt-in `crds.unsafeServeV1Beta1`).
 * ClusterExternalSecret never had v1alpha1.
 */
export function esoServedVersions(version: Version, kind = 'ExternalSecret'): string[] {
  if (!versionAtLeast(version, '0.16.0')) return kind === 'ClusterExternalSecret' ? ['v1beta1'] : ['v1alpha1', 'v1beta1'];
  if (!versionAtLeast(version, '0.17.0')) return ['v1beta1', 'v1'];
  return ['v1'];
}

/** What an upgrade does with a values key that the target chart no longer has. */
export type EsoValuesAction =
  /** The key had no effect in any chart version (no template read it): delete it. */
  | { readonly kind: 'drop' }
  /** The key moved: delete it and write its value at `to`. */
  | { readonly kind: 'move'; readonly to: YamlPath }
  /** The key was replaced by a different design: a person must translate it. */
  | { readonly kind: 'manual'; readonly how: string };

export interface EsoValuesChange {
  /** The key (a prefix: every key below it counts). */
  readonly key: YamlPath;
  /** First and last chart versions whose values.yaml has it. */
  readonly from: string;
  readonly lastIn: string;
  readonly action: EsoValuesAction;
  /** Said in the fix's notes when the release sets the key. */
  readonly note: string;
}

const livenessMoved = ['address', 'timeoutSeconds', 'failureThreshold', 'periodSeconds', 'successThreshold', 'initialDelaySeconds', 'httpGet'].map(
  (k): EsoValuesChange => ({
    key: ['livenessProbe', k],
    from: '0.20.1',
    lastIn: '0.20.1',
    action: { kind: 'move', to: ['livenessProbe', 'spec', k] },
    note: `livenessProbe.${k} moved to livenessProbe.spec.${k} in chart 0.20.2`,
  }),
);

const unusedOverride = (key: YamlPath): EsoValuesChange => ({
  key,
  from: '0.9.0',
  lastIn: '0.20.3',
  action: { kind: 'drop' },
  note: `${key.join('.')} was removed in chart 0.20.4; no template of any chart version read it, so it never had an effect`,
});

const prometheus = (base: YamlPath): EsoValuesChange => ({
  key: [...base, 'prometheus'],
  from: '0.9.0',
  lastIn: '0.9.9',
  action: {
    kind: 'manual',
    how: `set ${[...base, 'metrics', 'service', 'enabled'].join('.')} (and ${[...base, 'metrics', 'listen', 'port'].join('.')}/${[...base, 'metrics', 'service', 'port'].join('.')} for the port) or serviceMonitor.enabled instead`,
  },
  note: `${[...base, 'prometheus'].join('.')} was removed in chart 0.9.10`,
});

/**
 * Values keys of chart versions 0.9.0 … 2.7.0 that 2.9.0 no longer has (values.yaml at every helm-chart tag). Keys a
 * release sets that no chart version had are the release's own business and are left alone.
 */
export const ESO_VALUES_HISTORY: readonly EsoValuesChange[] = [
  prometheus([]),
  prometheus(['webhook']),
  prometheus(['certController']),
  {
    key: ['webhook', 'serviceMonitor'],
    from: '0.9.0',
    lastIn: '0.9.0',
    action: { kind: 'manual', how: 'use serviceMonitor.enabled, which covers the webhook too' },
    note: 'webhook.serviceMonitor was removed in chart 0.9.1',
  },
  {
    key: ['certController', 'serviceMonitor'],
    from: '0.9.0',
    lastIn: '0.9.0',
    action: { kind: 'manual', how: 'use serviceMonitor.enabled, which covers the cert-controller too' },
    note: 'certController.serviceMonitor was removed in chart 0.9.1',
  },
  unusedOverride(['webhook', 'nameOverride']),
  unusedOverride(['webhook', 'fullnameOverride']),
  unusedOverride(['webhook', 'rbac', 'create']),
  unusedOverride(['certController', 'nameOverride']),
  unusedOverride(['certController', 'fullnameOverride']),
  ...livenessMoved,
  {
    key: ['certController', 'startupProbe', 'useReadinessProbePort'],
    from: '0.20.2',
    lastIn: '2.7.0',
    action: { kind: 'drop' },
    note: "certController.startupProbe.useReadinessProbePort was removed in chart 2.8.0: the startup probe always uses the readiness probe's port (named ready)",
  },
  {
    key: ['certController', 'startupProbe', 'port'],
    from: '0.20.2',
    lastIn: '2.7.0',
    action: { kind: 'drop' },
    note: "certController.startupProbe.port was removed in chart 2.8.0: the startup probe always uses the readiness probe's port (named ready)",
  },
];

/** The history entries that apply to an upgrade from `from` to `to` (the key exists in `from` and is gone by `to`). */
export function esoValuesChanges(from: Version, to: Version): EsoValuesChange[] {
  return ESO_VALUES_HISTORY.filter((c) => {
    const last = parseVersion(c.lastIn)!;
    return versionAtLeast(from, c.from) && compareVersions(from, last) <= 0 && compareVersions(to, last) > 0;
  });
}

/** Image tag keys: a tag pinned to the old chart's controller must move with the chart. */
export const ESO_IMAGE_TAG_KEYS: readonly YamlPath[] = [
  ['image', 'tag'],
  ['webhook', 'image', 'tag'],
  ['certController', 'image', 'tag'],
];

/** Where a release pins its chart version. */
export type EsoChartPin =
  | {
      readonly kind: 'exact';
      readonly version: Version;
      readonly text: string;
      /** The object and path that hold the version (the HelmRelease, an OCIRepository or a HelmChart). */
      readonly resource: Resource;
      readonly path: YamlPath;
      readonly via: 'chart' | 'OCIRepository' | 'HelmChart';
    }
  | { readonly kind: 'range'; readonly text: string; readonly resource: Resource; readonly path: YamlPath }
  | { readonly kind: 'other'; readonly text: string | undefined; readonly why: string };

/** The HelmRelease's path that findings about its chart version point at. */
export function esoVersionPath(hr: Resource): YamlPath {
  return hr.get(['spec', 'chartRef']) !== undefined ? ['spec', 'chartRef'] : ['spec', 'chart', 'spec', 'version'];
}

function pinOf(text: unknown, resource: Resource, path: YamlPath, via: 'chart' | 'OCIRepository' | 'HelmChart'): EsoChartPin {
  if (typeof text !== 'string' && typeof text !== 'number') return { kind: 'other', text: undefined, why: `no version at ${path.join('.')}` };
  const t = String(text);
  const v = parseVersion(t);
  return v ? { kind: 'exact', version: v, text: t.trim().replace(/^v/, ''), resource, path, via } : { kind: 'range', text: t, resource, path };
}

/**
 * The chart version a release pins and where: `spec.chart.spec.version` (HelmRepository charts), or through `chartRef`
 * the OCIRepository's `spec.ref` (`semver` wins over `tag`; a `digest` pins bytes, not a version) or the HelmChart's
 * `spec.version`.
 */
export function esoChartPin(repo: Repo, hr: Resource): EsoChartPin {
  const ref = hr.get(['spec', 'chartRef']);
  if (ref === undefined) return pinOf(hr.get(['spec', 'chart', 'spec', 'version']), hr, ['spec', 'chart', 'spec', 'version'], 'chart');
  const source = repo.flux.helmChart(hr).source;
  if (!source) return { kind: 'other', text: undefined, why: 'the chartRef source is not in this repository' };
  if (source.kind === 'HelmChart') return pinOf(source.get(['spec', 'version']), source, ['spec', 'version'], 'HelmChart');
  if (source.kind !== 'OCIRepository') return { kind: 'other', text: undefined, why: `chartRef to a ${source.kind ?? 'source'}` };
  if (source.get(['spec', 'ref', 'digest']) !== undefined)
    return { kind: 'other', text: String(source.get(['spec', 'ref', 'digest'])), why: 'the OCIRepository pins a digest' };
  const semver = source.get(['spec', 'ref', 'semver']);
  if (semver !== undefined) return pinOf(semver, source, ['spec', 'ref', 'semver'], 'OCIRepository');
  return pinOf(source.get(['spec', 'ref', 'tag']), source, ['spec', 'ref', 'tag'], 'OCIRepository');
}

/** A range pin that can only select versions without every review key. */
export function esoRangeTooOld(pin: EsoChartPin): boolean {
  return pin.kind === 'range' && onlyVersionsBelow(pin.text, ESO_REVIEW_KEYS_SINCE);
}

/** The External Secrets Operator releases of the repository. */
export function esoReleases(repo: Repo): Resource[] {
  return helmReleases(repo).filter((hr) => isExternalSecrets(repo, hr));
}

/** The chart's fullname (its controller Deployment's name): templates/_helpers.tpl `external-secrets.fullname`. */
export function esoFullname(hr: Resource, values: Record<string, unknown>): string {
  const trunc = (s: string) => s.slice(0, 63).replace(/-+$/, '');
  if (typeof values.fullnameOverride === 'string' && values.fullnameOverride) return trunc(values.fullnameOverride);
  const name = typeof values.nameOverride === 'string' && values.nameOverride ? values.nameOverride : 'external-secrets';
  const release = releaseName(hr);
  return trunc(release.includes(name) ? release : `${release}-${name}`);
}

/** External Secrets objects of the repository (any version). */
export function esoObjects(repo: Repo): Resource[] {
  return [...ESO_V1_KINDS, ...ESO_V1ALPHA1_KINDS].flatMap((k) => repo.ofKind(k, GROUPS.eso)).filter((r) => r.group === GROUPS.eso);
}

function apiVersionOf(r: Resource): string {
  return (r.apiVersion ?? '').slice(GROUPS.eso.length + 1);
}

/** Template paths of an object that may carry `engineVersion`. */
function templatePaths(r: Resource): YamlPath[] {
  switch (r.kind) {
    case 'ExternalSecret':
      return [['spec', 'target', 'template']];
    case 'ClusterExternalSecret':
      return [['spec', 'externalSecretSpec', 'target', 'template']];
    case 'PushSecret':
      return [['spec', 'template']];
    case 'ClusterPushSecret':
      return [['spec', 'pushSecretSpec', 'template']];
    default:
      return [];
  }
}

/** A change to an object that a person has to make: where, and what. */
export interface EsoBlocker {
  readonly resource: Resource;
  readonly path: YamlPath;
  readonly what: string;
}

/** Providers the chart dropped (2.0.0 removed the unmaintained Alibaba and Device42 providers). */
const REMOVED_PROVIDERS: Readonly<Record<string, string>> = { alibaba: '2.0.0', device42: '2.0.0' };

/**
 * What in an object the target chart's CRDs do not accept and gitops-fix does not rewrite: v1alpha1 ExternalSecrets
 * and stores (removed in 0.16.0; their `dataFrom` and template defaults differ), template engine v1 (removed in
 * 0.16.0; the v2 template language differs), the fake provider's `valueMap` (removed with v1), and providers the chart
 * dropped.
 */
export function esoObjectBlockers(r: Resource, target: Version): EsoBlocker[] {
  const out: EsoBlocker[] = [];
  const version = apiVersionOf(r);
  if (version === 'v1alpha1' && ESO_V1_KINDS.includes(r.kind ?? '')) {
    out.push({
      resource: r,
      path: ['apiVersion'],
      what: `${r.kind} ${r.name ?? '(unnamed)'} is external-secrets.io/v1alpha1, which chart 0.16.0 removed: convert it to v1 by hand (dataFrom entries become dataFrom[].extract; templates default to engine v2)`,
    });
  }
  for (const p of templatePaths(r)) {
    if (String(r.get([...p, 'engineVersion'])) === 'v1') {
      out.push({
        resource: r,
        path: [...p, 'engineVersion'],
        what: `${r.kind} ${r.name ?? '(unnamed)'} uses template engine v1, which chart 0.16.0 removed: rewrite the template for engine v2 (https://external-secrets.io/latest/guides/templating/#migrating-from-v1)`,
      });
    }
  }
  if (r.kind === 'SecretStore' || r.kind === 'ClusterSecretStore') {
    const provider = r.get(['spec', 'provider']);
    if (provider && typeof provider === 'object' && !Array.isArray(provider)) {
      for (const [name, since] of Object.entries(REMOVED_PROVIDERS)) {
        if (name in provider && versionAtLeast(target, since))
          out.push({
            resource: r,
            path: ['spec', 'provider', name],
            what: `${r.kind} ${r.name ?? '(unnamed)'} uses the ${name} provider, which chart ${since} removed`,
          });
      }
      const fake = r.get(['spec', 'provider', 'fake', 'data']);
      (Array.isArray(fake) ? fake : []).forEach((d, i) => {
        if (d && typeof d === 'object' && 'valueMap' in d)
          out.push({
            resource: r,
            path: ['spec', 'provider', 'fake', 'data', i, 'valueMap'],
            what: `${r.kind} ${r.name ?? '(unnamed)'} uses the fake provider's valueMap, which external-secrets.io/v1 does not have: write the map as a JSON string in value`,
          });
      });
    }
  }
  return out;
}

/** True for an object the upgrade rewrites: an ExternalSecret, ClusterExternalSecret or store at external-secrets.io/v1beta1. */
export function esoNeedsV1(r: Resource): boolean {
  return r.group === GROUPS.eso && ESO_V1_KINDS.includes(r.kind ?? '') && apiVersionOf(r) === 'v1beta1';
}

/** A values key the release sets (in any of its values sources), with the source that sets it. */
export function esoSetValue(repo: Repo, hr: Resource, key: YamlPath): ReturnType<typeof locateValue> | undefined {
  const loc = locateValue(repo, hr, key);
  return loc.source ? loc : undefined;
}

/** The namespace the release installs into, for commands in messages and runbooks. */
export function esoNamespace(repo: Repo, hr: Resource): string {
  return releaseNamespace(repo, hr) ?? hr.namespace ?? 'external-secrets';
}
