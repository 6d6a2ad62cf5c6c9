import { SEVERITIES, type Rule } from '../../kit/index.js';
import { capped, fitWithin, MARKDOWN_LIMIT, mdCell } from '../../engine/budget.js';
import { digestByRule, fixableLabel, isSevere, location, plural, skipText, type RuleDigest } from '../../engine/digest.js';
import type { Finding } from '../../engine/scan.js';
import type { ScanReport } from '../../engine/session.js';
import { checklistLabel, checklistTitle } from '../format.js';

export { mdCell };

/** Where a rule is documented: `gitops-fix explain <id>` prints its README (shipped with the package). */
export function ruleDocs(id: string): string {
  return `\`gitops-fix explain ${id}\``;
}

function fixOf(f: Finding, rules: readonly Rule[]): string {
  const rule = rules.find((r) => r.meta.id === f.ruleId);
  if (!f.fixable || !rule?.fix) return '—';
  return rule.fix.kind;
}

function summary(report: ScanReport): string {
  const s = report.summary;
  const sev = SEVERITIES.map((x) => `${s.bySeverity[x]} ${x}`).join(', ');
  const suppressed = s.suppressed ? ` · ${s.suppressed} suppressed` : '';
  return s.findings ? `**${plural(s.findings, 'finding')}** (${sev}) in ${s.files} files${suppressed}` : `**No findings** in ${s.files} files${suppressed}`;
}

function ruleTable(digests: readonly RuleDigest[]): string[] {
  return [
    '| rule | severity | findings | fixable | documentation |',
    '|---|---|--:|---|---|',
    ...digests.map((d) => `| \`${d.ruleId}\` | ${d.severity} | ${d.findings.length} | ${fixableLabel(d)} | ${ruleDocs(d.ruleId)} |`),
  ];
}

function findingRows(findings: readonly Finding[], cap: number, rules: readonly Rule[], withRule: boolean): string[] {
  const head = withRule ? ['| rule | location | finding | fix |', '|---|---|---|---|'] : ['| location | finding | fix |', '|---|---|---|'];
  const row = (f: Finding) => `|${withRule ? ` \`${f.ruleId}\` |` : ''} \`${mdCell(location(f))}\` | ${mdCell(f.message)} | ${fixOf(f, rules)} |`;
  return [...head, ...capped(findings, cap, row, (n) => `\n_${n} more not shown._`)];
}

/** Medium and low: one folded section per rule with its first findings. */
function restSection(d: RuleDigest, cap: number, rules: readonly Rule[]): string[] {
  const alike = d.uniform && d.findings.length > 1 ? `, alike: ${mdCell(d.findings[0]!.message, 200)}` : '';
  return [
    `<details><summary><code>${d.ruleId}</code>: ${d.severity}, ${plural(d.findings.length, 'finding')}${alike}</summary>`,
    '',
    ...findingRows(d.findings, cap, rules, false),
    '',
    '</details>',
    '',
  ];
}

function foldedLists(report: ScanReport, cap: number): string[] {
  const out: string[] = [];
  if (report.suppressed.length) {
    out.push('', `<details><summary>${report.suppressed.length} suppressed</summary>`, '', '| rule | location | by | reason |', '|---|---|---|---|');
    const row = (x: ScanReport['suppressed'][number]) =>
      `| \`${x.finding.ruleId}\` | \`${mdCell(location(x.finding))}\` | ${x.by.source} | ${mdCell(x.by.reason ?? '(no reason)')} |`;
    out.push(...capped(report.suppressed, cap, row, (n) => `\n_${n} more not shown._`), '', '</details>');
  }
  if (report.skipped.length) {
    out.push('', `<details><summary>${plural(report.skipped.length, 'file')} skipped</summary>`, '', '| file | reason |', '|---|---|');
    const row = (k: ScanReport['skipped'][number]) => `| \`${mdCell(k.file)}\` | ${mdCell(skipText(k.reason, k.detail))} |`;
    out.push(...capped(report.skipped, cap, row, (n) => `\n_${n} more not shown._`), '', '</details>');
  }
  return out;
}

function checklist(report: ScanReport): string[] {
  if (!report.checklist.length) return [];
  return [
    '',
    `### ${checklistTitle(report)}`,
    '',
    '| item | status | rules | why |',
    '|---|---|---|---|',
    ...report.checklist.map((c) => `| ${c.item} | ${checklistLabel(c)} | ${c.rules.map((id) => `\`${id}\``).join(', ')} | ${mdCell(c.reason ?? '')} |`),
  ];
}

function render(report: ScanReport, rules: readonly Rule[], cap: number): string {
  const digests = digestByRule(report.findings);
  const out: string[] = ['## gitops-fix', '', summary(report)];
  if (digests.length) out.push('', ...ruleTable(digests));
  const severe = report.findings.filter((f) => isSevere(f.severity));
  // Critical and high findings are listed in full as long as the document fits; the others fold per rule.
  if (severe.length) out.push('', '### Critical and high', '', ...findingRows(severe, cap * 5, rules, true));
  const rest = digests.filter((d) => !isSevere(d.severity));
  if (rest.length) out.push('', '### Medium and low', '', ...rest.flatMap((d) => restSection(d, cap, rules)));
  out.push(...foldedLists(report, cap));
  if (report.findings.some((f) => f.fixable)) out.push('', 'Fix them on a review branch: `gitops-fix fix --phase all`.');
  out.push(...checklist(report));
  return out.join('\n');
}

/**
 * A pull-request comment or job summary of at most 60,000 characters whatever the repository: the counts, a table
 * of rules, the critical and high findings, the others folded per rule (`<details>`), suppressed and skipped files
 * folded away, then the review checklist. Lists that do not fit say how many entries are not shown; `verbose` lifts
 * the per-rule limit of 20 but not the size limit.
 */
export function scanMarkdown(report: ScanReport, allRules: readonly Rule[], opts: { verbose?: boolean } = {}): string {
  return fitWithin(MARKDOWN_LIMIT, (cap) => render(report, allRules, opts.verbose ? cap : Math.min(cap, 20)));
}
