/**
 * vault-helm chart values: the chart's defaults, the keys its templates read, Helm/Go truthiness as the templates test
 * it, and value edits written where the release keeps each value (checked against the chart's keys).
 */
import { locateValue, valueTarget } from '../charts.js';
import { getIn, isRecord } from '../data.js';
import type { Repo, Resource, YamlPath } from '../repo.js';
import type { Change } from '../rule.js';
import { VAULT_CHART_DEFAULTS, VAULT_CHART_VERSION } from './chart-defaults.js';
import type { VaultServer } from './server.js';

export { VAULT_CHART_DEFAULTS, VAULT_CHART_VERSION };

/** Keys the chart's templates read that values.yaml does not list (domain.md §1.1). */
export const VAULT_TEMPLATE_ONLY_KEYS: readonly string[] = [
  'server.uid',
  'server.gid',
  'injector.uid',
  'injector.gid',
  'fullnameOverride',
  'nameOverride',
  'server.readinessProbe.path',
];

/** The chart's default at a values path (undefined when values.yaml has none). */
export function vaultChartDefault(path: YamlPath): unknown {
  return getIn(VAULT_CHART_DEFAULTS, path);
}

/**
 * Is `path` a values key of the vault chart? True for keys of values.yaml, the template-only keys, and anything
 * below a free-form value: an empty map (`extraEnvironmentVars: {}`, `annotations: {}`), `null` or a list
 * (`volumes`, `extraSecretEnvironmentVars`), or a multi-line template string the chart also accepts as YAML
 * (`affinity`).
 */
export function isVaultChartKey(path: YamlPath): boolean {
  if (path.length === 0) return false;
  const dotted = path.join('.');
  if (VAULT_TEMPLATE_ONLY_KEYS.some((k) => dotted === k || dotted.startsWith(`${k}.`))) return true;
  let cur: unknown = VAULT_CHART_DEFAULTS;
  let last = '';
  for (const seg of path) {
    if (cur === null || Array.isArray(cur)) return true;
    // A template string the chart also takes as YAML (affinity, annotations); never an HCL `config` string.
    if (typeof cur === 'string') return cur.includes('\n') && last !== 'config';
    last = String(seg);
    if (!isRecord(cur)) return false;
    if (!(String(seg) in cur)) return Object.keys(cur).length === 0;
    cur = cur[String(seg)];
  }
  return true;
}

/** Every values key path a change of values writes (leaves of maps; lists count as one value). */
export function writtenValueKeys(value: unknown, base: YamlPath): YamlPath[] {
  if (!isRecord(value) || Object.keys(value).length === 0) return [base];
  return Object.entries(value).flatMap(([k, v]) => writtenValueKeys(v, [...base, k]));
}

/** Helm's `eq (x | toString) "true"`. */
export function helmTrue(v: unknown): boolean {
  return String(v) === 'true';
}

/** Go template truthiness (`if .Values.x`): false, 0, "", null, empty collections are false; the string "false" is true. */
export function goTruthy(v: unknown): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (isRecord(v)) return Object.keys(v).length > 0;
  return true;
}

// ---------------------------------------------------------------------------------------------------------------
// Finding locations and value edits, where the release keeps each value

/** Where to report a values path: the source that sets it, else the release's values. */
export function vaultValueSite(repo: Repo, server: VaultServer, path: YamlPath): { resource: Resource; path: YamlPath } {
  const loc = locateValue(repo, server.release, path);
  if (loc.source) return { resource: loc.source.resource, path: loc.path! };
  return valueTarget(repo, server.release, path);
}

function assertKey(path: YamlPath): void {
  if (!isVaultChartKey(path)) throw new Error(`${path.join('.')} is not a key of the vault chart`);
}

/** Set a values path where it lives (or next to its siblings). */
export function vaultSet(repo: Repo, server: VaultServer, path: YamlPath, value: unknown, comment?: string): Change {
  for (const k of writtenValueKeys(value, path)) assertKey(k);
  const t = valueTarget(repo, server.release, path);
  return { op: 'set', resource: t.resource, path: t.path, value, ...(comment ? { comment } : {}) };
}

/** Deep-merge a map into the map at a values path, where it lives (set when no source has it). */
export function vaultMerge(repo: Repo, server: VaultServer, path: YamlPath, value: Record<string, unknown>): Change {
  for (const k of writtenValueKeys(value, path)) assertKey(k);
  const loc = locateValue(repo, server.release, path);
  if (loc.source && isRecord(loc.value)) return { op: 'merge', resource: loc.source.resource, path: loc.path!, value };
  return vaultSet(repo, server, path, value);
}

/** Append to a list value where it lives (see vaultAppendAll). */
export function vaultAppend(repo: Repo, server: VaultServer, path: YamlPath, item: unknown): Change {
  return vaultAppendAll(repo, server, path, [item])[0]!;
}

/**
 * Append items to a list value where it lives; when the repository does not set the list, it is created where the
 * release's values would hold it (the chart default, null or [], no longer applies). Appends compose: two fixes that
 * each add an item to a missing list both land.
 */
export function vaultAppendAll(repo: Repo, server: VaultServer, path: YamlPath, items: readonly unknown[]): Change[] {
  assertKey(path);
  const loc = locateValue(repo, server.release, path);
  if (loc.source && !Array.isArray(loc.value)) return [vaultSet(repo, server, path, [...items])];
  const at = loc.source ? { resource: loc.source.resource, path: loc.path! } : valueTarget(repo, server.release, path);
  return items.map((value) => ({ op: 'append', resource: at.resource, path: at.path, value }));
}

/** Delete a values path where it is set (undefined when no source sets it). */
export function vaultDelete(repo: Repo, server: VaultServer, path: YamlPath): Change | undefined {
  const loc = locateValue(repo, server.release, path);
  return loc.source ? { op: 'delete', resource: loc.source.resource, path: loc.path! } : undefined;
}
