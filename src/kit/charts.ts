/** Recognising chart releases and reading/writing their values where they live. */
import { getIn } from './data.js';
import { GROUPS, type Repo, type Resource, type ValuesSource, type YamlPath } from './repo.js';

export const HASHICORP_HELM_URL = /^https?:\/\/helm\.releases\.hashicorp\.com\/?$/;
export const EXTERNAL_SECRETS_HELM_URL = /^https?:\/\/charts\.external-secrets\.io\/?$/;

export function helmReleases(repo: Repo): readonly Resource[] {
  return repo.ofKind('HelmRelease', GROUPS.fluxHelm);
}

/** Release name Helm uses: spec.releaseName, else metadata.name (Flux prefixes targetNamespace only when set). */
export function releaseName(hr: Resource): string {
  const explicit = hr.get(['spec', 'releaseName']);
  if (typeof explicit === 'string' && explicit) return explicit;
  const target = hr.get(['spec', 'targetNamespace']);
  return typeof target === 'string' && target ? `${target}-${hr.name}` : (hr.name ?? 'release');
}

/** Namespace the release installs into: spec.targetNamespace, else the HelmRelease's own namespace. */
export function releaseNamespace(repo: Repo, hr: Resource): string | undefined {
  const target = hr.get(['spec', 'targetNamespace']);
  if (typeof target === 'string' && target) return target;
  return repo.flux.namespaceOf(hr);
}

/**
 * A Vault server release: chart exactly `vault` from the HashiCorp repository, or a chartRef/OCIRepository whose
 * URL ends in `/vault`. Not vaultwarden, vault-operator, vault-secrets-operator, vault-secrets-webhook.
 */
export function isVaultServer(repo: Repo, hr: Resource): boolean {
  const c = repo.flux.helmChart(hr);
  if (hr.get(['spec', 'chartRef']) !== undefined) return typeof c.url === 'string' && /\/vault\/?$/.test(c.url);
  if (c.chart !== 'vault') return false;
  // chart `vault` from a HelmRepository we can see must be HashiCorp's; an unknown source is accepted by name.
  if (c.url === undefined) return true;
  return HASHICORP_HELM_URL.test(c.url) || /hashicorp/i.test(c.url);
}

/** The External Secrets Operator release (chart `external-secrets`). */
export function isExternalSecrets(repo: Repo, hr: Resource): boolean {
  const c = repo.flux.helmChart(hr);
  if (hr.get(['spec', 'chartRef']) !== undefined) return typeof c.url === 'string' && /\/external-secrets\/?$/.test(c.url);
  return c.chart === 'external-secrets';
}

export interface ValueLocation {
  /** The effective value (merged over all sources). */
  readonly value: unknown;
  /** The source that defines the value (the last one in merge order), or undefined when no source has it. */
  readonly source: ValuesSource | undefined;
  /** Full path inside `source.resource` (source.path + values path). */
  readonly path: YamlPath | undefined;
}

/** Where a values path is defined: edit it there. */
export function locateValue(repo: Repo, hr: Resource, path: YamlPath): ValueLocation {
  const sources = repo.flux.valuesSources(hr);
  for (let i = sources.length - 1; i >= 0; i--) {
    const s = sources[i]!;
    const root = s.path.length ? s.resource.get(s.path) : s.resource.data;
    const v = getIn(root, path);
    if (v !== undefined) return { value: getIn(repo.flux.values(hr), path), source: s, path: [...s.path, ...path] };
  }
  return { value: undefined, source: undefined, path: undefined };
}

/**
 * Where a fix should write a values path that may not exist yet: the source defining the deepest existing
 * prefix of the path (so new keys go next to their siblings), else the inline `spec.values`.
 */
export function valueTarget(repo: Repo, hr: Resource, path: YamlPath): { resource: Resource; path: YamlPath } {
  for (let depth = path.length; depth > 0; depth--) {
    const loc = locateValue(repo, hr, path.slice(0, depth));
    if (loc.source && loc.value !== null && (depth === path.length || typeof loc.value === 'object')) {
      return { resource: loc.source.resource, path: [...loc.source.path, ...path] };
    }
  }
  const sources = repo.flux.valuesSources(hr);
  // Prefer a values file when the release keeps its values in one and has no inline values.
  const file = sources.find((s) => s.kind === 'file');
  const inline = sources.find((s) => s.kind === 'inline')!;
  const target = file && inline.resource.get(inline.path) === undefined ? file : inline;
  return { resource: target.resource, path: [...target.path, ...path] };
}
