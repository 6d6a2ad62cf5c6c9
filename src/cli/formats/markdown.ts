import { PHASE_TITLES, SEVERITIES, type Rule } from '../../kit/index.js';
import { pseudoRule, ruleDocsUrl } from '../../engine/rule-docs.js';
import type { Finding } from '../../engine/scan.js';
import type { ScanReport } from '../../engine/session.js';
import { checklistLabel, checklistTitle } from '../format.js';

/** Text safe in a Markdown table cell. */
export function mdCell(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r?\n/g, '<br>');
}

function ruleLink(f: Finding): string {
  const url = pseudoRule(f.ruleId)?.docsUrl ?? ruleDocsUrl(f.ruleId);
  return `[${f.ruleId}](${url})`;
}

function fixOf(f: Finding, rules: readonly Rule[]): string {
  const rule = rules.find((r) => r.meta.id === f.ruleId);
  if (!f.fixable || !rule?.fix) return '—';
  return rule.fix.kind;
}

/** A pull-request comment: the summary, then one table per phase; suppressed and skipped files folded away. */
export function scanMarkdown(report: ScanReport, allRules: readonly Rule[]): string {
  const s = report.summary;
  const sev = SEVERITIES.map((x) => `${s.bySeverity[x]} ${x}`).join(', ');
  const out: string[] = ['## gitops-fix', ''];
  const suppressed = s.suppressed ? ` · ${s.suppressed} suppressed` : '';
  out.push(
    s.findings
      ? `**${s.findings} finding${s.findings === 1 ? '' : 's'}** (${sev}) in ${s.files} files${suppressed}`
      : `**No findings** in ${s.files} files${suppressed}`,
  );
  const phases = [...new Set(report.findings.map((f) => f.phase))].sort();
  for (const phase of phases) {
    out.push('', `### Phase ${phase}: ${PHASE_TITLES[phase]}`, '', '| severity | rule | item | location | finding | fix |', '|---|---|---|---|---|---|');
    for (const f of report.findings.filter((x) => x.phase === phase)) {
      out.push(
        `| ${f.severity} | ${ruleLink(f)} | ${f.reviewItem ?? ''} | \`${mdCell(`${f.file}:${f.line}:${f.column}`)}\` | ${mdCell(f.message)} | ${fixOf(f, allRules)} |`,
      );
    }
  }
  if (report.suppressed.length) {
    out.push('', `<details><summary>${report.suppressed.length} suppressed</summary>`, '', '| rule | location | by | reason |', '|---|---|---|---|');
    for (const x of report.suppressed) {
      const f = x.finding;
      out.push(`| ${ruleLink(f)} | \`${mdCell(`${f.file}:${f.line}:${f.column}`)}\` | ${x.by.source} | ${mdCell(x.by.reason ?? '(no reason)')} |`);
    }
    out.push('', '</details>');
  }
  if (report.skipped.length) {
    out.push(
      '',
      `<details><summary>${report.skipped.length} file${report.skipped.length === 1 ? '' : 's'} skipped</summary>`,
      '',
      '| file | reason |',
      '|---|---|',
    );
    for (const k of report.skipped) out.push(`| \`${mdCell(k.file)}\` | ${mdCell(`${k.reason}${k.detail ? `: ${k.detail}` : ''}`)} |`);
    out.push('', '</details>');
  }
  if (report.findings.some((f) => f.fixable)) out.push('', 'Fix them on a review branch: `npx gitops-fix fix --phase all`.');
  if (report.checklist.length) {
    out.push('', `### ${checklistTitle(report)}`, '', '| item | status | rules | why |', '|---|---|---|---|');
    for (const c of report.checklist) {
      out.push(`| ${c.item} | ${checklistLabel(c)} | ${c.rules.map((id) => `\`${id}\``).join(', ')} | ${mdCell(c.reason ?? '')} |`);
    }
  }
  return out.join('\n');
}
