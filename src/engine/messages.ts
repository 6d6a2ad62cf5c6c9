import { PHASE_TITLES } from '../kit/index.js';
import { capped, fitWithin, MARKDOWN_LIMIT, mdCell } from './budget.js';
import { REPOSITORY } from './digest.js';
import { diffStat, formatDiffStat, unifiedDiff } from './diff.js';
import type { CommitInfo } from './git/review-branch.js';
import type { DroppedFix, Plan, RulePlan } from './plan.js';
import type { Finding } from './scan.js';
import { staleCommentsOf, type StaleComment } from './stale-comments.js';

export const RULE_TRAILER = 'Gitops-Fix-Rule';

function where(f: Finding): string {
  return f.file === REPOSITORY ? '(repository)' : `${f.file}:${f.line}`;
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
  return mdCell(s, 600);
}

export interface PrBodyOptions {
  readonly branch?: string;
  readonly commits?: readonly CommitInfo[];
  /** The rendered-changes section (Markdown). */
  readonly render?: string;
  /** Every list in full and no size limit (the file written next to the description). */
  readonly full?: boolean;
  /** The name of that file, for the notes where a list is cut. */
  readonly fullFile?: string;
}

/** A left-unfixed reason as shown next to the finding's message. */
function leftReason(reason: string): string {
  return reason.replace(/: see the message$/, '');
}

function prHeading(plan: Plan, opts: PrBodyOptions): string[] {
  const applied = plan.rules.filter((r) => r.fixed.length);
  const fixes = applied.reduce((n, r) => n + r.fixed.length, 0);
  const items = [...new Set(applied.map((r) => r.rule.meta.reviewItem))].sort((a, b) => a - b);
  return [
    `# gitops-fix: ${fixes} fix${fixes === 1 ? '' : 'es'} for review item${items.length === 1 ? '' : 's'} ${items.join(', ')}`,
    '',
    `This change answers findings of the platform review, one commit per rule${opts.branch ? ` on \`${opts.branch}\`` : ''}. ` + VERIFIED,
    '',
    NOT_VERIFIED,
    '',
  ];
}

/** One row per applied rule: what it is, how many fixes and files, whether it needs review, where it is documented. */
function prRuleTable(applied: readonly RulePlan[]): string[] {
  const out = ['| Rule | Item | Severity | Fixes | Files | Review | Documentation |', '|---|--:|---|--:|--:|---|---|'];
  for (const rp of applied) {
    const m = rp.rule.meta;
    const review = rp.rule.fix?.safe === false ? '**needs review**' : 'mechanical';
    out.push(
      `| \`${m.id}\` ${cell(m.title)} | ${m.reviewItem} | ${m.severity} | ${rp.fixed.length} | ${rp.files.length} | ${review} | \`gitops-fix explain ${m.id}\` |`,
    );
  }
  return out;
}

/** One rule's fixes, folded: the findings fixed and the changes per file, each list cut at `cap` with a count. */
function prRuleSection(rp: RulePlan, cap: number, more: (n: number) => string, opts: PrBodyOptions): string[] {
  const m = rp.rule.meta;
  const commit = opts.commits?.find((c) => c.ruleId === m.id);
  const why = (x: RulePlan['fixed'][number]) => `- \`${where(x.finding)}\` ${cell(x.finding.message)}`;
  const change = (c: ReturnType<typeof changesByFile>[number]) =>
    `- \`${c.path}\`${c.created ? ' (new file)' : ''}: ${cell(c.summaries.join('; ') || 'updated')}`;
  return [
    `<details><summary><b>Item ${m.reviewItem}: ${cell(m.title)}</b> (<code>${m.id}</code>, ${rp.fixed.length} fix${rp.fixed.length === 1 ? '' : 'es'})</summary>`,
    '',
    `Rule \`${m.id}\`, severity ${m.severity}, phase ${m.phase}${commit ? `, commit ${commit.sha.slice(0, 12)}` : ''}${rp.requiredBy ? `; selected because \`${rp.requiredBy}\` requires it` : ''}. Documentation: \`gitops-fix explain ${m.id}\`.`,
    '',
    'Why:',
    '',
    ...capped(rp.fixed, cap, why, more),
    '',
    'Changes:',
    '',
    ...capped(changesByFile(rp), cap, change, more),
    '',
    '</details>',
    '',
  ];
}

/** Comments to review, follow-up steps and rollout warnings of the applied rules. */
function prFollowUps(applied: readonly RulePlan[], cap: number, more: (n: number) => string): string[] {
  const out: string[] = [];
  const comments = applied.flatMap((rp) => commentsToReview(rp).map((c) => ({ id: rp.rule.meta.id, c })));
  if (comments.length) {
    out.push(
      '## Comments to review',
      '',
      'Comments on or next to an edited line that the change may contradict. The files keep them; read and update them.',
      '',
    );
    out.push(...capped(comments, cap, ({ id, c }) => `- \`${cell(c.file)}:${c.line}\` ${cell(c.text)} (\`${id}\`)`, more), '');
  }
  const notes = applied.flatMap((rp) => rp.notes.map((n) => ({ id: rp.rule.meta.id, n })));
  if (notes.length) out.push('## Follow-up steps', '', ...capped(notes, cap, ({ id, n }) => `- [ ] ${cell(n)} (\`${id}\`)`, more), '');
  const warnings = applied.flatMap((rp) => rp.warnings.map((w) => ({ id: rp.rule.meta.id, w })));
  if (warnings.length) out.push('## Rollout warnings', '', ...capped(warnings, cap, ({ id, w }) => `- **${id}**: ${cell(w)}`, more), '');
  return out;
}

/** What was left unfixed: the finding's message and why it was not fixed. */
function prLeft(plan: Plan, cap: number, more: (n: number) => string): string[] {
  const left = plan.rules.flatMap((rp) => [...rp.dropped, ...rp.skipped].map((d) => ({ rp, d })));
  if (!left.length) return ['## Left unfixed', '', 'Nothing: every finding of the selected rules is fixed.'];
  const row = ({ rp, d }: (typeof left)[number]) =>
    `| \`${rp.rule.meta.id}\` | ${d.finding ? `\`${cell(where(d.finding))}\`` : ''} | ${d.finding ? cell(d.finding.message) : ''} | ${cell(leftReason(d.reason))} |`;
  return [
    '## Left unfixed',
    '',
    `<details><summary>${left.length} finding${left.length === 1 ? '' : 's'} left unfixed</summary>`,
    '',
    '| Rule | Where | Finding | Why not fixed |',
    '|---|---|---|---|',
    ...capped(left, cap, row, (n) => `\n${more(n)}`),
    '',
    '</details>',
  ];
}

function prBodyAt(plan: Plan, opts: PrBodyOptions, cap: number): string {
  const applied = plan.rules.filter((r) => r.fixed.length);
  const more = (n: number) => `- _${n} more not shown${opts.fullFile ? `; the full list is in ${opts.fullFile}, written next to this description` : ''}._`;
  const out = [...prHeading(plan, opts), ...prRuleTable(applied), '', '## Fixes', ''];
  out.push(...applied.flatMap((rp) => prRuleSection(rp, cap, more, opts)));
  out.push(...prFollowUps(applied, cap, more), ...prLeft(plan, cap, more));
  if (opts.render) {
    const render = opts.render.trimEnd();
    out.push('', opts.full ? render : `<details><summary>Rendered through the charts</summary>\n\n${render}\n\n</details>`);
  }
  out.push('', '_Generated by gitops-fix._', '');
  return out.join('\n');
}

/**
 * A Markdown pull-request description of an applied plan: a table of the rules, then each rule's fixes folded
 * (`<details>`), follow-ups, and what was left unfixed with each finding's message. At most 60,000 characters
 * (GitHub takes 65,536): lists are cut with a count of what is not shown; `full` lists everything.
 */
export function prBody(plan: Plan, opts: PrBodyOptions = {}): string {
  return opts.full ? prBodyAt(plan, opts, Infinity) : fitWithin(MARKDOWN_LIMIT, (cap) => prBodyAt(plan, opts, cap));
}
