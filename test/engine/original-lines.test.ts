import { describe, expect, it } from 'vitest';
import { originalFindingLines, originalLine } from '../../src/engine/fix/original-lines.js';
import { findingKey, planFixes } from '../../src/engine/plan.js';
import { rules, selectRules } from '../../src/engine/registry.js';
import { scan } from '../../src/engine/scan.js';
import { openSession } from '../../src/engine/session.js';
import { EXAMPLE_REPO } from '../support/git-repo.js';

describe('original line numbers of planned fixes', () => {
  it('maps a line of an edited file back to the line it came from', () => {
    const original = 'a\nb\nc\nd\n';
    const current = 'a\nnew1\nnew2\nb\nd\nmore\n';
    expect(originalLine(original, current, 1)).toBe(1); // a
    expect(originalLine(original, current, 2)).toBe(2); // inserted before b
    expect(originalLine(original, current, 4)).toBe(2); // b
    expect(originalLine(original, current, 5)).toBe(4); // d (c was removed)
    expect(originalLine(original, current, 6)).toBe(4); // appended: the last line
    expect(originalLine(original, original, 3)).toBe(3);
    expect(originalLine(null, current, 3)).toBeUndefined();
  });

  it('names, for every finding of a plan, the line the scan of the files on disk names', () => {
    const s = openSession(EXAMPLE_REPO);
    const plan = planFixes(s.repo, { rules: selectRules({}), options: s.options });
    const onDisk = new Map(scan(s.repo, rules, s.options).map((f) => [findingKey(f), f.line]));
    const lines = originalFindingLines(plan);
    const fixed = plan.rules.flatMap((rp) => rp.fixed.map((x) => x.finding)).filter((f) => onDisk.has(findingKey(f)));
    // Later rules see the tree the earlier ones left: some findings sit at other lines there.
    const moved = fixed.filter((f) => f.line !== onDisk.get(findingKey(f)));
    expect(moved.length).toBeGreaterThan(0);
    for (const f of fixed) expect(`${findingKey(f)} ${lines.get(f)}`).toBe(`${findingKey(f)} ${onDisk.get(findingKey(f))}`);
  });
});
