import { describe, expect, it } from 'vitest';
import { braced } from '../../src/cli/format.js';

describe('braced: packed directories written shell-style', () => {
  it('joins directories that differ in one segment, keeps the first-seen order and every directory once', () => {
    const dirs = ['apps/ai/a/app', 'apps/ai/b/app', 'apps/ai/t/config', '.', 'apps/f/t/app', 'apps/f/t/plans', 'apps/d/c/cluster', 'apps/d/d/cluster', 'x/y'];
    expect(braced(dirs)).toEqual(['apps/ai/{a,b}/app', 'apps/ai/t/config', '.', 'apps/f/t/{app,plans}', 'apps/d/{c,d}/cluster', 'x/y']);
  });

  it('leaves directories alone when nothing is shared', () => {
    expect(braced(['a/b/c', 'd/e/f', 'g'])).toEqual(['a/b/c', 'd/e/f', 'g']);
  });

  it('expands back to exactly the input', () => {
    const dirs = ['k/apps/x/app', 'k/apps/y/app', 'k/apps/y/config', 'k/apps/z/config', 'k/other', 'k/more'];
    const expand = (w: string) => {
      const m = /^(.*)\{([^{}]*)\}(.*)$/.exec(w);
      return m ? (m[2] ?? '').split(',').map((p) => `${m[1]}${p}${m[3]}`) : [w];
    };
    expect(braced(dirs).flatMap(expand).sort()).toEqual([...dirs].sort());
  });
});
