/** Repository-relative POSIX paths as kustomize and Flux resolve them. */
import { posix } from 'node:path';

export const KUSTOMIZE_NAMES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];

export function dirOf(file: string): string {
  const i = file.lastIndexOf('/');
  return i < 0 ? '' : file.slice(0, i);
}

export function joinPath(dir: string, rel: string): string {
  const joined = posix.normalize(dir ? `${dir}/${rel}` : rel);
  return joined === '.' ? '' : joined.replace(/^\.\//, '').replace(/\/$/, '');
}

/** Is `file` below `dir` ('' is the root, above everything)? */
export function under(dir: string, file: string): boolean {
  return dir === '' || file.startsWith(dir + '/');
}

/** Normalise a Flux `spec.path` to a repository-relative directory. */
export function normaliseFluxPath(p: unknown): string {
  if (typeof p !== 'string') return '';
  return joinPath('', p.replace(/^\/+/, ''));
}

export function asRecord(v: unknown): Record<string, unknown> | undefined {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

export function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

/** Append `value` to the list of `key`, creating the list. */
export function pushTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
