import { PHASE_TITLES, SEVERITIES } from '../kit/index.js';
import type { ChecklistItem } from '../engine/checklist.js';
import type { ScanReport } from '../engine/session.js';
import type { Paint } from './colors.js';

const SEVERITY_STYLE = { critical: 'red', high: 'magenta', medium: 'yellow', low: 'blue' } as const;

export function scanJson(report: ScanReport): string {
  return JSON.stringify(
    {
      version: report.version,
      root: report.root,
      findings: report.findings.map((f) => ({
        ruleId: f.ruleId,
        reviewItem: f.reviewItem,
        severity: f.severity,
        phase: f.phase,
        file: f.file,
        line: f.line,
        column: f.column,
        message: f.message,
        fixable: f.fixable,
      })),
      skipped: report.skipped.map((s) => ({ file: s.file, reason: s.reason })),
      summary: report.summary,
      checklist: report.checklist.map((c) => ({ item: c.item, rules: c.rules, status: c.status, count: c.count, reason: c.reason ?? null })),
    },
    null,
    2,
  );
}

/** `found (3)`, `clean`, `not applicable here`. */
export function checklistLabel(c: ChecklistItem): string {
  return c.status === 'found' ? `found (${c.count})` : c.status === 'clean' ? 'clean' : 'not applicable here';
}

/** Whether the checklist covers every review item or only those of the selected rules. */
export function checklistTitle(report: ScanReport): string {
  const n = report.checklist.length;
  return n === 24 ? 'Review checklist' : `Review checklist (the ${n} item${n === 1 ? '' : 's'} of the selected rules)`;
}

function checklistText(report: ScanReport, paint: Paint): string[] {
  if (!report.checklist.length) return [];
  const width = Math.max(...report.checklist.map((c) => checklistLabel(c).length));
  const style = { found: 'yellow', clean: 'green', 'not-applicable': 'dim' } as const;
  return [
    '',
    paint('bold', checklistTitle(report)),
    ...report.checklist.map((c) => {
      const label = paint(style[c.status], checklistLabel(c).padEnd(width));
      return `  ${String(c.item).padStart(2)}  ${label}  ${c.status === 'found' ? paint('gray', c.rules.join(', ')) : c.reason}`;
    }),
  ];
}

export function scanText(report: ScanReport, paint: Paint): string {
  const lines: string[] = [];
  const phases = [...new Set(report.findings.map((f) => f.phase))].sort();
  for (const phase of phases) {
    lines.push(paint('bold', `Phase ${phase} — ${PHASE_TITLES[phase]}`));
    for (const sev of SEVERITIES) {
      const group = report.findings.filter((f) => f.phase === phase && f.severity === sev);
      if (!group.length) continue;
      lines.push(`  ${paint(SEVERITY_STYLE[sev], sev)}`);
      for (const f of group) {
        const item = f.reviewItem === null ? '' : paint('dim', ` [item ${f.reviewItem}]`);
        const fix = f.fixable ? '' : paint('dim', ' (no automatic fix)');
        lines.push(`    ${paint('cyan', `${f.file}:${f.line}:${f.column}`)}  ${paint('gray', f.ruleId)}${item}  ${f.message}${fix}`);
      }
    }
    lines.push('');
  }
  if (report.skipped.length) {
    lines.push(paint('bold', 'Skipped files'));
    for (const s of report.skipped) lines.push(`  ${s.file}: ${s.reason}${s.detail ? ` (${s.detail})` : ''}`);
    lines.push('');
  }
  const s = report.summary;
  const reasons = new Map<string, number>();
  for (const k of report.skipped) reasons.set(k.reason, (reasons.get(k.reason) ?? 0) + 1);
  const skippedText = report.skipped.length ? `, ${report.skipped.length} skipped (${[...reasons].map(([r, n]) => `${n} ${r}`).join(', ')})` : '';
  const sev = SEVERITIES.map((x) => `${s.bySeverity[x]} ${x}`).join(', ');
  const suppressedText = s.suppressed ? `; ${s.suppressed} suppressed` : '';
  lines.push(
    `${s.files} files read${skippedText}; ${s.documents} documents; ${paint('bold', `${s.findings} finding${s.findings === 1 ? '' : 's'}`)} (${sev})${suppressedText}`,
  );
  lines.push(...checklistText(report, paint));
  return lines.join('\n');
}
