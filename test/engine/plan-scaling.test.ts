/**
 * Planning stays linear in the number of findings when they are all in one large multi-document file: an edit
 * re-reads its own document, not the whole file. Measured as work done (characters of YAML parsed, parses), never
 * as time. Timings for 500 and 1,000 findings are in BENCHMARKS.md.
 */
import { describe, expect, it } from 'vitest';
import { parseWork } from '../../src/kit/index.js';
import { fromRaw } from '../../src/engine/config.js';
import { loadRepo } from '../../src/engine/repo/load.js';
import { planFixes } from '../../src/engine/plan.js';
import { ruleById } from '../../src/engine/registry.js';
import { optionsFor } from '../../src/engine/scan.js';
import { externalSecret } from '../support/bad-input.js';
import { tempDir, writeTree } from '../support/tree.js';

const RULE = ruleById('externalsecret-slow-refresh')!;

/** Plan the fixes of `n` ExternalSecrets, all in one file; the parsing work it took. */
function planOneFile(n: number) {
  const dir = tempDir();
  writeTree(dir, new Map([['secrets.yaml', Array.from({ length: n }, (_, i) => externalSecret(`app-${i}`)).join('---\n')]]));
  const { config, file, settings } = { ...fromRaw({}), file: undefined };
  const repo = loadRepo(dir, { settings });
  const before = { ...parseWork };
  const plan = planFixes(repo, { rules: [RULE], options: optionsFor([RULE], config, file) });
  const work = { chars: parseWork.chars - before.chars, parses: parseWork.parses - before.parses };
  const size = repo.files[0]!.text.length;
  return { plan, work, size };
}

describe('planning many fixes in one file', () => {
  it('parses in proportion to the findings, not findings × file size', () => {
    const runs = [50, 100, 200].map((n) => ({ n, ...planOneFile(n) }));
    for (const r of runs) {
      const [rp] = r.plan.rules;
      expect(rp!.fixed).toHaveLength(r.n);
      expect(r.plan.finalFiles.get('secrets.yaml')!.match(/refreshInterval: 5m/g)).toHaveLength(r.n);
    }
    for (let i = 1; i < runs.length; i++) {
      const [a, b] = [runs[i - 1]!, runs[i]!];
      // Twice the findings (and a file twice as large): about twice the work. Quadratic work would be 4 times.
      expect(b.work.chars / a.work.chars).toBeLessThan(2.5);
      expect(b.work.parses / a.work.parses).toBeLessThan(2.5);
    }
    // A handful of whole-file reads per rule (load, plan, verify), not one per fix.
    const last = runs.at(-1)!;
    expect(last.work.chars / last.size).toBeLessThan(12);
  });
});
