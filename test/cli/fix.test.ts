import { execFileSync } from 'node:child_process';
import { appendFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { PHASES } from '../../src/kit/index.js';
import { openSession } from '../../src/engine/session.js';
import { planFixes, withRequired, type Plan } from '../../src/engine/plan.js';
import { selectRules } from '../../src/engine/registry.js';
import { runCli, type CliResult } from '../support/cli.js';
import { commitsOf, EXAMPLE_REPO as FIXTURES_EXAMPLE, git, gitRepoFrom, hashTree } from '../support/git-repo.js';
import { missing, skipTitle } from '../support/needs.js';
import { CORPUS, tempDir } from '../support/tree.js';

/** These tests run the built CLI on whole repositories; a loaded CI machine needs time. */
const SLOW = 240_000;

const NEEDS_TERMINAL = 'interactive selection needs a terminal; pass --yes to apply the selected phase non-interactively';

function planAll(dir: string, phases: readonly (typeof PHASES)[number][] = PHASES): Plan {
  const s = openSession(dir);
  return planFixes(s.repo, { rules: selectRules({ phases }), options: s.options });
}

function changedFiles(plan: Plan): Map<string, string> {
  return new Map([...plan.finalFiles].filter(([p, t]) => plan.originalFiles.get(p) !== t));
}

function appliedRules(plan: Plan): string[] {
  return plan.rules.filter((r) => r.files.length).map((r) => r.rule.meta.id);
}

describe('fix --phase all --yes on the example repository', { timeout: SLOW }, () => {
  let dir: string;
  let plan: Plan;
  let before: Record<string, string>;
  let headBefore: string;
  let indexBefore: string;
  let result: CliResult;
  const dirtyFile = 'flux/clusters/production/apps.yaml';

  beforeAll(async () => {
    dir = gitRepoFrom(FIXTURES_EXAMPLE);
    plan = planAll(dir); // on the committed content, which is what the branch starts from
    // Uncommitted work in the user's checkout, including in a file the fixes touch, and an untracked file.
    appendFileSync(join(dir, dirtyFile), '# work in progress\n');
    writeFileSync(join(dir, 'notes.txt'), 'untracked\n');
    git(dir, 'add', 'notes.txt');
    writeFileSync(join(dir, 'scratch.yaml'), 'kind: Scratch\n');
    before = hashTree(dir);
    headBefore = git(dir, 'rev-parse', 'HEAD').trim();
    indexBefore = git(dir, 'ls-files', '--stage');
    result = await runCli(['fix', '--phase', 'all', '--yes', '--include-review'], { cwd: dir });
  }, SLOW);

  it('exits 0 and plans at least one fix', async () => {
    expect(result.stderr).not.toMatch(/gitops-fix: /);
    expect(result.code, result.stderr).toBe(0);
    expect(appliedRules(plan).length).toBeGreaterThan(0);
  });

  it('creates gitops-fix/phase-all with one commit per applied rule, in plan order', async () => {
    const commits = commitsOf(dir, 'main..gitops-fix/phase-all');
    expect(commits.map((c) => c.subject)).toEqual(plan.rules.filter((r) => r.files.length).map((r) => `fix(${r.rule.meta.id}): ${r.rule.meta.title}`));
    expect(result.stdout).toContain('git push -u origin gitops-fix/phase-all');
  });

  it('names the rule and the review item in every commit message', async () => {
    const byId = new Map(plan.rules.map((r) => [r.rule.meta.id, r]));
    for (const c of commitsOf(dir, 'main..gitops-fix/phase-all')) {
      const id = /^fix\(([^)]+)\)/.exec(c.subject)![1]!;
      const rp = byId.get(id)!;
      expect(c.body).toContain(`Review item ${rp.rule.meta.reviewItem}, severity ${rp.rule.meta.severity}`);
      expect(c.body).toContain(`Gitops-Fix-Rule: ${id}`);
      for (const f of rp.files) expect(c.body).toContain(`- ${f.path}`);
      for (const n of rp.notes) expect(c.body).toContain(n);
    }
  });

  it('changes exactly the planned files, to exactly the planned content', async () => {
    const expected = changedFiles(plan);
    const diffed = git(dir, 'diff', '--name-only', 'HEAD..gitops-fix/phase-all').trim().split('\n').sort();
    expect(diffed).toEqual([...expected.keys()].sort());
    for (const [p, text] of expected) expect(git(dir, 'show', `gitops-fix/phase-all:${p}`)).toBe(text);
  });

  it("leaves the user's working tree, index, HEAD and uncommitted changes byte-identical", async () => {
    expect(hashTree(dir)).toEqual(before);
    expect(git(dir, 'rev-parse', 'HEAD').trim()).toBe(headBefore);
    expect(git(dir, 'ls-files', '--stage')).toBe(indexBefore);
    expect(readFileSync(join(dir, dirtyFile), 'utf8')).toMatch(/# work in progress\n$/);
    expect(git(dir, 'symbolic-ref', '--short', 'HEAD').trim()).toBe('main');
  });

  it('leaves no worktree behind', async () => {
    expect(git(dir, 'worktree', 'list', '--porcelain').match(/^worktree /gm)).toHaveLength(1);
    expect(existsSync(join(dir, '.git', 'worktrees')) ? readdirSync(join(dir, '.git', 'worktrees')) : []).toEqual([]);
  });

  it('finds nothing to fix when run again on the produced branch, and commits nothing', async () => {
    const clone = join(tempDir(), 'clone');
    execFileSync('git', ['clone', '-q', '--branch', 'gitops-fix/phase-all', dir, clone]);
    const tip = git(clone, 'rev-parse', 'HEAD').trim();
    const again = await runCli(['fix', '--phase', 'all', '--yes'], { cwd: clone });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('nothing to fix');
    expect(git(clone, 'rev-parse', 'HEAD').trim()).toBe(tip);
    expect(git(clone, 'branch', '--list', 'gitops-fix/*').trim()).toBe('* gitops-fix/phase-all');
  });

  it('rebuilds the review branch it made in place, saying what changed, and replaces it with --force', async () => {
    const tip = git(dir, 'rev-parse', 'gitops-fix/phase-all').trim();
    // Without --include-review this time: the review fixes are gone from the rebuilt branch.
    const again = await runCli(['fix', '--phase', 'all', '--yes'], { cwd: dir });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(
      /Updated gitops-fix\/phase-all in place, rebuilt from [0-9a-f]{12}: 0 fixes added, [1-9]\d* fix(es)? removed, [1-9]\d* unchanged/,
    );
    expect(git(dir, 'rev-parse', 'gitops-fix/phase-all').trim()).not.toBe(tip);
    const forced = await runCli(['fix', '--phase', 'all', '--yes', '--include-review', '--force'], { cwd: dir });
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stdout).toContain('Replaced branch gitops-fix/phase-all');
    expect(git(dir, 'rev-parse', 'gitops-fix/phase-all^{tree}').trim()).toBe(git(dir, 'rev-parse', `${tip}^{tree}`).trim());
    expect(hashTree(dir)).toEqual(before);
  });
});

describe('fix selection and branch names', { timeout: SLOW }, () => {
  it('names the branch after the phases, and --branch overrides it', async () => {
    const dir = gitRepoFrom(FIXTURES_EXAMPLE);
    const plan = planAll(dir, [1, 3]);
    expect((await runCli(['fix', '--phase', '1,3', '--yes', '--include-review'], { cwd: dir })).code).toBe(0);
    expect(commitsOf(dir, 'main..gitops-fix/phase-1-3').map((c) => c.subject)).toEqual(
      plan.rules.filter((r) => r.files.length).map((r) => `fix(${r.rule.meta.id}): ${r.rule.meta.title}`),
    );
    expect((await runCli(['--phase', '1', '--yes', '--branch', 'review/phase-one'], { cwd: dir })).code).toBe(0);
    expect(commitsOf(dir, 'main..review/phase-one').length).toBeGreaterThan(0);
  });

  it('--rule selects single rules (branch gitops-fix/fixes); --exclude-rule leaves one out', async () => {
    const dir = gitRepoFrom(FIXTURES_EXAMPLE);
    const r = await runCli(['fix', '--rule', 'helmrepository-slow-interval', '--rule', 'gitrepository-dev-branch', '--yes', '--format', 'json'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json.branch.name).toBe('gitops-fix/fixes');
    expect(json.commits.map((c: { rule: string }) => c.rule)).toEqual(['gitrepository-dev-branch', 'helmrepository-slow-interval']);
    const x = await runCli(['fix', '--phase', '3', '--exclude-rule', 'helmrepository-slow-interval', '--yes', '--format', 'json'], { cwd: dir });
    expect(x.code, x.stderr).toBe(0);
    expect(JSON.parse(x.stdout).rules.map((rp: { id: string }) => rp.id)).not.toContain('helmrepository-slow-interval');
  });

  it('--quick-wins selects the rules of review items 6, 5, 12, 17, 11 that exist', async () => {
    const dir = gitRepoFrom(FIXTURES_EXAMPLE);
    const r = await runCli(['fix', '--quick-wins', '--dry-run', '--format', 'json'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const rules: { reviewItem: number; requiredBy: string | null }[] = JSON.parse(r.stdout).rules;
    expect(rules.length).toBeGreaterThan(0);
    // Rules that a quick win `requires` come along (requiredBy says which).
    for (const rp of rules) if (!rp.requiredBy) expect([6, 5, 12, 17, 11]).toContain(rp.reviewItem);
  });

  it('rejects an unknown rule, a bad phase and an invalid branch name with exit 2', async () => {
    const dir = gitRepoFrom(FIXTURES_EXAMPLE);
    expect((await runCli(['fix', '--rule', 'no-such-rule', '--yes'], { cwd: dir })).stderr).toContain('unknown rule "no-such-rule"');
    const bad = await runCli(['fix', '--phase', '7', '--yes'], { cwd: dir });
    expect([bad.code, bad.stderr]).toEqual([2, expect.stringContaining('--phase 7: expected 1, 2, 3, 4 or all')]);
    const branch = await runCli(['fix', '--phase', '1', '--yes', '--branch', 'bad..name'], { cwd: dir });
    expect([branch.code, branch.stderr]).toEqual([2, expect.stringContaining('"bad..name" is not a valid branch name')]);
    expect(git(dir, 'branch', '--list').trim()).toBe('* main');
  });
});

describe('fix without a terminal', { timeout: SLOW }, () => {
  it(`exits 2 with "${NEEDS_TERMINAL}" and changes nothing`, async () => {
    const dir = gitRepoFrom(FIXTURES_EXAMPLE);
    const before = hashTree(dir, { withGit: true });
    for (const args of [
      ['fix', '--phase', '1'],
      ['--phase', '1'],
    ]) {
      const r = await runCli(args, { cwd: dir });
      expect(r.code).toBe(2);
      expect(r.stderr.trim()).toBe(`gitops-fix: ${NEEDS_TERMINAL}`);
    }
    expect(hashTree(dir, { withGit: true })).toEqual(before);
  });
});

describe('fix --yes applies safe fixes only', { timeout: SLOW }, () => {
  it('leaves review fixes out and says so; --include-review adds them', async () => {
    const dir = gitRepoFrom(FIXTURES_EXAMPLE);
    const s = openSession(dir);
    // A safe rule that requires a review rule (external-secrets-missing-probes needs external-secrets-chart-upgrade) waits with it.
    const safeRules = selectRules({}).filter((r) => withRequired([r]).rules.every((x) => x.fix?.safe !== false));
    const safe = planFixes(s.repo, { rules: safeRules, options: s.options });
    const r = await runCli(['fix', '--phase', 'all', '--yes'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const subjects = commitsOf(dir, 'main..gitops-fix/phase-all').map((c) => c.subject);
    expect(subjects).toEqual(safe.rules.filter((x) => x.files.length).map((x) => `fix(${x.rule.meta.id}): ${x.rule.meta.title}`));
    expect(subjects.some((t) => t.startsWith('fix(vault-tls-disabled)'))).toBe(false);
    expect(r.stderr).toMatch(/review fixes not applied without --include-review \(or the picker\): .*vault-tls-disabled \(1\)/);
    const all = await runCli(['fix', '--phase', 'all', '--yes', '--include-review', '--force'], { cwd: dir });
    expect(all.code, all.stderr).toBe(0);
    expect(commitsOf(dir, 'main..gitops-fix/phase-all').map((c) => c.subject)).toContain(
      'fix(vault-tls-disabled): Require TLS on the Vault server, with a cert-manager certificate',
    );
  });
});

describe('fix --dry-run', { timeout: SLOW }, () => {
  it('prints the diffs and writes nothing (no --yes needed)', async () => {
    const dir = gitRepoFrom(FIXTURES_EXAMPLE);
    const plan = planAll(dir);
    const before = hashTree(dir, { withGit: true });
    const r = await runCli(['fix', '--phase', 'all', '--dry-run', '--include-review'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    for (const p of changedFiles(plan).keys()) expect(r.stdout).toContain(`+++ b/${p}`);
    expect(r.stdout).toContain('dry run: nothing was written');
    expect(hashTree(dir, { withGit: true })).toEqual(before);
  });
});

describe('fix --write', { timeout: SLOW }, () => {
  it('modifies only the intended files, atomically, keeping their mode', async () => {
    const dir = gitRepoFrom(FIXTURES_EXAMPLE);
    const plan = planAll(dir);
    const expected = changedFiles(plan);
    const before = hashTree(dir);
    const r = await runCli(['fix', '--phase', 'all', '--yes', '--include-review', '--write'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const after = hashTree(dir);
    const changed = Object.keys(after).filter((p) => after[p] !== before[p]);
    expect(changed.sort()).toEqual([...expected.keys()].sort());
    for (const [p, text] of expected) expect(readFileSync(join(dir, p), 'utf8')).toBe(text);
    for (const p of expected.keys()) if (before[p]) expect(after[p]!.split(':')[1]).toBe(before[p].split(':')[1]);
    expect(git(dir, 'branch', '--list').trim()).toBe('* main');
  });

  it('refuses files with uncommitted changes unless --allow-dirty', async () => {
    const dir = gitRepoFrom(FIXTURES_EXAMPLE);
    const file = 'flux/clusters/production/apps.yaml';
    appendFileSync(join(dir, file), '# local edit\n');
    const before = hashTree(dir);
    const r = await runCli(['fix', '--phase', 'all', '--yes', '--write'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`uncommitted changes: ${file}`);
    expect(hashTree(dir)).toEqual(before);
    const ok = await runCli(['fix', '--phase', 'all', '--yes', '--write', '--allow-dirty'], { cwd: dir });
    expect(ok.code, ok.stderr).toBe(0);
    expect(readFileSync(join(dir, file), 'utf8')).toContain('# local edit');
    expect(readFileSync(join(dir, file), 'utf8')).toContain('wait: true');
  });

  it('works outside a git repository', async () => {
    const dir = join(tempDir(), 'plain');
    execFileSync('cp', ['-r', FIXTURES_EXAMPLE, dir]);
    const r = await runCli(['fix', '--phase', '1', '--yes', '--write'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Wrote \d+ file/);
    const branch = await runCli(['fix', '--phase', '1', '--yes'], { cwd: dir });
    expect(branch.code).toBe(2);
    expect(branch.stderr).toContain('is not inside a git repository: pass --write');
  });
});

describe('fix outputs', { timeout: SLOW }, () => {
  it('--patch-dir writes one format-patch per rule that git am applies to the same tree as the branch', async () => {
    const dir = gitRepoFrom(FIXTURES_EXAMPLE);
    const patches = join(tempDir(), 'patches');
    const r = await runCli(['fix', '--phase', 'all', '--yes', '--patch-dir', patches], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const files = readdirSync(patches).sort();
    const commits = commitsOf(dir, 'main..gitops-fix/phase-all');
    expect(files.length).toBe(commits.length);
    files.forEach((f, i) => {
      const text = readFileSync(join(patches, f), 'utf8');
      expect(f).toMatch(new RegExp(`^${String(i + 1).padStart(4, '0')}-fix-`));
      expect(text.startsWith(`From ${commits[i]!.sha} Mon Sep 17 00:00:00 2001\n`)).toBe(true);
      expect(text).toContain(`Subject: [PATCH ${i + 1}/${files.length}] ${commits[i]!.subject}`);
    });
    git(dir, 'checkout', '-q', '-b', 'from-patches', 'main');
    git(dir, 'am', '-q', ...files.map((f) => join(patches, f)));
    expect(git(dir, 'rev-parse', 'HEAD^{tree}').trim()).toBe(git(dir, 'rev-parse', 'gitops-fix/phase-all^{tree}').trim());
  });

  it('--pr-body lists every fix, its rationale, follow-up steps and what was left unfixed', async () => {
    const dir = gitRepoFrom(FIXTURES_EXAMPLE);
    const plan = planAll(dir);
    const body = join(tempDir(), 'pr.md');
    expect((await runCli(['fix', '--phase', 'all', '--yes', '--include-review', '--pr-body', body], { cwd: dir })).code).toBe(0);
    const md = readFileSync(body, 'utf8');
    const cell = (t: string) => t.replace(/\|/g, '\\|').replace(/</g, '&lt;').replace(/>/g, '&gt;');
    expect(md).toContain('| Rule | Item | Severity | Fixes | Files | Review | Documentation |');
    for (const rp of plan.rules.filter((r) => r.fixed.length)) {
      const m = rp.rule.meta;
      expect(md).toContain(`| \`${m.id}\` ${m.title} | ${m.reviewItem} | ${m.severity} | ${rp.fixed.length} | ${rp.files.length} |`);
      expect(md).toContain(`<details><summary><b>Item ${m.reviewItem}: ${m.title}</b> (<code>${m.id}</code>`);
      const where = (f: { file: string; line: number }) => (f.file === '.' ? '(repository)' : `${f.file}:${f.line}`);
      for (const x of rp.fixed) expect(md).toContain(`\`${where(x.finding)}\` ${cell(x.finding.message)}`);
      for (const n of rp.notes) expect(md).toContain(cell(n));
    }
    expect(md).toContain('## Left unfixed');
    // Each left-unfixed finding with its message (not "see the message") and why it was left.
    for (const rp of plan.rules)
      for (const d of [...rp.dropped, ...rp.skipped]) {
        expect(md).toContain(cell(d.reason.replace(/: see the message$/, '')));
        if (d.finding) expect(md).toContain(`| ${cell(d.finding.message)} |`);
      }
    expect(md).not.toContain('see the message');
  });

  it('--format json reports rules, files, commits and warnings, and nothing on stdout but the JSON', async () => {
    const dir = gitRepoFrom(FIXTURES_EXAMPLE);
    const plan = planAll(dir);
    const r = await runCli(['fix', '--phase', 'all', '--yes', '--include-review', '--format', 'json'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    const json = JSON.parse(r.stdout);
    expect(json).toMatchObject({ version: 1, mode: 'branch', nothingToFix: false, branch: { name: 'gitops-fix/phase-all', replaced: false } });
    const commits = commitsOf(dir, 'main..gitops-fix/phase-all');
    expect(json.commits.map((c: { sha: string }) => c.sha)).toEqual(commits.map((c) => c.sha));
    expect(json.rules.map((rp: { id: string }) => rp.id)).toEqual(plan.rules.map((rp) => rp.rule.meta.id));
    for (const rp of json.rules) {
      const p = plan.rules.find((x) => x.rule.meta.id === rp.id)!;
      expect(rp.files.map((f: { path: string }) => f.path)).toEqual(p.files.map((f) => f.path));
      expect(rp.warnings).toEqual(p.warnings);
      expect(['applied', 'partial', 'dropped', 'skipped', 'clean']).toContain(rp.status);
    }
    expect(json.summary.fixed).toBe(plan.rules.reduce((n, rp) => n + rp.fixed.length, 0));
  });
});

describe('fix on other repository layouts', { timeout: SLOW }, () => {
  it('works when DIR is a subdirectory of the git repository', async () => {
    const dir = gitRepoFrom(FIXTURES_EXAMPLE, 'gitops/example');
    const plan = planAll(join(dir, 'gitops/example'), [1]);
    const r = await runCli(['fix', 'gitops/example', '--phase', '1', '--yes', '--include-review'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const names = git(dir, 'diff', '--name-only', 'main..gitops-fix/phase-1').trim().split('\n');
    expect(names.sort()).toEqual([...changedFiles(plan).keys()].map((p) => `gitops/example/${p}`).sort());
  });

  it('branches from a detached HEAD and says so', async () => {
    const dir = gitRepoFrom(FIXTURES_EXAMPLE);
    git(dir, 'checkout', '-q', '--detach');
    const head = git(dir, 'rev-parse', 'HEAD').trim();
    const r = await runCli(['fix', '--phase', '1', '--yes'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`HEAD is detached at ${head.slice(0, 12)}`);
    const first = commitsOf(dir, `${head}..gitops-fix/phase-1`)[0]!;
    expect(git(dir, 'rev-parse', `${first.sha}~1`).trim()).toBe(head);
  });

  it('explains a repository without commits', async () => {
    const dir = join(tempDir(), 'empty');
    execFileSync('cp', ['-r', FIXTURES_EXAMPLE, dir]);
    git(dir, 'init', '-q');
    const r = await runCli(['fix', '--phase', '1', '--yes'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('has no commits yet');
  });

  const corpus = join(CORPUS, 'fluxcd__flux2-kustomize-helm-example');
  const noCorpus = missing('corpus');
  it.skipIf(noCorpus)(skipTitle('runs on a corpus repository (fluxcd/flux2-kustomize-helm-example) without touching the checkout', noCorpus), async () => {
    const dir = gitRepoFrom(corpus);
    const plan = planAll(dir);
    // The repository has findings with fixes (Kustomizations without wait, among others): there is a branch to check.
    expect(appliedRules(plan).length).toBeGreaterThan(0);
    const before = hashTree(dir, { withGit: false });
    const r = await runCli(['fix', '--phase', 'all', '--yes', '--format', 'json'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(hashTree(dir)).toEqual(before);
    expect(json.nothingToFix).toBe(false);
    const commits = commitsOf(dir, `main..${json.branch.name}`);
    expect(commits.length).toBe(appliedRules(plan).length);
    for (const c of commits) expect(c.body).toMatch(/Gitops-Fix-Rule: [a-z0-9-]+/);
    const diffed = git(dir, 'diff', '--name-only', `HEAD..${json.branch.name}`).trim().split('\n').sort();
    expect(diffed).toEqual([...changedFiles(plan).keys()].sort());
  });
});
