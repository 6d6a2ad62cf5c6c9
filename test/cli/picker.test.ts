import { execFileSync } from 'node:child_process';
import { readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ruleById } from '../../src/engine/registry.js';
import { openSession } from '../../src/engine/session.js';
import { planFixes } from '../../src/engine/plan.js';
import { scan } from '../../src/engine/scan.js';
import { selectRules } from '../../src/engine/registry.js';
import { commitsOf, EXAMPLE_REPO, git, gitRepoFrom, hashTree, KEYS, runInPty } from '../support/git-repo.js';
import { missing, skipTitle } from '../support/needs.js';
import { tempDir } from '../support/tree.js';

/** These tests run the built CLI on whole repositories; a loaded CI machine needs time. */
const SLOW = 240_000;

/** The interactive picker, driven through a real pseudo-terminal (python3's pty module), not a mocked prompt. */
const why = missing('pty');

// Each test drives its own process in its own repository: they run side by side (most of their time is waiting for redraws).
describe.skipIf(why)(skipTitle('fix picker on a terminal', why), { timeout: SLOW, concurrent: true }, () => {
  it('offers only the requested phase, pre-checks its safe fixes, explains why, and commits what was confirmed', async () => {
    const dir = gitRepoFrom(EXAMPLE_REPO);
    const s = openSession(dir);
    const planned = planFixes(s.repo, { rules: selectRules({ phases: [1] }), options: s.options }).rules.filter((r) => r.files.length);
    const safe = planned.filter((r) => r.rule.fix?.safe !== false);
    const review = planned.filter((r) => r.rule.fix?.safe === false);
    expect(safe.length && review.length).toBeTruthy();
    const r = await runInPty(
      ['fix', '--phase', '1'],
      [
        { expect: 'Fixes to apply', send: KEYS.enter },
        { expect: 'selected', send: KEYS.enter }, // "Apply the selected fixes"
      ],
      { cwd: dir },
    );
    expect(r.failed, r.output).toBeNull();
    expect(r.code, r.output).toBe(0);
    expect(r.output).toContain('Checked: the safe fixes of the selected rules');
    expect(r.output).toContain('Not checked: [review] fixes');
    // One line per rule (and per fix, the list fits one page): safe rules checked, review rules not.
    for (const rp of safe) expect(r.output).toMatch(new RegExp(`◉ ▾ ${rp.rule.meta.id} \\(`));
    for (const rp of review) expect(r.output).toMatch(new RegExp(`◯ ▾ ${rp.rule.meta.id} \\[review\\]`));
    // Nothing of another phase is offered.
    const others = selectRules({ phases: [2, 3, 4] }).map((rule) => rule.meta.id);
    for (const id of others) expect(r.output).not.toMatch(new RegExp(`[◉◯◐] [▸▾] ${id} `));
    expect(r.output).toContain('Created branch gitops-fix/phase-1');
    expect(commitsOf(dir, 'main..gitops-fix/phase-1').map((c) => c.subject)).toEqual(safe.map((rp) => `fix(${rp.rule.meta.id}): ${rp.rule.meta.title}`));
  });

  it('filters as the user types, toggles a whole rule, and shows its diff in $PAGER', async () => {
    const dir = gitRepoFrom(EXAMPLE_REPO);
    const tools = tempDir('gitops-fix-pager-');
    const paged = join(tools, 'paged.txt');
    const pager = join(tools, 'pager.sh');
    // A stand-in pager: records what it was given (and how it was called), as less would show it.
    writeFileSync(pager, `#!/bin/sh\necho "args: $*" >> '${paged}'\ncat >> '${paged}'\n`, { mode: 0o755 });
    // Where the scan (of the files on disk) puts the finding: the picker must name the same line.
    const s = openSession(dir);
    const onDisk = scan(s.repo, [ruleById('vault-file-storage')!], s.options).find((f) => f.file.endsWith('vault/helmrelease.yaml'));
    expect(onDisk).toBeDefined();
    const r = await runInPty(
      ['fix', '--phase', '1,3'],
      [
        { expect: 'Fixes to apply', send: 'file-stor' },
        // Filtered: the one rule whose id matches, expanded; the cursor on its line.
        { expect: 'Filter: file-stor — 1 matching', send: KEYS.space },
        { expect: '❯◉ ▾ vault-file-storage', send: KEYS.tab },
        { expect: 'Fixes to apply', send: KEYS.escape },
        { expect: '\\(type to filter\\)', send: KEYS.enter },
        { expect: 'selected', send: KEYS.enter },
      ],
      { cwd: dir, env: { PAGER: pager } },
    );
    expect(r.failed, r.output).toBeNull();
    expect(r.code, r.output).toBe(0);
    // While filtered, no other rule's line was shown.
    const filtered = r.output.slice(r.output.indexOf('Filter: file-stor — 1 matching'), r.output.indexOf('❯◉ ▾ vault-file-storage'));
    expect(filtered).not.toMatch(/[◉◯◐] [▸▾] (?!vault-file-storage)/);
    // The fix line names the line of the user's file (helmrelease.yaml on disk), where the storage stanza is.
    expect(r.output).toMatch(new RegExp(`vault/helmrelease\\.yaml:${onDisk!.line} HelmRelease/vault — storage "file"`));
    // The pager got the rule's diff.
    const got = readFileSync(paged, 'utf8');
    expect(got).toContain('# fix(vault-file-storage)');
    expect(got).toMatch(/^-\s+storage "file" \{$/m);
    expect(got).toMatch(/^\+\s+storage "raft" \{$/m);
    // The rule checked with the filter was applied with the pre-checked safe fixes; the other review rules were not.
    const subjects = commitsOf(dir, 'main..gitops-fix/phase-1-3').map((c) => c.subject);
    expect(subjects.some((s) => s.startsWith('fix(vault-file-storage)'))).toBe(true);
    expect(subjects.some((s) => s.startsWith('fix(gitrepository-dev-branch)'))).toBe(true);
    expect(subjects.some((s) => s.startsWith('fix(vault-tls-disabled)'))).toBe(false);
  });

  it('pages the diff itself when there is no pager, and toggles single fixes of an expanded rule', async () => {
    const dir = gitRepoFrom(EXAMPLE_REPO);
    // PATH with git only: no less, no PAGER.
    const bin = tempDir('gitops-fix-bin-');
    symlinkSync(execFileSync('git', ['--exec-path'], { encoding: 'utf8' }).trim() + '/git', join(bin, 'git'));
    symlinkSync(execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim(), join(bin, 'python3'));
    const r = await runInPty(
      ['fix', '--phase', '1', '--branch', 'picked'],
      [
        { expect: 'Fixes to apply', send: '' },
        { press: KEYS.down, until: '❯◯ ▾ secretstore-default-serviceaccount', max: 40 },
        { expect: '', send: KEYS.down },
        { expect: '❯\\s+◯ \\S+secret-store\\.yaml:\\d+ ', send: KEYS.space + KEYS.tab },
        { expect: 'lines 1–', send: 'q' },
        { expect: 'Fixes to apply', send: KEYS.enter },
        { expect: 'selected', send: KEYS.enter },
      ],
      { cwd: dir, env: { PATH: bin, PAGER: undefined } },
    );
    expect(r.failed, r.output).toBeNull();
    expect(r.code, r.output).toBe(0);
    expect(r.output).toMatch(/diff of one fix of secretstore-default-serviceaccount — lines 1–\d+ of \d+/);
    const subjects = commitsOf(dir, 'main..picked').map((c) => c.subject);
    expect(subjects.some((s) => s.startsWith('fix(secretstore-default-serviceaccount)'))).toBe(true);
    expect(subjects.some((s) => s.startsWith('fix(vault-file-storage)'))).toBe(false);
  });

  it('fits each line in a narrow terminal, and cancels without changing anything', async () => {
    const dir = gitRepoFrom(EXAMPLE_REPO);
    const before = hashTree(dir, { withGit: false });
    const r = await runInPty(
      ['fix', '--phase', '1,3'],
      [
        { expect: 'Fixes to apply', send: KEYS.enter },
        { expect: 'selected', send: KEYS.up + KEYS.enter }, // wraps to "Cancel"
      ],
      { cwd: dir, env: { PTY_COLUMNS: '100' } },
    );
    expect(r.code, r.output).toBe(0);
    // One line per item, cut to the width with an ellipsis, the line number kept.
    const items = r.output.split(/\r?\n/).filter((l) => /[◉◯◐] /.test(l));
    expect(items.length).toBeGreaterThan(10);
    for (const l of items) expect([...l].length, l).toBeLessThanOrEqual(100);
    expect(items.some((l) => l.endsWith('…'))).toBe(true);
    expect(items.filter((l) => /^.\s{4}[◉◯] /.test(l)).every((l) => /\.yaml:\d+ /.test(l))).toBe(true);
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
        { expect: '❯◯ ▾ vault-no-backup', send: KEYS.down },
        { expect: '❯\\s+◯ [^\n]*\\[asks for method\\]', send: KEYS.space + KEYS.enter },
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
