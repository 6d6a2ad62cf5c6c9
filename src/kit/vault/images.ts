/** The image a Vault server runs: the release's `server.image`, else the pinned chart's default. */
import { locateValue } from '../charts.js';
import type { Repo } from '../repo.js';
import { scalarText } from '../scalar.js';
import { vaultChartMinor } from './config.js';
import type { VaultServer } from './server.js';

/** Default server image tag of each vault-helm release (hashicorp/vault-helm tags v0.20.0–v0.34.1, values.yaml `server.image.tag`). */
export const VAULT_CHART_IMAGE_TAGS: Readonly<Record<string, string>> = {
  '0.20.0': '1.10.3',
  '0.20.1': '1.10.3',
  '0.21.0': '1.11.2',
  '0.22.0': '1.11.3',
  '0.22.1': '1.12.0',
  '0.23.0': '1.12.1',
  '0.24.0': '1.13.1',
  '0.24.1': '1.13.1',
  '0.25.0': '1.14.0',
  '0.26.0': '1.15.1',
  '0.26.1': '1.15.1',
  '0.27.0': '1.15.2',
  '0.28.0': '1.16.1',
  '0.28.1': '1.17.2',
  '0.29.0': '1.18.1',
  '0.29.1': '1.18.1',
  '0.30.0': '1.19.0',
  '0.30.1': '1.20.1',
  '0.31.0': '1.20.4',
  '0.32.0': '1.21.2',
  '0.33.0': '2.0.2',
  '0.34.0': '2.0.3',
  '0.34.1': '2.0.4',
};

/**
 * The chart's default server image tag for a pinned version or a range within one minor version. Unpinned (`*`, none,
 * open ranges): unknown, since Flux installs whatever the chart repository's newest release is when it reconciles.
 */
export function vaultChartDefaultTag(version: string | undefined): string | undefined {
  const exact = /^\s*v?(\d+\.\d+\.\d+)\s*$/.exec(version ?? '');
  if (exact) return VAULT_CHART_IMAGE_TAGS[exact[1]!];
  // A wildcard or a range within one minor version (`0.27.x`, `~0.27.1`, `^0.27.1`): the newest release of that minor.
  if (!/^\s*[~^]?v?\d+\.\d+(\.(\d+|x|\*))?\s*$/i.test(version ?? '')) return undefined;
  const v = vaultChartMinor(version);
  if (!v) return undefined;
  const same = Object.keys(VAULT_CHART_IMAGE_TAGS).filter((k) => k.startsWith(`${v[0]}.${v[1]}.`));
  return same.length ? VAULT_CHART_IMAGE_TAGS[same[same.length - 1]!] : undefined;
}

export interface VaultImage {
  /** `server.image.repository` (the chart's `hashicorp/vault` unless set). */
  readonly repository: string;
  /** The tag the server runs, when known. */
  readonly tag: string | undefined;
  /** [major, minor, patch] of the tag, when it is a version. */
  readonly version: readonly [number, number, number] | undefined;
  /** True when the tag is the pinned chart's default (the release does not set one). */
  readonly chartDefault: boolean;
  /** `repository:tag`, or `repository:<the tag your release runs>` when unknown. */
  readonly ref: string;
}

/** The server image: `server.image.tag` when the repository sets it, else the pinned chart's default. */
export function vaultImage(repo: Repo, server: VaultServer): VaultImage {
  const set = locateValue(repo, server.release, ['server', 'image', 'tag']);
  const own = set.source && scalarText(set.value) !== '' ? scalarText(set.value) : undefined;
  const tag = own ?? vaultChartDefaultTag(server.chartVersion);
  const repoValue = server.value(['server', 'image', 'repository']);
  const repository = typeof repoValue === 'string' && repoValue ? repoValue : 'hashicorp/vault';
  const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(tag ?? '');
  return {
    repository,
    tag,
    version: m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined,
    chartDefault: own === undefined,
    ref: `${repository}:${tag ?? '<the tag your release runs>'}`,
  };
}

/** The server image version: `server.image.tag` when the repository sets it, else the pinned chart's default. */
export function vaultImageVersion(repo: Repo, server: VaultServer): [number, number, number] | undefined {
  const v = vaultImage(repo, server).version;
  return v ? [v[0], v[1], v[2]] : undefined;
}
