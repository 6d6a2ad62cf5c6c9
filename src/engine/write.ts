import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, lstatSync, mkdirSync, readFileSync, realpathSync, renameSync, rmdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { atomicWrite } from './atomic-write.js';
import { throwIfCancelled } from './cancel.js';
import { GitopsFixError, ioReason } from './errors.js';
import { dirtyPaths, findGitRepo, insideGitWorkTree, type GitRepoInfo } from './git/repository.js';
import type { Plan } from './plan.js';

export interface WriteOptions {
  /** Write even when a touched file has uncommitted changes. */
  readonly allowDirty?: boolean;
  /** Checked once more before the first file is replaced. */
  readonly signal?: AbortSignal;
}

export interface WrittenFile {
  readonly path: string;
  readonly created: boolean;
}

interface Staged {
  readonly path: string;
  readonly created: boolean;
  /** The file replaced (a symbolic link's target). */
  readonly target: string;
  readonly tmp: string;
}

/** The git repository around root; undefined outside one. Without git on PATH, inside a work tree, that is an error. */
function repositoryOf(root: string, allowDirty: boolean): GitRepoInfo | undefined {
  try {
    return findGitRepo(root);
  } catch (e) {
    if (!(e instanceof GitopsFixError) || e.code !== 'git-missing') throw e;
    if (allowDirty || !insideGitWorkTree(root)) return undefined;
    throw new GitopsFixError(
      'git-missing',
      `git is not installed (or not on PATH), so gitops-fix cannot check the files for uncommitted changes before changing them: install git, or pass --allow-dirty`,
    );
  }
}

interface FileChange {
  readonly path: string;
  /** What the plan read (null: a new file). */
  readonly before: string | null;
  readonly after: string;
}

/** Refuse to write over uncommitted changes (unless `allowDirty`) or over a file that changed since it was read. */
function checkUntouched(changes: readonly FileChange[], root: string, allowDirty: boolean): void {
  if (!allowDirty) {
    const repo = repositoryOf(root, false);
    const dirty = repo
      ? dirtyPaths(
          repo,
          changes.map((c) => c.path),
        )
      : [];
    if (dirty.length) {
      throw new GitopsFixError(
        'dirty-worktree',
        `these files have uncommitted changes: ${dirty.join(', ')}. Commit or stash them first, or pass --allow-dirty`,
      );
    }
  }
  const changed: string[] = [];
  for (const c of changes) {
    const p = absolute(root, c.path);
    const onDisk = existsSync(p) ? readFileSync(p, 'utf8') : null;
    if (onDisk !== c.before) changed.push(c.path);
  }
  if (changed.length) {
    throw new GitopsFixError('file-changed', `these files changed on disk since they were read: ${changed.join(', ')}. Nothing was written; run again`);
  }
}

function absolute(root: string, path: string): string {
  return join(root, ...path.split('/'));
}

/**
 * Every new content into a temporary file beside its file (keeping the file's mode). On a failure, or when `signal`
 * is aborted, the temporary files and the directories made for them are removed and the error is thrown.
 */
function stage(changes: readonly FileChange[], root: string, signal: AbortSignal | undefined): Staged[] {
  const staged: Staged[] = [];
  const madeDirs: string[] = [];
  const undo = () => {
    for (const s of staged) rmSync(s.tmp, { force: true });
    for (const d of madeDirs.reverse()) {
      try {
        rmdirSync(d);
      } catch {
        // not empty or gone: leave it
      }
    }
  };
  for (const c of changes) {
    const p = absolute(root, c.path);
    try {
      const target = existsSync(p) && lstatSync(p).isSymbolicLink() ? realpathSync(p) : p;
      madeDirs.push(...missingDirs(dirname(target)));
      mkdirSync(dirname(target), { recursive: true });
      const mode = existsSync(target) ? statSync(target).mode & 0o7777 : undefined;
      const tmp = join(dirname(target), `.${basename(target)}.gitops-fix-${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
      staged.push({ path: c.path, created: c.before === null, target, tmp });
      writeFileSync(tmp, c.after, mode === undefined ? {} : { mode });
      if (mode !== undefined) chmodSync(tmp, mode);
    } catch (e) {
      undo();
      throw new GitopsFixError('write-failed', `${c.path}: cannot be written (${ioReason(e)}). Nothing was changed`);
    }
  }
  try {
    throwIfCancelled(signal);
  } catch (e) {
    undo();
    throw e;
  }
  return staged;
}

/** Rename the staged files over the originals; on a failure, the rest are removed and the error says what was written. */
function commitStaged(staged: readonly Staged[]): WrittenFile[] {
  const written: WrittenFile[] = [];
  for (const [i, s] of staged.entries()) {
    try {
      renameSync(s.tmp, s.target);
    } catch (e) {
      for (const rest of staged.slice(i)) rmSync(rest.tmp, { force: true });
      const done = written.map((w) => w.path);
      throw new GitopsFixError(
        'write-failed',
        `${s.path}: cannot be replaced (${ioReason(e)}). ${done.length ? `Already written: ${done.join(', ')}; the other files were not changed` : 'Nothing was changed'}`,
      );
    }
    written.push({ path: s.path, created: s.created });
  }
  return written;
}

/**
 * Apply a plan to the files in `root` (the directory it was planned on), all or nothing. Every file must still hold
 * what the plan read (`originalFiles`; absent for new files), and in a git repository no touched file may have
 * uncommitted changes unless `allowDirty`; both are checked for every file before any is written. Then every new
 * content is written to a temporary file beside its file (keeping the file's mode), and only when all of them are
 * written are they renamed over the originals. When a temporary file cannot be written, the others are removed and
 * nothing is changed; the error names the file.
 */
export function writePlan(plan: Plan, root: string, opts: WriteOptions = {}): WrittenFile[] {
  const changes: FileChange[] = [...plan.finalFiles]
    .map(([path, after]) => ({ path, before: plan.originalFiles.get(path) ?? null, after }))
    .filter((c) => c.before !== c.after)
    .sort((a, b) => a.path.localeCompare(b.path));
  if (!changes.length) return [];
  checkUntouched(changes, root, opts.allowDirty === true);
  return commitStaged(stage(changes, root, opts.signal));
}

/** The directories that `mkdirSync(dir, { recursive: true })` would create, outermost first. */
function missingDirs(dir: string): string[] {
  const out: string[] = [];
  for (let d = dir; !existsSync(d) && dirname(d) !== d; d = dirname(d)) out.unshift(d);
  return out;
}

export { atomicWrite };
