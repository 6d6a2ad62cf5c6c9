/**
 * A fix dropped with the fix it requires, on the command line: the run prints the dropped fix with its reason, and
 * the review branch has neither commit.
 */
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { git, gitRepoFrom } from '../support/git-repo.js';
import { anchoredConfig, vaultExample } from '../support/vault-example.js';

describe('fix on the command line', { timeout: 240_000 }, () => {
  it('prints the dropped TLS fix with its reason and commits neither', async () => {
    const dir = gitRepoFrom(vaultExample(anchoredConfig));
    const r = await runCli(['fix', '--phase', '1', '--yes', '--include-review'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/dropped .*helmrelease\.yaml:\d+ .* — vault-tls-disabled requires vault-listener-insecure, and that rule's fix here was not made/);
    const subjects = git(dir, 'log', '--format=%s', 'main..gitops-fix/phase-1');
    expect(subjects).not.toContain('fix(vault-tls-disabled)');
    expect(subjects).not.toContain('fix(vault-listener-insecure)');
    expect(subjects).toContain('fix(gitrepository-dev-branch)');
  });
});
