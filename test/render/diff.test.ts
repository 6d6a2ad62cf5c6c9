import { describe, expect, it } from 'vitest';
import { diffObjects, diffSummary, formatObjectDiff } from '../../src/engine/render/diff.js';
import { toObject, type K8sObject } from '../../src/engine/render/objects.js';

const cm = (name: string, data: Record<string, string>, ns = 'vault'): K8sObject =>
  toObject({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns }, data }, 'test', 'default')!;

describe('object-level rendered diff', () => {
  const before = [cm('a', { x: '1' }), cm('b', { y: '1' }), cm('gone', {})];
  const after = [cm('a', { x: '2' }), cm('b', { y: '1' }), cm('new', { z: '1' })];

  it('lists added, removed and changed objects, then the unified diff of each changed object', () => {
    const d = diffObjects(before, after);
    expect(diffSummary(d)).toBe('+1 added, -1 removed, ~1 changed');
    expect(d.unchanged).toBe(1);
    expect(formatObjectDiff(d).text).toBe(
      [
        '+ ConfigMap/vault/new',
        '- ConfigMap/vault/gone',
        '~ ConfigMap/vault/a',
        '--- a/ConfigMap/vault/a',
        '+++ b/ConfigMap/vault/a',
        '@@ -4,4 +4,4 @@',
        '   name: a',
        '   namespace: vault',
        ' data:',
        '-  x: "1"',
        '+  x: "2"',
      ].join('\n'),
    );
  });

  it('is cut at a number of lines, with a count of what was left out', () => {
    const many = Array.from({ length: 5 }, (_, i) => i);
    const d = diffObjects(
      many.map((i) => cm(`c${i}`, { v: 'old' })),
      many.map((i) => cm(`c${i}`, { v: 'new' })),
    );
    const f = formatObjectDiff(d, 20);
    // 5 summary lines and one 8-line object diff fit in 20; the other 4 diffs do not
    expect(f.text.split('\n')).toHaveLength(14);
    expect([f.omittedObjects, f.omittedLines]).toEqual([4, 32]);
    expect(f.text.endsWith('… 4 changed objects, 32 lines left out')).toBe(true);
  });

  it('the same object in another API version is the same object', () => {
    const v1 = toObject({ apiVersion: 'external-secrets.io/v1beta1', kind: 'SecretStore', metadata: { name: 's', namespace: 'n' } }, 't', 'd')!;
    const v2 = toObject({ apiVersion: 'external-secrets.io/v1', kind: 'SecretStore', metadata: { name: 's', namespace: 'n' } }, 't', 'd')!;
    const d = diffObjects([v1], [v2]);
    expect([d.added.length, d.removed.length, d.changed.length]).toEqual([0, 0, 1]);
  });
});
