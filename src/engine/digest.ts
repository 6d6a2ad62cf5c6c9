/**
 * Findings per rule, for reports that open with the signal: a table of rules, then the critical and high findings
 * in full, then the rest grouped by rule. Shared by the text and Markdown scan reports and the fix summaries.
 */
import { severityRank, type Severity } from '../kit/index.js';
import type { Finding } from './scan.js';

export interface RuleDigest {
  readonly ruleId: string;
  readonly severity: Severity;
  readonly findings: readonly Finding[];
  /** How many of them a fix can handle. */
  readonly fixable: number;
  /** Every finding says the same thing about a different object (one message id). */
  readonly uniform: boolean;
}

/** Findings by rule: most severe first, then the most findings, then by id. Findings keep their order. */
export function digestByRule(findings: readonly Finding[]): RuleDigest[] {
  const byRule = new Map<string, Finding[]>();
  for (const f of findings) byRule.set(f.ruleId, [...(byRule.get(f.ruleId) ?? []), f]);
  return [...byRule.values()]
    .map((list) => {
      const severity = list.reduce<Severity>((s, f) => (severityRank(f.severity) < severityRank(s) ? f.severity : s), list[0]!.severity);
      return {
        ruleId: list[0]!.ruleId,
        severity,
        findings: list,
        fixable: list.filter((f) => f.fixable).length,
        uniform: new Set(list.map((f) => f.messageId)).size === 1,
      };
    })
    .sort((a, b) => severityRank(a.severity) - severityRank(b.severity) || b.findings.length - a.findings.length || a.ruleId.localeCompare(b.ruleId));
}

/** Critical and high: listed in full at the top of a report. */
export function isSevere(severity: Severity): boolean {
  return severity === 'critical' || severity === 'high';
}

/** At least this many uniform medium or low findings of one rule collapse to one line (unless verbose). */
export const COLLAPSE_AT = 5;
/** The first locations shown of a rule that is not listed in full. */
export const FIRST_FEW = 3;

/** A uniform medium or low rule with many findings: one line in a report unless verbose. */
export function collapses(d: RuleDigest): boolean {
  return !isSevere(d.severity) && d.uniform && d.findings.length >= COLLAPSE_AT;
}

/** `yes`, `no`, or `12 of 14`. */
export function fixableLabel(d: RuleDigest): string {
  return d.fixable === d.findings.length ? 'yes' : d.fixable === 0 ? 'no' : `${d.fixable} of ${d.findings.length}`;
}

/** The directory every path is under (`a/b/`), or '' (never a whole path). */
export function commonDir(paths: readonly string[]): string {
  if (!paths.length) return '';
  const split = paths.map((p) => p.split('/').slice(0, -1));
  const first = split[0]!;
  let n = 0;
  while (n < first.length && split.every((s) => s[n] === first[n])) n++;
  return n ? `${first.slice(0, n).join('/')}/` : '';
}

/** Where a repository finding (about no one file) is reported from: the repository root, `.`. */
export const REPOSITORY = '.';

/** `file:line:column`, or `(repository)` for a finding about the repository as a whole. */
export function location(f: Pick<Finding, 'file' | 'line' | 'column'>): string {
  return f.file === REPOSITORY ? '(repository)' : `${f.file}:${f.line}:${f.column}`;
}

/** `1 finding`, `3 findings`. */
export function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`;
}

/** A skipped file's reason for a reader: `reason (detail)`, or the detail alone when it starts by saying the reason. */
export function skipText(reason: string, detail: string | undefined): string {
  if (!detail) return reason;
  const plain = (t: string) => t.toLowerCase().replace(/[^a-z0-9]/g, '');
  return plain(detail).startsWith(plain(reason)) ? detail : `${reason} (${detail})`;
}
