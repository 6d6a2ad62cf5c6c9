import type { FixableReport, FixOutput, Repo, RepoFile, ReportOn, Rule } from '../kit/index.js';
import { runAsync, runSync, type Steps } from './cancel.js';
import { applyChanges, DocumentIndex, Overlay, touchedPaths } from './changes.js';
import { GitopsFixError } from './errors.js';
import { duplicateObjects } from './input-findings.js';
import { canonicalOrder, ruleById } from './registry.js';
import { loadRepoSteps } from './repo/load.js';
import { detectRuleSteps, type Finding } from './scan.js';
import { EditRefusedError } from './yaml-edit/index.js';

/** One file's change within one rule's commit. `before` is null for a new file. */
export interface FileChange {
  readonly path: string;
  readonly before: string | null;
  readonly after: string;
}

export interface FixRecord {
  readonly finding: Finding;
  readonly summary: string;
  /** What this one fix changed, on top of the fixes before it (the picker shows it as a diff). */
  readonly files: readonly FileChange[];
}

export interface DroppedFix {
  readonly finding?: Finding;
  readonly reason: string;
}

export interface RulePlan {
  readonly rule: Rule;
  readonly findings: readonly Finding[];
  /** Findings whose fix was applied. */
  readonly fixed: readonly FixRecord[];
  /** Fixes refused (verification failed, finding persisted): never written. */
  readonly dropped: readonly DroppedFix[];
  /** Fixes that did not run (missing options, no automatic fix) with the reason. */
  readonly skipped: readonly DroppedFix[];
  readonly files: readonly FileChange[];
  readonly notes: readonly string[];
  readonly warnings: readonly string[];
  /** Rules pulled in by `requires`, with the rule that required them. */
  readonly requiredBy?: string;
}

export interface Plan {
  readonly root: string;
  readonly rules: readonly RulePlan[];
  /** Final content of every touched file (null: the file does not exist). */
  readonly finalFiles: ReadonlyMap<string, string>;
  /** Original content of every touched file (null for files created by the plan). */
  readonly originalFiles: ReadonlyMap<string, string | null>;
}

export interface PlanOptions {
  readonly rules: readonly Rule[];
  readonly options: ReadonlyMap<string, unknown>;
  /** Findings to leave alone (suppressed, or deselected in the picker): `ruleId file#doc messageId`. */
  readonly exclude?: (f: Finding) => boolean;
  /**
   * Verify each rule on the whole repository loaded again from disk with the planned texts laid over it, instead
   * of re-parsing only the files the rule changed. Slow; the reference the plan-equality test compares against.
   */
  readonly fullReload?: boolean;
}

/** Stable identity of a finding across re-detection (positions shift when earlier edits add lines). */
export function findingKey(f: Finding): string {
  const r = f.report?.resource;
  return `${f.ruleId}|${r ? r.id : f.file}|${f.messageId}|${(f.report?.path ?? []).join('.')}`;
}

/** Add the rules that selected rules `require`. Returns the closed set and who pulled what in. */
export function withRequired(selected: readonly Rule[]): { rules: Rule[]; requiredBy: Map<string, string> } {
  const out = new Map(selected.map((r) => [r.meta.id, r]));
  const requiredBy = new Map<string, string>();
  const queue = [...selected];
  while (queue.length) {
    const r = queue.shift()!;
    for (const id of r.meta.requires ?? []) {
      const dep = ruleById(id);
      if (!dep || out.has(id)) continue;
      out.set(id, dep);
      requiredBy.set(id, r.meta.id);
      queue.push(dep);
    }
  }
  return { rules: canonicalOrder([...out.values()]), requiredBy };
}

/** A finding of a rule that was not fixed, for the rules that go with it. */
interface Unfixed {
  readonly key: string;
  readonly subject: string | undefined;
  readonly reason: string;
}

function describe(e: unknown): string {
  return e instanceof EditRefusedError || e instanceof GitopsFixError ? e.message : `unexpected error: ${(e as Error).message}`;
}

/** What one attempt at a rule's fixes has done so far. */
interface AttemptContext {
  /** Findings whose fix failed verification in an earlier attempt: dropped with the reason. */
  readonly refused: ReadonlyMap<string, string>;
  /** Findings whose fix requires a fix that was not made: dropped with the reason. */
  readonly withoutPartner: ReadonlyMap<string, string>;
  readonly fixed: FixRecord[];
  readonly dropped: DroppedFix[];
  readonly skipped: DroppedFix[];
  readonly notes: Set<string>;
  readonly warnings: Set<string>;
  /** The text of every touched file before this rule (null: it did not exist). */
  readonly beforeTexts: Map<string, string | null>;
}

/**
 * An attempt that failed verification: the fixes that broke a file or left their finding are refused (`refused`
 * gets their reasons, for the next attempt) and every fix of the attempt is listed as dropped.
 */
function refusedAttempt(
  plan: Omit<RulePlan, 'rule' | 'findings'>,
  broken: readonly RepoFile[],
  persisting: readonly FixRecord[],
  refused: Map<string, string>,
): Omit<RulePlan, 'rule' | 'findings'> {
  const brokenPaths = new Set(broken.map((b) => b.path));
  const brokenReason = `the result no longer parses (${broken.map((b) => `${b.path}: ${b.skipDetail}`).join('; ')})`;
  for (const x of plan.fixed) {
    if (x.files.some((f) => brokenPaths.has(f.path))) refused.set(findingKey(x.finding), brokenReason);
  }
  for (const x of persisting) refused.set(findingKey(x.finding), `the finding persists after the fix (${x.finding.file}:${x.finding.line})`);
  return {
    ...plan,
    fixed: [],
    dropped: [
      ...plan.dropped,
      ...plan.fixed.map((x) => ({
        finding: x.finding,
        reason: refused.get(findingKey(x.finding)) ?? 'dropped with a fix of the same rule that failed verification',
      })),
    ],
    notes: [],
    warnings: [],
  };
}

/**
 * Plans fixes rule by rule in canonical order, each on the result of the previous ones. After each rule the
 * repository is re-loaded in memory and re-detected: a fix whose finding persists, or that leaves a file
 * unparseable, is dropped with a reason and the rule is planned again without it. Nothing is written to disk.
 *
 * `planFixes` runs every rule at once; the CLI steps through `Planner.planNext()` to show progress per rule.
 */
export class Planner {
  /** The rules to plan, in order (the selection plus what it `requires`). */
  readonly rules: readonly Rule[];
  private readonly requiredBy: Map<string, string>;
  private overlay: Overlay;
  private readonly documents = new DocumentIndex();
  private current: Repo;
  private plans: RulePlan[] = [];
  /** Per planned rule: its findings that were not fixed (dropped, skipped or left out). */
  private unfixed = new Map<string, Unfixed[]>();
  /** Fixes dropped because a fix they require was not made: finding key → reason and the rule that caused it. */
  private readonly forced = new Map<string, { reason: string; by: string }>();
  /** How many times planning started over (a fix planned earlier had to be dropped with one planned later). */
  restarts = 0;
  /** Objects defined twice in one build: fixed in neither copy (resource id → where the other copy is). */
  private readonly duplicates: ReadonlyMap<string, string>;

  constructor(
    private readonly repo: Repo,
    private readonly opts: PlanOptions,
  ) {
    const closed = withRequired(opts.rules);
    this.rules = closed.rules;
    this.requiredBy = closed.requiredBy;
    this.overlay = new Overlay(repo);
    this.current = repo;
    this.duplicates = new Map(duplicateObjects(repo).map((d) => [d.resource.id, `${d.other.file}:${d.other.position().line}`]));
  }

  /** The rules `rule` requires, among those planned. */
  private required(rule: Rule): Rule[] {
    const ids = rule.meta.requires ?? [];
    return this.rules.filter((r) => r !== rule && ids.includes(r.meta.id));
  }

  /** Why `finding` (of `rule`) must not be fixed: the fix of a rule it requires was not made for the same subject. */
  private partnerProblem(rule: Rule, finding: Finding): { reason: string; by: string } | undefined {
    const subject = finding.report?.subject;
    for (const other of this.required(rule)) {
      for (const u of this.unfixed.get(other.meta.id) ?? []) {
        if (subject === undefined || u.subject !== subject) continue; // only fixes for the same subject go together
        if (this.forced.get(u.key)?.by === rule.meta.id) continue; // dropped because of this very rule (a pair)
        return {
          by: other.meta.id,
          reason: `${rule.meta.id} requires ${other.meta.id}, and that rule's fix here was not made (${u.reason}): not applied without it`,
        };
      }
    }
    return undefined;
  }

  /** Fixes of rules planned before `rule` that require a fix `rule` did not make: drop them (then plan again). */
  private dropPartnersOf(rule: Rule): boolean {
    let more = false;
    for (const rp of this.plans) {
      if (!this.required(rp.rule).includes(rule)) continue;
      for (const x of rp.fixed) {
        const key = findingKey(x.finding);
        if (this.forced.has(key)) continue;
        const problem = this.partnerProblem(rp.rule, x.finding);
        if (problem) {
          this.forced.set(key, problem);
          more = true;
        }
      }
    }
    return more;
  }

  private reset(): void {
    this.overlay = new Overlay(this.repo);
    this.current = this.repo;
    this.plans = [];
    this.unfixed = new Map();
  }

  get done(): boolean {
    return this.plans.length >= this.rules.length;
  }

  /** The repository as it is after the rules planned so far. */
  get repoAfter(): Repo {
    return this.current;
  }

  /** Plan the next rule; returns its plan. */
  planNext(): RulePlan {
    return runSync(this.planNextSteps());
  }

  /** planNext that gives the event loop a turn between fixes and stops with a CancelledError when `signal` is aborted. */
  planNextAsync(signal?: AbortSignal): Promise<RulePlan> {
    return runAsync(this.planNextSteps(), signal);
  }

  private *planNextSteps(): Steps<RulePlan> {
    const index = this.plans.length;
    const rule = this.rules[index];
    if (!rule) throw new Error('planNext() called after the last rule');
    let plan = yield* this.planRule(rule);
    this.plans.push(plan);
    // A fix this rule did not make takes the fixes of earlier rules that require it along: plan those rules again without them.
    while (this.dropPartnersOf(rule)) {
      this.restarts++;
      this.reset();
      for (let i = 0; i <= index; i++) {
        plan = yield* this.planRule(this.rules[i]!);
        this.plans.push(plan);
      }
    }
    return plan;
  }

  result(): Plan {
    while (!this.done) this.planNext();
    return this.plan();
  }

  async resultAsync(signal?: AbortSignal): Promise<Plan> {
    while (!this.done) await this.planNextAsync(signal);
    return this.plan();
  }

  private plan(): Plan {
    return { root: this.repo.root, rules: [...this.plans], finalFiles: new Map(this.overlay.current), originalFiles: new Map(this.overlay.original) };
  }

  private *planRule(rule: Rule): Steps<RulePlan> {
    const options = this.opts.options.get(rule.meta.id);
    const detected = yield* detectRuleSteps(this.current, rule, options);
    const findings = detected.filter((f) => !this.opts.exclude?.(f));
    const unfixed: Unfixed[] = detected
      .filter((f) => this.opts.exclude?.(f))
      .map((f) => ({ key: findingKey(f), subject: f.report?.subject, reason: 'left out (suppressed, or not selected)' }));
    // Fixes that require a fix not made for the same subject are never applied. The rule is still asked: when it
    // makes no fix for the finding, its own reason stands (skipped); a fix it makes is dropped with this reason.
    const withoutPartner = new Map<string, string>();
    for (const f of findings) {
      const key = findingKey(f);
      const problem = this.forced.get(key) ?? this.partnerProblem(rule, f);
      if (!problem) continue;
      if (!this.forced.has(key)) this.forced.set(key, problem);
      withoutPartner.set(key, problem.reason);
    }
    const refused = new Map<string, string>();
    const requiredBy = this.requiredBy.get(rule.meta.id);
    const extra = requiredBy ? { requiredBy } : {};
    // Each attempt drops the fixes that failed verification in the previous one; at most one attempt per finding.
    for (let attempt = 0; ; attempt++) {
      const a = yield* this.attempt(rule, options, findings, refused, withoutPartner);
      if (!a.verified && attempt < findings.length) continue;
      for (const d of [...a.plan.dropped, ...a.plan.skipped]) {
        if (d.finding) unfixed.push({ key: findingKey(d.finding), subject: d.finding.report?.subject, reason: d.reason });
      }
      this.unfixed.set(rule.meta.id, unfixed);
      return { rule, findings, ...a.plan, ...extra };
    }
  }

  /** The fix to ask for `finding`, or why it gets none in this attempt (dropped or skipped, with the reason). */
  private precheck(
    rule: Rule,
    finding: Finding,
    refused: ReadonlyMap<string, string>,
  ): { dropped: string } | { skipped: string } | { fix: NonNullable<Rule['fix']>; report: FixableReport<string, unknown, ReportOn> } {
    const reason = refused.get(findingKey(finding));
    if (reason !== undefined) return { dropped: reason };
    if (!rule.fix) return { skipped: 'this rule reports only' };
    if (!finding.fixable || !finding.report || finding.report.fixable === false) return { skipped: 'no automatic fix: see the message' };
    const twin = finding.report.resource && this.duplicates.get(finding.report.resource.id);
    if (twin) {
      return { skipped: `the object is defined twice in one build (also at ${twin}; see duplicate-object): neither copy is fixed until one is removed` };
    }
    return { fix: rule.fix, report: finding.report };
  }

  /** Ask the rule for the fix of one finding and apply it to the overlay (all or nothing), recording the outcome. */
  private fixOne(rule: Rule, options: unknown, finding: Finding, ctx: AttemptContext): void {
    const pre = this.precheck(rule, finding, ctx.refused);
    if ('dropped' in pre) return void ctx.dropped.push({ finding, reason: pre.dropped });
    if ('skipped' in pre) return void ctx.skipped.push({ finding, reason: pre.skipped });
    let out: FixOutput;
    try {
      out = pre.fix.apply(pre.report, { repo: this.current, options });
    } catch (e) {
      return void ctx.dropped.push({ finding, reason: `the rule's fix crashed: ${describe(e)}` });
    }
    if (out.skipped !== undefined) return void ctx.skipped.push({ finding, reason: out.skipped });
    if (!out.changes.length) return void ctx.skipped.push({ finding, reason: 'the fix produced no change' });
    const partner = ctx.withoutPartner.get(findingKey(finding));
    if (partner !== undefined) return void ctx.dropped.push({ finding, reason: partner });
    // applyChanges changes the overlay only once every change of the finding is made: nothing to undo on failure.
    try {
      for (const p of touchedPaths(out.changes, this.current)) if (!ctx.beforeTexts.has(p)) ctx.beforeTexts.set(p, this.overlay.read(p));
      const files = applyChanges(this.overlay, this.current, rule, out.changes, this.documents);
      ctx.fixed.push({ finding, summary: out.summary ?? finding.message, files });
      out.notes?.forEach((n) => ctx.notes.add(n));
      out.warnings?.forEach((w) => ctx.warnings.add(w));
    } catch (e) {
      ctx.dropped.push({ finding, reason: describe(e) });
    }
  }

  /**
   * The repository with the planned texts: the files whose planned text differs from the current repository's are
   * parsed again, every other file (and its resources) is reused; the indexes and the Flux graph are rebuilt. The
   * reference (`fullReload`) loads the whole repository again from disk instead.
   */
  private *reloadSteps(): Steps<Repo> {
    const { root, settings } = this.repo;
    const overrides = this.overlay.current;
    if (this.opts.fullReload) return yield* loadRepoSteps(root, { settings, overrides });
    const reparse = new Set<string>();
    for (const [p, text] of overrides) if (this.current.file(p)?.text !== text) reparse.add(p);
    return yield* loadRepoSteps(root, { settings, base: this.current, overrides, reparse });
  }

  private *attempt(
    rule: Rule,
    options: unknown,
    findings: readonly Finding[],
    refused: Map<string, string>,
    withoutPartner: ReadonlyMap<string, string>,
  ): Steps<{ verified: boolean; plan: Omit<RulePlan, 'rule' | 'findings'> }> {
    const ctx: AttemptContext = { refused, withoutPartner, fixed: [], dropped: [], skipped: [], notes: new Set(), warnings: new Set(), beforeTexts: new Map() };
    const before = this.overlay.snapshot();
    for (const finding of findings) {
      yield;
      this.fixOne(rule, options, finding, ctx);
    }
    const plan = {
      fixed: ctx.fixed,
      dropped: ctx.dropped,
      skipped: ctx.skipped,
      files: [] as FileChange[],
      notes: [...ctx.notes],
      warnings: [...ctx.warnings],
    };
    if (!ctx.fixed.length) return { verified: true, plan };
    // Verify the rule as a whole on the re-loaded repository.
    const { overlay } = this;
    const next = yield* this.reloadSteps();
    const broken = next.files.filter((f) => overlay.current.has(f.path) && f.status === 'skipped' && f.skipReason !== 'sops-encrypted');
    const again = new Set((yield* detectRuleSteps(next, rule, options)).map(findingKey));
    const persisting = ctx.fixed.filter((x) => again.has(findingKey(x.finding)));
    if (broken.length || persisting.length) {
      overlay.restore(before);
      return { verified: false, plan: refusedAttempt(plan, broken, persisting, refused) };
    }
    this.current = next;
    plan.files = [...ctx.beforeTexts.keys()]
      .map((p) => ({ path: p, before: ctx.beforeTexts.get(p) ?? null, after: overlay.current.get(p) ?? '' }))
      .filter((fc) => overlay.current.has(fc.path) && fc.before !== fc.after)
      .sort((a, b) => a.path.localeCompare(b.path));
    return { verified: true, plan };
  }
}

export function planFixes(repo: Repo, opts: PlanOptions): Plan {
  return new Planner(repo, opts).result();
}

/**
 * Findings that a rule fixed and that are back once every rule has run (a later rule undid the fix). Run on the
 * repository after the plan (`Planner.repoAfter`).
 */
export function reintroduced(plan: Plan, after: Repo, options: ReadonlyMap<string, unknown>): Finding[] {
  return runSync(reintroducedSteps(plan, after, options));
}

export function reintroducedAsync(plan: Plan, after: Repo, options: ReadonlyMap<string, unknown>, signal?: AbortSignal): Promise<Finding[]> {
  return runAsync(reintroducedSteps(plan, after, options), signal);
}

function* reintroducedSteps(plan: Plan, after: Repo, options: ReadonlyMap<string, unknown>): Steps<Finding[]> {
  const out: Finding[] = [];
  for (const rp of plan.rules) {
    if (!rp.fixed.length) continue;
    const again = new Set((yield* detectRuleSteps(after, rp.rule, options.get(rp.rule.meta.id))).map(findingKey));
    out.push(...rp.fixed.filter((x) => again.has(findingKey(x.finding))).map((x) => x.finding));
  }
  return out;
}
