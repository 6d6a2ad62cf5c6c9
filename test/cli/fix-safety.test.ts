/**
 * `fix` as a hostile or unlucky user runs it: odd branch names, output paths that cannot be written, stale
 * patches, subfolders, uncommitted work, signing, hooks, no git at all. Problems are found before any work with a
 * plain message (no raw EEXIST/EACCES, no temp paths), and nothing is written that should not be.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { appendFileSync, chmodSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli, type CliResult } from '../support/cli.js';
import { BUILD_TIMEOUT, builtDist, CLI, commitsOf, EXAMPLE_REPO, git, gitRepoFrom, hashTree, heldFilter, runBin } from '../support/git-repo.js';
import { skipTitle } from '../support/needs.js';
import { tempDir } from '../support/tree.js';

// These tests run dist/ (built beside the tests by the global set-up).
beforeAll(() => builtDist(), BUILD_TIMEOUT);

const SLOW = 240_000;
const isRoot = process.getuid?.() === 0;
/** As root, permissions only bite without CAP_DAC_OVERRIDE. */
const canDropCaps = isRoot && spawnSync('capsh', ['--drop=cap_dac_override,cap_dac_read_search', '--', '-c', 'true'], { stdio: 'ignore' }).status === 0;
/** Why the permission tests cannot run here: as root, only a process without CAP_DAC_OVERRIDE is refused a write. */
const noPermissions = isRoot && !canDropCaps ? 'runs as root, and capsh cannot drop CAP_DAC_OVERRIDE: file permissions do not apply' : undefined;

/** Run the CLI; as root, without the capabilities that override file permissions. */
function runUnprivileged(args: readonly string[], cwd: string): Promise<CliResult> {
  const [cmd, argv] = canDropCaps
    ? ['capsh', ['--drop=cap_dac_override,cap_dac_read_search', '--', '-c', 'exec "$0" "$@"', process.execPath, CLI, ...args]]
    : [process.execPath, [CLI, ...args]];
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, argv, { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '' } });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const branches = (dir: string) => git(dir, 'branch', '--list', '--format=%(refname:short)').trim().split('\n').filter(Boolean).sort();
const worktrees = (dir: string) => git(dir, 'worktree', 'list', '--porcelain').match(/^worktree /gm)?.length ?? 0;
/** Refused before any work: exit 2, one plain message, no progress, no branch, no raw error codes or stack. */
function expectRefusedUpFront(r: CliResult, message: string | RegExp): void {
  expect(r.code, r.stderr).toBe(2);
  expect(r.stderr).toMatch(typeof message === 'string' ? new RegExp(message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) : message);
  expect(r.stderr).not.toMatch(/❯ Load/);
  expect(r.stderr).not.toMatch(/^\s+at /m);
  expect(r.stderr).not.toMatch(/^gitops-fix: (EEXIST|EACCES|ENOENT|ENOTDIR)/m);
}

describe('--write is all or nothing', { timeout: SLOW }, () => {
  it.skipIf(noPermissions)(skipTitle('one unwritable directory: nothing is written, the message names the file', noPermissions), async () => {
    const dir = gitRepoFrom(EXAMPLE_REPO);
    // The fixes of phase 1 (review fixes included) touch files in several directories; make the one that sorts last unwritable.
    const plan = await runCli(['fix', '--phase', '1', '--include-review', '--dry-run', '--format', 'json'], { cwd: dir });
    const touched: string[] = JSON.parse(plan.stdout).rules.flatMap((r: { files: { path: string }[] }) => r.files.map((f) => f.path));
    const last = [...new Set(touched)].sort().at(-1)!;
    expect(new Set(touched.map((p) => p.slice(0, p.lastIndexOf('/')))).size).toBeGreaterThan(1);
    const locked = join(dir, last.slice(0, last.lastIndexOf('/')));
    const before = hashTree(dir);
    chmodSync(locked, 0o555);
    try {
      const r = await runUnprivileged(['fix', '--phase', '1', '--yes', '--include-review', '--write'], dir);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(/gitops-fix: .+: cannot be written \(permission denied, EACCES\)\. Nothing was changed/);
    } finally {
      chmodSync(locked, 0o755);
    }
    expect(hashTree(dir)).toEqual(before);
    expect(readdirSync(locked).filter((n) => n.includes('.gitops-fix-'))).toEqual([]);
  });
});

describe('branch names', { timeout: SLOW }, () => {
  it('refuses names git would expand or read as revisions (@{-1}, @, HEAD), even with --force', async () => {
    const dir = gitRepoFrom(EXAMPLE_REPO);
    git(dir, 'checkout', '-q', '-b', 'topic');
    git(dir, 'checkout', '-q', 'main');
    git(dir, 'checkout', '-q', 'topic'); // @{-1} is now main
    const main = git(dir, 'rev-parse', 'main').trim();
    for (const name of ['@{-1}', '@', 'HEAD', 'x@{u}']) {
      const r = await runCli(['fix', '--phase', '1', '--yes', '--force', '--branch', name], { cwd: dir });
      expectRefusedUpFront(r, `"${name}" is not a valid branch name (a plain name is needed`);
    }
    expect(git(dir, 'rev-parse', 'main').trim()).toBe(main);
    expect(branches(dir)).toEqual(['main', 'topic']);
  });

  it('an existing branch gitops-fix did not make is never rebuilt in place, nor replaced with --force', async () => {
    const dir = gitRepoFrom(EXAMPLE_REPO);
    git(dir, 'branch', 'release');
    const tip = git(dir, 'rev-parse', 'release').trim();
    expectRefusedUpFront(
      await runCli(['fix', '--phase', '1', '--yes', '--branch', 'release'], { cwd: dir }),
      `branch release already exists and has a commit gitops-fix did not make (${tip.slice(0, 12)} "initial")`,
    );
    expectRefusedUpFront(
      await runCli(['fix', '--phase', '1', '--yes', '--branch', 'release', '--force'], { cwd: dir }),
      `branch release was not made by gitops-fix (its last commit ${tip.slice(0, 12)} "initial" has no Gitops-Fix-Rule trailer)`,
    );
    expect(git(dir, 'rev-parse', 'release').trim()).toBe(tip);
  });

  it('--force replaces a branch gitops-fix made and prints its old tip', async () => {
    const dir = gitRepoFrom(EXAMPLE_REPO);
    expect((await runCli(['fix', '--rule', 'gitrepository-dev-branch', '--yes'], { cwd: dir })).code).toBe(0);
    const old = git(dir, 'rev-parse', 'gitops-fix/fixes').trim();
    const r = await runCli(['fix', '--rule', 'kustomization-no-wait', '--yes', '--force'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(
      `Replaced branch gitops-fix/fixes (it was at ${old.slice(0, 12)}; to restore it: git branch --force gitops-fix/fixes ${old.slice(0, 12)})`,
    );
    const json = await runCli(['fix', '--rule', 'gitrepository-dev-branch', '--yes', '--force', '--format', 'json'], { cwd: dir });
    expect(JSON.parse(json.stdout).branch).toMatchObject({ replaced: true, previous: git(dir, 'rev-parse', 'gitops-fix/fixes@{1}').trim() });
  });
});

describe('branch problems are found before any work', { timeout: SLOW }, () => {
  it('a branch checked out in another worktree', async () => {
    const dir = gitRepoFrom(EXAMPLE_REPO);
    expect((await runCli(['fix', '--rule', 'gitrepository-dev-branch', '--yes'], { cwd: dir })).code).toBe(0);
    const other = join(tempDir(), 'other');
    git(dir, 'worktree', 'add', '-q', other, 'gitops-fix/fixes');
    const r = await runCli(['fix', '--rule', 'gitrepository-dev-branch', '--yes', '--force'], { cwd: dir });
    expectRefusedUpFront(r, `branch gitops-fix/fixes is checked out in the worktree ${other}; gitops-fix never replaces a checked-out branch`);
  });

  it('a branch gitops-fix keeps git from creating gitops-fix/phase-1, and the other way round', async () => {
    const dir = gitRepoFrom(EXAMPLE_REPO);
    git(dir, 'branch', 'gitops-fix');
    expectRefusedUpFront(
      await runCli(['fix', '--phase', '1', '--yes'], { cwd: dir }),
      'a branch named gitops-fix exists, so git cannot create gitops-fix/phase-1 (a branch name cannot also be a folder of branches): pass --branch NAME',
    );
    git(dir, 'branch', '-D', 'gitops-fix');
    git(dir, 'branch', 'review/one');
    expectRefusedUpFront(
      await runCli(['fix', '--phase', '1', '--yes', '--branch', 'review'], { cwd: dir }),
      'branches named review/… exist (review/one), so git cannot create a branch review',
    );
  });

  it('the checked-out branch: a second run finds nothing and exits 0; with something to fix it is refused', async () => {
    const dir = gitRepoFrom(EXAMPLE_REPO);
    expect((await runCli(['fix', '--rule', 'gitrepository-dev-branch', '--yes'], { cwd: dir })).code).toBe(0);
    git(dir, 'checkout', '-q', 'gitops-fix/fixes');
    const again = await runCli(['fix', '--rule', 'gitrepository-dev-branch', '--yes'], { cwd: dir });
    expect([again.code, again.stdout]).toEqual([0, expect.stringContaining('nothing to fix')]);
    const more = await runCli(['fix', '--rule', 'kustomization-no-wait', '--yes'], { cwd: dir });
    expect(more.code).toBe(2);
    expect(more.stderr).toContain(
      'branch gitops-fix/fixes is the branch checked out here, and the review branch is never the checked-out one: pass --branch NAME',
    );
    expect(commitsOf(dir, 'main..gitops-fix/fixes')).toHaveLength(1);
  });
});

describe('patches', { timeout: SLOW }, () => {
  it('old patches of an earlier run are removed (and said so); patches of anyone else are refused up front', async () => {
    const dir = gitRepoFrom(EXAMPLE_REPO);
    const patches = join(tempDir(), 'patches');
    expect((await runCli(['fix', '--phase', 'all', '--yes', '--patch-dir', patches], { cwd: dir })).code).toBe(0);
    const first = readdirSync(patches);
    expect(first.length).toBeGreaterThan(1);
    writeFileSync(join(patches, 'notes.txt'), 'mine\n');
    const r = await runCli(['fix', '--rule', 'gitrepository-dev-branch', '--yes', '--branch', 'one', '--patch-dir', patches], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`note: removed ${first.length} patch files of an earlier run from ${patches}`);
    expect(readdirSync(patches).sort()).toEqual(['0001-fix-gitrepository-dev-branch.patch', 'notes.txt']);
    // git am DIR/*.patch applies exactly the new series.
    git(dir, 'checkout', '-q', '-b', 'from-patches', 'main');
    git(dir, 'am', '-q', join(patches, '0001-fix-gitrepository-dev-branch.patch'));
    expect(git(dir, 'rev-parse', 'HEAD^{tree}').trim()).toBe(git(dir, 'rev-parse', 'one^{tree}').trim());
    git(dir, 'checkout', '-q', 'main');

    git(dir, 'format-patch', '-q', '-1', '-o', patches, 'one');
    const mine = readdirSync(patches).filter((n) => n !== '0001-fix-gitrepository-dev-branch.patch' && n.endsWith('.patch'));
    rmSync(join(patches, '0001-fix-gitrepository-dev-branch.patch'));
    expect(mine).toHaveLength(1);
    const refused = await runCli(['fix', '--rule', 'gitrepository-dev-branch', '--yes', '--branch', 'two', '--patch-dir', patches], { cwd: dir });
    expectRefusedUpFront(
      refused,
      `--patch-dir ${patches}: holds patches gitops-fix did not write (${mine[0]}); \`git am ${patches}/*.patch\` would apply them`,
    );
    expect(branches(dir)).not.toContain('two');
  });

  it('patches of a subfolder run carry paths from the repository top, so git am applies them there', async () => {
    const dir = gitRepoFrom(EXAMPLE_REPO, 'gitops');
    const patches = join(tempDir(), 'patches');
    const r = await runCli(['fix', 'gitops', '--phase', '1', '--yes', '--patch-dir', patches], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const files = readdirSync(patches).sort();
    for (const f of files) expect(readFileSync(join(patches, f), 'utf8')).toMatch(/^diff --git a\/gitops\/\S+ b\/gitops\//m);
    git(dir, 'checkout', '-q', '-b', 'from-patches', 'main');
    git(dir, 'am', '-q', ...files.map((f) => join(patches, f)));
    expect(git(dir, 'rev-parse', 'HEAD^{tree}').trim()).toBe(git(dir, 'rev-parse', 'gitops-fix/phase-1^{tree}').trim());
  });
});

describe('output paths are checked before any work', { timeout: SLOW }, () => {
  it('--patch-dir that is a file, --pr-body that is a directory, a --pr-body folder that is a file', async () => {
    const dir = gitRepoFrom(EXAMPLE_REPO);
    const out = tempDir();
    writeFileSync(join(out, 'file'), '');
    expectRefusedUpFront(await runCli(['fix', '--phase', '1', '--yes', '--patch-dir', join(out, 'file')], { cwd: dir }), 'is a file, not a directory');
    expectRefusedUpFront(await runCli(['fix', '--phase', '1', '--yes', '--pr-body', out], { cwd: dir }), `--pr-body ${out}: is a directory: pass a file name`);
    expectRefusedUpFront(
      await runCli(['fix', '--phase', '1', '--yes', '--pr-body', join(out, 'file', 'pr.md')], { cwd: dir }),
      `${join(out, 'file')} is a file, not a directory`,
    );
    expect(branches(dir)).toEqual(['main']);
  });

  it.skipIf(noPermissions)(skipTitle('an unwritable --patch-dir', noPermissions), async () => {
    const dir = gitRepoFrom(EXAMPLE_REPO);
    const out = join(tempDir(), 'locked');
    mkdirSync(out);
    chmodSync(out, 0o555);
    try {
      const r = await runUnprivileged(['fix', '--phase', '1', '--yes', '--patch-dir', out], dir);
      expectRefusedUpFront(r, `--patch-dir ${out}: the directory is not writable (permission denied, EACCES)`);
    } finally {
      chmodSync(out, 0o755);
    }
    expect(branches(dir)).toEqual(['main']);
  });

  it('an unusable TMPDIR', async () => {
    const dir = gitRepoFrom(EXAMPLE_REPO);
    const missing = join(tempDir(), 'no-such-dir');
    const r = await runBin(['fix', '--phase', '1', '--yes'], { cwd: dir, env: { TMPDIR: missing } });
    expectRefusedUpFront(r, `the temporary directory ${missing} (TMPDIR) cannot be used (it does not exist, ENOENT)`);
    expect(worktrees(dir)).toBe(1);
  });

  it('a failure after the branch exists still prints the branch and its commits', async () => {
    const dir = gitRepoFrom(EXAMPLE_REPO);
    const out = join(tempDir(), 'out');
    mkdirSync(out);
    // A slow clean filter on a file the fixes commit: --pr-body's folder is made unusable while the commit waits in it.
    appendFileSync(join(dir, '.git', 'info', 'attributes'), 'flux/clusters/production/flux-system/gotk-sync.yaml filter=slow\n');
    const filter = heldFilter(dir);
    git(dir, 'config', 'filter.slow.clean', filter.command);
    const child = spawn(process.execPath, [CLI, 'fix', '--phase', '1', '--yes', '--pr-body', join(out, 'pr.md')], {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1', ...filter.env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    const commitStarted = new Promise<void>((res) =>
      child.stderr.setEncoding('utf8').on('data', (d: string) => {
        stderr += d;
        if (/❯ fix\(gitrepository-dev-branch\)/.test(stderr)) res();
      }),
    );
    const code = new Promise<number | null>((res) => child.on('close', res));
    await commitStarted;
    await filter.started();
    rmSync(out, { recursive: true });
    writeFileSync(out, 'now a file\n');
    filter.open();
    expect(await code, stderr).toBe(2);
    const commits = commitsOf(dir, 'main..gitops-fix/phase-1');
    expect(commits.length).toBeGreaterThan(0);
    expect(stdout).toContain(`Created branch gitops-fix/phase-1 from`);
    for (const c of commits) expect(stdout).toContain(`${c.sha.slice(0, 12)} ${c.subject}`);
    expect(stderr).toMatch(/gitops-fix: .*pr\.md.*; the branch gitops-fix\/phase-1 was created \(above\)/);
  });
});

describe('what the review branch does not see', { timeout: SLOW }, () => {
  it('lists uncommitted, staged and untracked paths; --dry-run says it plans on them', async () => {
    const dir = gitRepoFrom(EXAMPLE_REPO);
    appendFileSync(join(dir, 'flux/clusters/production/apps.yaml'), '# wip\n');
    writeFileSync(join(dir, 'new.yaml'), 'kind: ConfigMap\n');
    git(dir, 'add', 'new.yaml');
    writeFileSync(join(dir, 'scratch.yaml'), 'a: 1\n');
    const r = await runCli(['fix', '--rule', 'gitrepository-dev-branch', '--yes'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(
      'note: the review branch starts from HEAD and does not see uncommitted changes: flux/clusters/production/apps.yaml (modified), new.yaml (staged), scratch.yaml (untracked)',
    );
    const dry = await runCli(['fix', '--rule', 'gitrepository-dev-branch', '--dry-run'], { cwd: dir });
    expect(dry.stderr).toContain(
      'note: --dry-run plans on the files as they are, including uncommitted changes (flux/clusters/production/apps.yaml (modified)',
    );
  });

  it('a DIR that is not in HEAD is "not committed", not "no such directory"', async () => {
    const dir = gitRepoFrom(EXAMPLE_REPO);
    cpSync(join(dir, 'flux'), join(dir, 'copy'), { recursive: true });
    const r = await runCli(['fix', 'copy', '--phase', '1', '--yes'], { cwd: dir });
    expectRefusedUpFront(r, 'copy is not committed: the review branch starts from HEAD, which does not have it. Commit it, or pass --write');
  });
});

describe('signing, hooks', { timeout: SLOW }, () => {
  it('a signing failure says that commits are signed per the git configuration and how to do without; --no-gpg-sign', async () => {
    const dir = gitRepoFrom(EXAMPLE_REPO);
    git(dir, 'config', 'commit.gpgsign', 'true');
    git(dir, 'config', 'gpg.program', 'false');
    const r = await runCli(['fix', '--rule', 'gitrepository-dev-branch', '--yes'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      'could not sign the commit of fix(gitrepository-dev-branch): commits are signed as your git configuration says (commit.gpgsign=true)',
    );
    expect(r.stderr).toContain('pass --no-gpg-sign');
    expect(r.stderr).not.toMatch(/COMMIT_MSG|\/tmp\/|-F /);
    expect(branches(dir)).toEqual(['main']);
    expect(worktrees(dir)).toBe(1);
    const unsigned = await runCli(['fix', '--rule', 'gitrepository-dev-branch', '--yes', '--no-gpg-sign'], { cwd: dir });
    expect(unsigned.code, unsigned.stderr).toBe(0);
    expect(commitsOf(dir, 'main..gitops-fix/fixes')).toHaveLength(1);
  });

  it('no hook of the repository runs, the reference-transaction hook included', async () => {
    const dir = gitRepoFrom(EXAMPLE_REPO);
    const log = join(dir, '.git', 'hooks-ran');
    for (const hook of ['reference-transaction', 'post-checkout', 'pre-commit', 'commit-msg', 'post-commit', 'post-index-change']) {
      writeFileSync(join(dir, '.git', 'hooks', hook), `#!/bin/sh\necho ${hook} >> "${log}"\n`);
      chmodSync(join(dir, '.git', 'hooks', hook), 0o755);
    }
    execFileSync('git', ['update-ref', 'refs/heads/probe', 'HEAD'], { cwd: dir });
    expect(readFileSync(log, 'utf8')).toContain('reference-transaction'); // the hooks do run for git itself
    git(dir, 'branch', '-D', 'probe');
    rmSync(log, { force: true });
    const r = await runCli(['fix', '--phase', '1', '--yes'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(log) ? readFileSync(log, 'utf8') : '').toBe('');
  });
});

describe('without git on PATH', { timeout: SLOW }, () => {
  const noGit = () => {
    const bin = tempDir('gitops-fix-nogit-');
    symlinkSync(process.execPath, join(bin, 'node'));
    return { PATH: bin };
  };

  it('--write and --dry-run work outside a git repository; a review branch says git is needed', async () => {
    const dir = join(tempDir(), 'plain');
    cpSync(EXAMPLE_REPO, dir, { recursive: true });
    const env = noGit();
    const dry = await runBin(['fix', '--phase', '1', '--yes', '--include-review', '--dry-run'], { cwd: dir, env });
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain('dry run: nothing was written');
    const write = await runBin(['fix', '--phase', '1', '--yes', '--include-review', '--write'], { cwd: dir, env });
    expect(write.code, write.stderr).toBe(0);
    expect(write.stdout).toMatch(/Wrote \d+ files/);
    const branch = await runBin(['fix', '--phase', '1', '--yes'], { cwd: dir, env });
    expectRefusedUpFront(branch, 'git is not installed (or not on PATH), and the review branch needs it: install git, or pass --write');
  });

  it('inside a git work tree, --write without git cannot check for uncommitted changes: it says so', async () => {
    const dir = gitRepoFrom(EXAMPLE_REPO);
    const before = hashTree(dir);
    const r = await runBin(['fix', '--phase', '1', '--yes', '--write'], { cwd: dir, env: noGit() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('git is not installed (or not on PATH), so gitops-fix cannot check the files for uncommitted changes before changing them');
    expect(hashTree(dir)).toEqual(before);
    const ok = await runBin(['fix', '--phase', '1', '--yes', '--write', '--allow-dirty'], { cwd: dir, env: noGit() });
    expect(ok.code, ok.stderr).toBe(0);
  });
});
