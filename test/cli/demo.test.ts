import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runBin } from '../support/git-repo.js';
import { removeTree, tempDir } from '../support/tree.js';

/** These tests run the built CLI on whole repositories; a loaded CI machine needs time. */
const SLOW = 240_000;

describe('gitops-fix demo', { timeout: SLOW }, () => {
  it('runs phase 1 on a temporary git copy of the example repository without a terminal or a git identity', async () => {
    const home = tempDir('gitops-fix-home-');
    mkdirSync(join(home, 'cfg'), { recursive: true });
    const env = {
      HOME: home,
      XDG_CONFIG_HOME: join(home, 'cfg'),
      GIT_CONFIG_GLOBAL: join(home, 'none'),
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_AUTHOR_NAME: undefined,
      GIT_AUTHOR_EMAIL: undefined,
      GIT_COMMITTER_NAME: undefined,
      GIT_COMMITTER_EMAIL: undefined,
      EMAIL: undefined,
    };
    const r = await runBin(['demo'], { cwd: home, env });
    expect(r.stderr).not.toMatch(/gitops-fix: /);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Demo repository: ');
    expect(r.stdout).toContain('Created branch gitops-fix/phase-1');
    expect(r.stdout).toMatch(/git log --stat main\.\.gitops-fix\/phase-1\n[0-9a-f]{7,} fix\(/);
    expect(r.stdout).toMatch(/\d+ files? changed/);
    // The demo keeps its repository for the person to inspect; the test does not need it.
    // eslint-disable-next-line no-control-regex -- removes ANSI colour sequences, which start with ESC
    const made = /Demo repository: (\S+)/.exec(r.stdout.replace(/\x1b\[[0-9;]*m/g, ''))?.[1];
    if (made?.includes('gitops-fix-demo-')) removeTree(made.replace(/\/example-repo\/?$/, ''));
    removeTree(home);
  });
});
