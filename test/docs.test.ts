import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { rules } from '../src/engine/registry.js';
import { RULE_README_HEADINGS } from '../src/engine/rule-docs.js';
import { expectedDocs } from './tools/docs.js';
import { ROOT } from './support/tree.js';
import { level2Headings } from './support/markdown.js';

const STALE = 'generated documentation is stale: run npm run gen:docs';

describe('generated documentation', () => {
  for (const f of expectedDocs()) {
    it(`${f.path} is up to date`, () => {
      expect(f.error, f.error).toBeUndefined();
      const abs = join(ROOT, f.path);
      expect(existsSync(abs), `${f.path} is missing: run npm run gen:docs`).toBe(true);
      expect(readFileSync(abs, 'utf8'), `${f.path}: ${STALE}`).toBe(f.content);
    });
  }

  it('every rule README has the standard headings in order', () => {
    for (const r of rules) {
      const text = readFileSync(join(ROOT, 'transforms', r.meta.id, 'README.md'), 'utf8');
      const headings = level2Headings(text).map((l) => l.slice(3));
      expect(headings, `transforms/${r.meta.id}/README.md`).toEqual([...RULE_README_HEADINGS]);
    }
  });
});
