import { describe, expect, it } from 'vitest';
import { rules } from '../src/engine/registry.js';
import { openSession, runScan } from '../src/engine/session.js';
import { planFixes } from '../src/engine/plan.js';
import { missing, skipTitle } from './support/needs.js';
import { corpusRepos } from './support/tree.js';

const FOUNDATION_RULES = [
  'externalsecret-slow-refresh',
  'gitrepository-dev-branch',
  'helmrepository-slow-interval',
  'kustomization-no-wait',
  'kustomization-retry-interval',
];

const why = missing('corpus');

describe.skipIf(why)(skipTitle('corpus smoke', why), () => {
  for (const dir of corpusRepos()) {
    it(dir.split('/').pop()!, () => {
      const session = openSession(dir);
      const report = runScan(session);
      // Every file is parsed or skipped with a reason.
      for (const f of session.repo.files) {
        if (f.status === 'skipped') expect(f.skipReason, f.path).toBeTruthy();
        else expect(f.status).toBe('parsed');
      }
      expect(report.summary.files).toBe(session.repo.files.length);
      // Every fix of the foundation rules verifies in memory.
      const plan = planFixes(session.repo, { rules: rules.filter((r) => FOUNDATION_RULES.includes(r.meta.id)), options: session.options });
      const dropped = plan.rules.flatMap((r) => r.dropped.map((d) => `${r.rule.meta.id} ${d.finding?.file}:${d.finding?.line}: ${d.reason}`));
      expect(dropped).toEqual([]);
      for (const r of plan.rules) expect(r.fixed.length, r.rule.meta.id).toBe(r.findings.filter((f) => f.fixable).length - r.skipped.length);
    });
  }
});
