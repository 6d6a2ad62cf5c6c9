/** The review branch, checked before any work: its name, what is in its way, and the temporary directory it is built in. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Phase } from '../../kit/index.js';
import { GitopsFixError, ioReason } from '../errors.js';
import { RULE_TRAILER } from '../messages.js';
import { foreignCommit, lastCommit } from './publish.js';
import { gitProbe, gitSync } from './run.js';
import { samePath, worktrees, type GitRepoInfo } from './repository.js';

/** The default review branch: `gitops-fix/phase-1-2`, `gitops-fix/phase-all`, `gitops-fix/quick-wins` or `gitops-fix/fixes`. */
export function defaultBranchName(sel: { phases: readonly Phase[]; ruleIds: readonly string[]; quickWins: boolean }): string {
  const bare = !sel.ruleIds.length && !sel.quickWins;
  if (bare && (sel.phases.length === 0 || sel.phases.length === 4)) return 'gitops-fix/phase-all';
  if (bare) return `gitops-fix/phase-${[...sel.phases].sort().join('-')}`;
  if (sel.quickWins && !sel.ruleIds.length && !sel.phases.length) return 'gitops-fix/quick-wins';
  return 'gitops-fix/fixes';
}

/**
 * Only plain branch names: what `git check-ref-format` accepts as `refs/heads/<name>`, and nothing git would expand
 * or read as a revision (`@`, `@{-1}`, `@{upstream}`, `HEAD`, a leading `-`).
 */
export function checkBranchName(cwd: string, name: string): void {
  const revision = name === '@' || name === 'HEAD' || name.includes('@{') || name.startsWith('-');
  if (revision || gitProbe(cwd, ['check-ref-format', `refs/heads/${name}`]) === undefined) {
    throw new GitopsFixError(
      'invalid-branch-name',
      `"${name}" is not a valid branch name (a plain name is needed, see git check-ref-format; "@", "@{…}" and "HEAD" name revisions, not branches): pass another --branch`,
    );
  }
}

export function branchExists(cwd: string, name: string): boolean {
  return gitProbe(cwd, ['show-ref', '--verify', '--quiet', `refs/heads/${name}`]) !== undefined;
}

/** The review branch as checked before any work. */
export interface BranchTarget {
  readonly name: string;
  /** The commit the branch points to when it exists already (it is replaced only with --force). */
  readonly tip: string | undefined;
  /** The branch is the one checked out in DIR's worktree (a second run on the branch it made). */
  readonly checkedOutHere: boolean;
  /** A review branch gitops-fix made, rebuilt from HEAD in place (without --force). */
  readonly update?: boolean;
}

/**
 * Check, before any work, that the review branch can be made: a plain name; no branch in the way (a branch
 * `gitops-fix` keeps git from creating `gitops-fix/phase-1`, and the other way round); not checked out in another
 * worktree; and when it exists, replaced only with `force` and only when gitops-fix made it (its last commit carries
 * the `Gitops-Fix-Rule` trailer), so `--force` can never rewrite a branch of the user's own.
 */
export function checkReviewBranch(info: GitRepoInfo, name: string, force: boolean): BranchTarget {
  checkBranchName(info.topLevel, name);
  const full = `refs/heads/${name}`;
  const refs = gitSync(info.topLevel, ['for-each-ref', '--format=%(refname)', 'refs/heads/']).split('\n').filter(Boolean);
  const above = refs.find((r) => full.startsWith(`${r}/`));
  if (above) {
    throw new GitopsFixError(
      'branch-conflict',
      `a branch named ${above.slice('refs/heads/'.length)} exists, so git cannot create ${name} (a branch name cannot also be a folder of branches): pass --branch NAME`,
    );
  }
  const below = refs.find((r) => r.startsWith(`${full}/`));
  if (below) {
    throw new GitopsFixError(
      'branch-conflict',
      `branches named ${name}/… exist (${below.slice('refs/heads/'.length)}), so git cannot create a branch ${name}: pass --branch NAME`,
    );
  }
  const exists = refs.includes(full);
  const holder = exists ? worktrees(info.topLevel).find((w) => w.branch === full) : undefined;
  const checkedOutHere = !!holder && samePath(holder.path, info.topLevel);
  if (holder && !checkedOutHere) {
    throw new GitopsFixError(
      'branch-checked-out',
      `branch ${name} is checked out in the worktree ${holder.path}; gitops-fix never replaces a checked-out branch: pass another --branch`,
    );
  }
  if (!exists) return { name, tip: undefined, checkedOutHere: false };
  const tip = gitSync(info.topLevel, ['rev-parse', '--verify', '--quiet', `${full}^{commit}`]).trim();
  if (!force) {
    if (checkedOutHere) return { name, tip, checkedOutHere }; // a run on the branch it made: fine when there is nothing to fix
    // A review branch gitops-fix made is rebuilt from HEAD in place (as Renovate does); any other branch is left alone.
    const foreign = foreignCommit(info.topLevel, tip, info.head ?? tip);
    if (foreign) throw notOursError(name, foreign);
    return { name, tip, checkedOutHere, update: true };
  }
  if (checkedOutHere) throw checkedOutHereError(name);
  const last = lastCommit(info.topLevel, tip);
  if (!last.ours) {
    throw new GitopsFixError(
      'branch-not-ours',
      `branch ${name} was not made by gitops-fix (its last commit ${tip.slice(0, 12)} "${last.subject}" has no ${RULE_TRAILER} trailer): --force replaces only review branches gitops-fix made; pass another --branch`,
    );
  }
  return { name, tip, checkedOutHere };
}

export function checkedOutHereError(name: string): GitopsFixError {
  return new GitopsFixError(
    'branch-checked-out',
    `branch ${name} is the branch checked out here, and the review branch is never the checked-out one: pass --branch NAME (or switch to the branch the fixes should start from)`,
  );
}

/**
 * The system temporary directory must take a directory: the review branch is built in a worktree there. Checked
 * before any work, so that an unusable TMPDIR fails with a plain message instead of after the planning.
 */
export function checkTempDir(): void {
  const base = tmpdir();
  try {
    rmSync(mkdtempSync(join(base, 'gitops-fix-')), { recursive: true, force: true });
  } catch (e) {
    throw new GitopsFixError(
      'temp-dir',
      `the temporary directory ${base}${process.env.TMPDIR ? ' (TMPDIR)' : ''} cannot be used (${ioReason(e)}); the review branch is built in a worktree there. Set TMPDIR to a writable directory`,
    );
  }
}

export function branchExistsError(branch: string): GitopsFixError {
  return new GitopsFixError('branch-exists', `branch ${branch} already exists: pass --force to replace it, or --branch NAME`);
}

/** An existing branch with a commit gitops-fix did not make: never rebuilt in place. */
function notOursError(branch: string, commit: { sha: string; subject: string }): GitopsFixError {
  return new GitopsFixError(
    'branch-exists',
    `branch ${branch} already exists and has a commit gitops-fix did not make (${commit.sha.slice(0, 12)} "${commit.subject}"), so it is not rebuilt in place: pass --branch NAME (gitops-fix updates only the review branches it made)`,
  );
}
