/**
 * Plain data as the YAML loader gives it (maps, lists, scalars) and repository paths: the one copy of each small
 * helper the kit, the rules and the engine share.
 */
import { posix } from 'node:path';
import type { YamlPath } from './repo.js';

/** True for a map (not a list, not null). */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The value as a map, or undefined when it is not one. */
export function asRecord(v: unknown): Record<string, unknown> | undefined {
  return isRecord(v) ? v : undefined;
}

/** The value as a list, or [] when it is not one. */
export function asArray(v: unknown): readonly unknown[] {
  return Array.isArray(v) ? v : [];
}

/** The value when it is a non-empty string, else undefined. */
export function nonEmptyString(v: unknown): string | undefined {
  return typeof v === 'string' && v ? v : undefined;
}

/** The strings of a list (other items and non-lists: none). */
export function stringsOf(v: unknown): string[] {
  return asArray(v).filter((x): x is string => typeof x === 'string');
}

/** Value at a path in plain data (map keys and list indexes), or undefined. */
export function getIn(v: unknown, path: YamlPath): unknown {
  let cur = v;
  for (const seg of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[seg];
  }
  return cur;
}

/**
 * Merge `over` into `base`: maps merge key by key, anything else in `over` replaces what `base` has, and an
 * undefined value keeps the base (Helm's values merge without its null deletion, as Flux merges `valuesFrom`).
 */
export function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown>;
export function deepMerge(base: unknown, over: unknown): unknown;
export function deepMerge(base: unknown, over: unknown): unknown {
  if (!isRecord(base) || !isRecord(over)) return over === undefined ? base : over;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = deepMerge(base[k], v);
  return out;
}

/** The directory of a repository-relative POSIX path ('' at the root). */
export function dirOf(file: string): string {
  const i = file.lastIndexOf('/');
  return i < 0 ? '' : file.slice(0, i);
}

/** A path relative to `dir`, normalised to a repository-relative POSIX path ('' for the root). */
export function joinPath(dir: string, rel: string): string {
  const joined = posix.normalize(dir ? `${dir}/${rel}` : rel);
  return joined === '.' ? '' : joined.replace(/^\.\//, '').replace(/\/$/, '');
}

/** The names kustomize reads a directory's configuration from, in the order it looks for them. */
export const KUSTOMIZE_FILE_NAMES: readonly string[] = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];

/** Is this path (or bare name) a kustomize configuration file? */
export function isKustomizeFileName(file: string): boolean {
  return KUSTOMIZE_FILE_NAMES.includes(file.slice(file.lastIndexOf('/') + 1));
}
