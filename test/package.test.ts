import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { rules } from '../src/engine/registry.js';
import { BUILD_TIMEOUT, builtDist, EXAMPLE_REPO } from './support/git-repo.js';
import { ROOT, tempDir } from './support/tree.js';

// These tests run dist/ (built beside the tests by the global set-up).
beforeAll(() => builtDist(), BUILD_TIMEOUT);

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string; files: string[] };

function run(cmd: string, args: string[], cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd,
      env: { ...process.env, NO_COLOR: '1', npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/**
 * The published package: a copy of this checkout with the build of the test run's global set-up,
 * packed with `npm pack`, installed from the tarball into an empty project, and run with `npx gitops-fix`.
 */
describe('npx gitops-fix from the packed package', () => {
  let files: string[];
  let consumer: string;
  const npx = (...args: string[]) => run('npx', ['--no-install', 'gitops-fix', ...args], consumer);

  beforeAll(async () => {
    const base = tempDir('gitops-fix-pack-');
    const src = join(base, 'src-copy');
    mkdirSync(src);
    for (const p of [
      'package.json',
      'README.md',
      'tsconfig.json',
      'tsconfig.build.json',
      '.pre-commit-hooks.yaml',
      'bin',
      'src',
      'transforms',
      'templates',
      'schema',
    ]) {
      if (existsSync(join(ROOT, p))) cpSync(join(ROOT, p), join(src, p), { recursive: true });
    }
    symlinkSync(join(ROOT, 'node_modules'), join(src, 'node_modules'), 'dir');
    // The build of this run's global set-up (test/support/global-build.ts), from these sources.
    cpSync(join(ROOT, 'dist'), join(src, 'dist'), { recursive: true });
    expect(existsSync(join(src, 'dist', 'bin', 'gitops-fix.js')), 'the build wrote dist/bin/gitops-fix.js').toBe(true);
    const packed = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', base], src);
    expect(packed.code, packed.stderr).toBe(0);
    const info = JSON.parse(packed.stdout) as { filename: string; files: { path: string }[] }[];
    files = info[0]!.files.map((f) => f.path);
    consumer = join(base, 'consumer');
    mkdirSync(consumer);
    writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }));
    const installed = await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', join(base, info[0]!.filename)], consumer);
    expect(installed.code, installed.stderr).toBe(0);
  }, 600_000);

  it('ships what the CLI needs at run time, and nothing of the tests or fixtures', () => {
    expect(pkg.files).toEqual(expect.arrayContaining(['dist/bin', 'dist/src', 'dist/transforms', 'transforms/*/README.md', 'templates', 'schema']));
    expect(files).toContain('dist/bin/gitops-fix.js');
    expect(files).toContain('schema/gitops-fix.schema.json');
    for (const r of rules) expect(files).toContain(`transforms/${r.meta.id}/README.md`);
    expect(files.some((f) => f.startsWith('templates/'))).toBe(true);
    expect(files.filter((f) => /^(test|fixtures)\//.test(f) || f.endsWith('.ts'))).toEqual([]);
  });

  it('scans the example repository', async () => {
    const r = await npx('scan', EXAMPLE_REPO, '--format', 'json');
    expect(r.code, r.stderr).toBe(1);
    const report = JSON.parse(r.stdout) as { root: string; findings: { ruleId: string }[] };
    expect(report.root).toBe(EXAMPLE_REPO);
    expect(report.findings.map((f) => f.ruleId)).toContain('gitrepository-dev-branch');
  }, 120_000);

  it('prints its version, explains a rule from the shipped README, and writes SARIF with rule descriptions', async () => {
    expect((await npx('--version')).stdout.trim()).toBe(pkg.version);
    const explain = await npx('explain', 'gitrepository-dev-branch');
    expect(explain.code, explain.stderr).toBe(0);
    expect(explain.stdout).toContain('## Why');
    const sarif = await npx('scan', EXAMPLE_REPO, '--format', 'sarif', '--rule', 'gitrepository-dev-branch');
    const log = JSON.parse(sarif.stdout) as {
      runs: { tool: { driver: { rules: { id: string; fullDescription: { text: string } }[] } }; results: { fixes?: unknown[] }[] }[];
    };
    const rule = log.runs[0]!.tool.driver.rules.find((x) => x.id === 'gitrepository-dev-branch')!;
    expect(rule.fullDescription.text).toMatch(/GitRepository/);
    expect(log.runs[0]!.results[0]!.fixes).toHaveLength(1);
  }, 120_000);
});
