import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CliResult } from './cli.js';
import { builtDist } from './global-build.js';
import { ROOT, tempDir } from './tree.js';

/** The built CLI: a test that runs it without the helpers below awaits `builtDist()` first (in a beforeAll). */
export const CLI = join(ROOT, 'dist', 'bin', 'gitops-fix.js');
export { builtDist };
/** How long a test may wait for the build of dist/ that runs beside the tests (tsc takes a while on a loaded machine). */
export const BUILD_TIMEOUT = 600_000;
export const EXAMPLE_REPO = join(ROOT, 'fixtures', 'example-repo');
export const IDENTITY = ['-c', 'user.name=Test', '-c', 'user.email=test@example.com', '-c', 'commit.gpgsign=false'];

export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', [...IDENTITY, ...args], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** A temporary git repository (branch main, one commit) holding a copy of `source` (under `subdir` when given). */
export function gitRepoFrom(source: string, subdir = ''): string {
  const dir = join(tempDir('gitops-fix-repo-'), 'repo');
  mkdirSync(dir, { recursive: true });
  cpSync(source, subdir ? join(dir, subdir) : dir, { recursive: true });
  git(dir, 'init', '-q', '--initial-branch=main');
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '--no-verify', '-m', 'initial');
  return dir;
}

/** sha256 of every file below dir (`.git` included when asked), by relative path. */
export function hashTree(dir: string, opts: { withGit?: boolean } = {}): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string, rel: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.name === '.git' && !opts.withGit) continue;
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(join(d, e.name), r);
      else if (e.isFile())
        out[r] =
          createHash('sha256')
            .update(readFileSync(join(d, e.name)))
            .digest('hex') +
          ':' +
          (statSync(join(d, e.name)).mode & 0o777).toString(8);
    }
  };
  walk(dir, '');
  return out;
}

/**
 * Run the built CLI as a process, stdin not a terminal (asynchronously: the test worker must stay responsive). For
 * what needs a real process: another environment, the bin itself. Other tests run it in process (test/support/cli.ts).
 */
export async function runBin(args: readonly string[], opts: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<CliResult> {
  await builtDist();
  return new Promise((resolve, reject) => {
    // A variable given as undefined is removed from the child's environment.
    const env = Object.fromEntries(Object.entries({ ...process.env, NO_COLOR: '1', FORCE_COLOR: '', ...opts.env }).filter(([, v]) => v !== undefined));
    const child = spawn(process.execPath, [CLI, ...args], { cwd: opts.cwd, stdio: ['pipe', 'pipe', 'pipe'], env });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.stdin.end();
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The built CLI as a child process (after `await builtDist()`). */
export function spawnCli(args: readonly string[], opts: { cwd: string; env?: NodeJS.ProcessEnv }) {
  return spawn(process.execPath, [CLI, ...args], { cwd: opts.cwd, stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1', ...opts.env } });
}

export interface PtyResult {
  readonly code: number;
  readonly output: string;
  readonly failed: unknown;
}

/** Run the CLI in a pseudo-terminal (test/support/pty-run.py), answering prompts with keystrokes. */
export type PtyStep = { expect: string; send: string } | { press: string; until: string; max?: number };

export async function runInPty(args: readonly string[], steps: readonly PtyStep[], opts: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<PtyResult> {
  await builtDist();
  const child = spawn('python3', [join(ROOT, 'test', 'support', 'pty-run.py'), JSON.stringify(steps), '--', process.execPath, CLI, ...args], {
    cwd: opts.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1', ...opts.env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const status = await new Promise<number | null>((res) => child.on('close', res));
  if (status !== 0) throw new Error(`pty-run.py failed: ${stderr}`);
  const parsed = JSON.parse(stdout) as PtyResult;
  // eslint-disable-next-line no-control-regex
  return { ...parsed, output: parsed.output.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '') };
}

export const KEYS = { enter: '\r', space: ' ', down: '\u001b[B', up: '\u001b[A', tab: '\t', escape: '\u001b' } as const;

/** `git log` subjects and bodies of base..branch, oldest first. */
export function commitsOf(dir: string, range: string): { sha: string; subject: string; body: string }[] {
  const out = git(dir, 'log', '--reverse', '--format=%H%x1f%s%x1f%b%x1e', range);
  return out
    .split('\x1e')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => {
      const [sha, subject, body] = s.split('\x1f');
      return { sha: sha!, subject: subject!, body: body ?? '' };
    });
}

/**
 * A slow git filter whose slowness the test controls: set `command` as a clean or smudge filter of the repository
 * `checkout` and start the run with `env`. Outside `checkout` (in the run's review worktree) the filter holds each
 * file, as a slow git-lfs or git-crypt filter would, until the test calls `open()` (or 60 s have passed);
 * `started()` resolves as soon as it holds one. In `checkout` itself, and in runs without `env`, it passes the file
 * through at once. So a test waits for the state it needs instead of sleeping for a time that is too long on a fast
 * machine and too short on a loaded one.
 */
export function heldFilter(checkout: string): { readonly command: string; readonly env: NodeJS.ProcessEnv; started(): Promise<void>; open(): void } {
  const gate = tempDir('gitops-fix-gate-');
  const command =
    `if [ -n "$GITOPS_FIX_TEST_GATE" ] && [ "$(pwd -P)" != '${realpathSync(checkout)}' ]; then touch "$GITOPS_FIX_TEST_GATE/started"; i=0; ` +
    'while [ ! -e "$GITOPS_FIX_TEST_GATE/open" ] && [ $i -lt 1200 ]; do sleep 0.05; i=$((i + 1)); done; fi; cat';
  return {
    command,
    env: { GITOPS_FIX_TEST_GATE: gate },
    started: async () => {
      while (!existsSync(join(gate, 'started'))) await new Promise((r) => setTimeout(r, 20));
    },
    open: () => writeFileSync(join(gate, 'open'), ''),
  };
}
