/**
 * The fix pipeline: load → scan → plan → (pick and plan again) → render-verify → verify → apply → outputs. The caller
 * translates its flags into a FixRequest, draws the stages (FixUI.run), shows the notes, asks the questions of an
 * interactive run (FixUI.prompts), and turns the result into output and an exit code. Every stage stops at its next
 * checkpoint once the AbortSignal is aborted (a CancelledError); nothing is written by a stage that was cancelled.
 *
 *   const fix = FixRun.prepare(request, ui);   // the selection and every check made before any work
 *   const result = await fix.run(signal);       // fix.cleanup() removes the temporary worktree at once (forced exit)
 */
import { join } from 'node:path';
import type { Rule } from '../../kit/index.js';
import { CONFIG_FILE, saveRuleOption } from '../config.js';
import { checkedOutHereError } from '../git/branch.js';
import { ReviewBranch } from '../git/review-branch.js';
import { nothingToFix, type FixOutcome } from '../fix-report.js';
import { findingKey, planFixes, Planner, reintroducedAsync, type Plan, type PlanOptions } from '../plan.js';
import type { RenderProof } from '../render/proof.js';
import { rules as allRules } from '../registry.js';
import { scanAsync, type Finding } from '../scan.js';
import { openSessionAsync, type Session } from '../session.js';
import { excludeSuppressed } from '../suppress.js';
import { applyStages, writeOutputs, type Applied } from './apply.js';
import { askOptions, missingPrompts } from './ask.js';
import { publishBranch } from './publish.js';
import { prepareFix, type Prepared } from './prepare.js';
import { fixSelection, type FixSelection } from './select.js';
import type { FixPrompts, FixRequest, FixResult, FixUI, MissingPrompt, PickChoice, Stage } from './types.js';

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

export class FixRun {
  private rb: ReviewBranch | undefined;
  private session!: Session;
  private planner!: Planner;
  /** The findings of the scan, with the session they were made on (an answered prompt makes a new session). */
  private scanned: { session: Session; findings: readonly Finding[] } | undefined;
  /** The selection and exclusions of the last planning, to plan again without fixes the render checks refuse. */
  private planned: Omit<PlanOptions, 'options'> = { rules: [] };
  /** The configuration file answers were saved to. */
  private savedConfig: string | undefined;

  private constructor(
    private readonly req: FixRequest,
    private readonly ui: FixUI,
    private readonly sel: FixSelection,
    private readonly prep: Prepared,
  ) {}

  /** The selection and the checks made before any work; throws a GitopsFixError on a problem, having done nothing. */
  static prepare(req: FixRequest, ui: FixUI): FixRun {
    const sel = fixSelection(req);
    return new FixRun(req, ui, sel, prepareFix(req, ui.note));
  }

  /** Remove the temporary worktree of the review branch, if any (synchronous, idempotent). */
  cleanup(): void {
    this.rb?.cleanup();
  }

  async run(signal: AbortSignal): Promise<FixResult> {
    try {
      const first = await this.planFirst(signal);
      if (first === 'cancelled') return { status: 'cancelled' };
      const { plan, render } = await this.renderVerified(first);
      const outcome: { -readonly [K in keyof FixOutcome]: FixOutcome[K] } = {
        mode: this.req.mode,
        plan,
        required: new Map([...this.sel.requiredBy].filter(([id]) => plan.rules.some((rp) => rp.rule.meta.id === id))),
        reintroduced: [],
        ...(render ? { render } : {}),
        ...(this.savedConfig ? { savedConfig: this.savedConfig } : {}),
      };
      await this.ui.run([this.verifyStage(plan, outcome, signal)]);
      if (nothingToFix(plan)) return { status: 'done', outcome };
      const applied = await this.apply(plan, render, signal);
      if (applied.branch) outcome.branch = applied.branch;
      if (applied.written) outcome.written = applied.written;
      const failure = writeOutputs(this.req, this.prep, plan, render, outcome, this.ui.note);
      if (failure) return { status: 'done', outcome, failure };
      const published = await publishBranch(this.prep, plan, render, outcome.branch, this.ui, signal);
      if (published) outcome.published = published.published;
      return { status: 'done', outcome, ...(published?.failure ? { failure: published.failure } : {}) };
    } finally {
      this.cleanup();
    }
  }

  /** Load, scan and plan; then, in an interactive run, let the user pick (and answer) and plan again. */
  private async planFirst(signal: AbortSignal): Promise<Plan | 'cancelled'> {
    let heldNote: string | undefined;
    await this.ui.run([this.loadStage(signal), this.scanStage(signal, (n) => (heldNote = n)), this.planStage({ rules: this.sel.universe }, signal)]);
    if (heldNote) this.ui.note(heldNote);
    const plan = this.planner.result();
    const askable = this.sel.interactive ? missingPrompts(plan) : new Map<string, MissingPrompt[]>();
    const something = !nothingToFix(plan) || askable.size > 0;
    // A second run on the branch it made is fine while there is nothing to fix; the checked-out branch is never replaced.
    const target = this.prep.branch?.target;
    if (something && target?.checkedOutHere) throw checkedOutHereError(target.name);
    if (!this.sel.interactive || !something) return plan;
    const prompts = this.ui.prompts;
    if (!prompts) throw new Error('an interactive fix run needs prompts');
    const chosen = await prompts.pick({ plan, selected: this.sel.selectedIds, askable }, signal);
    if (!chosen) return 'cancelled';
    return this.planChosen(plan, chosen, prompts, signal);
  }

  private loadStage(signal: AbortSignal): Stage {
    const { req } = this;
    const branch = this.prep.branch;
    return {
      title: branch ? 'Load the repository (HEAD, in a temporary worktree)' : 'Load the repository',
      run: async () => {
        if (branch) this.rb = await ReviewBranch.open(branch.info, branch.target, { sign: req.sign, signal });
        this.session = await openSessionAsync(this.rb ? this.rb.dir : req.root, req.configFile, req.root, signal);
      },
    };
  }

  private scanStage(signal: AbortSignal, held: (note: string) => void): Stage {
    const { universe } = this.sel;
    return {
      title: 'Scan',
      run: async (t) => {
        const session = this.session;
        const findings = await scanAsync(session.repo, allRules, session.options, { syntax: false }, signal);
        this.scanned = { session, findings };
        const suppressed = excludeSuppressed(session, undefined, findings);
        const ids = new Set(universe.map((r) => r.meta.id));
        const n = findings.filter((f) => ids.has(f.ruleId) && !suppressed(f)).length;
        t.title = `Scan: ${plural(n, 'finding')} of ${plural(universe.length, 'rule')}`;
        // The held rules were scanned with the others: their findings are what waits for --include-review.
        const review = findings.filter((f) => this.sel.held.has(f.ruleId) && !suppressed(f));
        const byRule = [...new Set(review.map((f) => f.ruleId))].map((id) => `${id} (${review.filter((f) => f.ruleId === id).length})`);
        if (byRule.length) held(`review fixes not applied without --include-review (or the picker): ${byRule.join(', ')}`);
      },
    };
  }

  /** Plan `opts` rule by rule, one step per rule. */
  private planStage(opts: Omit<PlanOptions, 'options'>, signal: AbortSignal): Stage {
    this.planned = opts;
    return {
      title: 'Plan fixes',
      steps: () => {
        const s = this.session;
        const scanned = this.scanned?.session === s ? this.scanned.findings : undefined;
        const planner = new Planner(s.repo, { ...opts, exclude: excludeSuppressed(s, opts.exclude, scanned), options: s.options });
        this.planner = planner;
        return planner.rules.map((rule) => ({
          title: rule.meta.id,
          run: async (t) => {
            const rp = await planner.planNextAsync(signal);
            const parts = [
              rp.fixed.length && `${rp.fixed.length} fixed`,
              rp.dropped.length && `${rp.dropped.length} dropped`,
              rp.skipped.length && `${rp.skipped.length} skipped`,
            ].filter(Boolean);
            t.title = `${rule.meta.id}: ${parts.join(', ') || 'nothing to fix'}`;
          },
        }));
      },
    };
  }

  /**
   * After the picker: ask the questions of the fixes that wait for answers (validated, optionally saved to the
   * configuration file), then plan again with what was chosen. Every offered fix that was not chosen is left out;
   * skipped findings stay (fixed now if answered, else left unfixed).
   */
  private async planChosen(plan: Plan, chosen: PickChoice, prompts: FixPrompts, signal: AbortSignal): Promise<Plan> {
    const askRules = new Set(
      plan.rules.filter((rp) => rp.skipped.some((d) => d.finding && chosen.answer.has(findingKey(d.finding)))).map((rp) => rp.rule.meta.id),
    );
    const configFile = this.req.configFile ?? join(this.req.root, CONFIG_FILE);
    for (const id of askRules) {
      const rule = this.sel.universe.find((r) => r.meta.id === id);
      if (rule) await this.ask(rule, configFile, prompts, signal);
    }
    const offered = new Set(plan.rules.flatMap((rp) => rp.fixed.map((x) => findingKey(x.finding))));
    const keep = new Set([...chosen.fixes, ...chosen.answer]);
    const chosenRules = new Set(
      plan.rules.filter((rp) => askRules.has(rp.rule.meta.id) || rp.fixed.some((x) => keep.has(findingKey(x.finding)))).map((rp) => rp.rule.meta.id),
    );
    const rules = this.sel.universe.filter((r) => this.sel.selectedIds.has(r.meta.id) || chosenRules.has(r.meta.id));
    const exclude = (f: Finding) => offered.has(findingKey(f)) && !keep.has(findingKey(f));
    await this.ui.run([this.planStage({ rules, exclude }, signal)]);
    return this.planner.result();
  }

  private async ask(rule: Rule, configFile: string, prompts: FixPrompts, signal: AbortSignal): Promise<void> {
    const skipReason = (s: Session) =>
      planFixes(s.repo, { rules: [rule], options: s.options, exclude: excludeSuppressed(s) }).rules.find((rp) => rp.rule === rule)?.skipped[0]?.reason;
    const asked = await askOptions(rule, this.session, skipReason, configFile, prompts, signal);
    this.session = asked.session;
    if (asked.save) for (const a of asked.answers) saveRuleOption(configFile, a.ruleId, a.option, a.value);
    if (asked.save && asked.answers.length) this.savedConfig = configFile;
  }

  /**
   * Render every HelmRelease the fixes touch, before and after, and check the rendered state; a fix that introduces
   * a violation is refused and the rest planned again without it.
   */
  private async renderVerified(plan: Plan): Promise<{ plan: Plan; render?: RenderProof }> {
    if (nothingToFix(plan)) return { plan };
    let result: { plan: Plan; render?: RenderProof } = { plan };
    await this.ui.run([
      {
        title: 'Render',
        run: async (t) => {
          const { defaultCacheDir, renderGate, renderSetup } = await import('../render/index.js');
          const { req, session } = this;
          const flags = { charts: req.render.charts, ...(req.render.helm ? { helm: req.render.helm } : {}) };
          const setup = renderSetup(session.loaded, req.root, flags, defaultCacheDir(req.env));
          const last = this.planned;
          const opts = { renderer: setup.renderer, external: setup.external, after: this.planner.repoAfter };
          const gate = await renderGate(session.repo, plan, opts, (extra) => {
            this.planner = new Planner(session.repo, {
              ...last,
              exclude: excludeSuppressed(session, (f) => !!last.exclude?.(f) || extra(f)),
              options: session.options,
            });
            return { plan: this.planner.result(), after: this.planner.repoAfter };
          });
          result = { plan: gate.plan, render: gate.proof };
          const n = gate.proof.releases.length;
          const unverified = gate.proof.releases.filter((r) => r.status === 'not-verified' || r.status === 'not-rendered').length;
          const refused = gate.refusals.length;
          t.title = `Render: ${plural(n, 'release')} touched${unverified ? `, ${unverified} not render-verified` : ''}${refused ? `, ${plural(refused, 'fix', 'fixes')} refused by the render checks` : ''}`;
        },
      },
    ]);
    for (const n of result.render?.notices ?? []) this.ui.note(n);
    return result;
  }

  /** Every rule was verified as it was planned; check the end result once more for fixes a later rule undid. */
  private verifyStage(plan: Plan, outcome: { reintroduced: readonly Finding[] }, signal: AbortSignal): Stage {
    return {
      title: 'Verify',
      run: async (t) => {
        outcome.reintroduced = await reintroducedAsync(plan, this.planner.repoAfter, this.session.options, signal);
        const fixed = plan.rules.reduce((n, rp) => n + rp.fixed.length, 0);
        const undone = outcome.reintroduced.length;
        t.title = `Verify: ${plural(fixed, 'fix', 'fixes')} re-checked on the final result${undone ? `, ${undone} undone by a later rule` : ''}`;
      },
    };
  }

  private async apply(plan: Plan, render: RenderProof | undefined, signal: AbortSignal): Promise<Applied> {
    const applied: Applied = {};
    const stages = applyStages({ req: this.req, prep: this.prep, rb: this.rb, session: this.session, plan, render, signal }, applied);
    if (stages.length) await this.ui.run(stages);
    return applied;
  }
}
