import { unifiedDiff, diffStat, formatDiffStat } from '../engine/diff.js';
import { commitSubject } from '../engine/messages.js';
import { nothingToFix, ruleStatus, type FixOutcome } from '../engine/fix-report.js';
import type { DroppedFix } from '../engine/plan.js';
import type { Paint } from './colors.js';
import { FIRST_FEW, REPOSITORY } from '../engine/digest.js';
import type { Finding } from '../engine/scan.js';
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

/** `file:line`, or `(repository)`. */
function place(f: Finding): string {
  return f.file === REPOSITORY ? '(repository)' : `${f.file}:${f.line}`;
}

function left(d: DroppedFix): string {
  return d.finding ? `${place(d.finding)} ${d.finding.message} — ${d.reason}` : d.reason;
}

export interface FixTextOptions {
  readonly renderDiff?: boolean;
  /** Every fix, release and file in full (`--verbose`); otherwise the first few per rule and a count. */
  readonly verbose?: boolean;
}

/** The first few lines (all when verbose), then `N more not shown (--verbose lists them)`. */
function firstFew(lines: readonly string[], verbose: boolean | undefined, paint: Paint, indent = '    ', few = FIRST_FEW): string[] {
  if (verbose || lines.length <= few + 1) return [...lines];
  return [...lines.slice(0, few), `${indent}${paint('dim', `${lines.length - few} more not shown (--verbose lists them)`)}`];
}

/** The table a fix summary opens with: each rule that did something, its severity, what it fixed and left. */
function outcomeTable(o: FixOutcome, paint: Paint): string[] {
  const rows = o.plan.rules.filter((rp) => ruleStatus(rp) !== 'clean');
  if (!rows.length) return [];
  const w = Math.max(4, ...rows.map((rp) => rp.rule.meta.id.length));
  return [
    paint('dim', `  ${'rule'.padEnd(w)}  severity  fixed  left  review`),
    ...rows.map((rp) => {
      const m = rp.rule.meta;
      const review = rp.rule.fix && !rp.rule.fix.safe ? paint('yellow', 'yes') : 'no';
      const leftCount = rp.dropped.length + rp.skipped.length;
      return `  ${m.id.padEnd(w)}  ${m.severity.padEnd(8)}  ${String(rp.fixed.length).padStart(5)}  ${String(leftCount).padStart(4)}  ${review}`;
    }),
    '',
  ];
}

/** Per-rule outcome, follow-up steps, warnings and what was left unfixed. */
export function planSummary(o: FixOutcome, paint: Paint, opts: { verbose?: boolean } = {}): string {
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
    lines.push(
      ...firstFew(
        rp.fixed.map((x) => `    ${paint('cyan', place(x.finding))} ${x.summary}`),
        opts.verbose,
        paint,
      ),
    );
    lines.push(
      ...firstFew(
        rp.dropped.map((d) => `    ${paint('red', 'dropped')} ${left(d)}`),
        opts.verbose,
        paint,
      ),
    );
    lines.push(
      ...firstFew(
        rp.skipped.map((d) => `    ${paint('yellow', 'skipped')} ${left(d)}`),
        opts.verbose,
        paint,
      ),
    );
  }
  const notes = o.plan.rules.flatMap((rp) => (rp.fixed.length ? rp.notes.map((n) => `${n} (${rp.rule.meta.id})`) : []));
  if (notes.length) lines.push('', paint('bold', 'Follow-up steps'), ...notes.map((n) => `  - ${n}`));
  const warnings = o.plan.rules.flatMap((rp) => (rp.fixed.length ? rp.warnings.map((w) => `${w} (${rp.rule.meta.id})`) : []));
  if (warnings.length) lines.push('', paint('bold', paint('yellow', 'Warnings')), ...warnings.map((w) => `  - ${w}`));
  if (o.reintroduced.length) {
    lines.push('', paint('bold', paint('yellow', 'Undone by a later rule')));
    for (const f of o.reintroduced) lines.push(`  - ${f.ruleId}: ${place(f)} ${f.message}`);
  }
  return lines.join('\n');
}

/** Rendered releases: one line each when verbose; otherwise releases that share an outcome share a line. */
function renderedLines(o: FixOutcome, verbose: boolean | undefined): string[] {
  const releases = o.render?.releases ?? [];
  const lines = releases.map((r) => releaseLine(r));
  if (verbose) return lines.map((l) => `  ${l}`);
  const byOutcome = new Map<string, string[]>();
  lines.forEach((l, i) => {
    const r = releases[i]!;
    const head = `HelmRelease ${r.label}${r.chart ? ` (chart ${r.chart})` : ''}`;
    const outcome = l.startsWith(`${head}: `) ? l.slice(head.length + 2) : l;
    byOutcome.set(outcome, [...(byOutcome.get(outcome) ?? []), head]);
  });
  return [...byOutcome].map(([outcome, heads]) =>
    heads.length > FIRST_FEW
      ? `  ${heads.length} HelmReleases (${heads
          .slice(0, FIRST_FEW)
          .map((h) => h.replace(/^HelmRelease /, ''))
          .join(', ')} and ${heads.length - FIRST_FEW} more): ${outcome}`
      : heads.map((h) => `  ${h}: ${outcome}`).join('\n'),
  );
}

/** The diffstat, cut to its first lines and the total unless verbose. */
function diffStatText(stat: ReturnType<typeof diffStat>, verbose: boolean | undefined): string {
  const few = 10;
  if (verbose || stat.length <= few + 1) return formatDiffStat(stat);
  const lines = formatDiffStat(stat).split('\n');
  return [...lines.slice(0, few), ` … ${stat.length - few} more files (--verbose lists them)`, lines[lines.length - 1]!].join('\n');
}

/** The text report of a `fix` run. */
export function fixText(o: FixOutcome, paint: Paint, opts: FixTextOptions = {}): string {
  const out: string[] = [];
  if (nothingToFix(o.plan)) {
    const summary = planSummary(o, paint, opts);
    return [summary, 'nothing to fix'].filter(Boolean).join('\n');
  }
  if (o.mode === 'dry-run') {
    for (const rp of o.plan.rules) {
      if (!rp.files.length) continue;
      const review = rp.rule.fix && !rp.rule.fix.safe ? paint('yellow', '  [review: read the diff; --yes applies it only with --include-review]') : '';
      out.push(paint('bold', `# ${commitSubject(rp)}`) + review, colorDiff(unifiedDiff(rp.files), paint));
    }
  }
  out.push(...outcomeTable(o, paint));
  if (o.render && (o.mode === 'dry-run' || opts.renderDiff)) out.push(colorDiff(proofText(o.render), paint), '');
  else if (o.render) out.push(paint('bold', 'Rendered'), ...renderedLines(o, opts.verbose), checksText(o.render), '');
  out.push(planSummary(o, paint, opts), '');
  const all = [...o.plan.finalFiles]
    .map(([path, after]) => ({ path, before: o.plan.originalFiles.get(path) ?? null, after }))
    .filter((c) => c.before !== c.after);
  if (o.mode === 'dry-run') {
    out.push(diffStatText(diffStat(all), opts.verbose), '', paint('dim', 'dry run: nothing was written'));
  } else if (o.mode === 'write') {
    out.push(`Wrote ${o.written?.length ?? 0} file${o.written?.length === 1 ? '' : 's'}:`, diffStatText(diffStat(all), opts.verbose));
  } else if (o.branch) {
    const b = o.branch;
    const was = b.previous ? ` (it was at ${b.previous.slice(0, 12)}; to restore it: git branch --force ${b.branch} ${b.previous.slice(0, 12)})` : '';
    const commits = `${b.commits.length} commit${b.commits.length === 1 ? '' : 's'}`;
    out.push(
      b.updated?.kept
        ? `Branch ${paint('bold', b.branch)} already holds these fixes on ${b.base.slice(0, 12)}, so it was left as it was (${commits}, none new):`
        : `${b.replaced ? 'Replaced' : 'Created'} branch ${paint('bold', b.branch)}${was} from ${b.base.slice(0, 12)} with ${commits}:`,
    );
    for (const c of b.commits) out.push(`  ${paint('yellow', c.sha.slice(0, 12))} ${c.subject}`);
    out.push(
      diffStatText(diffStat(all), opts.verbose),
      '',
      `${o.savedConfig ? `The only change to your working tree: the answers saved to ${o.savedConfig}.` : 'Your working tree was not touched.'}${o.published?.push ? '' : ' Push the branch and open a pull request (or run again with --push --open-pr):'}`,
    );
    if (!o.published?.push) out.push(`  git push -u origin ${b.branch}`);
  }
  if (o.patches?.length) out.push('', `Patches: ${o.patches.join(', ')}`);
  if (o.prBody) out.push(`Pull-request description: ${o.prBody}${o.prBodyFull ? ` (every list in full: ${o.prBodyFull})` : ''}`);
  return out.join('\n');
}
