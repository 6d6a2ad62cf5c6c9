/**
 * The planner verifies each rule on a repository rebuilt from the files that rule changed (re-parsed) and the files
 * it left alone (reused as parsed). The reference verifies on the whole repository loaded again from disk with the
 * planned texts laid over it (`fullReload`). Both must produce the same plan, down to every text and reason, for
 * every rule of every phase, on the example repository and on every corpus repository.
 */
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Planner, type Plan } from '../src/engine/plan.js';
import { rules as allRules } from '../src/engine/registry.js';
import type { Finding } from '../src/engine/scan.js';
import { openSession } from '../src/engine/session.js';
import { excludeSuppressed } from '../src/engine/suppress.js';
import { missing, skipTitle } from './support/needs.js';
import { corpusRepos, ROOT } from './support/tree.js';

const finding = (f: Finding) => ({
  rule: f.ruleId,
  at: `${f.file}:${f.line}:${f.column}`,
  messageId: f.messageId,
  message: f.message,
  resource: f.report?.resource?.id,
  path: f.report?.path?.join('.'),
  subject: f.report?.subject,
});

/** Everything a plan says, as plain data. */
function described(plan: Plan, planner: Planner) {
  return {
    restarts: planner.restarts,
    rules: plan.rules.map((rp) => ({
      rule: rp.rule.meta.id,
      requiredBy: rp.requiredBy,
      findings: rp.findings.map(finding),
      fixed: rp.fixed.map((x) => ({ finding: finding(x.finding), summary: x.summary, files: x.files })),
      dropped: rp.dropped.map((d) => ({ finding: d.finding && finding(d.finding), reason: d.reason })),
      skipped: rp.skipped.map((d) => ({ finding: d.finding && finding(d.finding), reason: d.reason })),
      files: rp.files,
      notes: rp.notes,
      warnings: rp.warnings,
    })),
    finalFiles: [...plan.finalFiles].sort(([a], [b]) => a.localeCompare(b)),
    originalFiles: [...plan.originalFiles].sort(([a], [b]) => a.localeCompare(b)),
    after: planner.repoAfter.files.map((f) => `${f.path} ${f.status} ${f.skipReason ?? ''} ${f.resources.length}`),
  };
}

function planBoth(dir: string) {
  const session = openSession(dir);
  const exclude = excludeSuppressed(session);
  const plan = (fullReload: boolean) => {
    const planner = new Planner(session.repo, { rules: allRules, options: session.options, exclude, fullReload });
    return described(planner.result(), planner);
  };
  return { incremental: plan(false), reference: plan(true) };
}

describe('plan equality: incremental re-parsing against a full reload after every rule', () => {
  it('example repository, every rule', () => {
    const { incremental, reference } = planBoth(join(ROOT, 'fixtures', 'example-repo'));
    expect(reference.rules.some((r) => r.fixed.length > 0)).toBe(true);
    expect(incremental).toEqual(reference);
  });

  const why = missing('corpus');
  describe.skipIf(why)(skipTitle('corpus (../shared/corpus)', why), () => {
    for (const dir of corpusRepos()) {
      it(basename(dir), { timeout: 240_000 }, () => {
        const { incremental, reference } = planBoth(dir);
        expect(incremental).toEqual(reference);
      });
    }
  });
});
