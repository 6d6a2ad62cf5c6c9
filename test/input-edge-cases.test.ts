/**
 * Edge cases of input: JSON manifests (a `.json` file a kustomization.yaml lists, a JSON document in a `.yaml`
 * file) are read and stay JSON when fixed; a superproject lists its submodules as skipped; an object defined twice
 * in one build is reported (`duplicate-object`) and fixed in neither copy.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { externalSecret } from './support/bad-input.js';
import { runCli } from './support/cli.js';
import { commitsOf, git } from './support/git-repo.js';
import { tempDir, writeTree } from './support/tree.js';

const SLOW = 240_000;

interface JsonReport {
  findings: { ruleId: string; file: string; line: number; message: string }[];
  skipped: { file: string; reason: string; detail: string }[];
}

async function scanJson(dir: string, args: string[] = []): Promise<JsonReport> {
  const r = await runCli(['scan', '.', '--format', 'json', ...args], { cwd: dir });
  expect([0, 1], r.stderr).toContain(r.code);
  return JSON.parse(r.stdout) as JsonReport;
}

function repo(files: Record<string, string>): string {
  const dir = join(tempDir('gitops-fix-input-'), 'repo');
  writeTree(dir, new Map(Object.entries(files)));
  return dir;
}

const KUSTOMIZATION = (resources: string[]) =>
  `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n${resources.map((r) => `  - ${r}\n`).join('')}`;

/** An ExternalSecret refreshed every hour, as pretty-printed JSON. */
const jsonExternalSecret = (name: string) =>
  JSON.stringify(
    {
      apiVersion: 'external-secrets.io/v1',
      kind: 'ExternalSecret',
      metadata: { name, namespace: 'apps' },
      spec: {
        refreshInterval: '1h',
        secretStoreRef: { kind: 'ClusterSecretStore', name: 'vault' },
        target: { name },
        data: [{ secretKey: 'password', remoteRef: { key: `apps/${name}`, property: 'password' } }],
      },
    },
    null,
    2,
  ) + '\n';

describe('JSON manifests', { timeout: SLOW }, () => {
  it('a .json file a kustomization.yaml lists is scanned, and fixed as JSON', async () => {
    const dir = repo({
      'apps/kustomization.yaml': KUSTOMIZATION(['secret.json', 'plain.yaml']),
      'apps/secret.json': jsonExternalSecret('from-json'),
      'apps/plain.yaml': externalSecret('from-yaml'),
      'apps/dashboard.json': '{"not": "a manifest", "listed": false}\n',
    });
    const report = await scanJson(dir);
    const slow = report.findings.filter((f) => f.ruleId === 'externalsecret-slow-refresh');
    expect(slow.map((f) => `${f.file}:${f.line}`)).toEqual(['apps/plain.yaml:7', 'apps/secret.json:9']);
    expect(report.findings.map((f) => f.file)).not.toContain('apps/dashboard.json');
    const r = await runCli(['fix', '--rule', 'externalsecret-slow-refresh', '--yes', '--write'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const text = readFileSync(join(dir, 'apps/secret.json'), 'utf8');
    expect(JSON.parse(text).spec.refreshInterval).toBe('5m');
    expect(text).toBe(jsonExternalSecret('from-json').replace('"refreshInterval": "1h"', '"refreshInterval": "5m"'));
  });

  it('a JSON document in a .yaml file gets JSON inserted, not YAML', async () => {
    const ks = {
      apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
      kind: 'Kustomization',
      metadata: { name: 'apps', namespace: 'flux-system' },
      spec: { interval: '10m', path: './apps', prune: true, sourceRef: { kind: 'GitRepository', name: 'flux-system' } },
    };
    const deployment =
      'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: apps\nspec:\n  replicas: 2\n  template:\n    spec:\n      containers:\n        - name: web\n          image: nginx:1.27\n';
    const dir = repo({ 'clusters/prod/apps.yaml': JSON.stringify(ks, null, 2) + '\n', 'apps/web.yaml': deployment });
    const r = await runCli(['fix', '--rule', 'kustomization-no-wait', '--yes', '--write'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const text = readFileSync(join(dir, 'clusters/prod/apps.yaml'), 'utf8');
    expect(JSON.parse(text).spec).toMatchObject({ wait: true });
    expect(text).toContain('"wait": true');
  });
});

describe('git submodules', { timeout: SLOW }, () => {
  it('a superproject lists each submodule as skipped, and does not report the files it lists from one as missing', async () => {
    const sub = repo({ 'app/secret.yaml': externalSecret('in-submodule') });
    git(sub, 'init', '-q', '--initial-branch=main');
    git(sub, 'add', '-A');
    git(sub, 'commit', '-q', '-m', 'sub');
    const dir = repo({
      'clusters/prod/kustomization.yaml': KUSTOMIZATION(['../../vendor/shared/app/secret.yaml', 'local.yaml']),
      'clusters/prod/local.yaml': externalSecret('local'),
    });
    git(dir, 'init', '-q', '--initial-branch=main');
    execFileSync('git', ['-c', 'protocol.file.allow=always', 'submodule', 'add', '-q', sub, 'vendor/shared'], { cwd: dir, stdio: 'pipe' });
    git(dir, 'add', '-A');
    git(dir, 'commit', '-q', '-m', 'super');
    const report = await scanJson(dir);
    expect(report.skipped).toContainEqual({ file: 'vendor/shared', reason: 'submodule' });
    expect(report.findings.filter((f) => f.ruleId === 'kustomize-missing-file')).toEqual([]);
    expect(report.findings.filter((f) => f.ruleId === 'externalsecret-slow-refresh').map((f) => f.file)).toEqual(['clusters/prod/local.yaml']);
    const text = await runCli(['scan', '.'], { cwd: dir });
    expect(text.stdout).toMatch(/vendor\/shared: submodule \(a git submodule: its files belong to another repository/);
    // In the review worktree the submodule is not checked out: still no missing-file finding, and the fix goes on.
    const fix = await runCli(['fix', '--rule', 'externalsecret-slow-refresh', '--yes'], { cwd: dir });
    expect(fix.code, fix.stderr).toBe(0);
    expect(commitsOf(dir, 'main..gitops-fix/fixes')).toHaveLength(1);
  });
});

describe('duplicate-object', { timeout: SLOW }, () => {
  const files = {
    'apps/kustomization.yaml': KUSTOMIZATION(['a.yaml', 'b.yaml', 'other.yaml']),
    'apps/a.yaml': externalSecret('db'),
    'apps/b.yaml': externalSecret('db', '  refreshInterval: 2h\n'),
    'apps/other.yaml': externalSecret('other'),
    // The same object in another build (another cluster) is no duplicate.
    'staging/kustomization.yaml': KUSTOMIZATION(['a.yaml']),
    'staging/a.yaml': externalSecret('db'),
  };

  it('reports each copy, pointing at the other', async () => {
    const report = await scanJson(repo(files));
    const dups = report.findings.filter((f) => f.ruleId === 'duplicate-object');
    expect(dups.map((f) => `${f.file}:${f.line}`)).toEqual(['apps/a.yaml:1', 'apps/b.yaml:1']);
    expect(dups[0]!.message).toBe(
      'ExternalSecret apps/db is defined twice in the build of apps: here and at apps/b.yaml:1. kustomize build fails ("may not add resource with an already registered id"), and Flux with it; no fix changes either copy. Remove one of them.',
    );
  });

  it('fixes neither copy, and says why; the other objects are fixed', async () => {
    const r = await runCli(['fix', '--rule', 'externalsecret-slow-refresh', '--dry-run', '--format', 'json'], { cwd: repo(files) });
    expect(r.code, r.stderr).toBe(0);
    const [rp] = JSON.parse(r.stdout).rules;
    expect(rp.fixed.map((x: { file: string }) => x.file)).toEqual(['apps/other.yaml', 'staging/a.yaml']);
    expect(rp.skipped).toEqual([
      expect.objectContaining({
        file: 'apps/a.yaml',
        reason: expect.stringContaining('defined twice in one build (also at apps/b.yaml:1; see duplicate-object)'),
      }),
      expect.objectContaining({ file: 'apps/b.yaml', reason: expect.stringContaining('(also at apps/a.yaml:1;') }),
    ]);
  });

  it('is explained like the other input checks', async () => {
    const r = await runCli(['explain', 'duplicate-object'], { cwd: tempDir() });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Report objects defined twice in one kustomize build');
  });
});
