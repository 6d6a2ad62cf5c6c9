import { execFileSync } from 'node:child_process';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPOSITORY_GIT_VARIABLES } from '../../src/engine/git-env.js';
import { BUILD_TIMEOUT, builtDist, CLI, commitsOf, EXAMPLE_REPO, git, gitRepoFrom, IDENTITY, runBin } from '../support/git-repo.js';

// These tests run dist/ (built beside the tests by the global set-up).
beforeAll(() => builtDist(), BUILD_TIMEOUT);

const SLOW = 240_000;

/** What git itself would have in the user's repository: HEAD, the branch list and the staged index. */
function userState(dir: string) {
  return {
    head: git(dir, 'rev-parse', 'HEAD').trim(),
    branches: git(dir, 'for-each-ref', '--format=%(refname) %(objectname)', 'refs/heads').trim(),
    index: git(dir, 'ls-files', '--stage'),
  };
}

describe('git variables of the calling environment never reach our git', { timeout: SLOW }, () => {
  it('the list covers every variable git itself clears for a submodule', () => {
    const local = git(process.cwd(), 'rev-parse', '--local-env-vars').trim().split('\n');
    for (const v of local) expect(REPOSITORY_GIT_VARIABLES).toContain(v);
  });

  it('GIT_INDEX_FILE pointing at the user index: the staged index stays, the fixes go to the branch', async () => {
    const dir = gitRepoFrom(EXAMPLE_REPO);
    writeFileSync(join(dir, 'mine.yaml'), 'x: 1\n');
    git(dir, 'add', 'mine.yaml');
    const before = userState(dir);
    const r = await runBin(['fix', '--phase', '1', '--yes'], { cwd: dir, env: { GIT_INDEX_FILE: join(dir, '.git', 'index') } });
    expect(r.code, r.stderr).toBe(0);
    const after = userState(dir);
    expect(after.head).toBe(before.head);
    expect(after.index).toBe(before.index);
    expect(commitsOf(dir, 'main..gitops-fix/phase-1').length).toBeGreaterThan(0);
  });

  it('GIT_DIR and GIT_WORK_TREE set: commits land on the review branch, not on the checked-out main', async () => {
    const dir = gitRepoFrom(EXAMPLE_REPO);
    const before = userState(dir);
    const r = await runBin(['fix', '--phase', '1', '--yes'], {
      cwd: dir,
      env: { GIT_DIR: join(dir, '.git'), GIT_WORK_TREE: dir, GIT_PREFIX: '', GIT_OBJECT_DIRECTORY: join(dir, '.git', 'objects') },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(git(dir, 'rev-parse', 'main').trim()).toBe(before.head);
    expect(git(dir, 'status', '--porcelain')).toBe('');
    expect(commitsOf(dir, 'main..gitops-fix/phase-1').length).toBeGreaterThan(0);
  });

  it('run from a pre-commit hook: the user commit holds exactly the user edits', async () => {
    const dir = gitRepoFrom(EXAMPLE_REPO);
    const hook = join(dir, '.git', 'hooks', 'pre-commit');
    // As husky, lefthook or pre-commit would: the hook runs the tool with git's hook environment.
    writeFileSync(hook, `#!/bin/sh\n"${process.execPath}" "${CLI}" fix --phase 1 --yes --branch gitops-fix/from-hook >"${dir}/.git/hook.log" 2>&1 || exit 1\n`);
    chmodSync(hook, 0o755);
    const file = 'flux/clusters/production/apps.yaml';
    writeFileSync(join(dir, file), readFileSync(join(dir, file), 'utf8') + '# my own edit\n');
    git(dir, 'add', file);
    const staged = git(dir, 'diff', '--cached');
    // IDENTITY sets commit.gpgsign=false; the hook must be allowed to run (no --no-verify).
    execFileSync('git', [...IDENTITY, 'commit', '-q', '-m', 'my change'], { cwd: dir, stdio: 'pipe' });
    expect(readFileSync(join(dir, '.git', 'hook.log'), 'utf8')).toContain('gitops-fix/from-hook');
    const mine = git(dir, 'show', '--format=', 'HEAD');
    expect(mine).toBe(staged);
    expect(git(dir, 'show', '--stat', '--format=%s', 'HEAD').split('\n')[0]).toBe('my change');
    expect(git(dir, 'status', '--porcelain')).toBe('');
    expect(commitsOf(dir, 'main..gitops-fix/from-hook').length).toBeGreaterThan(0);
  });
});
