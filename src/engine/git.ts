import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import type { Phase } from '../kit/index.js';
import { CancelledError, throwIfCancelled } from './cancel.js';
import { GitopsFixError, ioReason } from './errors.js';
import { gitEnv } from './git-env.js';
import { RULE_TRAILER } from './messages.js';
import type { FileChange } from './plan.js';

/**
 * Hooks of the user's repository never run for the git commands gitops-fix runs (post-checkout, pre-commit,
 * commit-msg, reference-transaction, post-index-change...): every command gets this.
 */
const NO_HOOKS = ['-c', 'core.hooksPath=/dev/null'] as const;
/** Used only when the repository has no committer identity (e.g. CI); the user's own identity otherwise. */
export const FALLBACK_IDENTITY = ['-c', 'user.name=gitops-fix', '-c', 'user.email=gitops-fix@localhost'] as const;
const MAX_BUFFER = 256 * 1024 * 1024;

export const GIT_MISSING = 'git is not installed (or not on PATH)';

/** Run git asynchronously; aborting `signal` kills it and throws a CancelledError. */
/**
 * Run git asynchronously; aborting `signal` stops it and throws a CancelledError. `group`: git runs in a process
 * group of its own, and the whole group is stopped (for commands that run git processes of their own, such as the
 * checkout of `worktree add`, which would otherwise go on writing after their parent is gone).
 */
export function git(cwd: string, args: readonly string[], signal?: AbortSignal, opts: { group?: boolean } = {}): Promise<string> {
  throwIfCancelled(signal);
  return new Promise((resolvePromise, reject) => {
    const child = spawn('git', [...NO_HOOKS, ...args], { cwd, env: gitEnvironment(), stdio: ['ignore', 'pipe', 'pipe'], detached: !!opts.group });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', (e) => {
      signal?.removeEventListener('abort', stop);
      reject(gitError(args, e));
    });
    child.on('close', (code, killedBy) => {
      signal?.removeEventListener('abort', stop);
      const stdout = Buffer.concat(out).toString('utf8');
      const stderr = Buffer.concat(err).toString('utf8');
      if (code === 0) return resolvePromise(stdout);
      if (signal?.aborted) return reject(cancelled(signal));
      reject(gitError(args, Object.assign(new Error(`git exited with ${killedBy ?? code}`), { stderr, signal: killedBy, code })));
    });
    function stop() {
      try {
        if (opts.group && child.pid) process.kill(-child.pid, 'SIGTERM');
        else child.kill('SIGTERM');
      } catch {
        // already gone
      }
    }
    signal?.addEventListener('abort', stop, { once: true });
  });
}

export function gitSync(cwd: string, args: readonly string[]): string {
  try {
    return execFileSync('git', [...NO_HOOKS, ...args], {
      cwd,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      maxBuffer: MAX_BUFFER,
      env: gitEnvironment(),
    });
  } catch (e) {
    throw gitError(args, e);
  }
}

/** Like gitSync, but a non-zero exit is an answer (undefined), not an error. */
function gitProbe(cwd: string, args: readonly string[]): string | undefined {
  try {
    return execFileSync('git', [...NO_HOOKS, ...args], {
      cwd,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      maxBuffer: MAX_BUFFER,
      env: gitEnvironment(),
    });
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { signal?: string };
    if (err.code === 'ENOENT') throw new GitopsFixError('git-missing', GIT_MISSING);
    if (err.signal && INTERRUPTING.has(err.signal)) throw new CancelledError(err.signal);
    return undefined;
  }
}

/** Is a git executable on PATH? */
export function gitAvailable(): boolean {
  try {
    execFileSync('git', ['--version'], { stdio: 'ignore', env: gitEnvironment() });
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code !== 'ENOENT';
  }
}

/** Signals that stop a run when they kill one of its git processes (Ctrl-C reaches the whole process group). */
const INTERRUPTING = new Set(['SIGINT', 'SIGTERM', 'SIGHUP']);

function cancelled(signal: AbortSignal): CancelledError {
  const r: unknown = signal.reason;
  return r instanceof CancelledError ? r : new CancelledError(typeof r === 'string' ? r : 'cancelled');
}

function gitEnvironment(): NodeJS.ProcessEnv {
  // Messages are parsed nowhere, but keep them in English for error reports; never open an editor or pager.
  // GIT_OPTIONAL_LOCKS=0: `git status` in the user's checkout never rewrites their index to refresh it.
  return gitEnv({ LC_ALL: 'C', GIT_TERMINAL_PROMPT: '0', GIT_EDITOR: 'true', GIT_PAGER: 'cat', GIT_OPTIONAL_LOCKS: '0' });
}

function gitError(args: readonly string[], e: unknown): Error {
  const err = e as NodeJS.ErrnoException & { stderr?: string; signal?: string | null };
  if (err.code === 'ENOENT') return new GitopsFixError('git-missing', GIT_MISSING);
  // Killed by the same Ctrl-C (or SIGTERM/SIGHUP) as gitops-fix itself: an interruption, not a git failure.
  if (err.signal && INTERRUPTING.has(err.signal)) return new CancelledError(err.signal);
  const detail = gitDetail(err);
  const out = new GitopsFixError(
    'git-failed',
    `git ${args.filter((a) => !a.startsWith('core.') && !a.startsWith('user.') && a !== '-c').join(' ')} failed: ${detail}`,
  );
  (out as { cause?: unknown }).cause = e;
  return out;
}

/** The last lines of git's stderr (or the error message), on one line. */
function gitDetail(err: { stderr?: string; message?: string }): string {
  return (err.stderr || err.message || '').toString().trim().split('\n').slice(-3).join(' / ');
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
}

/** Worktrees of the repository: path and checked-out branch (full ref), from `git worktree list --porcelain`. */
function worktrees(topLevel: string): { path: string; branch: string | undefined }[] {
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

function samePath(a: string, b: string): boolean {
  try {
    return realpathSync(a) === realpathSync(b);
  } catch {
    return resolve(a) === resolve(b);
  }
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
    throw branchExistsError(name);
  }
  if (checkedOutHere) throw checkedOutHereError(name);
  const trailer = gitSync(info.topLevel, ['log', '-1', `--format=%(trailers:key=${RULE_TRAILER},valueonly)`, tip]).trim();
  if (!trailer) {
    const subject = gitSync(info.topLevel, ['log', '-1', '--format=%s', tip]).trim();
    throw new GitopsFixError(
      'branch-not-ours',
      `branch ${name} was not made by gitops-fix (its last commit ${tip.slice(0, 12)} "${subject}" has no ${RULE_TRAILER} trailer): --force replaces only review branches gitops-fix made; pass another --branch`,
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

function posixJoin(prefix: string, p: string): string {
  return prefix ? `${prefix}/${p}` : p;
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
      return { branch: name, base: this.info.head!, commits: [...this.commits], replaced: !!previous, ...(previous ? { previous } : {}) };
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

export function branchExistsError(branch: string): GitopsFixError {
  return new GitopsFixError('branch-exists', `branch ${branch} already exists: pass --force to replace it, or --branch NAME`);
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
