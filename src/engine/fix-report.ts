import type { PullRequestResult, PushResult } from './git/publish.js';
import type { BranchResult } from './git/review-branch.js';
import { objectName } from './messages.js';
import type { DroppedFix, Plan, RulePlan } from './plan.js';
import type { Finding } from './scan.js';
import type { WrittenFile } from './write.js';
import type { RenderProof } from './render/proof.js';
import { proofJson } from './render/report.js';

export type FixMode = 'branch' | 'write' | 'dry-run';

export interface Published {
  readonly push?: PushResult;
  readonly pullRequest?: PullRequestResult;
}

/** What a `fix` run did, for `--format json` and for the CLI's summary. */
export interface FixOutcome {
  readonly mode: FixMode;
  readonly plan: Plan;
  readonly branch?: BranchResult;
  readonly written?: readonly WrittenFile[];
  readonly patches?: readonly string[];
  readonly prBody?: string;
  /** The configuration file the answers to the fix's questions were saved to (in the working tree), if any. */
  readonly savedConfig?: string;
  /** The description with every list in full, written next to it. */
  readonly prBodyFull?: string;
  /** Rules added because a selected rule `requires` them: id → the rule that required it. */
  readonly required: ReadonlyMap<string, string>;
  /** Findings fixed by one rule and brought back by a later one. */
  readonly reintroduced: readonly Finding[];
  /** The touched HelmReleases rendered before and after, and the checks on the rendered state. */
  readonly render?: RenderProof;
  /** --push and --open-pr: where the review branch went, and the pull request. */
  readonly published?: Published;
}

export type RuleStatus = 'applied' | 'partial' | 'dropped' | 'skipped' | 'clean';

export function ruleStatus(rp: RulePlan): RuleStatus {
  if (rp.fixed.length) return rp.dropped.length || rp.skipped.length ? 'partial' : 'applied';
  if (rp.dropped.length) return 'dropped';
  if (rp.skipped.length) return 'skipped';
  return 'clean';
}

function findingJson(f: Finding) {
  return { file: f.file, line: f.line, column: f.column, object: objectName(f) ?? null, message: f.message };
}

function leftJson(d: DroppedFix) {
  return { ...(d.finding ? findingJson(d.finding) : {}), reason: d.reason };
}

export function nothingToFix(plan: Plan): boolean {
  return !plan.rules.some((r) => r.fixed.length);
}

export function fixReportJson(o: FixOutcome) {
  const { plan } = o;
  return {
    version: 1,
    root: plan.root,
    mode: o.mode,
    nothingToFix: nothingToFix(plan),
    branch: o.branch
      ? {
          name: o.branch.branch,
          base: o.branch.base,
          replaced: o.branch.replaced,
          previous: o.branch.previous ?? null,
          updated: o.branch.updated ?? null,
        }
      : null,
    push: o.published?.push ? { ...o.published.push, previous: o.published.push.previous ?? null } : null,
    pullRequest: o.published?.pullRequest ? { ...o.published.pullRequest, url: o.published.pullRequest.url ?? null } : null,
    commits: (o.branch?.commits ?? []).map((c) => ({ sha: c.sha, subject: c.subject, rule: c.ruleId })),
    written: (o.written ?? []).map((w) => ({ path: w.path, created: w.created })),
    patches: o.patches ?? [],
    prBody: o.prBody ?? null,
    prBodyFull: o.prBodyFull ?? null,
    rules: plan.rules.map((rp) => ({
      id: rp.rule.meta.id,
      title: rp.rule.meta.title,
      reviewItem: rp.rule.meta.reviewItem,
      severity: rp.rule.meta.severity,
      phase: rp.rule.meta.phase,
      status: ruleStatus(rp),
      requiredBy: rp.requiredBy ?? null,
      files: rp.files.map((f) => ({ path: f.path, created: f.before === null })),
      fixed: rp.fixed.map((x) => ({ ...findingJson(x.finding), summary: x.summary })),
      dropped: rp.dropped.map(leftJson),
      skipped: rp.skipped.map(leftJson),
      notes: rp.notes,
      warnings: rp.warnings,
    })),
    reintroduced: o.reintroduced.map((f) => ({ rule: f.ruleId, ...findingJson(f) })),
    render: o.render ? proofJson(o.render) : null,
    summary: {
      rulesApplied: plan.rules.filter((r) => r.fixed.length).length,
      fixed: plan.rules.reduce((n, r) => n + r.fixed.length, 0),
      dropped: plan.rules.reduce((n, r) => n + r.dropped.length, 0),
      skipped: plan.rules.reduce((n, r) => n + r.skipped.length, 0),
      files: new Set(plan.rules.flatMap((r) => r.files.map((f) => f.path))).size,
    },
  };
}
