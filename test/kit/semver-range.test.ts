import { describe, expect, it } from 'vitest';
import { exactVersion, highestMatching, parseConstraint } from '../../src/kit/semver.js';

const VERSIONS = ['0.9.11', '0.10.4', '0.11.0', '0.20.1', '0.20.4', '1.2.1', '1.2.9', '1.3.0-rc.1', '2.9.0', '3.0.0'];

describe('Masterminds constraints (as Flux resolves chart versions)', () => {
  it.each([
    ['0.11.x', '0.11.0'],
    ['v0.27.x', undefined],
    ['0.20.*', '0.20.4'],
    ['~1.2', '1.2.9'],
    ['~1.2.1', '1.2.9'],
    ['^0.20', '0.20.4'],
    ['^1.0.0', '1.2.9'],
    ['>= 1.2, < 3.0', '2.9.0'],
    ['>=1.2 <3.0', '2.9.0'],
    ['>=0.11.0', '3.0.0'],
    ['*', '3.0.0'],
    ['', '3.0.0'],
    ['0.9.11 || 0.10.4', '0.10.4'],
    ['< 0.10.0 || ~1.2', '1.2.9'],
    ['1.2 - 2.9.0', '2.9.0'],
    ['>= 1.2, != 2.9.0, < 3', '1.2.9'],
    ['v2.9.0', '2.9.0'],
    ['=0.20.1', '0.20.1'],
  ])('%s picks %s (the highest match)', (c, want) => {
    expect(highestMatching(c, VERSIONS)).toBe(want);
  });

  it('pre-releases match only when the constraint names one', () => {
    expect(parseConstraint('>= 1.2.0').test('1.3.0-rc.1')).toBe(false);
    expect(parseConstraint('>= 1.3.0-rc.0').test('1.3.0-rc.1')).toBe(true);
  });

  it('rejects what is not a constraint, with the text', () => {
    expect(() => parseConstraint('latest-ish')).toThrow(/"latest-ish" is not a semver constraint/);
    expect(() => parseConstraint('!= 1.2')).toThrow(/!= needs a full version/);
  });

  it('exact versions are recognised, ranges are not', () => {
    expect(exactVersion('v1.2.3')).toBe('1.2.3');
    expect(exactVersion('1.2.3-rc.1')).toBe('1.2.3-rc.1');
    expect(exactVersion('1.2.x')).toBeUndefined();
  });
});
