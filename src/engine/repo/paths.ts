/** Repository-relative POSIX paths as kustomize and Flux resolve them. */
import { joinPath } from '../../kit/data.js';

/** Is `file` below `dir` ('' is the root, above everything)? */
export function under(dir: string, file: string): boolean {
  return dir === '' || file.startsWith(dir + '/');
}

/** Normalise a Flux `spec.path` to a repository-relative directory. */
export function normaliseFluxPath(p: unknown): string {
  if (typeof p !== 'string') return '';
  return joinPath('', p.replace(/^\/+/, ''));
}

/** Append `value` to the list of `key`, creating the list. */
export function pushTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
