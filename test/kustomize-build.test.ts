/**
 * `kubectl kustomize` builds every kustomize directory of the example repository, of its phase-1 result, and of
 * every fixed tree in the fixtures (fixtures/<rule>/invalid-*\/after/): a fix or a generated resource that breaks
 * the build Flux runs fails here. The only test of the fixtures that runs a tool; skipped, with the reason, without
 * kubectl.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { planFixes } from '../src/engine/plan.js';
import { rules, selectRules } from '../src/engine/registry.js';
import { openSession } from '../src/engine/session.js';
import { FIXTURES } from './support/fixtures.js';
import { EXAMPLE_REPO } from './support/git-repo.js';
import { missing, skipTitle } from './support/needs.js';
import { isDir, readTree, removeTree, tempDir, writeTree } from './support/tree.js';

/** The directories of a tree (relative paths) that hold a kustomization file. */
function kustomizeDirs(tree: ReadonlyMap<string, string>): string[] {
  return [...tree.keys()].filter((p) => /(^|\/)kustomization\.ya?ml$/.test(p)).map((p) => p.split('/').slice(0, -1).join('/'));
}

/** `kubectl kustomize` of each directory below root: the first line of each failure. */
function buildFailures(root: string, dirs: readonly string[]): string[] {
  const failures: string[] = [];
  for (const d of dirs) {
    try {
      execFileSync('kubectl', ['kustomize', join(root, d)], { stdio: 'pipe' });
    } catch (e) {
      failures.push(`${d || '.'}: ${String((e as { stderr?: Buffer }).stderr ?? e).split('\n')[0]}`);
    }
  }
  return failures;
}

/** Every fixtures/<rule>/invalid-*\/after/ tree. */
function afterTrees(): { name: string; dir: string }[] {
  const out: { name: string; dir: string }[] = [];
  for (const rule of readdirSync(FIXTURES).sort()) {
    if (!isDir(join(FIXTURES, rule)) || rule === 'example-repo') continue;
    for (const c of readdirSync(join(FIXTURES, rule)).sort()) {
      const after = join(FIXTURES, rule, c, 'after');
      if (c.startsWith('invalid-') && isDir(after)) out.push({ name: `${rule}/${c}`, dir: after });
    }
  }
  return out;
}

const why = missing('kubectl');

describe.skipIf(why)(skipTitle('kubectl kustomize', why), () => {
  it('builds every kustomize directory of the example repository', () => {
    const dirs = kustomizeDirs(readTree(EXAMPLE_REPO));
    expect(dirs.length).toBeGreaterThan(5);
    expect(buildFailures(EXAMPLE_REPO, dirs)).toEqual([]);
  });

  it('builds every kustomize directory of the example repository after every fix of every phase', () => {
    const session = openSession(EXAMPLE_REPO);
    // The options without a safe default, answered as a team would.
    const options = new Map(session.options);
    const set = (id: string, value: object) =>
      options.set(id, rules.find((r) => r.meta.id === id)!.options!.parse({ ...(options.get(id) as object), ...value }));
    set('vault-manual-unseal', { method: 'transit', transitAddress: 'https://vault-transit.example.com:8200' });
    set('vault-no-backup', { method: 'velero' });
    for (const id of ['missing-monitoring', 'flux-metrics-unmonitored']) set(id, { prometheusOperator: true });
    const plan = planFixes(session.repo, { rules: selectRules({}), options });
    expect(plan.rules.flatMap((r) => r.dropped.map((d) => `${r.rule.meta.id}: ${d.reason}`))).toEqual([]);
    const tree = readTree(EXAMPLE_REPO);
    for (const [p, t] of plan.finalFiles) tree.set(p, t);
    const dir = tempDir('gitops-fix-build-');
    try {
      writeTree(dir, tree);
      expect(buildFailures(dir, kustomizeDirs(tree))).toEqual([]);
    } finally {
      removeTree(dir);
    }
  });

  for (const { name, dir } of afterTrees()) {
    const dirs = kustomizeDirs(readTree(dir));
    if (!dirs.length) continue; // a fixture without kustomize files has nothing to build
    it(`builds every kustomize directory of fixtures/${name}/after`, () => {
      expect(buildFailures(dir, dirs)).toEqual([]);
    });
  }
});
