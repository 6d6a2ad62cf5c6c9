import { describe, expect, it } from 'vitest';
import { groupsOf } from '../../src/cli/pick-fixes.js';
import { fitWhere, truncate, visibleRows, type PickGroup } from '../../src/cli/picker-view.js';
import { planFixes } from '../../src/engine/plan.js';
import { selectRules } from '../../src/engine/registry.js';
import { openSession } from '../../src/engine/session.js';
import { EXAMPLE_REPO } from '../support/git-repo.js';

const group = (id: string, entries: [string, string][]): PickGroup => ({
  id,
  title: `Title of ${id}`,
  severity: 'high',
  phase: 1,
  review: false,
  entries: entries.map(([where, summary]) => ({ key: `${id}|${where}`, where, summary })),
  leftUnfixed: 0,
});

describe('picker list', () => {
  const groups = [
    group('vault-tls', [
      ['a/vault.yaml:3', 'TLS on'],
      ['b/other.yaml:9', 'TLS on too'],
    ]),
    group('eso-refresh', [['c/es.yaml:12', 'refresh 1h']]),
  ];

  it('shows one line per rule, the fixes of expanded rules, and only what matches every word of the filter', () => {
    const kinds = (f: string, open: string[] = []) =>
      visibleRows(groups, { filter: f, expanded: new Set(open) }).map((r) => (r.kind === 'rule' ? r.group.id : r.entry.where));
    expect(kinds('')).toEqual(['vault-tls', 'eso-refresh']);
    expect(kinds('', ['eso-refresh'])).toEqual(['vault-tls', 'eso-refresh', 'c/es.yaml:12']);
    expect(kinds('tls other')).toEqual(['vault-tls', 'b/other.yaml:9']);
    expect(kinds('REFRESH')).toEqual(['eso-refresh', 'c/es.yaml:12']);
    expect(kinds('nothing-like-it')).toEqual([]);
  });

  it('cuts lines to the width, keeping the line number of a long path', () => {
    expect(truncate('abcdef', 4)).toBe('abc…');
    expect(truncate('abc', 4)).toBe('abc');
    expect(fitWhere('infra/kubernetes/flux/infrastructure/vault/helmrelease.yaml:109', 30)).toBe('…re/vault/helmrelease.yaml:109');
    expect(fitWhere('infra/kubernetes/flux/infrastructure/vault/helmrelease.yaml:109', 30)).toHaveLength(30);
  });
});

describe('picker entries', () => {
  it('name a repository-wide finding "(repository)", not a line of a file', () => {
    const s = openSession(EXAMPLE_REPO);
    const plan = planFixes(s.repo, { rules: selectRules({ ruleIds: ['secret-rotation-undocumented'] }), options: s.options });
    const groups = groupsOf({ plan, selected: new Set(['secret-rotation-undocumented']), askable: new Map() });
    const entries = groups.flatMap((g) => g.entries);
    expect(entries.length).toBeGreaterThan(0);
    expect(entries.map((e) => e.where)).toEqual(entries.map(() => '(repository)'));
  });
});
