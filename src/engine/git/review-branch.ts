import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { CancelledError, throwIfCancelled } from '../cancel.js';
import { GitopsFixError } from '../errors.js';
import type { FileChange } from '../plan.js';
import type { BranchTarget } from './branch.js';
import { branchChanges, keptBranch, sameCommits, type BranchChanges } from './publish.js';
import { git, gitDetail, gitProbe, gitSync } from './run.js';
import { posixJoin, worktrees, type GitRepoInfo } from './repository.js';

export interface CommitInfo {
  readonly sha: string;
  readonly subject: string;
  readonly ruleId: string;
}

export interface BranchResult {
  readonly branch: string;
  readonly base: string;
  readonly commits: readonly CommitInfo[];
  /** True when an existing branch of that name was replaced (`--force`). */
  readonly replaced: boolean;
  /** The commit the replaced branch pointed to. */
  readonly previous?: string;
  /** A review branch rebuilt in place (without --force), and the fixes it gained and lost. */
  readonly updated?: BranchChanges;
}

export interface CommitOptions {
  readonly signal?: AbortSignal;
}

/** The file in a review branch's temporary directory that names the process using it: `<host>\n<pid>\n`. */
const OWNER_FILE = 'gitops-fix-owner';
const TEMP_NAME = /^gitops-fix-[A-Za-z0-9]{6}$/;

/**
 * A review branch under construction: a temporary detached worktree of HEAD under the system temp directory.
 * Commits are made there; the branch ref is created only by `finish()`, so an interrupted run leaves no
 * half-made branch. `cleanup()` is synchronous and idempotent. The temp directory names the process that uses it
 * (host and pid), so that a later run can tell a worktree left by a killed run from one in use.
 */
export class ReviewBranch {
  private readonly tmp: string;
  /** The worktree's top level. */
  readonly worktree: string;
  private readonly commits: CommitInfo[] = [];
  private cleaned = false;

  private constructor(
    readonly info: GitRepoInfo,
    readonly target: BranchTarget,
    private readonly sign: boolean,
  ) {
    this.tmp = mkdtempSync(join(tmpdir(), 'gitops-fix-'));
    this.worktree = join(this.tmp, 'worktree');
    try {
      writeFileSync(join(this.tmp, OWNER_FILE), `${hostname()}\n${process.pid}\n`);
    } catch (e) {
      rmSync(this.tmp, { recursive: true, force: true });
      throw e;
    }
  }

  /**
   * Create a detached worktree of HEAD for `target` (checked with checkReviewBranch). `sign: false` makes the
   * commits unsigned whatever the git configuration says (`--no-gpg-sign`).
   */
  static async open(info: GitRepoInfo, target: BranchTarget, opts: { sign?: boolean; signal?: AbortSignal } = {}): Promise<ReviewBranch> {
    if (!info.head) {
      throw new GitopsFixError('not-a-git-repo', `${info.topLevel} has no commits yet: commit the repository first (the review branch starts from HEAD)`);
    }
    throwIfCancelled(opts.signal);
    const rb = new ReviewBranch(info, target, opts.sign !== false);
    try {
      await git(info.topLevel, ['worktree', 'add', '--quiet', '--detach', rb.worktree, info.head], opts.signal, { group: true });
    } catch (e) {
      rb.cleanup();
      throw e;
    }
    return rb;
  }

  /**
   * Remove the worktrees that earlier runs left behind (killed before they could clean up): registered worktrees
   * at `<tmp>/gitops-fix-XXXXXX/worktree` whose owner process is gone (or whose directory is gone). Worktrees of
   * other tools, and those of runs still going, are left alone. Returns the paths removed.
   */
  static pruneStale(info: GitRepoInfo): string[] {
    const removed: string[] = [];
    for (const w of worktrees(info.topLevel)) {
      const tmp = dirname(w.path);
      if (basename(w.path) !== 'worktree' || !TEMP_NAME.test(basename(tmp)) || w.branch) continue;
      if (existsSync(tmp) && ownerAlive(tmp)) continue;
      try {
        gitSync(info.topLevel, ['worktree', 'remove', '--force', '--force', w.path]);
      } catch {
        continue;
      }
      rmSync(tmp, { recursive: true, force: true });
      removed.push(w.path);
    }
    return removed;
  }

  /** DIR inside the worktree (where the plan's paths are relative to). */
  get dir(): string {
    return this.info.prefix ? join(this.worktree, ...this.info.prefix.split('/')) : this.worktree;
  }

  get branch(): string {
    return this.target.name;
  }

  /**
   * Write one rule's file changes into the worktree and commit them. Every file must still hold the plan's
   * `before` (a new file must not exist), or nothing is written.
   */
  async commit(ruleId: string, files: readonly FileChange[], message: string, opts: CommitOptions = {}): Promise<CommitInfo> {
    throwIfCancelled(opts.signal);
    if (this.cleaned) throw new GitopsFixError('git-failed', 'the review worktree was removed');
    const abs = (p: string) => join(this.dir, ...p.split('/'));
    for (const f of files) {
      const p = abs(f.path);
      const onDisk = existsSync(p) ? readFileSync(p, 'utf8') : null;
      if (onDisk !== f.before) {
        throw new GitopsFixError(
          'file-changed',
          `${f.path} in the review worktree is not what was planned (${onDisk === null ? 'missing' : 'different content'}); nothing committed for ${ruleId}`,
        );
      }
    }
    for (const f of files) {
      mkdirSync(dirname(abs(f.path)), { recursive: true });
      writeFileSync(abs(f.path), f.after);
    }
    const paths = files.map((f) => `:(literal)${posixJoin(this.info.prefix, f.path)}`);
    // One git process per commit when the rule only edits tracked files (`commit -- paths` stages them);
    // new files are added first.
    const created = files.some((f) => f.before === null);
    if (created) await git(this.worktree, ['add', '--', ...paths], opts.signal);
    const msgFile = join(this.tmp, 'COMMIT_MSG');
    writeFileSync(msgFile, message);
    try {
      await git(
        this.worktree,
        [
          ...this.info.identity,
          'commit',
          '--quiet',
          '--no-verify',
          ...(this.sign ? [] : ['--no-gpg-sign']),
          '--cleanup=whitespace',
          '-F',
          msgFile,
          ...(created ? [] : ['--', ...paths]),
        ],
        opts.signal,
      );
    } catch (e) {
      throw this.commitError(ruleId, e);
    }
    const sha = this.headSha() ?? (await git(this.worktree, ['rev-parse', 'HEAD'], opts.signal)).trim();
    const info = { sha, subject: message.split('\n')[0]!, ruleId };
    this.commits.push(info);
    return info;
  }

  /** A failed commit in plain words: a signing failure says how commits are signed and how to do without. */
  private commitError(ruleId: string, e: unknown): Error {
    if (!(e instanceof GitopsFixError)) return e as Error;
    const detail = gitDetail((e as { cause?: { stderr?: string; message?: string } }).cause ?? e);
    const signs = this.sign && gitProbe(this.worktree, ['config', '--type=bool', '--get', 'commit.gpgsign'])?.trim() === 'true';
    if (signs && /sign|gpg|ssh-keygen|x509|smimesign/i.test(detail)) {
      return new GitopsFixError(
        'signing-failed',
        `could not sign the commit of fix(${ruleId}): commits are signed as your git configuration says (commit.gpgsign=true), and signing failed (${detail}). Fix signing (try: git commit --allow-empty -S -m test), or pass --no-gpg-sign to make this run's commits unsigned. No branch was created`,
      );
    }
    return new GitopsFixError('git-failed', `git commit of fix(${ruleId}) failed: ${detail}. No branch was created`);
  }

  /** The worktree's detached HEAD, read from its HEAD file (no git process); undefined when that is not a plain sha. */
  private headSha(): string | undefined {
    try {
      const dotGit = readFileSync(join(this.worktree, '.git'), 'utf8');
      const gitDir = /^gitdir: (.+)$/m.exec(dotGit)?.[1]?.trim();
      if (!gitDir) return undefined;
      const head = readFileSync(resolve(this.worktree, gitDir, 'HEAD'), 'utf8').trim();
      return /^[0-9a-f]{40}([0-9a-f]{24})?$/.test(head) ? head : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * Create (or with force, move) the branch to the last commit and remove the worktree. The ref is updated with
   * git update-ref against the tip checked up front, so a branch that appeared or moved meanwhile is not replaced.
   */
  finish(signal?: AbortSignal): BranchResult {
    try {
      throwIfCancelled(signal);
      const { name, tip: previous } = this.target;
      // A rebuilt review branch that comes out the same as the one there is left as it was (as Renovate does).
      const last = this.commits[this.commits.length - 1]?.sha;
      const kept = previous && last && this.target.update ? sameCommits(this.info.topLevel, this.info.head!, previous, last) : undefined;
      if (kept) {
        const commits = this.commits.map((c, i) => ({ ...c, sha: kept[i] ?? c.sha }));
        const updated = keptBranch(this.info.topLevel, previous!, this.info.head!);
        return { branch: name, base: this.info.head!, commits, replaced: false, previous: previous!, updated };
      }
      if (this.commits.length) {
        const holder = worktrees(this.info.topLevel).find((w) => w.branch === `refs/heads/${name}`);
        if (holder) throw new GitopsFixError('branch-checked-out', `branch ${name} is now checked out in the worktree ${holder.path}: nothing was replaced`);
        const tip = this.commits[this.commits.length - 1]!.sha;
        try {
          gitSync(this.info.topLevel, [
            'update-ref',
            '-m',
            `gitops-fix: ${previous ? 'replace' : 'create'} review branch`,
            `refs/heads/${name}`,
            tip,
            previous ?? '',
          ]);
        } catch (e) {
          if (e instanceof CancelledError) throw e;
          throw new GitopsFixError(
            'branch-exists',
            previous
              ? `branch ${name} moved while gitops-fix was running (it no longer points to ${previous.slice(0, 12)}): nothing was replaced; run again`
              : `branch ${name} was created by someone else while gitops-fix was running: nothing was replaced; run again with --branch NAME`,
          );
        }
      }
      const updated = previous && last && this.target.update ? { updated: branchChanges(this.info.topLevel, previous, last, this.info.head!) } : {};
      return { branch: name, base: this.info.head!, commits: [...this.commits], replaced: !!previous, ...(previous ? { previous } : {}), ...updated };
    } finally {
      this.cleanup();
    }
  }

  /** Remove the worktree and its temp directory; the branch is left as it was. Only this worktree is touched. */
  cleanup(): void {
    if (this.cleaned) return;
    this.cleaned = true;
    let removed = false;
    try {
      gitSync(this.info.topLevel, ['worktree', 'remove', '--force', '--force', this.worktree]);
      removed = true;
    } catch {
      // fall through: remove the files, then let git forget the worktree whose directory is gone
    }
    try {
      // A git process stopped by a signal may still be finishing: retry for a moment rather than leave files behind.
      rmSync(this.tmp, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
    } catch {
      // left behind: the next run removes this worktree (its owner is gone by then)
    }
    if (!removed) {
      try {
        gitSync(this.info.topLevel, ['worktree', 'remove', '--force', '--force', this.worktree]);
      } catch {
        // not registered (worktree add failed early): nothing more to do
      }
    }
  }
}

/** Is the process named in a review branch's temp directory still running on this host? */
function ownerAlive(tmp: string): boolean {
  let owner: string;
  try {
    owner = readFileSync(join(tmp, OWNER_FILE), 'utf8');
  } catch {
    return false; // made before owners were recorded, or never finished setting up
  }
  const [host, pidText] = owner.split('\n');
  if (host !== hostname()) return true; // another machine's run: not ours to judge
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
