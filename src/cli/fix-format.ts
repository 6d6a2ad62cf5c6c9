import { unifiedDiff, diffStat, formatDiffStat } from '../engine/diff.js';
import { commitSubject } from '../engine/messages.js';
import { nothingToFix, ruleStatus, type FixOutcome } from '../engine/fix-report.js';
import type { DroppedFix } from '../engine/plan.js';
import type { Paint } from './colors.js';
import { checksText, proofText, releaseLine } from '../engine/render/report.js';

/** Colour a unified diff: headers bold, hunks cyan, additions green, deletions red. */
export function colorDiff(diff: string, paint: Paint): string {
  return diff
    .split('\n')
    .map((l) => {
      if (l.startsWith('diff --git') || l.startsWith('new file mode') || l.startsWith('+++ ') || l.startsWith('--- ')) return paint('bold', l);
      if (l.startsWith('@@')) return paint('cyan', l);
      if (l.startsWith('+')) return paint('green', l);
      if (l.startsWith('-')) return paint('red', l);
      return l;
    })
    .join('\n');
}

function left(d: DroppedFix): string {
  return d.finding ? `${d.finding.file}:${d.finding.line} ${d.finding.message} — ${d.reason}` : d.reason;
}

/** Per-rule outcome, follow-up steps, warnings and what was left unfixed. */
export function planSummary(o: FixOutcome, paint: Paint): string {
  const lines: string[] = [];
  for (const [id, by] of o.required) lines.push(paint('dim', `note: ${id} selected because ${by} requires it`));
  for (const rp of o.plan.rules) {
    const status = ruleStatus(rp);
    if (status === 'clean') continue;
    const m = rp.rule.meta;
    const mark = status === 'applied' ? paint('green', '✔') : status === 'partial' ? paint('yellow', '◐') : paint('yellow', '✖');
    const counts = [
      rp.fixed.length && `${rp.fixed.length} fixed`,
      rp.dropped.length && `${rp.dropped.length} dropped`,
      rp.skipped.length && `${rp.skipped.length} skipped`,
    ]
      .filter(Boolean)
      .join(', ');
    const review = rp.fixed.length && rp.rule.fix && !rp.rule.fix.safe ? ` ${paint('yellow', '[review]')}` : '';
    lines.push(`${mark} ${paint('bold', m.id)} ${paint('dim', `[item ${m.reviewItem}, ${m.severity}]`)}${review} ${counts}`);
    for (const x of rp.fixed) lines.push(`    ${paint('cyan', `${x.finding.file}:${x.finding.line}`)} ${x.summary}`);
    for (const d of rp.dropped) lines.push(`    ${paint('red', 'dropped')} ${left(d)}`);
    for (const d of rp.skipped) lines.push(`    ${paint('yellow', 'skipped')} ${left(d)}`);
  }
  const notes = o.plan.rules.flatMap((rp) => (rp.fixed.length ? rp.notes.map((n) => `${n} (${rp.rule.meta.id})`) : []));
  if (notes.length) lines.push('', paint('bold', 'Follow-up steps'), ...notes.map((n) => `  - ${n}`));
  const warnings = o.plan.rules.flatMap((rp) => (rp.fixed.length ? rp.warnings.map((w) => `${w} (${rp.rule.meta.id})`) : []));
  if (warnings.length) lines.push('', paint('bold', paint('yellow', 'Warnings')), ...warnings.map((w) => `  - ${w}`));
  if (o.reintroduced.length) {
    lines.push('', paint('bold', paint('yellow', 'Undone by a later rule')));
    for (const f of o.reintroduced) lines.push(`  - ${f.ruleId}: ${f.file}:${f.line} ${f.message}`);
  }
  return lines.join('\n');
}

/** The text report of a `fix` run. */
export function fixText(o: FixOutcome, paint: Paint, opts: { renderDiff?: boolean } = {}): string {
  const out: string[] = [];
  if (nothingToFix(o.plan)) {
    const summary = planSummary(o, paint);
    return [summary, 'nothing to fix'].filter(Boolean).join('\n');
  }
  if (o.mode === 'dry-run') {
    for (const rp of o.plan.rules) {
      if (!rp.files.length) continue;
      const review = rp.rule.fix && !rp.rule.fix.safe ? paint('yellow', '  [review: read the diff; --yes applies it only with --include-review]') : '';
      out.push(paint('bold', `# ${commitSubject(rp)}`) + review, colorDiff(unifiedDiff(rp.files), paint));
    }
  }
  if (o.render && (o.mode === 'dry-run' || opts.renderDiff)) out.push(colorDiff(proofText(o.render), paint), '');
  else if (o.render) out.push(paint('bold', 'Rendered'), ...o.render.releases.map((r) => `  ${releaseLine(r)}`), checksText(o.render), '');
  out.push(planSummary(o, paint), '');
  const all = [...o.plan.finalFiles]
    .map(([path, after]) => ({ path, before: o.plan.originalFiles.get(path) ?? null, after }))
    .filter((c) => c.before !== c.after);
  if (o.mode === 'dry-run') {
    out.push(formatDiffStat(diffStat(all)), '', paint('dim', 'dry run: nothing was written'));
  } else if (o.mode === 'write') {
    out.push(`Wrote ${o.written?.length ?? 0} file${o.written?.length === 1 ? '' : 's'}:`, formatDiffStat(diffStat(all)));
  } else if (o.branch) {
    const b = o.branch;
    const was = b.previous ? ` (it was at ${b.previous.slice(0, 12)}; to restore it: git branch --force ${b.branch} ${b.previous.slice(0, 12)})` : '';
    out.push(
      `${b.replaced ? 'Replaced' : 'Created'} branch ${paint('bold', b.branch)}${was} from ${b.base.slice(0, 12)} with ${b.commits.length} commit${b.commits.length === 1 ? '' : 's'}:`,
    );
    for (const c of b.commits) out.push(`  ${paint('yellow', c.sha.slice(0, 12))} ${c.subject}`);
    out.push(
      formatDiffStat(diffStat(all)),
      '',
      'Your working tree was not touched. Push the branch and open a pull request:',
      `  git push -u origin ${b.branch}`,
    );
  }
  if (o.patches?.length) out.push('', `Patches: ${o.patches.join(', ')}`);
  if (o.prBody) out.push(`Pull-request description: ${o.prBody}`);
  return out.join('\n');
}
