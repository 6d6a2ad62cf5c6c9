/**
 * Which files a repository has: git's view when the directory is in a work tree (ignored files left out, submodules
 * named), else a walk that stays inside the directory; and the JSON manifests kustomization files list.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, realpathSync, statSync } from 'node:fs';
import { join, posix, sep } from 'node:path';
import { dirOf, isKustomizeFileName } from '../../kit/data.js';
import type { RepoFile } from '../../kit/index.js';
import { gitEnv } from '../git-env.js';

export const YAML_FILE = /\.ya?ml$/i;
const SKIP_DIRS = new Set(['.git', 'node_modules']);

/** List YAML files below root: git's view when root is in a work tree (respects .gitignore), else a walk. */
export function listYamlFiles(root: string): string[] {
  return listFiles(root).yaml;
}

/**
 * Git submodules below root (their paths): their files belong to another repository, so git lists none of them
 * here. Empty outside a git work tree.
 */
function listSubmodules(root: string): string[] {
  try {
    const out = execFileSync('git', ['ls-files', '-z', '--stage', '--', '.'], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      maxBuffer: 256 * 1024 * 1024,
      env: gitEnv(),
    });
    return [
      ...new Set(
        out
          .split('\0')
          .filter((e) => e.startsWith('160000 '))
          .map((e) => e.slice(e.indexOf('\t') + 1)),
      ),
    ].sort();
  } catch {
    return [];
  }
}

/** The YAML files below root and the git submodules in it. */
export function listFiles(root: string): { yaml: string[]; submodules: string[] } {
  const yaml = listYaml(root);
  return { yaml, submodules: yaml.git ? listSubmodules(root) : [] };
}

function listYaml(root: string): string[] & { git?: boolean } {
  let listed: string[] | undefined;
  try {
    const out = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard', '--', '.'], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      maxBuffer: 256 * 1024 * 1024,
      env: gitEnv(),
    });
    listed = [...new Set(out.split('\0').filter((f) => f && YAML_FILE.test(f)))];
  } catch {
    listed = undefined;
  }
  if (listed) return Object.assign(listed.filter((f) => !f.split('/').some((s) => SKIP_DIRS.has(s))).sort(), { git: true });
  const found: string[] = [];
  const walk = (dir: string, rel: string, seen: Set<string>) => {
    let real: string;
    try {
      real = realpathSync(dir);
    } catch {
      return;
    }
    if (seen.has(real)) return; // a directory symlink loop
    seen.add(real);
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (SKIP_DIRS.has(e.name)) continue;
      const r = rel ? `${rel}/${e.name}` : e.name;
      const abs = join(dir, e.name);
      let isDir = e.isDirectory();
      if (e.isSymbolicLink()) {
        try {
          isDir = statSync(abs).isDirectory();
        } catch {
          isDir = false;
        }
        if (isDir && !isInside(root, abs)) continue;
      }
      if (isDir) walk(abs, r, new Set(seen));
      else if (YAML_FILE.test(e.name)) found.push(r);
    }
  };
  walk(root, '', new Set());
  return found.sort();
}

export function isInside(root: string, abs: string): boolean {
  try {
    const real = realpathSync(abs);
    const realRoot = realpathSync(root);
    return real === realRoot || real.startsWith(realRoot + sep);
  } catch {
    return false;
  }
}

/** `.json` files that kustomization.yaml files list as resources (relative paths inside the repository). */
export function listedJsonFiles(files: readonly RepoFile[]): string[] {
  const out = new Set<string>();
  for (const f of files) {
    if (f.status !== 'parsed' || !isKustomizeFileName(f.path)) continue;
    const k = f.resources[0];
    if (!k || (k.group !== '' && k.group !== 'kustomize.config.k8s.io')) continue;
    const dir = dirOf(f.path);
    for (const field of ['resources', 'bases', 'components', 'crds']) {
      const list = k.get([field]);
      if (!Array.isArray(list)) continue;
      for (const e of list) {
        if (typeof e !== 'string' || !/\.json$/i.test(e) || /^[a-z][a-z0-9+.-]*:\/\//i.test(e)) continue;
        const p = posix.normalize(dir ? `${dir}/${e}` : e).replace(/^\.\//, '');
        if (!p.startsWith('../') && p !== '..' && !posix.isAbsolute(p)) out.add(p);
      }
    }
  }
  return [...out].sort();
}
