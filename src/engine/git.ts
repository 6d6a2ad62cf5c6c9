import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { promisify } from 'node:util';
import type { Phase } from '../kit/index.js';
import { GitopsFixError } from './errors.js';
import { gitEnv } from './git-env.js';
import type { FileChange } from './plan.js';

const run = promisify(execFile);

/** Hooks of the user's repository never run on the temporary worktree (post-checkout, pre-commit, commit-msg...). */
const NO_HOOKS = ['-c', 'core.hooksPath=/dev/null'];
/** Used only when the repository has no committer identity (e.g. CI); the user's own identity otherwise. */
export const FALLBACK_IDENTITY = ['-c', 'user.name=gitops-fix', '-c', 'user.email=gitops-fix@localhost'] as const;

export async function git(cwd: string, args: readonly string[]): Promise<string> {
  try {
    const { stdout } = await run('git', [...args], { cwd, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, env: gitEnvironment() });
    return stdout;
  } catch (e) {
    throw gitError(args, e);
  }
}

export function gitSync(cwd: string, args: readonly string[]): string {
  try {
    return execFileSync('git', [...args], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 256 * 1024 * 1024, env: gitEnvironment() });
  } catch (e) {
    throw gitError(args, e);
  }
}

/** Like gitSync, but a non-zero exit is an answer (undefined), not an error. */
function gitProbe(cwd: string, args: readonly string[]): string | undefined {
  try {
    return execFileSync('git', [...args], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], env: gitEnvironment() });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new GitopsFixError('git-failed', 'git is not installed (or not on PATH)');
    return undefined;
  }
}

function gitEnvironment(): NodeJS.ProcessEnv {
  // Messages are parsed nowhere, but keep them in English for error reports; never open an editor or pager.
  return gitEnv({ LC_ALL: 'C', GIT_TERMINAL_PROMPT: '0', GIT_EDITOR: 'true', GIT_PAGER: 'cat' });
}

function gitError(args: readonly string[], e: unknown): GitopsFixError {
  const err = e as NodeJS.ErrnoException & { stderr?: string };
  if (err.code === 'ENOENT') return new GitopsFixError('git-failed', 'git is not installed (or not on PATH)');
  const detail = (err.stderr ?? err.message ?? '').toString().trim().split('\n').slice(-3).join(' / ');
  const out = new GitopsFixError(
    'git-failed',
    `git ${args.filter((a) => !a.startsWith('core.') && !a.startsWith('user.') && a !== '-c').join(' ')} failed: ${detail}`,
  );
  (out as { cause?: unknown }).cause = e;
  return out;
}

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

/** The git repository around `dir`, or undefined when `dir` is not inside a work tree. */
export function findGitRepo(dir: string): GitRepoInfo | undefined {
  const abs = resolve(dir);
  if (!existsSync(abs)) throw new GitopsFixError('not-a-directory', `${dir}: no such directory`);
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

/** The default review branch: `gitops-fix/phase-1-2`, `gitops-fix/phase-all`, `gitops-fix/quick-wins` or `gitops-fix/fixes`. */
export function defaultBranchName(sel: { phases: readonly Phase[]; ruleIds: readonly string[]; quickWins: boolean }): string {
  const bare = !sel.ruleIds.length && !sel.quickWins;
  if (bare && (sel.phases.length === 0 || sel.phases.length === 4)) return 'gitops-fix/phase-all';
  if (bare) return `gitops-fix/phase-${[...sel.phases].sort().join('-')}`;
  if (sel.quickWins && !sel.ruleIds.length && !sel.phases.length) return 'gitops-fix/quick-wins';
  return 'gitops-fix/fixes';
}

export function checkBranchName(cwd: string, name: string): void {
  if (gitProbe(cwd, ['check-ref-format', '--branch', name]) === undefined || name.startsWith('-')) {
    throw new GitopsFixError('invalid-branch-name', `"${name}" is not a valid branch name (see git check-ref-format); pass another --branch`);
  }
}

export function branchExists(cwd: string, name: string): boolean {
  return gitProbe(cwd, ['show-ref', '--verify', '--quiet', `refs/heads/${name}`]) !== undefined;
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

function posixJoin(prefix: string, p: string): string {
  return prefix ? `${prefix}/${p}` : p;
}

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
}

/**
 * A review branch under construction: a temporary detached worktree of HEAD under the system temp directory.
 * Commits are made there; the branch ref is created only by `finish()`, so an interrupted run leaves no
 * half-made branch. `cleanup()` is synchronous and idempotent (safe from a signal handler). Every git command
 * here runs synchronously, so a signal handler never runs while one of them is still writing.
 */
export class ReviewBranch {
  private readonly tmp: string;
  /** The worktree's top level. */
  readonly worktree: string;
  private readonly commits: CommitInfo[] = [];
  private cleaned = false;

  private constructor(
    readonly info: GitRepoInfo,
    readonly branch: string,
    private readonly force: boolean,
  ) {
    this.tmp = mkdtempSync(join(tmpdir(), 'gitops-fix-'));
    this.worktree = join(this.tmp, 'worktree');
  }

  /**
   * Check the branch name and create a detached worktree of HEAD. Whether the branch exists is checked by the
   * caller once it knows there is something to commit (`branchExists`), and again by `finish()`.
   */
  static open(info: GitRepoInfo, branch: string, force: boolean): ReviewBranch {
    checkBranchName(info.topLevel, branch);
    if (!info.head) {
      throw new GitopsFixError('not-a-git-repo', `${info.topLevel} has no commits yet: commit the repository first (the review branch starts from HEAD)`);
    }
    const rb = new ReviewBranch(info, branch, force);
    try {
      gitSync(info.topLevel, [...NO_HOOKS, 'worktree', 'add', '--quiet', '--detach', rb.worktree, info.head]);
    } catch (e) {
      rb.cleanup();
      throw e;
    }
    return rb;
  }

  /** DIR inside the worktree (where the plan's paths are relative to). */
  get dir(): string {
    return this.info.prefix ? join(this.worktree, ...this.info.prefix.split('/')) : this.worktree;
  }

  /**
   * Write one rule's file changes into the worktree and commit them. Every file must still hold the plan's
   * `before` (a new file must not exist), or nothing is written.
   */
  async commit(ruleId: string, files: readonly FileChange[], message: string): Promise<CommitInfo> {
    await pauseForTests();
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
    if (created) gitSync(this.worktree, ['add', '--', ...paths]);
    const msgFile = join(this.tmp, 'COMMIT_MSG');
    writeFileSync(msgFile, message);
    gitSync(this.worktree, [
      ...NO_HOOKS,
      ...this.info.identity,
      'commit',
      '--quiet',
      '--no-verify',
      '--cleanup=whitespace',
      '-F',
      msgFile,
      ...(created ? [] : ['--', ...paths]),
    ]);
    const sha = this.headSha() ?? gitSync(this.worktree, ['rev-parse', 'HEAD']).trim();
    const info = { sha, subject: message.split('\n')[0]!, ruleId };
    this.commits.push(info);
    return info;
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

  /** Create (or with force, move) the branch to the last commit and remove the worktree. */
  finish(): BranchResult {
    try {
      const replaced = branchExists(this.info.topLevel, this.branch);
      if (replaced && !this.force) throw branchExistsError(this.branch);
      if (this.commits.length) {
        const tip = this.commits[this.commits.length - 1]!.sha;
        gitSync(this.info.topLevel, ['branch', ...(this.force ? ['--force'] : []), '--', this.branch, tip]);
      }
      return { branch: this.branch, base: this.info.head!, commits: [...this.commits], replaced };
    } finally {
      this.cleanup();
    }
  }

  /** Remove the worktree and its temp directory; the branch is left as it was. */
  cleanup(): void {
    if (this.cleaned) return;
    this.cleaned = true;
    try {
      gitSync(this.info.topLevel, ['worktree', 'remove', '--force', '--force', this.worktree]);
    } catch {
      // fall through: remove the files and let prune forget the worktree
    }
    rmSync(this.tmp, { recursive: true, force: true });
    try {
      gitSync(this.info.topLevel, ['worktree', 'prune']);
    } catch {
      // nothing more to do
    }
  }
}

export function branchExistsError(branch: string): GitopsFixError {
  return new GitopsFixError('branch-exists', `branch ${branch} already exists: pass --force to replace it, or --branch NAME`);
}

/**
 * Test hook: GITOPS_FIX_TEST_PAUSE_BEFORE_COMMIT_MS=<ms> waits that long before each commit on the review branch,
 * so a test can interrupt a run at a known point (worktree present, some commits made, branch not yet created).
 * Unset in normal use.
 */
async function pauseForTests(): Promise<void> {
  const ms = Number(process.env.GITOPS_FIX_TEST_PAUSE_BEFORE_COMMIT_MS);
  if (ms > 0) await new Promise((r) => setTimeout(r, ms));
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
