/** Which rules a fix run plans, which it offers in the picker, and which it holds back for review. */
import type { Rule } from '../../kit/index.js';
import { GitopsFixError } from '../errors.js';
import { withRequired } from '../plan.js';
import { selectRules } from '../registry.js';
import type { FixRequest } from './types.js';

export const NEEDS_TERMINAL = 'interactive selection needs a terminal; pass --yes to apply the selected phase non-interactively';

export interface FixSelection {
  /** The selected rules and those they require, in canonical order. */
  readonly closed: readonly Rule[];
  /** Rules pulled in by `requires`: id → the rule that required it. */
  readonly requiredBy: ReadonlyMap<string, string>;
  readonly selectedIds: ReadonlySet<string>;
  /** Rules whose fixes wait for --include-review (or the picker), with the rules that require them. */
  readonly held: ReadonlySet<string>;
  /** The rules planned first: the selection (the picker offers them all), less the held ones without the picker. */
  readonly universe: readonly Rule[];
  /** The user picks the fixes (no --yes, no --dry-run). */
  readonly interactive: boolean;
}

function usage(message: string): GitopsFixError {
  return new GitopsFixError('usage', message);
}

/** --yes applies only safe fixes, unless --include-review; a rule that requires a held rule waits with it. */
function heldRules(req: FixRequest, closed: readonly Rule[]): Set<string> {
  const held = new Set(req.yes && !req.includeReview ? closed.filter((r) => r.fix && !r.fix.safe).map((r) => r.meta.id) : []);
  for (let more = true; more;) {
    more = false;
    for (const r of closed) if (!held.has(r.meta.id) && (r.meta.requires ?? []).some((id) => held.has(id))) more = !!held.add(r.meta.id);
  }
  return held;
}

/**
 * The selection of a run: phases, rule ids and quick wins add up; `requires` pulls in more rules (an excluded rule
 * that another requires is a usage error). A --dry-run without --yes previews every selected fix, review fixes marked
 * as such (with --yes it previews what --yes applies).
 */
export function fixSelection(req: FixRequest): FixSelection {
  const selected = selectRules({ phases: req.phases, ruleIds: req.ruleIds, quickWins: !!req.quickWins, excludeIds: req.excludeIds });
  const { rules: closed, requiredBy } = withRequired(selected);
  for (const r of closed) {
    const by = requiredBy.get(r.meta.id);
    if (req.excludeIds.includes(r.meta.id)) throw usage(`--exclude-rule ${r.meta.id}: ${by} requires it; exclude ${by} too, or keep ${r.meta.id}`);
  }
  const interactive = !req.yes && req.mode !== 'dry-run';
  if (interactive && !req.terminal) throw new GitopsFixError('needs-terminal', NEEDS_TERMINAL);
  if (req.includeReview && interactive) throw usage('--include-review applies to --yes and --dry-run (the picker offers review fixes unchecked)');
  const held = heldRules(req, closed);
  // The picker offers the fixes of the selection only (`--phase 3` lists no phase-1 fix), review fixes unchecked.
  const universe = interactive ? closed : closed.filter((r) => !held.has(r.meta.id));
  return { closed, requiredBy, selectedIds: new Set(closed.map((r) => r.meta.id)), held, universe, interactive };
}
