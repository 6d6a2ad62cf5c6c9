import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PHASES, SEVERITIES } from '../src/kit/index.js';
import { rules } from '../src/engine/registry.js';
import { listCases } from './support/fixtures.js';
import { level2Headings } from './support/markdown.js';
import { isDir, readTree, ROOT } from './support/tree.js';

const dirs = (p: string) =>
  isDir(p)
    ? readdirSync(p)
        .filter((n) => isDir(join(p, n)))
        .sort()
    : [];
const ids = rules.map((r) => r.meta.id);
/** Fixture folders that are whole-repository cases, not rules. */
const NON_RULE_FIXTURES = ['example-repo'];

/** Every fixed fixture tree of the rule adds files, and none of them is YAML (so no template can be involved). */
function generatesOnlyDocuments(id: string): boolean {
  const added = listCases(id)
    .filter((c) => !c.valid && c.afterDir)
    .flatMap((c) => {
      const before = readTree(c.beforeDir);
      return [...readTree(c.afterDir!).keys()].filter((p) => !before.has(p));
    });
  return added.length > 0 && added.every((p) => !/\.ya?ml$/.test(p));
}

describe('registry parity', () => {
  it('transforms/<id>/ folders are exactly the registered rules', () => {
    expect(dirs(join(ROOT, 'transforms')), 'add the rule to transforms/index.ts (sorted) or remove its folder').toEqual([...ids].sort());
  });

  it('transforms/index.ts lists rules sorted by id', () => {
    expect(ids, 'keep transforms/index.ts sorted by rule id').toEqual([...ids].sort());
    const text = readFileSync(join(ROOT, 'transforms', 'index.ts'), 'utf8');
    const imports = [...text.matchAll(/from '\.\/([^/]+)\/index\.js'/g)].map((m) => m[1]);
    expect(imports).toEqual([...ids].sort());
  });

  for (const rule of rules) {
    describe(rule.meta.id, () => {
      const { meta } = rule;
      it('has valid metadata', () => {
        expect(meta.id).toMatch(/^[a-z0-9]+(-[a-z0-9]+)+$/);
        expect(SEVERITIES).toContain(meta.severity);
        expect(PHASES).toContain(meta.phase);
        expect(meta.reviewItem).toBeGreaterThanOrEqual(1);
        expect(meta.reviewItem).toBeLessThanOrEqual(24);
        expect(Object.keys(meta.messages).length, 'declare at least one message').toBeGreaterThan(0);
        for (const dep of [...(meta.requires ?? []), ...(meta.after ?? [])]) expect(ids, `${meta.id} names unknown rule ${dep}`).toContain(dep);
      });

      it('explains its review checklist line when it finds nothing (checklist)', () => {
        expect(typeof rule.checklist, `${meta.id}: add checklist({ repo, options }) returning clean(...) or notApplicable(...)`).toBe('function');
      });

      it('has a README with the standard headings whose line 3 is the title', () => {
        const p = join(ROOT, 'transforms', meta.id, 'README.md');
        expect(existsSync(p), `write transforms/${meta.id}/README.md`).toBe(true);
        const lines = readFileSync(p, 'utf8').split('\n');
        expect(lines[0]).toBe(`# ${meta.id}`);
        expect(lines[2], 'README line 3 must equal meta.title').toBe(meta.title);
        const headings = level2Headings(lines.join('\n'));
        expect(headings).toEqual(['## Why', '## Example', '## Fix', '## Options', '## References']);
      });

      it('has valid and invalid fixtures', () => {
        const cases = listCases(meta.id);
        expect(
          cases.some((c) => c.valid),
          `add fixtures/${meta.id}/valid-<what>/before/`,
        ).toBe(true);
        expect(
          cases.some((c) => !c.valid),
          `add fixtures/${meta.id}/invalid-<what>/before/`,
        ).toBe(true);
        if (rule.fix)
          expect(
            cases.some((c) => !c.valid && c.afterDir),
            `add fixtures/${meta.id}/invalid-<what>/after/ (the fixed tree)`,
          ).toBe(true);
      });

      it('has templates exactly when it generates files', () => {
        const has = isDir(join(ROOT, 'templates', meta.id));
        // A rule that generates only documents (Markdown written by createText) has no YAML templates.
        if (rule.fix?.kind === 'generate') expect(has || generatesOnlyDocuments(meta.id), `add templates/${meta.id}/`).toBe(true);
        else expect(has, `templates/${meta.id}/ exists but the rule does not generate files`).toBe(false);
      });

      it('has a mini-repository in every fixture case', () => {
        const empty = listCases(meta.id)
          .flatMap((c) => [c.beforeDir, ...(c.afterDir ? [c.afterDir] : [])])
          .filter((d) => ![...readTree(d).keys()].some((p) => /\.ya?ml$/.test(p)))
          .map((d) => `${relative(ROOT, d)}/ has no YAML file`);
        expect(empty, `write the YAML files of each case (after/ is the whole fixed tree):\n${empty.join('\n')}`).toEqual([]);
      });

      it('has no scaffold placeholder left (TODO(new-rule))', () => {
        const files = [
          `transforms/${meta.id}/index.ts`,
          `transforms/${meta.id}/README.md`,
          ...[...(isDir(join(ROOT, 'templates', meta.id)) ? readTree(join(ROOT, 'templates', meta.id)).keys() : [])].map((p) => `templates/${meta.id}/${p}`),
        ];
        const left = files.flatMap((f) =>
          existsSync(join(ROOT, f))
            ? readFileSync(join(ROOT, f), 'utf8')
                .split('\n')
                .flatMap((l, i) => (l.includes('TODO(new-rule)') ? [`${f}:${i + 1}: ${l.trim()}`] : []))
            : [],
        );
        expect(left, `fill in what npm run new-rule left to write:\n${left.join('\n')}`).toEqual([]);
      });
    });
  }

  it("the README's --quick-wins line names the review items of the rules marked quickWin", () => {
    const line = readFileSync(join(ROOT, 'README.md'), 'utf8')
      .split('\n')
      .find((l) => l.startsWith('| `--quick-wins` |'));
    const items = [...new Set(rules.filter((r) => r.meta.quickWin).map((r) => r.meta.reviewItem))].sort((a, b) => a - b);
    expect(items.length).toBeGreaterThan(0);
    expect(
      line
        ?.match(/review items ([\d, and]+)\)/)?.[1]
        ?.split(/, | and /)
        .map(Number),
    ).toEqual(items);
  });

  it('has no orphan fixture or template folders', () => {
    expect(dirs(join(ROOT, 'fixtures')).filter((d) => !ids.includes(d) && !NON_RULE_FIXTURES.includes(d))).toEqual([]);
    expect(dirs(join(ROOT, 'templates')).filter((d) => !ids.includes(d))).toEqual([]);
  });
});
