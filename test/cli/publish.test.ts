import { execFileSync } from 'node:child_process';
import { readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { commitsOf, git, runBin } from '../support/git-repo.js';
import { remoteSha, standInGh, withRemote } from '../support/remote.js';
import { tempDir } from '../support/tree.js';

/** These tests run the CLI on whole repositories (in process; as a process where PATH differs); a loaded CI machine needs time. */
const SLOW = 240_000;
const RULES = ['--rule', 'gitrepository-dev-branch', '--rule', 'kustomization-no-wait'];

describe('the review branch, pushed and proposed', { timeout: SLOW }, () => {
  it('fix --help describes --push, --remote and --open-pr', async () => {
    const r = await runCli(['fix', '--help'], { cwd: tempDir() });
    const help = r.stdout.replace(/\s+/g, ' ');
    expect(help).toMatch(/--push\s+push the review branch .*never pushed without it/);
    expect(help).toMatch(/--remote <name>\s+with --push: the remote to push to/);
    expect(help).toMatch(/--open-pr\s+with --push: open or update the pull request with gh \(GitHub\) or glab \(GitLab\)/);
  });

  it('pushes only with --push: to origin, or to the remote of the current branch upstream, or to --remote', async () => {
    const { dir, bare } = withRemote();
    const first = await runCli(['fix', ...RULES, '--yes'], { cwd: dir });
    expect(first.code, first.stderr).toBe(0);
    expect(remoteSha(bare, 'gitops-fix/fixes')).toBeUndefined();
    expect(first.stdout).toContain('git push -u origin gitops-fix/fixes');
    const pushed = await runCli(['fix', ...RULES, '--yes', '--push'], { cwd: dir });
    expect(pushed.code, pushed.stderr).toBe(0);
    expect(remoteSha(bare, 'gitops-fix/fixes')).toBe(git(dir, 'rev-parse', 'gitops-fix/fixes').trim());
    expect(pushed.stdout).toContain('Pushed gitops-fix/fixes to origin (new branch).');
    // Once pushed, the report does not tell the user to push by hand.
    expect(pushed.stdout).not.toContain('git push');
    const json = await runCli(['fix', ...RULES, '--yes', '--push', '--format', 'json'], { cwd: dir });
    expect(json.code, json.stderr).toBe(0);
    const report = JSON.parse(json.stdout) as { push: { remote: string; branch: string; sha: string } | null; branch: { updated: unknown } | null };
    expect(report.push).toMatchObject({ remote: 'origin', branch: 'gitops-fix/fixes', sha: git(dir, 'rev-parse', 'gitops-fix/fixes').trim() });
    expect(report.branch?.updated).toMatchObject({ added: [], removed: [] });
    // The upstream of main is on another remote: the branch goes there.
    const fork = join(tempDir('gitops-fix-fork-'), 'fork.git');
    execFileSync('git', ['init', '-q', '--bare', fork]);
    git(dir, 'remote', 'add', 'fork', fork);
    git(dir, 'push', '-q', '-u', 'fork', 'main');
    const upstream = await runCli(['fix', ...RULES, '--yes', '--push'], { cwd: dir });
    expect(upstream.code, upstream.stderr).toBe(0);
    expect(remoteSha(fork, 'gitops-fix/fixes')).toBe(git(dir, 'rev-parse', 'gitops-fix/fixes').trim());
    expect(upstream.stdout).toContain('Pushed gitops-fix/fixes to fork');
    // --remote names it.
    const named = await runCli(['fix', ...RULES, '--yes', '--push', '--remote', 'origin'], { cwd: dir });
    expect(named.code, named.stderr).toBe(0);
    expect(remoteSha(bare, 'gitops-fix/fixes')).toBe(git(dir, 'rev-parse', 'gitops-fix/fixes').trim());
    const unknown = await runCli(['fix', ...RULES, '--yes', '--push', '--remote', 'nope'], { cwd: dir });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('--push: there is no remote named nope (the remotes are: fork, origin)');
  });

  it('--open-pr opens the pull request with gh, passing the description; a rebuilt branch on a newer main updates it', async () => {
    const { dir, bare } = withRemote();
    const gh = standInGh();
    const env = { PATH: gh.path };
    const r = await runBin(['fix', ...RULES, '--yes', '--push', '--open-pr'], { cwd: dir, env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Opened the pull request with gh: https://github.com/acme/flux/pull/7');
    const create = gh.calls().find((c) => c[0] === 'pr' && c[1] === 'create')!;
    expect(create).toEqual([
      'pr',
      'create',
      '--repo',
      'acme/flux',
      '--head',
      'gitops-fix/fixes',
      '--base',
      'main',
      '--title',
      expect.stringMatching(/^gitops-fix: 2 fixes/),
      '--body-file',
      expect.any(String),
    ]);
    expect(gh.bodies()).toContain('`gitops-fix/fixes`');
    expect(gh.bodies()).toContain('gitrepository-dev-branch');
    const before = commitsOf(dir, 'main..gitops-fix/fixes');

    // main moves on: one finding fixed by hand, a new one added.
    const sync = join(dir, 'flux/clusters/production/flux-system/gotk-sync.yaml');
    writeFileSync(sync, readFileSync(sync, 'utf8').replace(/branch: .*/, 'branch: main'));
    const apps = readFileSync(join(dir, 'flux/clusters/production/apps.yaml'), 'utf8');
    writeFileSync(join(dir, 'flux/clusters/production/extras.yaml'), apps.replace('name: apps', 'name: extras'));
    git(dir, 'add', '-A');
    git(dir, 'commit', '-q', '-m', 'main moves on');
    const again = await runBin(['fix', ...RULES, '--yes', '--push', '--open-pr'], { cwd: dir, env });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/Updated gitops-fix\/fixes in place, rebuilt from [0-9a-f]{12} \(the new HEAD\): 1 fix added, 1 fix removed, 1 unchanged/);
    expect(again.stdout).toMatch(/\+ kustomization-no-wait: flux\/clusters\/production\/extras\.yaml: Kustomization extras/);
    expect(again.stdout).toMatch(/- gitrepository-dev-branch: flux\/clusters\/production\/flux-system\/gotk-sync\.yaml: /);
    // Rebuilt from the new HEAD, pushed over the old remote branch, and the open pull request updated.
    expect(git(dir, 'rev-parse', 'gitops-fix/fixes~1').trim()).toBe(git(dir, 'rev-parse', 'main').trim());
    const rebuilt = commitsOf(dir, 'main..gitops-fix/fixes');
    expect(rebuilt.map((c) => c.subject)).toEqual(before.filter((c) => c.subject.startsWith('fix(kustomization-no-wait)')).map((c) => c.subject));
    expect(git(dir, 'show', '--name-only', '--format=', rebuilt[0]!.sha).trim().split('\n').sort()).toEqual([
      'flux/clusters/production/apps.yaml',
      'flux/clusters/production/extras.yaml',
    ]);
    expect(remoteSha(bare, 'gitops-fix/fixes')).toBe(git(dir, 'rev-parse', 'gitops-fix/fixes').trim());
    expect(again.stdout).toContain('Updated the open pull request with gh: https://github.com/acme/flux/pull/7');
    const edit = gh.calls().filter((c) => c[0] === 'pr' && c[1] === 'edit');
    expect(edit).toHaveLength(1);
    expect(edit[0]!.slice(0, 5)).toEqual(['pr', 'edit', '7', '--repo', 'acme/flux']);
    expect(gh.calls().filter((c) => c[1] === 'create')).toHaveLength(1);

    // Nothing changed since: the branch is left as it was (no new commits, nothing to force-push).
    const tip = git(dir, 'rev-parse', 'gitops-fix/fixes').trim();
    const same = await runBin(['fix', ...RULES, '--yes', '--push'], { cwd: dir, env });
    expect(same.code, same.stderr).toBe(0);
    expect(same.stdout).toMatch(/Branch gitops-fix\/fixes already holds these fixes on [0-9a-f]{12}, so it was left as it was \(1 commit, none new\)/);
    expect(same.stdout).toContain(tip.slice(0, 12));
    expect(same.stdout).not.toContain('Updated gitops-fix/fixes in place');
    expect(same.stdout).toContain('Pushed gitops-fix/fixes to origin (already there).');
    expect(git(dir, 'rev-parse', 'gitops-fix/fixes').trim()).toBe(tip);
    expect(remoteSha(bare, 'gitops-fix/fixes')).toBe(tip);
  });

  it("never overwrites a remote review branch that has someone else's commit, nor a local branch gitops-fix did not make", async () => {
    const { dir, bare } = withRemote();
    expect((await runCli(['fix', ...RULES, '--yes', '--push'], { cwd: dir })).code).toBe(0);
    // A reviewer pushes a commit of their own to the review branch.
    const clone = join(tempDir('gitops-fix-clone-'), 'clone');
    execFileSync('git', ['clone', '-q', '--branch', 'gitops-fix/fixes', bare, clone]);
    writeFileSync(join(clone, 'NOTES.md'), 'reviewed\n');
    git(clone, 'add', '-A');
    git(clone, 'commit', '-q', '-m', 'review notes');
    git(clone, 'push', '-q', 'origin', 'gitops-fix/fixes');
    const theirs = remoteSha(bare, 'gitops-fix/fixes');
    const r = await runCli(['fix', ...RULES, '--yes', '--push'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--push: gitops-fix\/fixes on origin has a commit gitops-fix did not make \([0-9a-f]{12} "review notes"\); it is not overwritten/);
    expect(remoteSha(bare, 'gitops-fix/fixes')).toBe(theirs);
    // A local branch of the user's own is never rebuilt in place.
    git(dir, 'branch', 'mine');
    const mine = await runCli(['fix', ...RULES, '--yes', '--branch', 'mine'], { cwd: dir });
    expect(mine.code).toBe(2);
    expect(mine.stderr).toContain('branch mine already exists and has a commit gitops-fix did not make');
  });

  it('--open-pr on GitLab opens the merge request with glab, with the description', async () => {
    const { dir, bare } = withRemote('https://gitlab.com/acme/flux.git');
    const bin = tempDir('gitops-fix-glab-');
    const log = join(bin, 'calls.jsonl');
    const script = `#!${process.execPath}
const fs = require('node:fs');
const args = process.argv.slice(2);
fs.appendFileSync(${JSON.stringify(log)}, JSON.stringify(args) + '\\n');
if (args[0] === 'mr' && args[1] === 'list') console.log('[]');
else if (args[0] === 'mr' && args[1] === 'create') console.log('https://gitlab.com/acme/flux/-/merge_requests/3');
`;
    writeFileSync(join(bin, 'glab'), script, { mode: 0o755 });
    const r = await runBin(['fix', ...RULES, '--yes', '--push', '--open-pr'], { cwd: dir, env: { PATH: `${bin}${delimiter}${process.env.PATH ?? ''}` } });
    expect(r.code, r.stderr).toBe(0);
    expect(remoteSha(bare, 'gitops-fix/fixes')).toBe(git(dir, 'rev-parse', 'gitops-fix/fixes').trim());
    expect(r.stdout).toContain('Opened the merge request with glab: https://gitlab.com/acme/flux/-/merge_requests/3');
    const calls = readFileSync(log, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as string[]);
    const list = calls.find((c) => c[1] === 'list')!;
    expect(list).toEqual(['mr', 'list', '--repo', 'https://gitlab.com/acme/flux.git', '--source-branch', 'gitops-fix/fixes', '--output', 'json']);
    const create = calls.find((c) => c[1] === 'create')!;
    expect(create.slice(0, 8)).toEqual([
      'mr',
      'create',
      '--repo',
      'https://gitlab.com/acme/flux.git',
      '--source-branch',
      'gitops-fix/fixes',
      '--target-branch',
      'main',
    ]);
    expect(create[create.indexOf('--description') + 1]).toContain('`gitops-fix/fixes`');
    expect(create.at(-1)).toBe('--yes');
  });

  it('--open-pr on GitLab without glab installed: a clear message before any work', async () => {
    const { dir, bare } = withRemote('https://gitlab.com/acme/flux.git');
    const bin = tempDir('gitops-fix-bin-');
    symlinkSync(`${execFileSync('git', ['--exec-path'], { encoding: 'utf8' }).trim()}/git`, join(bin, 'git'));
    const r = await runBin(['fix', ...RULES, '--yes', '--push', '--open-pr'], { cwd: dir, env: { PATH: bin } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      '--open-pr: the remote origin (https://gitlab.com/acme/flux.git) is on GitLab, and opening the merge request needs the GitLab CLI (glab',
    );
    expect(git(dir, 'branch', '--list', 'gitops-fix/*').trim()).toBe('');
    expect(remoteSha(bare, 'gitops-fix/fixes')).toBeUndefined();
    const usage = await runCli(['fix', ...RULES, '--yes', '--open-pr'], { cwd: dir });
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('--open-pr opens the pull request of the pushed branch: pass --push too');
  });
});
