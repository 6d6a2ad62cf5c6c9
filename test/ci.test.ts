import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { BUILD_TIMEOUT, builtDist, CLI, EXAMPLE_REPO, git, gitRepoFrom } from './support/git-repo.js';
import { remoteSha, standInGh, URL, withRemote } from './support/remote.js';
import { sarifErrors } from './support/sarif.js';
import { ROOT, tempDir } from './support/tree.js';

// These tests run dist/ (built beside the tests by the global set-up).
beforeAll(() => builtDist(), BUILD_TIMEOUT);

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string; bin: Record<string, string> };
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');

/** The fenced block that starts with `# <name>` in the README. */
function readmeBlock(name: string): string {
  const m = new RegExp('```yaml\\n(# ' + name.replace(/[.]/g, '\\.') + '\\n[\\s\\S]*?)```').exec(readme);
  if (!m) throw new Error(`README has no yaml block starting with # ${name}`);
  return m[1]!;
}

function bash(script: string, cwd: string, env: Record<string, string> = {}): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', script], { cwd, env: { ...process.env, NO_COLOR: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out }));
  });
}

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
}
interface Workflow {
  on: Record<string, unknown>;
  jobs: Record<string, { steps: Step[]; permissions?: Record<string, string>; env?: Record<string, string>; if?: string }>;
}

describe('the documented GitHub Actions workflow', () => {
  const workflow = parse(readmeBlock('.github/workflows/gitops-fix.yml')) as Workflow;
  /** The step's gitops-fix command lines, run with the CLI built from this checkout instead of the installed tarball. */
  const local = (run: string) => run.replace(/npm install --global \S+\.tgz/g, 'true').replace(/\bgitops-fix (scan|fix) /g, `node ${CLI} $1 `);

  it('installs the tarball `npm pack` makes of this version in every job, and nothing from the registry', () => {
    for (const job of Object.values(workflow.jobs)) {
      const install = job.steps.find((s) => s.run?.startsWith('npm install --global '));
      expect(install?.run).toBe(`npm install --global ./tools/${pkg.name}-${pkg.version}.tgz`);
    }
    expect(readme).not.toMatch(/npx --yes gitops-fix|unpkg\.com|github\.com\/gitops-fix/);
  });

  it('uploads the SARIF that its scan step writes, with the permission code scanning needs', () => {
    const scan = workflow.jobs.scan!;
    expect(scan.permissions).toMatchObject({ 'security-events': 'write' });
    const upload = scan.steps.find((s) => s.uses?.startsWith('github/codeql-action/upload-sarif@'))!;
    const producer = scan.steps.find((s) => s.run?.includes('--format sarif'))!;
    expect(producer.run).toContain(`> ${upload.with!.sarif_file as string}`);
  });

  it('its scan steps run on a repository: valid SARIF, a job summary, annotations and a failing gate', async () => {
    const dir = gitRepoFrom(EXAMPLE_REPO);
    const steps = workflow.jobs.scan!.steps.filter((s) => s.run);
    const results = [];
    for (const s of steps) results.push(await bash(local(s.run!), dir, { GITHUB_STEP_SUMMARY: join(dir, 'summary.md') }));
    expect(results.map((r) => r.code)).toEqual([0, 0, 0, 1]);
    expect(sarifErrors(JSON.parse(readFileSync(join(dir, 'gitops-fix.sarif'), 'utf8')))).toEqual([]);
    expect(readFileSync(join(dir, 'summary.md'), 'utf8')).toMatch(/^## gitops-fix\n/);
    expect(results[3]!.out).toMatch(/^::error file=flux\/clusters\/production\/flux-system\/gotk-sync\.yaml,line=11,col=5,title=gitrepository-dev-branch::/m);
  }, 120_000);

  it('its fix job commits a phase to a review branch, pushes it and opens the pull request with the written body', async () => {
    const job = workflow.jobs.fix!;
    expect(job.if).toContain("inputs.phase != ''");
    expect(job.permissions).toMatchObject({ contents: 'write', 'pull-requests': 'write' });
    expect(job.env).toMatchObject({ GH_TOKEN: '${{ github.token }}' });
    const { dir, bare } = withRemote();
    const gh = standInGh();
    const commit = job.steps.find((s) => s.run?.includes(' fix '))!;
    const r = await bash(local(commit.run!), dir, { PHASE: '2', PATH: gh.path });
    expect(r.code, r.out).toBe(0);
    expect(git(dir, 'log', '--format=%s', 'main..gitops-fix/phase-2')).toMatch(/^fix\(/m);
    expect(remoteSha(bare, 'gitops-fix/phase-2')).toBe(git(dir, 'rev-parse', 'gitops-fix/phase-2').trim());
    expect(gh.calls().some((c) => c[0] === 'pr' && c[1] === 'create')).toBe(true);
    expect(gh.bodies()).toContain(readFileSync(join(dir, 'pr-body.md'), 'utf8').trim());
    // The next run, in a fresh checkout as in CI (the branch exists only on the remote), pushes over the previous
    // branch (all its commits are gitops-fix's) and updates the same pull request.
    const checkout = join(tempDir('gitops-fix-checkout-'), 'flux');
    execFileSync('git', ['-c', `url.${bare}.insteadOf=${URL}`, 'clone', '-q', '-b', 'main', URL, checkout]);
    git(checkout, 'config', `url.${bare}.insteadOf`, URL);
    const again = await bash(local(commit.run!), checkout, { PHASE: '2', PATH: gh.path });
    expect(remoteSha(bare, 'gitops-fix/phase-2')).toBe(git(checkout, 'rev-parse', 'gitops-fix/phase-2').trim());
    expect(again.code, again.out).toBe(0);
    expect(gh.calls().some((c) => c[0] === 'pr' && c[1] === 'edit')).toBe(true);
  }, 180_000);
});

describe('pre-commit', () => {
  it('.pre-commit-hooks.yaml declares the gitops-fix hook: the package bin, scanning the whole repository', () => {
    const hooks = parse(readFileSync(join(ROOT, '.pre-commit-hooks.yaml'), 'utf8')) as Record<string, unknown>[];
    const hook = hooks.find((h) => h.id === 'gitops-fix')!;
    expect(hook).toMatchObject({ entry: 'gitops-fix scan', language: 'node', pass_filenames: false });
    expect(Object.keys(pkg.bin)).toContain((hook.entry as string).split(' ')[0]);
    expect(new RegExp(hook.files as string).test('clusters/prod/apps.yaml')).toBe(true);
    // pre-commit installs node hooks with `npm pack`: the package must build itself then.
    expect((pkg as unknown as { scripts: Record<string, string> }).scripts.prepack).toBe('npm run build');
  });

  it('the README example is a local hook running the installed command, as the hook source declares it', () => {
    const config = parse(readmeBlock('.pre-commit-config.yaml')) as { repos: { repo: string; hooks: Record<string, unknown>[] }[] };
    const hooks = parse(readFileSync(join(ROOT, '.pre-commit-hooks.yaml'), 'utf8')) as Record<string, unknown>[];
    expect(config.repos[0]!.repo).toBe('local');
    expect(config.repos[0]!.hooks[0]).toMatchObject({
      id: 'gitops-fix',
      entry: hooks[0]!.entry,
      language: 'system',
      pass_filenames: false,
      files: hooks[0]!.files,
    });
  });
});
