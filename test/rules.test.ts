import { describe, expect, it } from 'vitest';
import { rules } from '../src/engine/registry.js';
import { openSession } from '../src/engine/session.js';
import { detectRule } from '../src/engine/scan.js';
import { planFixes } from '../src/engine/plan.js';
import { listCases } from './support/fixtures.js';
import { readTree } from './support/tree.js';

function findingLines(dir: string, ruleId: string): string {
  const s = openSession(dir);
  const rule = rules.find((r) => r.meta.id === ruleId)!;
  return (
    detectRule(s.repo, rule, s.options.get(ruleId))
      .map((f) => `${f.file}:${f.line}:${f.column} ${f.ruleId}/${f.messageId} ${f.message}`)
      .join('\n') + '\n'
  );
}

for (const rule of rules) {
  describe(rule.meta.id, () => {
    for (const c of listCases(rule.meta.id)) {
      it(c.name, async () => {
        const session = openSession(c.beforeDir);
        const findings = detectRule(session.repo, rule, session.options.get(rule.meta.id));
        if (c.valid) {
          expect(findings.map((f) => `${f.file}:${f.line} ${f.message}`)).toEqual([]);
          return;
        }
        expect(findings.length).toBeGreaterThan(0);
        await expect(findingLines(c.beforeDir, rule.meta.id)).toMatchFileSnapshot(c.findingsFile);
        const plan = planFixes(session.repo, { rules: [rule], options: session.options });
        const dropped = plan.rules.flatMap((r) => r.dropped.map((d) => `${r.rule.meta.id}: ${d.reason}`));
        expect(dropped).toEqual([]);
        const before = readTree(c.beforeDir);
        if (!c.afterDir) {
          expect([...plan.finalFiles.keys()]).toEqual([]);
          return;
        }
        const result = new Map(before);
        for (const [p, t] of plan.finalFiles) result.set(p, t);
        const after = readTree(c.afterDir);
        expect(Object.fromEntries([...result].sort())).toEqual(Object.fromEntries([...after].sort()));
        // Converges: the fixed tree has no finding of this rule, so a second run changes nothing.
        const again = openSession(c.afterDir);
        expect(detectRule(again.repo, rule, again.options.get(rule.meta.id)).map((f) => f.message)).toEqual([]);
        expect([...planFixes(again.repo, { rules: [rule], options: again.options }).finalFiles.keys()]).toEqual([]);
        // test/kustomize-build.test.ts checks that every kustomize directory of the after/ tree builds.
      });
    }
  });
}
