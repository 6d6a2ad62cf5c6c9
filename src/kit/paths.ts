/** Repository-relative POSIX paths: directories, joins, relative paths, kustomization file names. */

const KUSTOMIZE_FILE_NAMES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];

export function dirOf(file: string): string {
  const i = file.lastIndexOf('/');
  return i < 0 ? '' : file.slice(0, i);
}

export function joinDir(dir: string, name: string): string {
  return dir ? `${dir}/${name}` : name;
}

/** Relative POSIX path from directory `from` to `to` (both repository-relative). */
export function relativePath(from: string, to: string): string {
  const a = from ? from.split('/') : [];
  const b = to.split('/');
  let i = 0;
  while (i < a.length && i < b.length - 1 && a[i] === b[i]) i++;
  return [...a.slice(i).map(() => '..'), ...b.slice(i)].join('/');
}

/** True for a kustomization.yaml-like file name. */
export function isKustomizeFileName(file: string): boolean {
  return KUSTOMIZE_FILE_NAMES.includes(file.slice(file.lastIndexOf('/') + 1));
}
