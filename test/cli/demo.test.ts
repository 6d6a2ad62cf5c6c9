import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { selectRules } from '../../src/engine/registry.js';
import { commitsOf, runBin } from '../support/git-repo.js';
import { CHARTS, helmBinary, renderSkipReason } from '../support/helm.js';
import { skipTitle } from '../support/needs.js';
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
    const r = await runBin(['demo', '--helm', join(home, 'no-helm')], { cwd: home, env });
    expect(r.stderr).not.toMatch(/gitops-fix: /);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Demo repository: ');
    expect(r.stdout).toContain('Created branch gitops-fix/phase-1');
    expect(r.stdout).toMatch(/git log --stat main\.\.gitops-fix\/phase-1\n[0-9a-f]{7,} fix\(/);
    expect(r.stdout).toMatch(/\d+ files? changed/);
    expect(r.stdout).toContain('HelmRelease vault/vault: not render-verified');
    // The demo keeps its repository for the person to inspect; the test does not need it.
    // eslint-disable-next-line no-control-regex -- removes ANSI colour sequences, which start with ESC
    const made = /Demo repository: (\S+)/.exec(r.stdout.replace(/\x1b\[[0-9;]*m/g, ''))?.[1];
    // The picker's rule: the safe fixes are applied, the review fixes only previewed.
    expect(r.stdout).toContain('running `gitops-fix fix --phase 1 --yes` on it: the safe fixes, the ones the picker checks');
    const safe = selectRules({ phases: [1] }).filter((rule) => rule.fix?.safe);
    const subjects = commitsOf(made!, 'main..gitops-fix/phase-1').map((c) => c.subject);
    expect(subjects.length).toBeGreaterThan(0);
    for (const s of subjects) expect(safe.map((rule) => `fix(${rule.meta.id}): ${rule.meta.title}`)).toContain(s);
    expect(r.stdout).toContain('The review fixes of phase 1, not applied (the picker leaves them unchecked; --include-review applies them)');
    expect(r.stdout).toMatch(/# fix\(vault-file-storage\): .*\[review/);
    if (made?.includes('gitops-fix-demo-')) removeTree(made.replace(/\/example-repo\/?$/, ''));
    removeTree(home);
  });

  it.skipIf(!!renderSkipReason)(
    skipTitle('with helm and the charts, shows how the Vault and External Secrets releases render before and after', renderSkipReason),
    async () => {
      const r = await runBin(['demo', '--charts', CHARTS, '--helm', helmBinary!], { cwd: tempDir() });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain('## HelmRelease vault/vault (chart vault 0.34.1): +5 added, ~6 changed');
      expect(r.stdout).toContain('## HelmRelease external-secrets/external-secrets (chart external-secrets 2.9.0)');
      expect(r.stdout).toMatch(/^-\s+storage "file" \{\n\+\s+storage "raft" \{$/m);
      const made = /Demo repository: (\S+)/.exec(r.stdout)?.[1];
      if (made?.includes('gitops-fix-demo-')) removeTree(made.replace(/\/example-repo\/?$/, ''));
    },
  );
});
