/** `gitops-fix fix` with rendering: the dry-run diff, commit messages, the PR body, refusals, and no helm. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { commitsOf, EXAMPLE_REPO, git, gitRepoFrom, IDENTITY } from '../support/git-repo.js';
import { CHARTS, helmBinary, renderSkipReason } from '../support/helm.js';
import { tempDir } from '../support/tree.js';

const title = (t: string) => (renderSkipReason ? `${t} (skipped: ${renderSkipReason})` : t);
const ESO = 'infra/kubernetes/flux/infrastructure/external-secrets/helmrelease.yaml';
// Pulled charts and cached renders go to a temporary cache of this file, not the user's (the CLI runs in this
// process; the worker runs other files after this one, so the variable is put back).
const cacheHome = process.env.XDG_CACHE_HOME;
beforeAll(() => {
  process.env.XDG_CACHE_HOME = tempDir('gitops-fix-cache-');
});
afterAll(() => {
  if (cacheHome === undefined) delete process.env.XDG_CACHE_HOME;
  else process.env.XDG_CACHE_HOME = cacheHome;
});

describe.skipIf(!!renderSkipReason)(title('fix renders the releases it touches'), { timeout: 120_000 }, () => {
  it('fix --phase 1 --dry-run --charts prints the rendered diff of the Vault and External Secrets releases', async () => {
    const dir = gitRepoFrom(EXAMPLE_REPO);
    const r = await runCli(['fix', '--phase', '1', '--dry-run', '--charts', CHARTS, '--helm', helmBinary!], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('## HelmRelease external-secrets/external-secrets (chart external-secrets 2.9.0): rendered before and after, no change');
    expect(r.stdout).toContain('## HelmRelease vault/vault (chart vault 0.34.1): +5 added, ~6 changed');
    expect(r.stdout).toMatch(/^\+ PodDisruptionBudget\/vault\/vault$/m);
    expect(r.stdout).toMatch(/^--- a\/ConfigMap\/vault\/vault-config\n\+\+\+ b\/ConfigMap\/vault\/vault-config$/m);
    expect(r.stdout).toMatch(/^-\s+storage "file" \{\n\+\s+storage "raft" \{$/m);
    expect(r.stdout).toContain('Render checks: no new violation');
    expect(r.stdout).not.toContain('not render-verified');
  });

  it('commits carry the render of the releases each rule touches, capped; the PR body has each diff inside <details>', async () => {
    const dir = gitRepoFrom(EXAMPLE_REPO);
    const body = join(tempDir(), 'pr.md');
    const r = await runCli(['fix', '--phase', '1', '--yes', '--include-review', '--charts', CHARTS, '--helm', helmBinary!, '--pr-body', body], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const commits = commitsOf(dir, 'main..gitops-fix/phase-1');
    const vault = commits.find((c) => c.subject.startsWith('fix(vault-single-instance)'))!;
    expect(vault.body).toContain('Rendered (helm template through the chart, before and after this branch):');
    expect(vault.body).toContain(
      '- HelmRelease vault/vault (chart vault 0.34.1): +5 added, ~6 changed (also changed by vault-tls-disabled, vault-listener-insecure, vault-file-storage)',
    );
    expect(vault.body).toMatch(/… \d+ changed objects?, \d+ lines? left out/);
    expect(vault.body.split('\n').length).toBeLessThan(140);
    const branch = commits.find((c) => c.subject.startsWith('fix(gitrepository-dev-branch)'))!;
    expect(branch.body).not.toContain('Rendered');
    const md = readFileSync(body, 'utf8');
    expect(md).toContain('## Rendered changes');
    expect(md).toContain('<details><summary>HelmRelease vault/vault (chart vault 0.34.1): +5 added, ~6 changed</summary>');
    expect(md).toContain('- HelmRelease external-secrets/external-secrets (chart external-secrets 2.9.0): rendered before and after, no change');
  });

  it('the External Secrets monitoring fix on chart 0.10.4 with metrics.service is render-verified: the metrics Service renders once', async () => {
    const dir = gitRepoFrom(EXAMPLE_REPO);
    const eso = readFileSync(join(dir, ESO), 'utf8')
      .replace('version: "2.9.0"', 'version: "0.10.4"')
      .replace('    installCRDs: true\n', '    installCRDs: true\n    metrics:\n      service:\n        enabled: true\n');
    writeFileSync(join(dir, ESO), eso);
    writeFileSync(
      join(dir, '.gitops-fix.yaml'),
      'render:\n  apiVersions: [monitoring.coreos.com/v1]\nrules:\n  missing-monitoring:\n    prometheusOperator: true\n',
    );
    git(dir, 'add', '-A');
    git(dir, ...IDENTITY, 'commit', '-q', '-m', 'eso 0.10.4');
    const r = await runCli(
      ['fix', '--rule', 'missing-monitoring', '--dry-run', '--include-review', '--charts', CHARTS, '--helm', helmBinary!, '--format', 'json'],
      {
        cwd: dir,
      },
    );
    expect(r.code, r.stderr).toBe(0);
    const json = JSON.parse(r.stdout);
    const rule = json.rules.find((x: { id: string }) => x.id === 'missing-monitoring');
    // The rule turns metrics.service off where the chart's ServiceMonitor renders the same Service (its own fix for
    // 0.10.x); the render proves the result, and test/render/checks.test.ts shows the refusal without that fix.
    expect(rule.fixed.map((f: { file: string }) => f.file)).toContain(ESO);
    expect(rule.dropped).toEqual([]);
    const release = json.render.releases.find((x: { id: string }) => x.id === 'external-secrets/external-secrets');
    expect([release.status, release.chart]).toEqual(['verified', 'external-secrets 0.10.4']);
    expect(release.added).toContain('ServiceMonitor/external-secrets/external-secrets-metrics');
    expect(json.render.violations.introduced).toEqual([]);
  });
});

describe('fix without helm', () => {
  it('says once that the touched releases are not render-verified, and marks each of them', async () => {
    const dir = gitRepoFrom(EXAMPLE_REPO);
    const missing = join(tempDir(), 'helm');
    const r = await runCli(['fix', '--phase', '1', '--dry-run', '--include-review', '--helm', missing], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr.split('\n').filter((l) => l.startsWith('note:') && l.includes('not render-verified'))).toHaveLength(1);
    expect(r.stderr).toContain(`note: helm ${missing}: not an executable file: the releases these fixes touch are not render-verified`);
    expect(r.stdout).toContain(`## HelmRelease vault/vault: not render-verified: helm ${missing}: not an executable file`);
    expect(r.stdout).toContain(`## HelmRelease external-secrets/external-secrets: not render-verified: helm ${missing}: not an executable file`);
    // Nothing was rendered, so no check result may be claimed.
    expect(r.stdout).toContain('Render checks: not run on the touched releases: none was rendered');
    expect(r.stdout).not.toContain('no new violation');
  });

  it('a dry run without --yes previews the review fixes too, labelled; with --yes it previews what --yes applies', async () => {
    const dir = gitRepoFrom(EXAMPLE_REPO);
    const helm = ['--helm', join(tempDir(), 'helm')];
    const all = await runCli(['fix', '--phase', '1', '--dry-run', ...helm], { cwd: dir });
    expect(all.code, all.stderr).toBe(0);
    expect(all.stdout).toMatch(/^# fix\(vault-tls-disabled\): .*\[review: read the diff/m);
    expect(all.stdout).toMatch(/^✔ vault-tls-disabled \[item 1, critical\] \[review\] 1 fixed$/m);
    const safe = await runCli(['fix', '--phase', '1', '--dry-run', '--yes', ...helm], { cwd: dir });
    expect(safe.code, safe.stderr).toBe(0);
    expect(safe.stdout).not.toContain('fix(vault-tls-disabled)');
    expect(safe.stdout).toContain('# fix(gitrepository-dev-branch)');
    expect(safe.stderr).toMatch(/note: review fixes not applied without --include-review \(or the picker\): .*vault-tls-disabled/);
  });
});
