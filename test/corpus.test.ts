import { describe, expect, it } from 'vitest';
import { collateralLines, editSites } from './support/collateral.js';
import { missing, skipTitle } from './support/needs.js';
import { corpusRepos } from './support/tree.js';
import { failures, formatResults, kubectlRuns, runRepo } from './tools/corpus.js';

const why = missing('corpus');
const noKubectl = missing('kubectl');

describe.skipIf(why)(skipTitle('corpus (../shared/corpus)', why), () => {
  for (const dir of corpusRepos()) {
    it(dir.split('/').pop()!, { timeout: 240_000 }, async () => {
      const result = await runRepo(dir, { kustomize: !noKubectl });
      // The table row and every problem are in the failure message.
      expect(failures([result]), formatResults([result])).toEqual([]);
      expect(result.files).toBeGreaterThan(0);
    });
  }

  it.skipIf(noKubectl)(skipTitle('built the kustomize directories of the touched files with kubectl, before and after', noKubectl), () => {
    expect(kubectlRuns.count).toBeGreaterThan(0);
  });
});

describe('collateral lines', () => {
  const site = (path: (string | number)[], op: 'set' | 'delete' | 'append' | 'merge-leaf' = 'set') => ({ file: 'f.yaml', doc: 0, path, op });
  const before = 'a: 1  # keep\nspec:\n  # about x\n  x: 1\n  y: [1, 2]\nz: 3\n';

  it('accepts a changed value, an inserted key and a rewritten flow parent', () => {
    const after = 'a: 1  # keep\nspec:\n  # about x\n  x: 2\n  y:\n    - 1\n    - 2\n    - 3\n  w: new\nz: 3\n';
    expect(collateralLines('f.yaml', before, after, [site(['spec', 'x']), site(['spec', 'y'], 'append'), site(['spec', 'w'])])).toEqual([]);
  });

  it('reports a line changed outside the edit, and a line ending changed', () => {
    const after = 'a: 1\nspec:\n  # about x\n  x: 2\n  y: [1, 2]\nz: 3\r\n';
    expect(collateralLines('f.yaml', before, after, [site(['spec', 'x'])]).map((c) => `${c.side}${c.line} ${c.text}`)).toEqual([
      '-1 a: 1  # keep',
      '-6 z: 3',
      '+1 a: 1',
      '+6 z: 3',
    ]);
  });

  it('accepts a deleted key with its comment, and a final line that gains its line break', () => {
    expect(collateralLines('f.yaml', before, 'a: 1  # keep\nspec:\n  y: [1, 2]\nz: 3\n', [site(['spec', 'x'], 'delete')])).toEqual([]);
    expect(collateralLines('f.yaml', 'a: 1\nb: 2', 'a: 1\nb: 2\nc: 3\n', [site(['c'])])).toEqual([]);
  });

  it('accepts an unterminated last line that gains its line break when the appended last line reads the same', () => {
    // The line diff pairs the old last line with the new last line (same text, both unterminated), so the old one
    // shows up as an added line with a line break.
    const before = 'a:\n  x: 1\nb:\n  enabled: true';
    const after = 'a:\n  x: 1\nb:\n  enabled: true\nc:\n  enabled: true';
    expect(collateralLines('f.yaml', before, after, [site(['c', 'enabled'])])).toEqual([]);
    expect(collateralLines('f.yaml', before, 'a:\n  x: 2\nb:\n  enabled: true\nc:\n  enabled: true', [site(['c', 'enabled'])]).map((c) => c.line)).toEqual([
      2, 2,
    ]);
  });

  it('creates no site for new files', () => {
    expect(editSites([{ op: 'createText', file: 'docs/x.md', text: 'x' }], undefined as never)).toEqual([]);
  });
});
