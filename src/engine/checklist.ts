/**
 * The review checklist: every review item the scanned rules answer, found (with how many findings), clean, or not
 * applicable to this repository, with a one-line reason for every item that is not found. The reasons come from the
 * rules themselves (`Rule.checklist`), asked only when they reported nothing.
 */
import type { Repo, Rule, RuleStatus } from '../kit/index.js';
import { GitopsFixError } from './errors.js';
import type { Finding } from './scan.js';
import type { SuppressedFinding } from './suppress.js';

export type ChecklistStatus = 'found' | 'clean' | 'not-applicable';

export interface ChecklistItem {
  /** The review item (1-24). */
  readonly item: number;
  /** The rules that answer it, by id. */
  readonly rules: readonly string[];
  readonly status: ChecklistStatus;
  /** Reported findings of those rules (suppressed ones are not counted). */
  readonly count: number;
  /** Why the item is clean or not applicable, in one line; absent when found. */
  readonly reason?: string;
}

function oneLine(s: string): string {
  return s.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}

function unique(list: readonly string[]): string[] {
  return [...new Set(list.map(oneLine).filter(Boolean))];
}

/** Ask a rule why it found nothing; a crash names the rule. */
function statusOf(repo: Repo, rule: Rule, options: unknown): RuleStatus {
  if (!rule.checklist) return { status: 'clean', reason: `${rule.meta.id} found nothing` };
  try {
    return rule.checklist({ repo, options });
  } catch (e) {
    const err = new GitopsFixError('rule-crashed', `Rule "${rule.meta.id}" crashed while explaining its checklist line: ${(e as Error).message}`);
    (err as { cause?: unknown }).cause = e;
    throw err;
  }
}

/**
 * The checklist of the review items `rules` answer, in item order. An item is `found` when its rules reported
 * findings; `clean` when all of them are suppressed (the reason quotes the suppressions) or when a rule says it
 * checked and found it in order; otherwise `not-applicable`, with every rule's reason.
 */
export function reviewChecklist(
  repo: Repo,
  rules: readonly Rule[],
  options: ReadonlyMap<string, unknown>,
  findings: readonly Finding[],
  suppressed: readonly SuppressedFinding[],
): ChecklistItem[] {
  const items = [...new Set(rules.map((r) => r.meta.reviewItem))].sort((a, b) => a - b);
  return items.map((item): ChecklistItem => {
    const own = rules.filter((r) => r.meta.reviewItem === item).sort((a, b) => a.meta.id.localeCompare(b.meta.id));
    const ids = own.map((r) => r.meta.id);
    const count = findings.filter((f) => ids.includes(f.ruleId)).length;
    if (count) return { item, rules: ids, status: 'found', count };
    const hidden = suppressed.filter((s) => ids.includes(s.finding.ruleId));
    const quiet = own.filter((r) => !hidden.some((s) => s.finding.ruleId === r.meta.id));
    const statuses = quiet.map((r) => statusOf(repo, r, options.get(r.meta.id)));
    if (hidden.length) {
      const why = unique(hidden.map((s) => s.by.reason ?? 'no reason given'));
      const reason = `${hidden.length} finding${hidden.length === 1 ? '' : 's'} suppressed (${why.join('; ')})`;
      return {
        item,
        rules: ids,
        status: 'clean',
        count: 0,
        reason: oneLine([reason, ...unique(statuses.filter((s) => s.status === 'clean').map((s) => s.reason))].join('; ')),
      };
    }
    const cleanOnes = statuses.filter((s) => s.status === 'clean');
    if (cleanOnes.length) return { item, rules: ids, status: 'clean', count: 0, reason: unique(cleanOnes.map((s) => s.reason)).join('; ') };
    return { item, rules: ids, status: 'not-applicable', count: 0, reason: unique(statuses.map((s) => s.reason)).join('; ') };
  });
}
