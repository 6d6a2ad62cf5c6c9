import { SEVERITIES, type Severity } from '../../kit/index.js';
import type { ScanReport } from '../../engine/session.js';

/** Workflow-command level: critical and high are errors, medium warnings, low notices. */
export function githubLevel(s: Severity): 'error' | 'warning' | 'notice' {
  return s === 'critical' || s === 'high' ? 'error' : s === 'medium' ? 'warning' : 'notice';
}

/** Escape the message of a workflow command. */
export function escapeData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** Escape a property value of a workflow command. */
export function escapeProperty(s: string): string {
  return escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

/**
 * GitHub Actions annotations: `::error file=…,line=…,col=…,title=<rule-id>::<message>` per finding, then a summary
 * line. `prefix` is the scanned directory relative to the workspace (annotations need workspace-relative paths).
 */
export function scanGithub(report: ScanReport, prefix = ''): string {
  const base = prefix && prefix !== '.' ? `${prefix.replace(/\/+$/, '')}/` : '';
  const lines = report.findings.map((f) => {
    const props = [`file=${escapeProperty(base + f.file)}`, `line=${f.line}`, `col=${f.column}`, `title=${escapeProperty(f.ruleId)}`].join(',');
    return `::${githubLevel(f.severity)} ${props}::${escapeData(f.message)}`;
  });
  const s = report.summary;
  const sev = SEVERITIES.map((x) => `${s.bySeverity[x]} ${x}`).join(', ');
  lines.push(
    `gitops-fix: ${s.findings} finding${s.findings === 1 ? '' : 's'} (${sev})${s.suppressed ? `, ${s.suppressed} suppressed` : ''} in ${s.files} files`,
  );
  return lines.join('\n');
}
