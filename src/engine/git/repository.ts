/** The git repository around a directory: its top level, HEAD, identity, worktrees and uncommitted changes. */
import { existsSync, realpathSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { GitopsFixError } from '../errors.js';
import { FALLBACK_IDENTITY, gitProbe, gitSync, NO_HOOKS } from './run.js';

export interface GitRepoInfo {
  /** Absolute path of the work tree's top level. */
  readonly topLevel: string;
  /** DIR relative to the top level, POSIX, '' when DIR is the top level. */
  readonly prefix: string;
  /** The commit HEAD points to; undefined in a repository without commits. */
  readonly head: string | undefined;
  /** The checked-out branch, or undefined on a detached HEAD. */
  readonly headRef: string | undefined;
  /** `-c user.name=… -c user.email=…` when the repository has no identity of its own, else empty. */
  readonly identity: readonly string[];
}

/** Is `dir` inside a git work tree, as far as the file system says (a `.git` above it)? For when git is missing. */
export function insideGitWorkTree(dir: string): boolean {
  for (let d = resolve(dir); ; d = dirname(d)) {
    if (existsSync(join(d, '.git'))) return true;
    if (dirname(d) === d) return false;
  }
}

/**
 * The git repository around `dir`, or undefined when `dir` is not inside a work tree. Without git on PATH: a
 * GitopsFixError with code `git-missing`.
 */
export function findGitRepo(dir: string): GitRepoInfo | undefined {
  const abs = resolve(dir);
  if (!existsSync(abs)) throw new GitopsFixError('not-a-directory', `${dir}: no such directory`);
  if (!statSync(abs).isDirectory()) throw new GitopsFixError('not-a-directory', `${dir}: not a directory`);
  const top = gitProbe(abs, ['rev-parse', '--show-toplevel'])?.trim();
  if (!top) return undefined;
  const topLevel = realpathSync(top);
  const prefix = relative(topLevel, realpathSync(abs)).split(sep).join('/');
  const head = gitProbe(abs, ['rev-parse', '--verify', '--quiet', 'HEAD^{commit}'])?.trim() || undefined;
  const headRef = gitProbe(abs, ['symbolic-ref', '--quiet', '--short', 'HEAD'])?.trim() || undefined;
  return { topLevel, prefix, head, headRef, identity: hasIdentity(abs) ? [] : [...FALLBACK_IDENTITY] };
}

/** True when git can name a committer here without guessing (config or environment). */
export function hasIdentity(cwd: string): boolean {
  const env = process.env;
  const name = env.GIT_COMMITTER_NAME || gitProbe(cwd, ['config', '--get', 'user.name'])?.trim();
  const email = env.GIT_COMMITTER_EMAIL || env.EMAIL || gitProbe(cwd, ['config', '--get', 'user.email'])?.trim();
  return !!name && !!email;
}

/** Worktrees of the repository: path and checked-out branch (full ref), from `git worktree list --porcelain`. */
export function worktrees(topLevel: string): { path: string; branch: string | undefined }[] {
  const out = gitProbe(topLevel, ['worktree', 'list', '--porcelain']) ?? '';
  return out
    .split('\n\n')
    .map((e) => e.split('\n'))
    .filter((lines) => lines[0]?.startsWith('worktree '))
    .map((lines) => ({
      path: lines[0]!.slice('worktree '.length),
      branch: lines.find((l) => l.startsWith('branch '))?.slice('branch '.length),
    }));
}

export function samePath(a: string, b: string): boolean {
  try {
    return realpathSync(a) === realpathSync(b);
  } catch {
    return resolve(a) === resolve(b);
  }
}

/**
 * DIR must exist in HEAD: the review branch starts from HEAD, so a directory that was never committed is not in
 * it (the worktree would not have it).
 */
export function checkCommitted(info: GitRepoInfo, dir: string): void {
  if (!info.head || !info.prefix) return;
  if (gitProbe(info.topLevel, ['cat-file', '-e', `${info.head}:${info.prefix}`]) === undefined) {
    throw new GitopsFixError(
      'not-committed',
      `${dir} is not committed: the review branch starts from HEAD, which does not have it. Commit it, or pass --write to change the files in place`,
    );
  }
}

export interface UncommittedPath {
  /** Relative to DIR, POSIX. */
  readonly path: string;
  readonly state: 'modified' | 'staged' | 'untracked' | 'deleted' | 'conflicted';
}

/** Uncommitted changes below DIR (modified, staged, deleted, untracked, conflicted), as git status reports them. */
export function uncommittedPaths(info: GitRepoInfo): UncommittedPath[] {
  const spec = info.prefix ? [`:(literal)${info.prefix}`] : [];
  const out = gitSync(info.topLevel, ['status', '--porcelain=v1', '-z', '--untracked-files=all', '--', ...spec]);
  const entries = out.split('\0');
  const found: UncommittedPath[] = [];
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    if (e.length < 4) continue;
    const [x, y] = [e[0]!, e[1]!];
    if (x === 'R' || x === 'C') i++; // the source path of a rename follows
    const full = e.slice(3);
    const path = info.prefix ? full.slice(info.prefix.length + 1) : full;
    const state: UncommittedPath['state'] =
      x === '?'
        ? 'untracked'
        : x === 'U' || y === 'U' || (x === 'A' && y === 'A') || (x === 'D' && y === 'D')
          ? 'conflicted'
          : x === 'D' || y === 'D'
            ? 'deleted'
            : y !== ' '
              ? 'modified'
              : 'staged';
    found.push({ path, state });
  }
  return found;
}

/** Paths (relative to `root`) among `paths` that git reports as modified, staged, untracked or conflicted. */
export function dirtyPaths(info: GitRepoInfo, paths: readonly string[]): string[] {
  if (!paths.length) return [];
  const full = paths.map((p) => posixJoin(info.prefix, p));
  const out = gitSync(info.topLevel, ['status', '--porcelain=v1', '-z', '--untracked-files=all', '--', ...full.map((p) => `:(literal)${p}`)]);
  const dirty = new Set<string>();
  const entries = out.split('\0');
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    if (e.length < 4) continue;
    dirty.add(e.slice(3));
    if (e[0] === 'R' || e[0] === 'C') i++; // the source path of a rename follows
  }
  return paths.filter((p) => dirty.has(posixJoin(info.prefix, p)));
}

export function posixJoin(prefix: string, p: string): string {
  return prefix ? `${prefix}/${p}` : p;
}

/** `git init` + first commit of `dir` (the demo's copy of the example repository). */
export function initRepository(dir: string, message: string): void {
  gitSync(dir, ['init', '--quiet', '--initial-branch=main']);
  gitSync(dir, ['add', '--all']);
  const identity = hasIdentity(dir) ? [] : [...FALLBACK_IDENTITY];
  gitSync(dir, [...NO_HOOKS, ...identity, '-c', 'commit.gpgsign=false', 'commit', '--quiet', '--no-verify', '-m', message]);
}

/** `git log --stat` of base..branch, oldest first. */
export function logStat(cwd: string, base: string, branch: string): string {
  return gitSync(cwd, ['-c', 'color.ui=never', 'log', '--reverse', '--stat', '--format=%h %s', `${base}..${branch}`]);
}
