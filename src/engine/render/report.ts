/** Render proof as text: for `fix --dry-run`, for commit messages (capped), for the pull-request body. */
import { CHECK_TITLES, type Violation } from './universe.js';
import { diffSummary, formatObjectDiff, isEmptyDiff } from './diff.js';
import type { ReleaseProof, RenderProof } from './proof.js';

function releaseHead(r: ReleaseProof): string {
  return `HelmRelease ${r.label}${r.chart ? ` (chart ${r.chart})` : ''}`;
}

/** One line on what is known of a release: its change, or why it is not render-verified. */
export function releaseLine(r: ReleaseProof): string {
  if (r.status === 'not-verified') return `${releaseHead(r)}: not render-verified: ${r.reason}`;
  if (r.status === 'not-rendered') return `${releaseHead(r)}: not render-verified: not rendered: ${r.reason}`;
  const partial = r.status === 'partial' ? ` (partial render: ${r.partial.join('; ')})` : '';
  if (!r.before) return `${releaseHead(r)}: new release, ${r.diff?.added.length ?? 0} objects${partial}`;
  if (!r.after) return `${releaseHead(r)}: removed, ${r.diff?.removed.length ?? 0} objects${partial}`;
  return `${releaseHead(r)}: ${r.diff && !isEmptyDiff(r.diff) ? diffSummary(r.diff) : 'rendered before and after, no change'}${partial}`;
}

function violationLine(v: Violation): string {
  return `[${v.check}] ${v.message}${v.certain ? '' : ' (not certain: something else in that namespace is not rendered)'}`;
}

/** The releases not render-verified (helm or the chart missing): empty when every touched release was rendered. */
export function notRenderVerified(proof: RenderProof): ReleaseProof[] {
  return proof.releases.filter((r) => r.status === 'not-verified' || r.status === 'not-rendered');
}

export interface TextOptions {
  /** Lines of object diff per release (default 400). */
  readonly maxLines?: number;
}

/** The render proof of a dry run: each touched release's rendered change, then the checks. */
export function proofText(proof: RenderProof, opts: TextOptions = {}): string {
  const out: string[] = [];
  out.push(`# Rendered (helm template of each touched release through its chart, before and after these fixes${proof.helm ? `; ${proof.helm}` : ''})`);
  if (!proof.releases.length) out.push('No HelmRelease is touched by these fixes.');
  for (const r of proof.releases) {
    out.push('', `## ${releaseLine(r)}`);
    if (r.diff && !isEmptyDiff(r.diff) && r.status !== 'not-verified' && r.status !== 'not-rendered')
      out.push(formatObjectDiff(r.diff, opts.maxLines ?? 400).text);
  }
  out.push('', checksText(proof));
  return out.join('\n');
}

/** What the checks found: new violations (the fixes that caused them are refused), those that were already there. */
export function checksText(proof: RenderProof): string {
  const out: string[] = [];
  const { introduced, existing } = proof.violations;
  const blamed = [...proof.blame].flatMap(([rule, vs]) => vs.map((v) => `  - ${rule}: ${violationLine(v)}`));
  const uncertain = introduced.filter((v) => !v.certain);
  const refused = proof.refused ?? [];
  if (refused.length) {
    out.push(`Render checks: ${refused.length} fix${refused.length === 1 ? '' : 'es'} refused (planned again without them):`);
    for (const r of refused) out.push(`  - ${r.ruleId}: ${r.finding.file}:${r.finding.line}: ${r.reason}`);
  }
  const unverified = notRenderVerified(proof);
  if (unverified.length && unverified.length === proof.releases.length) {
    out.push(
      `Render checks: not run on the touched release${unverified.length === 1 ? '' : 's'}: none was rendered (${unverified[0]!.reason ?? 'not rendered'}).`,
    );
  } else if (!introduced.length) {
    const scope = unverified.length
      ? ` in the ${proof.releases.length - unverified.length} rendered releases (not render-verified: ${unverified.map((r) => r.label).join(', ')})`
      : '';
    out.push(`Render checks: no new violation${refused.length ? ' in what remains' : ''}${scope} (${Object.values(CHECK_TITLES).join('; ')}).`);
  }
  if (blamed.length) out.push('Render checks: new violations, fixes refused:', ...blamed);
  if (uncertain.length) out.push('Render checks: new, not certain (reported only):', ...uncertain.map((v) => `  - ${violationLine(v)}`));
  if (existing.length)
    out.push(
      `Render checks: ${existing.length} violation${existing.length === 1 ? '' : 's'} already there before these fixes (not caused by them):`,
      ...existing.map((v) => `  - ${violationLine(v)}`),
    );
  if (proof.violations.resolved.length)
    out.push(`Render checks: ${proof.violations.resolved.length} violation${proof.violations.resolved.length === 1 ? '' : 's'} gone after these fixes.`);
  return out.join('\n');
}

/**
 * The render section of one rule's commit message: the releases it touches, how each renders over the whole branch,
 * with the object diff cut to `maxLines` lines (and a count of what was left out).
 */
export function commitRenderSection(proof: RenderProof, ruleId: string, maxLines = 60): string | undefined {
  const mine = proof.releases.filter((r) => r.rules.includes(ruleId));
  if (!mine.length) return undefined;
  const out: string[] = ['Rendered (helm template through the chart, before and after this branch):'];
  let budget = maxLines;
  for (const r of mine) {
    const others = r.rules.filter((x) => x !== ruleId);
    out.push(`- ${releaseLine(r)}${others.length ? ` (also changed by ${others.join(', ')})` : ''}`);
    if (r.diff && !isEmptyDiff(r.diff) && (r.status === 'verified' || r.status === 'partial')) {
      const f = formatObjectDiff(r.diff, Math.max(budget, 8));
      out.push(...f.text.split('\n').map((l) => `    ${l}`));
      budget -= f.text.split('\n').length;
    }
  }
  const vs = proof.blame.get(ruleId) ?? [];
  const rendered = mine.filter((r) => r.status === 'verified' || r.status === 'partial');
  if (vs.length) out.push(`Render checks: ${vs.map(violationLine).join('; ')}`);
  else if (!rendered.length) out.push('Render checks: not run (no release of this rule was rendered).');
  else
    out.push(
      `Render checks: no new violation${rendered.length < mine.length ? ` in the ${rendered.length} rendered release${rendered.length === 1 ? '' : 's'}` : ''}.`,
    );
  return out.join('\n');
}

/** The render section of the pull-request body, each release's diff inside `<details>`. */
export function prRenderSection(proof: RenderProof, maxLines = 1500): string {
  const out: string[] = ['## Rendered changes', ''];
  out.push('Each HelmRelease these fixes touch, rendered with `helm template` through its chart before and after the branch, and checked.', '');
  if (!proof.releases.length) out.push('No HelmRelease is touched.', '');
  for (const r of proof.releases) {
    const line = releaseLine(r);
    if (r.diff && !isEmptyDiff(r.diff) && (r.status === 'verified' || r.status === 'partial')) {
      out.push(`<details><summary>${escapeHtml(line)}</summary>`, '', '```diff', formatObjectDiff(r.diff, maxLines).text, '```', '', '</details>', '');
    } else out.push(`- ${line}`, '');
  }
  out.push(...checksText(proof).split('\n'), '');
  return out.join('\n');
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** JSON of a proof for `fix --format json`. */
export function proofJson(proof: RenderProof) {
  return {
    helm: proof.helm ?? null,
    releases: proof.releases.map((r) => ({
      id: r.id,
      key: r.key,
      file: r.file,
      chart: r.chart ?? null,
      status: r.status,
      reason: r.reason ?? null,
      partial: r.partial,
      rules: r.rules,
      added: r.diff?.added.map((o) => `${o.kind}/${o.namespace ? `${o.namespace}/` : ''}${o.name}`) ?? [],
      removed: r.diff?.removed.map((o) => `${o.kind}/${o.namespace ? `${o.namespace}/` : ''}${o.name}`) ?? [],
      changed:
        r.diff?.changed.map((c) => ({ object: `${c.after.kind}/${c.after.namespace ? `${c.after.namespace}/` : ''}${c.after.name}`, diff: c.diff })) ?? [],
    })),
    violations: {
      introduced: proof.violations.introduced.map(({ check, message, certain }) => ({ check, message, certain })),
      existing: proof.violations.existing.map(({ check, message, certain }) => ({ check, message, certain })),
      resolved: proof.violations.resolved.map(({ check, message }) => ({ check, message })),
    },
    refused: (proof.refused ?? []).map((r) => ({ rule: r.ruleId, file: r.finding.file, line: r.finding.line, reason: r.reason })),
    notices: proof.notices,
    stats: { helmRuns: proof.stats.helmRuns, cacheHits: proof.stats.cacheHits, ms: Math.round(proof.stats.ms) },
  };
}
