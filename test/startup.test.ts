/**
 * Start-up: heavy modules load only when used. Every module the built CLI loads is recorded by a module hook
 * (test/support/trace-imports.mjs); the test checks which were loaded, not how long it took.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { BUILD_TIMEOUT, builtDist, CLI, EXAMPLE_REPO } from './support/git-repo.js';
import { ROOT } from './support/tree.js';

// These tests run dist/ (built beside the tests by the global set-up).
beforeAll(() => builtDist(), BUILD_TIMEOUT);

const HOOK = join(ROOT, 'test', 'support', 'trace-imports.mjs');

/** The modules a CLI run loads, as paths relative to the package root (node: builtins left out). */
function loadedModules(args: readonly string[]): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'gitops-fix-trace-'));
  const log = join(dir, 'modules.txt');
  try {
    const r = spawnSync(process.execPath, ['--import', HOOK, CLI, ...args], {
      cwd: EXAMPLE_REPO,
      encoding: 'utf8',
      env: { ...process.env, GITOPS_FIX_TRACE_IMPORTS: log, NO_COLOR: '1' },
    });
    expect(r.status, r.stderr).toBeLessThanOrEqual(1);
    const urls = readFileSync(log, 'utf8').split('\n').filter(Boolean);
    return [
      ...new Set(
        urls
          .filter((u) => !u.startsWith('node:'))
          .map((u) => (u.startsWith('cjs:') ? u.slice(4) : u.startsWith('file:') ? fileURLToPath(u) : u))
          .map((p) => relative(ROOT, p).split('\\').join('/')),
      ),
    ].sort();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const packages = (mods: readonly string[]) =>
  [
    ...new Set(
      mods
        .filter((m) => m.startsWith('node_modules/'))
        .map((m) =>
          m
            .split('/')
            .slice(1, m.split('/')[1]!.startsWith('@') ? 3 : 2)
            .join('/'),
        ),
    ),
  ].sort();

/** Modules only some commands need. */
const HEAVY = ['@inquirer/prompts', '@inquirer/core', 'listr2', 'ts-morph', '@cdktf/hcl2json', 'ajv', 'kubernetes-models'];

describe('start-up', () => {
  it('--version loads only the entry point and the CLI front: no engine, no kit, no rules, no package', () => {
    const mods = loadedModules(['--version']);
    expect(mods.filter((m) => !/^dist\/(bin|src\/cli)\//.test(m))).toEqual([]);
    expect(mods).toContain('dist/src/cli/main.js');
  });

  it('scan loads no prompt, progress, scaffolding, HCL2 or schema-validation package, and none of the fix pipeline', () => {
    const mods = loadedModules(['scan', '.', '--format', 'json']);
    expect(mods).toContain('dist/src/engine/scan.js');
    expect(packages(mods).filter((p) => HEAVY.includes(p))).toEqual([]);
    expect(
      mods.filter((m) => /^dist\/src\/(engine\/(git\/[a-z-]+|fix\/[a-z-]+|write|outputs|fix-report)|cli\/(commands\/fix|pick-fixes|tasks))\.js$/.test(m)),
    ).toEqual([]);
  });

  it('a non-interactive fix loads no prompt package and no scaffolder', () => {
    const mods = loadedModules(['fix', '.', '--dry-run', '--rule', 'externalsecret-slow-refresh', '--yes', '--format', 'json']);
    expect(mods).toContain('dist/src/cli/commands/fix.js');
    expect(packages(mods).filter((p) => p.startsWith('@inquirer/') || p === 'ts-morph' || p === 'ajv' || p === 'kubernetes-models')).toEqual([]);
  });
});
