/**
 * Signals stop a `fix` run at any stage: the built CLI runs as a real child process on a repository large enough
 * that each stage takes a while, the test waits for the stage's progress line on stderr and sends the signal. The
 * run must exit with 128 + the signal number, create no branch, write nothing and leave no worktree or temporary
 * directory behind; a worktree left by a killed run is removed by the next run.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateFleet } from '../tools/fleet.js';
import { BUILD_TIMEOUT, builtDist, CLI, EXAMPLE_REPO, git, gitRepoFrom, hashTree, heldFilter, runBin } from '../support/git-repo.js';
import { removeTree, tempDir } from '../support/tree.js';

// These tests run dist/ (built beside the tests by the global set-up).
beforeAll(() => builtDist(), BUILD_TIMEOUT);

const SLOW = 240_000;

interface Run {
  readonly child: ChildProcess;
  /** Resolves with the first stderr line that matches, or rejects when the run ends first. */
  line(re: RegExp): Promise<string>;
  readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr(): string;
}

/** Start the built CLI in a process group of its own (so that a test can signal the group, as Ctrl-C does). */
function start(args: readonly string[], cwd: string, env: NodeJS.ProcessEnv): Run {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '', ...env },
  });
  let stderr = '';
  const waiting: { re: RegExp; resolve: (l: string) => void; reject: (e: Error) => void }[] = [];
  const check = () => {
    for (const w of [...waiting]) {
      const m = stderr.split('\n').find((l) => w.re.test(l));
      if (m !== undefined) {
        waiting.splice(waiting.indexOf(w), 1);
        w.resolve(m);
      }
    }
  };
  child.stdout.resume();
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
    check();
  });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) =>
    child.on('exit', (code, signal) => {
      for (const w of waiting.splice(0)) w.reject(new Error(`the run ended (${code ?? signal}) before ${w.re}; stderr:\n${stderr}`));
      res({ code, signal });
    }),
  );
  return {
    child,
    exit,
    stderr: () => stderr,
    line: (re) =>
      new Promise((resolve, reject) => {
        waiting.push({ re, resolve, reject });
        check();
      }),
  };
}

function worktreeCount(dir: string): number {
  return git(dir, 'worktree', 'list', '--porcelain').match(/^worktree /gm)?.length ?? 0;
}

describe('signals stop fix at every stage', { timeout: SLOW }, () => {
  let dir: string;
  let tmp: string;
  let before: Record<string, string>;
  let refs: string;

  beforeAll(() => {
    // About 3,000 files: loading, scanning and planning each take long enough to be interrupted.
    dir = join(tempDir('gitops-fix-signals-'), 'fleet');
    mkdirSync(dir);
    generateFleet(dir, { clusters: 6, namespaces: 60 });
    git(dir, 'init', '-q', '--initial-branch=main');
    git(dir, 'add', '-A');
    git(dir, 'commit', '-q', '--no-verify', '-m', 'fleet');
    tmp = tempDir('gitops-fix-signals-tmp-');
    before = hashTree(dir);
    refs = git(dir, 'for-each-ref');
  }, SLOW);

  afterAll(() => {
    removeTree(join(dir, '..'));
    removeTree(tmp);
  });

  /** Nothing changed: files, refs, worktrees and the temporary directory as before the run. */
  function expectUntouched(): void {
    expect(hashTree(dir)).toEqual(before);
    expect(git(dir, 'for-each-ref')).toBe(refs);
    expect(worktreeCount(dir)).toBe(1);
    expect(readdirSync(tmp)).toEqual([]);
  }

  it.each([
    ['SIGINT', 'loading', 130, /^❯ Load the repository/, /^❯ Scan/m],
    ['SIGTERM', 'scanning', 143, /^❯ Scan/, /^❯ Plan fixes/m],
    ['SIGHUP', 'planning', 129, /^❯ vault-tls-disabled/, /^❯ Verify/m],
  ] as const)('%s while %s: exit %i, no branch, nothing written, no worktree left', async (sig, _stage, code, stage, next) => {
    // Review fixes included: planning reaches the Vault rules.
    const run = start(['fix', '--phase', '1', '--yes', '--include-review'], dir, { TMPDIR: tmp });
    await run.line(stage);
    process.kill(run.child.pid!, sig);
    const { code: exit } = await run.exit;
    expect(exit, run.stderr()).toBe(code);
    expect(run.stderr()).toContain(`interrupted (${sig}); no branch was created`);
    expect(run.stderr()).not.toMatch(next); // stopped in that stage, not at the end
    expectUntouched();
  });

  it('SIGTERM while planning with --write: exit 143, no file written', async () => {
    const run = start(['fix', '--phase', '1', '--yes', '--include-review', '--write'], dir, { TMPDIR: tmp });
    await run.line(/^❯ vault-listener-insecure/);
    process.kill(run.child.pid!, 'SIGTERM');
    expect((await run.exit).code, run.stderr()).toBe(143);
    expect(run.stderr()).toContain('interrupted (SIGTERM); no file was written');
    expect(run.stderr()).not.toMatch(/^❯ Write the files/m);
    expectUntouched();
  });

  it('SIGKILL leaves a worktree; the next run removes it and says so', async () => {
    const run = start(['fix', '--phase', '1', '--yes'], dir, { TMPDIR: tmp });
    await run.line(/^❯ Scan/);
    process.kill(run.child.pid!, 'SIGKILL');
    await run.exit;
    expect(worktreeCount(dir)).toBe(2);
    const [left] = readdirSync(tmp);
    expect(left).toMatch(/^gitops-fix-/);
    // The next runs work on one cluster of the fleet: the worktree is the repository's, whatever DIR a run is given.
    const again = await runBin(['fix', 'fleet/prod-eu-1', '--rule', 'gitrepository-dev-branch', '--yes', '--dry-run'], { cwd: dir, env: { TMPDIR: tmp } });
    expect(again.code, again.stderr).toBe(0);
    expect(worktreeCount(dir)).toBe(2); // --dry-run makes no worktree and removes none
    const branch = await runBin(['fix', 'fleet/prod-eu-1', '--rule', 'gitrepository-dev-branch', '--yes', '--branch', 'after-kill'], {
      cwd: dir,
      env: { TMPDIR: tmp },
    });
    expect(branch.code, branch.stderr).toBe(0);
    expect(branch.stderr).toContain(`removed the review worktree ${join(tmp, left!, 'worktree')}, left by an earlier run that was stopped`);
    expect(worktreeCount(dir)).toBe(1);
    expect(readdirSync(tmp)).toEqual([]);
    if (git(dir, 'branch', '--list', 'after-kill').trim()) git(dir, 'branch', '-D', 'after-kill');
    expectUntouched();
  });
});

describe('Ctrl-C while git is running', { timeout: SLOW }, () => {
  it('a git commit killed by the same SIGINT is an interruption (exit 130), not a git failure', async () => {
    const dir = gitRepoFrom(EXAMPLE_REPO);
    const tmp = tempDir('gitops-fix-signals-tmp-');
    try {
      // A clean filter that takes its time (as git-lfs or git-crypt filters can): the commit of this file's fix
      // waits in it, and the Ctrl-C reaches git and its filter as well as gitops-fix.
      const slow = 'flux/clusters/production/flux-system/gotk-sync.yaml';
      appendFileSync(join(dir, '.git', 'info', 'attributes'), `${slow} filter=slow\n`);
      const filter = heldFilter(dir);
      git(dir, 'config', 'filter.slow.clean', filter.command);
      const before = hashTree(dir);
      const refs = git(dir, 'for-each-ref');
      const run = start(['fix', '--phase', '1', '--yes'], dir, { TMPDIR: tmp, ...filter.env });
      await run.line(/^❯ fix\(gitrepository-dev-branch\)/);
      await filter.started(); // git commit is in the filter now
      process.kill(-run.child.pid!, 'SIGINT'); // the whole process group, as a terminal does
      const { code } = await run.exit;
      filter.open();
      expect(code, run.stderr()).toBe(130);
      expect(run.stderr()).toContain('interrupted (SIGINT); no branch was created');
      expect(run.stderr()).not.toMatch(/git commit .*failed|git-failed|unexpected error/);
      expect(hashTree(dir)).toEqual(before);
      expect(git(dir, 'for-each-ref')).toBe(refs);
      expect(worktreeCount(dir)).toBe(1);
      expect(readdirSync(tmp)).toEqual([]);
    } finally {
      removeTree(join(dir, '..'));
      removeTree(tmp);
    }
  });
});

describe('SIGTERM while git checks out the review worktree', { timeout: SLOW }, () => {
  it('stops git and the processes it runs (a slow smudge filter) at once, and leaves nothing', async () => {
    const dir = gitRepoFrom(EXAMPLE_REPO);
    const tmp = tempDir('gitops-fix-signals-tmp-');
    try {
      // Each file takes 30 s to check out (as a slow LFS or decryption filter might): the whole checkout would
      // take far longer than the test may run, so only stopping git at once lets it end.
      appendFileSync(join(dir, '.git', 'info', 'attributes'), '*.yaml filter=slow\n');
      const marker = `gitops-fix-test-${process.pid}-${Date.now()}`;
      git(dir, 'config', 'filter.slow.smudge', `sleep 30; cat # ${marker}`);
      const before = hashTree(dir);
      const run = start(['fix', '--phase', '1', '--yes'], dir, { TMPDIR: tmp });
      await run.line(/^❯ Load the repository/);
      while (worktreeCount(dir) < 2) await new Promise((r) => setTimeout(r, 20));
      process.kill(run.child.pid!, 'SIGTERM');
      expect((await run.exit).code, run.stderr()).toBe(143);
      expect(run.stderr()).toContain('interrupted (SIGTERM); no branch was created');
      expect(run.stderr()).not.toMatch(/unexpected error|ENOTEMPTY/);
      // No git, filter or sleep of the run goes on after it (they would write into a removed worktree).
      expect(
        execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' })
          .split('\n')
          .filter((l) => l.includes(marker)),
      ).toEqual([]);
      expect(hashTree(dir)).toEqual(before);
      expect(worktreeCount(dir)).toBe(1);
      expect(readdirSync(tmp)).toEqual([]);
    } finally {
      removeTree(join(dir, '..'));
      removeTree(tmp);
    }
  });
});

describe('the review worktree of a run in progress', { timeout: SLOW }, () => {
  it('is not removed by another run', async () => {
    const dir = gitRepoFrom(EXAMPLE_REPO);
    const tmp = tempDir('gitops-fix-signals-tmp-');
    try {
      // The first run waits in the commit of its first fix (a slow clean filter) while the second runs to the end.
      const slow = 'flux/clusters/production/flux-system/gotk-sync.yaml';
      appendFileSync(join(dir, '.git', 'info', 'attributes'), `${slow} filter=slow\n`);
      const filter = heldFilter(dir);
      git(dir, 'config', 'filter.slow.clean', filter.command);
      const first = start(['fix', '--phase', '1', '--yes'], dir, { TMPDIR: tmp, ...filter.env });
      await first.line(/^❯ fix\(gitrepository-dev-branch\)/);
      await filter.started();
      const second = await runBin(['fix', '--rule', 'kustomization-no-wait', '--yes', '--branch', 'second'], { cwd: dir, env: { TMPDIR: tmp } });
      filter.open();
      expect(second.code, second.stderr).toBe(0);
      expect(second.stderr).not.toContain('removed the review worktree');
      expect((await first.exit).code, first.stderr()).toBe(0);
      expect(
        git(dir, 'branch', '--list')
          .split('\n')
          .map((b) => b.trim()),
      ).toEqual(expect.arrayContaining(['gitops-fix/phase-1', 'second']));
      expect(worktreeCount(dir)).toBe(1);
      writeFileSync(join(tmp, 'keep'), '');
      expect(readdirSync(tmp)).toEqual(['keep']);
      expect(existsSync(join(dir, '.git', 'worktrees')) ? readdirSync(join(dir, '.git', 'worktrees')) : []).toEqual([]);
    } finally {
      removeTree(join(dir, '..'));
      removeTree(tmp);
    }
  });
});
