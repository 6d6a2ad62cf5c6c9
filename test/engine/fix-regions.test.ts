import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyReplacements, replacements } from '../../src/engine/fix-regions.js';

/** Lines of a text that ends with a line break, or lines including the last one when it does not. */
function lineCount(text: string): number {
  return text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/).length - (/(\r\n|\r|\n)$/.test(text) ? 1 : 0);
}

function lineLength(text: string, line: number): number {
  return text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/)[line - 1]!.length;
}

describe('replacements', () => {
  it('narrows a changed scalar to whole words', () => {
    expect(replacements('spec:\n  interval: 24h\n  url: x\n', 'spec:\n  interval: 1h\n  url: x\n')).toEqual([
      { deletedRegion: { startLine: 2, startColumn: 13, endLine: 2, endColumn: 16 }, insertedContent: '1h' },
    ]);
    expect(replacements('  wait: false\n', '  wait: true\n')).toEqual([
      { deletedRegion: { startLine: 1, startColumn: 9, endLine: 1, endColumn: 14 }, insertedContent: 'true' },
    ]);
  });

  it('anchors an insertion at the end of the file to the end of the last line', () => {
    expect(replacements('a: 1\nb: 2\n', 'a: 1\nb: 2\nc: 3\n')).toEqual([
      { deletedRegion: { startLine: 2, startColumn: 5, endLine: 2, endColumn: 5 }, insertedContent: '\nc: 3' },
    ]);
    expect(replacements('a: 1\r\nb: 2\r\n', 'a: 1\r\nb: 2\r\nc: 3\r\n')).toEqual([
      { deletedRegion: { startLine: 2, startColumn: 5, endLine: 2, endColumn: 5 }, insertedContent: '\r\nc: 3' },
    ]);
    expect(replacements('a: 1\nb: 2\n', 'a: 1\n')).toEqual([
      { deletedRegion: { startLine: 1, startColumn: 5, endLine: 2, endColumn: 5 }, insertedContent: '' },
    ]);
  });

  it('gives separate regions for separate hunks, and does not count a byte-order mark as a column', () => {
    const before = '\uFEFFa: 1\nb: 2\nc: 3\nd: 4\ne: 5\n';
    const after = '\uFEFFa: 9\nb: 2\nc: 3\nd: 4\ne: 7\n';
    expect(replacements(before, after)).toEqual([
      { deletedRegion: { startLine: 1, startColumn: 4, endLine: 1, endColumn: 5 }, insertedContent: '9' },
      { deletedRegion: { startLine: 5, startColumn: 4, endLine: 5, endColumn: 5 }, insertedContent: '7' },
    ]);
    expect(applyReplacements(before, replacements(before, after))).toBe(after);
  });

  it('round-trips any edit, with every region on lines that exist', () => {
    const line = fc.stringMatching(/^[a-z0-9: #-]{0,12}$/);
    const body = fc.array(
      line.filter((l) => l.length > 0),
      { minLength: 1, maxLength: 8 },
    );
    // Fixes keep a file's byte-order mark, line breaks and final line break as they are.
    const pair = fc.tuple(fc.boolean(), fc.constantFrom('\n', '\r\n'), fc.boolean(), body, body).map(([bom, eol, last, ...texts]) => {
      const [a, b] = texts.map((lines) => (bom ? '\uFEFF' : '') + lines.join(eol) + (last ? eol : ''));
      return [a!, b!] as const;
    });
    fc.assert(
      fc.property(pair, ([before, after]) => {
        const reps = replacements(before, after);
        expect(applyReplacements(before, reps)).toBe(after);
        const n = Math.max(1, lineCount(before));
        for (const r of reps) {
          const d = r.deletedRegion;
          expect(d.startLine).toBeLessThanOrEqual(n);
          expect(d.endLine).toBeLessThanOrEqual(n);
          expect(d.endColumn).toBeLessThanOrEqual(lineLength(before, d.endLine) + 1);
          expect(d.startColumn).toBeLessThanOrEqual(lineLength(before, d.startLine) + 1);
          expect(d.endLine > d.startLine || (d.endLine === d.startLine && d.endColumn >= d.startColumn)).toBe(true);
        }
      }),
      { numRuns: 1000 },
    );
  });
});
