import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ruleById } from '../../src/engine/registry.js';
import { openSession } from '../../src/engine/session.js';
import { planFixes } from '../../src/engine/plan.js';
import { selectRules } from '../../src/engine/registry.js';
import { commitsOf, EXAMPLE_REPO, git, gitRepoFrom, hashTree, KEYS, runInPty } from '../support/git-repo.js';
import { missing, skipTitle } from '../support/needs.js';

/** These tests run the built CLI on whole repositories; a loaded CI machine needs time. */
const SLOW = 240_000;

/** The interactive picker, driven through a real pseudo-terminal (python3's pty module), not a mocked prompt. */
const why = missing('pty');

// Each test drives its own process in its own repository: they run side by side (most of their time is waiting for redraws).
describe.skipIf(why)(skipTitle('fix picker on a terminal', why), { timeout: SLOW, concurrent: true }, () => {
  it('pre-checks the requested phase, shows a diff on request, and commits what was confirmed', async () => {
    const dir = gitRepoFrom(EXAMPLE_REPO);
    const s = openSession(dir);
    // Pre-checked: the phase 1 fixes that are safe (the others are marked "review" and left unchecked).
    const phase1 = planFixes(s.repo, { rules: selectRules({ phases: [1] }), options: s.options }).rules.filter(
      (r) => r.files.length && r.rule.fix?.safe !== false,
    );
    const r = await runInPty(
      ['fix', '--phase', '1'],
      [
        { expect: 'Fixes to apply', send: KEYS.enter },
        { expect: 'selected', send: KEYS.down + KEYS.enter }, // "Show the diff of a fix…"
        { expect: 'Show the diff of', send: KEYS.enter }, // the first fix
        { expect: 'selected', send: KEYS.enter }, // "Apply the selected fixes"
      ],
      { cwd: dir },
    );
    expect(r.failed, r.output).toBeNull();
    expect(r.code, r.output).toBe(0);
    // Grouped by phase, then severity; phase 1 fixes checked, later phases offered unchecked.
    expect(r.output).toMatch(/── Phase 1: Critical security fixes/);
    expect(r.output).toMatch(/── Phase 2: High priority improvements/);
    expect(r.output).toMatch(
      /◉ Require production clusters to sync from the main branch — GitRepository\/flux-system \(flux\/clusters\/production\/flux-system\/gotk-sync\.yaml:11\)/,
    );
    expect(r.output).toMatch(/◯ Require a short ExternalSecret refresh interval/);
    // The diff of the chosen fix was shown before applying.
    expect(r.output).toContain('+++ b/');
    expect(r.output).toContain('Created branch gitops-fix/phase-1');
    expect(commitsOf(dir, 'main..gitops-fix/phase-1').map((c) => c.subject)).toEqual(phase1.map((rp) => `fix(${rp.rule.meta.id}): ${rp.rule.meta.title}`));
  });

  it('applies a fix of another phase that the user checks, and only that one', async () => {
    const dir = gitRepoFrom(EXAMPLE_REPO);
    const r = await runInPty(
      ['fix', '--phase', '1', '--branch', 'picked'],
      [
        { expect: 'Fixes to apply', send: '' },
        { press: KEYS.down, until: '❯◯ Require HelmRepository indexes', max: 60 },
        { expect: '', send: KEYS.space + KEYS.enter },
        { expect: 'selected', send: KEYS.enter },
      ],
      { cwd: dir },
    );
    expect(r.failed, r.output).toBeNull();
    expect(r.code, r.output).toBe(0);
    const subjects = commitsOf(dir, 'main..picked').map((c) => c.subject);
    expect(subjects.some((s) => s.startsWith('fix(gitrepository-dev-branch)'))).toBe(true);
    expect(subjects.some((s) => s.startsWith('fix(helmrepository-slow-interval)'))).toBe(true);
    expect(subjects.some((s) => s.startsWith('fix(kustomization-retry-interval)'))).toBe(false);
    const sha = commitsOf(dir, 'main..picked').find((c) => c.subject.startsWith('fix(helmrepository-slow-interval)'))!.sha;
    expect(git(dir, 'show', '--name-only', '--format=', sha).trim().split('\n')).toHaveLength(1);
  });

  it('cancels without changing anything', async () => {
    const dir = gitRepoFrom(EXAMPLE_REPO);
    const before = hashTree(dir, { withGit: false });
    const r = await runInPty(
      ['fix', '--phase', '1'],
      [
        { expect: 'Fixes to apply', send: KEYS.enter },
        { expect: 'selected', send: KEYS.up + KEYS.enter }, // wraps to "Cancel"
      ],
      { cwd: dir },
    );
    expect(r.code, r.output).toBe(0);
    expect(r.output).toContain('Cancelled: nothing was changed.');
    expect(git(dir, 'branch', '--list', 'gitops-fix/*').trim()).toBe('');
    expect(git(dir, 'worktree', 'list', '--porcelain').match(/^worktree /gm)).toHaveLength(1);
    expect(hashTree(dir)).toEqual(before);
  });

  it('asks for a missing option with validation, saves it to the config and applies the fix', async () => {
    const backup = ruleById('vault-no-backup');
    // The question this test answers: vault-no-backup asks which backup method to write.
    expect(backup?.meta.prompts?.map((p) => p.option)).toContain('method');
    const dir = gitRepoFrom(EXAMPLE_REPO);
    const r = await runInPty(
      ['fix', '--rule', 'vault-no-backup'],
      [
        { expect: '❯◯ [^\n]*\\[asks for method\\]', send: KEYS.space + KEYS.enter },
        { expect: 'selected', send: KEYS.enter },
        { expect: '\\? vault-no-backup: How', send: 'tape' + KEYS.enter },
        { expect: '> velero or raft-snapshot', send: '\u007f'.repeat(4) + 'velero' + KEYS.enter },
        { expect: '\\? Save rules\\.vault-no-backup\\.method', send: KEYS.enter },
      ],
      { cwd: dir },
    );
    expect(r.failed, r.output).toBeNull();
    expect(r.code, r.output).toBe(0);
    expect(readFileSync(join(dir, '.gitops-fix.yaml'), 'utf8')).toMatch(/rules:\n\s+vault-no-backup:\n\s+method: velero\n/);
    expect(commitsOf(dir, 'main..gitops-fix/fixes').map((c) => c.subject)).toContain(`fix(vault-no-backup): ${backup!.meta.title}`);
  });
});
