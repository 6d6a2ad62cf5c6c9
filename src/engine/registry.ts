import { PHASES, severityRank, type Phase, type Rule } from '../kit/index.js';
import { rules as allRules } from '../../transforms/index.js';
import { GitopsFixError } from './errors.js';
import { didYouMean } from './suggest.js';

export { allRules as rules };

export function ruleById(id: string): Rule | undefined {
  return allRules.find((r) => r.meta.id === id);
}

/** `unknown rule "x" (did you mean "y"?)`, naming where the id came from (`--rule`, a key path...). */
export function unknownRule(id: string, where?: string, extra: readonly string[] = []): GitopsFixError {
  const ids = [...allRules.map((r) => r.meta.id), ...extra];
  return new GitopsFixError('unknown-rule', `unknown rule "${id}"${where ? ` in ${where}` : ''}${didYouMean(id, ids)}; \`gitops-fix rules\` lists them`);
}

/** Canonical order: phase, then declared `after` constraints, then severity, then id. */
export function canonicalOrder(selected: readonly Rule[]): Rule[] {
  const base = [...selected].sort(
    (a, b) => a.meta.phase - b.meta.phase || severityRank(a.meta.severity) - severityRank(b.meta.severity) || a.meta.id.localeCompare(b.meta.id),
  );
  // Stable topological pass for `after` (only between selected rules).
  const ids = new Set(base.map((r) => r.meta.id));
  const out: Rule[] = [];
  const placed = new Set<string>();
  const visiting = new Set<string>();
  const place = (r: Rule) => {
    if (placed.has(r.meta.id)) return;
    if (visiting.has(r.meta.id)) return;
    visiting.add(r.meta.id);
    for (const dep of r.meta.after ?? []) {
      const d = base.find((x) => x.meta.id === dep);
      if (d && ids.has(dep)) place(d);
    }
    visiting.delete(r.meta.id);
    placed.add(r.meta.id);
    out.push(r);
  };
  for (const r of base) place(r);
  return out;
}

export interface Selection {
  readonly phases?: readonly Phase[];
  readonly ruleIds?: readonly string[];
  /** Rules answering these review items; items without a rule select nothing. */
  readonly reviewItems?: readonly number[];
  /** The rules marked `meta.quickWin` (`--quick-wins`). */
  readonly quickWins?: boolean;
  readonly excludeIds?: readonly string[];
}

/** The review items of the quick wins (the rules marked `meta.quickWin`), in item order. */
export const QUICK_WIN_ITEMS: readonly number[] = [...new Set(allRules.filter((r) => r.meta.quickWin).map((r) => r.meta.reviewItem))].sort((a, b) => a - b);

export function parsePhases(values: readonly string[]): Phase[] {
  const out = new Set<Phase>();
  for (const v of values.flatMap((x) => x.split(','))) {
    const t = v.trim();
    if (!t) continue;
    if (t === 'all') PHASES.forEach((p) => out.add(p));
    else if (/^[1-4]$/.test(t)) out.add(Number(t) as Phase);
    else throw new GitopsFixError('usage', `--phase ${t}: expected 1, 2, 3, 4 or all (several: --phase 1,2)`);
  }
  return [...out].sort();
}

export function selectRules(sel: Selection): Rule[] {
  for (const [flag, ids] of [
    ['--rule', sel.ruleIds ?? []],
    ['--exclude-rule', sel.excludeIds ?? []],
  ] as const) {
    for (const id of ids) if (!ruleById(id)) throw unknownRule(id, flag);
  }
  // Phases, rule ids, review items and quick wins add up; no selection at all means every rule.
  const any = !!(sel.phases?.length || sel.ruleIds?.length || sel.reviewItems?.length || sel.quickWins);
  const exclude = sel.excludeIds ?? [];
  const list = allRules.filter(
    (r) =>
      (!any ||
        !!sel.phases?.includes(r.meta.phase) ||
        !!sel.ruleIds?.includes(r.meta.id) ||
        !!sel.reviewItems?.includes(r.meta.reviewItem) ||
        (!!sel.quickWins && !!r.meta.quickWin)) &&
      !exclude.includes(r.meta.id),
  );
  return canonicalOrder(list);
}
