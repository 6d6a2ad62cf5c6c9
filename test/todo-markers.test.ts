/**
 * Generated files may carry `TODO(gitops-fix)` markers for values a person must decide; edits to files that already
 * exist never add one (what needs a person goes into the fix's notes, and so into the commit message).
 */
import { describe, expect, it } from 'vitest';
import { rules } from '../src/engine/registry.js';
import { openSession } from '../src/engine/session.js';
import { planFixes } from '../src/engine/plan.js';
import { listCases } from './support/fixtures.js';
import { EXAMPLE_REPO } from './support/git-repo.js';

const MARKER = /TODO\(gitops-fix\)/g;

/** Files that existed before the fixes and hold more markers after them. */
function markersAdded(dir: string, ruleIds?: readonly string[]): string[] {
  const session = openSession(dir);
  const selected = ruleIds ? rules.filter((r) => ruleIds.includes(r.meta.id)) : rules;
  const plan = planFixes(session.repo, { rules: selected, options: session.options });
  const out: string[] = [];
  for (const [path, after] of plan.finalFiles) {
    const before = plan.originalFiles.get(path);
    if (before === undefined || before === null) continue;
    const added = (after.match(MARKER) ?? []).length - (before.match(MARKER) ?? []).length;
    if (added > 0) out.push(`${path}: ${added} TODO(gitops-fix) added`);
  }
  return out;
}

describe('edits to existing files add no TODO(gitops-fix) marker', () => {
  it('the example repository, every rule', () => {
    expect(markersAdded(EXAMPLE_REPO)).toEqual([]);
  });

  for (const rule of rules) {
    const cases = listCases(rule.meta.id).filter((c) => !c.valid && c.afterDir);
    if (!cases.length) continue;
    it(`${rule.meta.id}: its fixtures`, () => {
      for (const c of cases) expect(markersAdded(c.beforeDir, [rule.meta.id]), c.name).toEqual([]);
    });
  }
});
