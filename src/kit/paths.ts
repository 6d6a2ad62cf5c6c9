/** Repository-relative POSIX paths: directories, joins, relative paths, kustomization file names. */

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
