import { PHASE_TITLES } from '../kit/index.js';
import { diffStat, formatDiffStat, unifiedDiff } from './diff.js';
import type { CommitInfo } from './git/review-branch.js';
import type { DroppedFix, Plan, RulePlan } from './plan.js';
import type { Finding } from './scan.js';
import { staleCommentsOf, type StaleComment } from './stale-comments.js';

export const RULE_TRAILER = 'Gitops-Fix-Rule';

function where(f: Finding): string {
  return `${f.file}:${f.line}`;
}

/** `Kind/name` of the object a finding is about, when there is one. */
export function objectName(f: Finding): string | undefined {
  const r = f.report?.resource;
  if (!r?.kind) return undefined;
  return `${r.kind}/${r.name ?? '(unnamed)'}`;
}

/** What the rule changed, per file: `path: summary; summary` (fix summaries of the findings in that file). */
export function changesByFile(rp: RulePlan): { path: string; created: boolean; summaries: string[] }[] {
  return rp.files.map((fc) => {
    const summaries = [...new Set(rp.fixed.filter((x) => x.files.some((f) => f.path === fc.path)).map((x) => x.summary))];
    return { path: fc.path, created: fc.before === null, summaries };
  });
}

/** Comments of the changed files that the rule's change may contradict (kept in the files). */
export function commentsToReview(rp: RulePlan): StaleComment[] {
  return staleCommentsOf(rp.files, rp.rule.meta.staleComments);
}

/** What gitops-fix checked before writing a change, and what it did not. */
export const VERIFIED =
  'Verified before writing: every changed file parses, nothing but the intended values changed, and each fixed finding is gone when the repository is scanned again.';
export const NOT_VERIFIED =
  'Not verified by gitops-fix: that kustomize builds the changed directories, what the Helm charts render from the changed values, and how the cluster behaves once it is applied (restarts, migrations, unsealing, clients).';

export function commitSubject(rp: RulePlan): string {
  return `fix(${rp.rule.meta.id}): ${rp.rule.meta.title}`;
}

/**
 * The commit message of one rule: subject `fix(<rule-id>): <title>`; body with the review item and severity, what
 * changed per file, follow-up steps, warnings and what was left unfixed; trailer `Gitops-Fix-Rule: <rule-id>`.
 */
export function commitMessage(rp: RulePlan, extra: { render?: string } = {}): string {
  const { meta } = rp.rule;
  const out: string[] = [commitSubject(rp), ''];
  out.push(`Review item ${meta.reviewItem}, severity ${meta.severity}, phase ${meta.phase} (${PHASE_TITLES[meta.phase]}).`);
  if (rp.requiredBy) out.push(`Selected because ${rp.requiredBy} requires it.`);
  if (rp.rule.fix && !rp.rule.fix.safe) out.push('This fix needs review before merging: it is not a mechanical change.');
  out.push('', 'Fixed:');
  for (const x of rp.fixed) out.push(`- ${where(x.finding)}: ${x.finding.message}`);
  out.push('', 'Changes:');
  for (const c of changesByFile(rp)) out.push(`- ${c.path}${c.created ? ' (new file)' : ''}: ${c.summaries.join('; ') || 'updated'}`);
  const comments = commentsToReview(rp);
  if (comments.length) {
    out.push('', 'Comments to review (the change may contradict them; the files keep them):');
    for (const c of comments) out.push(`- ${c.file}:${c.line}: ${c.text}`);
  }
  if (rp.notes.length) {
    out.push('', 'Follow-up steps:');
    for (const n of rp.notes) out.push(`- ${n}`);
  }
  if (rp.warnings.length) {
    out.push('', 'Warnings:');
    for (const w of rp.warnings) out.push(`- ${w}`);
  }
  const left = [...rp.dropped, ...rp.skipped];
  if (left.length) {
    out.push('', 'Not fixed:');
    for (const d of left) out.push(`- ${leftLine(d)}`);
  }
  if (extra.render) out.push('', extra.render);
  if (rp.fixed.length)
    out.push(
      '',
      VERIFIED,
      extra.render
        ? NOT_VERIFIED.replace('what the Helm charts render from the changed values', 'what the Helm charts render beyond the section above')
        : NOT_VERIFIED,
    );
  out.push('', `${RULE_TRAILER}: ${meta.id}`, '');
  return out.join('\n');
}

function leftLine(d: DroppedFix): string {
  return d.finding ? `${where(d.finding)}: ${d.finding.message} (${d.reason})` : d.reason;
}

export function patchFileName(index: number, rp: RulePlan): string {
  return `${String(index).padStart(4, '0')}-fix-${rp.rule.meta.id}.patch`;
}

export interface PatchAuthor {
  readonly name: string;
  readonly email: string;
}

/** A `git format-patch`-style file for one rule (applies with `git am`). */
export function formatPatch(rp: RulePlan, index: number, total: number, opts: { sha?: string; author: PatchAuthor; date: Date; version: string }): string {
  const [subject, ...body] = commitMessage(rp).split('\n');
  const prefix = total > 1 ? `[PATCH ${index}/${total}]` : '[PATCH]';
  return [
    `From ${opts.sha ?? '0'.repeat(40)} Mon Sep 17 00:00:00 2001`,
    `From: ${opts.author.name} <${opts.author.email}>`,
    `Date: ${opts.date.toUTCString().replace('GMT', '+0000')}`,
    `Subject: ${prefix} ${subject}`,
    ...body.slice(0, -1),
    '---',
    formatDiffStat(diffStat(rp.files)),
    '',
    unifiedDiff(rp.files) + '-- ',
    `gitops-fix ${opts.version}`,
    '',
  ].join('\n');
}

function cell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

export interface PrBodyOptions {
  readonly branch?: string;
  readonly commits?: readonly CommitInfo[];
  /** The rendered-changes section (Markdown). */
  readonly render?: string;
}

/** A Markdown pull-request description of an applied plan. */
export function prBody(plan: Plan, opts: PrBodyOptions = {}): string {
  const applied = plan.rules.filter((r) => r.fixed.length);
  const fixes = applied.reduce((n, r) => n + r.fixed.length, 0);
  const out: string[] = [];
  const items = [...new Set(applied.map((r) => r.rule.meta.reviewItem))].sort((a, b) => a - b);
  out.push(`# gitops-fix: ${fixes} fix${fixes === 1 ? '' : 'es'} for review item${items.length === 1 ? '' : 's'} ${items.join(', ')}`, '');
  out.push(
    `This change answers findings of the platform review, one commit per rule${opts.branch ? ` on \`${opts.branch}\`` : ''}. ` + VERIFIED,
    '',
    NOT_VERIFIED,
    '',
  );
  out.push('| Item | Severity | Rule | Files |', '|---|---|---|---|');
  for (const rp of applied) {
    const m = rp.rule.meta;
    const review = rp.rule.fix?.safe === false ? ' **(needs review)**' : '';
    out.push(`| ${m.reviewItem} | ${m.severity} | \`${m.id}\` ${cell(m.title)}${review} | ${rp.files.map((f) => `\`${cell(f.path)}\``).join('<br>')} |`);
  }
  out.push('', '## Fixes', '');
  for (const rp of applied) {
    const m = rp.rule.meta;
    const commit = opts.commits?.find((c) => c.ruleId === m.id);
    out.push(`### Item ${m.reviewItem}: ${m.title}`, '');
    out.push(
      `Rule \`${m.id}\`, severity ${m.severity}, phase ${m.phase}${commit ? `, commit ${commit.sha.slice(0, 12)}` : ''}${rp.requiredBy ? `; selected because \`${rp.requiredBy}\` requires it` : ''}.`,
      '',
    );
    out.push('Why:', '');
    for (const x of rp.fixed) out.push(`- \`${where(x.finding)}\` ${x.finding.message}`);
    out.push('', 'Changes:', '');
    for (const c of changesByFile(rp)) out.push(`- \`${c.path}\`${c.created ? ' (new file)' : ''}: ${c.summaries.join('; ') || 'updated'}`);
    out.push('');
  }
  const comments = applied.flatMap((rp) => commentsToReview(rp).map((c) => ({ id: rp.rule.meta.id, c })));
  if (comments.length) {
    out.push(
      '## Comments to review',
      '',
      'Comments on or next to an edited line that the change may contradict. The files keep them; read and update them.',
      '',
    );
    for (const { id, c } of comments) out.push(`- \`${cell(c.file)}:${c.line}\` ${cell(c.text)} (\`${id}\`)`);
    out.push('');
  }
  const notes = applied.flatMap((rp) => rp.notes.map((n) => ({ id: rp.rule.meta.id, n })));
  if (notes.length) {
    out.push('## Follow-up steps', '');
    for (const { id, n } of notes) out.push(`- [ ] ${n} (\`${id}\`)`);
    out.push('');
  }
  const warnings = applied.flatMap((rp) => rp.warnings.map((w) => ({ id: rp.rule.meta.id, w })));
  if (warnings.length) {
    out.push('## Rollout warnings', '');
    for (const { id, w } of warnings) out.push(`- **${id}**: ${w}`);
    out.push('');
  }
  const left = plan.rules.flatMap((rp) => [...rp.dropped, ...rp.skipped].map((d) => ({ rp, d })));
  out.push('## Left unfixed', '');
  if (!left.length) out.push('Nothing: every finding of the selected rules is fixed.');
  else {
    out.push('| Item | Rule | Where | Reason |', '|---|---|---|---|');
    for (const { rp, d } of left) {
      out.push(`| ${rp.rule.meta.reviewItem} | \`${rp.rule.meta.id}\` | ${d.finding ? `\`${cell(where(d.finding))}\`` : ''} | ${cell(d.reason)} |`);
    }
  }
  if (opts.render) out.push('', opts.render.trimEnd());
  out.push('', '_Generated by gitops-fix._', '');
  return out.join('\n');
}
