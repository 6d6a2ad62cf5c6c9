import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { atomicWrite } from './atomic-write.js';
import { GitopsFixError } from './errors.js';
import { dirtyPaths, findGitRepo } from './git.js';
import type { Plan } from './plan.js';

export interface WriteOptions {
  /** Write even when a touched file has uncommitted changes. */
  readonly allowDirty?: boolean;
}

export interface WrittenFile {
  readonly path: string;
  readonly created: boolean;
}

/**
 * Apply a plan to the files in `root` (the directory it was planned on). Every file must still hold what the
 * plan read (`originalFiles`; absent for new files), and in a git repository no touched file may have uncommitted
 * changes unless `allowDirty`; both are checked for every file before any is written. Each file is written to a
 * temporary file beside it and renamed over it, keeping its mode.
 */
export function writePlan(plan: Plan, root: string, opts: WriteOptions = {}): WrittenFile[] {
  const changes = [...plan.finalFiles]
    .map(([path, after]) => ({ path, before: plan.originalFiles.get(path) ?? null, after }))
    .filter((c) => c.before !== c.after)
    .sort((a, b) => a.path.localeCompare(b.path));
  if (!changes.length) return [];
  const abs = (p: string) => join(root, ...p.split('/'));

  if (!opts.allowDirty) {
    const repo = findGitRepo(root);
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
    const p = abs(c.path);
    const onDisk = existsSync(p) ? readFileSync(p, 'utf8') : null;
    if (onDisk !== c.before) changed.push(c.path);
  }
  if (changed.length) {
    throw new GitopsFixError('file-changed', `these files changed on disk since they were read: ${changed.join(', ')}. Nothing was written; run again`);
  }
  const written: WrittenFile[] = [];
  for (const c of changes) {
    atomicWrite(abs(c.path), c.after);
    written.push({ path: c.path, created: c.before === null });
  }
  return written;
}

export { atomicWrite };
