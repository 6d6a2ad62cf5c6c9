/** Running git: the environment and options every command gets, errors in plain words, interruptions. */
import { execFileSync, spawn } from 'node:child_process';
import { CancelledError, throwIfCancelled } from '../cancel.js';
import { GitopsFixError } from '../errors.js';
import { gitEnv } from '../git-env.js';

/**
 * Hooks of the user's repository never run for the git commands gitops-fix runs (post-checkout, pre-commit,
 * commit-msg, reference-transaction, post-index-change...): every command gets this.
 */
export const NO_HOOKS = ['-c', 'core.hooksPath=/dev/null'] as const;
/** Used only when the repository has no committer identity (e.g. CI); the user's own identity otherwise. */
export const FALLBACK_IDENTITY = ['-c', 'user.name=gitops-fix', '-c', 'user.email=gitops-fix@localhost'] as const;
const MAX_BUFFER = 256 * 1024 * 1024;

export const GIT_MISSING = 'git is not installed (or not on PATH)';

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
export function gitProbe(cwd: string, args: readonly string[]): string | undefined {
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
export function gitDetail(err: { stderr?: string; message?: string }): string {
  return (err.stderr || err.message || '').toString().trim().split('\n').slice(-3).join(' / ');
}
