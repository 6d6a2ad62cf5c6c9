import { PHASE_TITLES, type Phase, type Rule } from '../../kit/index.js';
import { docsReference, PSEUDO_RULES, readmeSectionUrl, ruleDocsUrl } from '../../engine/rule-docs.js';
import type { Finding } from '../../engine/scan.js';
import type { ScanReport } from '../../engine/session.js';

/** Text fit for an XML attribute or element (control characters XML 1.0 forbids are dropped). */
export function xmlEscape(s: string): string {
  return (
    s
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '')
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;')
      .replace(/'/g, '&apos;')
  );
}

interface Case {
  readonly id: string;
  readonly title: string;
  readonly phase: Phase;
  /** The documentation's web address, or the command that prints it. */
  readonly docs: string;
  readonly findings: readonly Finding[];
  readonly suppressed: readonly Finding[];
}

function testcase(c: Case): string {
  const a = (s: string) => xmlEscape(s);
  const lines = [`    <testcase classname="gitops-fix.phase-${c.phase}" name="${a(`${c.id}: ${c.title}`)}">`];
  for (const f of c.findings) {
    const where = `${f.file}:${f.line}:${f.column}`;
    const body = [
      `${where} ${f.message}`,
      f.reviewItem === null ? '' : `Review item ${f.reviewItem}, severity ${f.severity}, phase ${f.phase}.`,
      f.fixable ? 'Fix: gitops-fix fix' : 'No automatic fix.',
      `Documentation: ${c.docs}`,
    ]
      .filter(Boolean)
      .join('\n');
    lines.push(`      <failure type="${a(f.severity)}" message="${a(`${where} ${f.message}`)}">${a(body)}</failure>`);
  }
  if (c.suppressed.length) {
    lines.push(`      <system-out>${a(c.suppressed.map((f) => `suppressed: ${f.file}:${f.line}:${f.column} ${f.message}`).join('\n'))}</system-out>`);
  }
  lines.push('    </testcase>');
  return lines.length === 2 && !c.findings.length ? lines[0]!.replace(/>$/, ' />') : lines.join('\n');
}

/**
 * JUnit XML: one test suite per phase, one test case per rule (passing when it found nothing) with one `failure`
 * per finding. Findings of gitops-fix itself (yaml-syntax, suppression-without-reason) are test cases of their own.
 */
export function scanJunit(report: ScanReport): string {
  const suppressed = report.suppressed.map((s) => s.finding);
  const cases: Case[] = report.rules.map((r: Rule) => ({
    id: r.meta.id,
    title: r.meta.title,
    phase: r.meta.phase,
    docs: docsReference(r.meta.id, ruleDocsUrl(r.meta.id)),
    findings: report.findings.filter((f) => f.ruleId === r.meta.id),
    suppressed: suppressed.filter((f) => f.ruleId === r.meta.id),
  }));
  for (const p of PSEUDO_RULES) {
    const findings = report.findings.filter((f) => f.ruleId === p.id);
    const hidden = suppressed.filter((f) => f.ruleId === p.id);
    if (findings.length || hidden.length)
      cases.push({ id: p.id, title: p.title, phase: p.phase, docs: docsReference(p.id, readmeSectionUrl(p.readmeSection)), findings, suppressed: hidden });
  }
  const phases = [...new Set(cases.map((c) => c.phase))].sort();
  const failed = (cs: readonly Case[]) => cs.filter((c) => c.findings.length).length;
  const suites = phases.map((phase) => {
    const cs = cases.filter((c) => c.phase === phase);
    return [
      `  <testsuite name="${xmlEscape(`gitops-fix phase ${phase}: ${PHASE_TITLES[phase]}`)}" tests="${cs.length}" failures="${failed(cs)}" errors="0" skipped="0">`,
      ...cs.map(testcase),
      '  </testsuite>',
    ].join('\n');
  });
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="gitops-fix" tests="${cases.length}" failures="${failed(cases)}" errors="0" skipped="0">`,
    ...suites,
    '</testsuites>',
  ].join('\n');
}
