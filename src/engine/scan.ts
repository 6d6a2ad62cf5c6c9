import { formatMessage, severityRank, type Phase, type Repo, type Report, type ReportOn, type Rule, type Severity } from '../kit/index.js';
import { runAsync, runSync, type Steps } from './cancel.js';
import { ruleOptions, type Config } from './config.js';
import type { Locate } from './config-errors.js';
import { GitopsFixError } from './errors.js';
import { inputFindings } from './input-findings.js';
import type { OnProgress } from './progress.js';

export const SYNTAX_RULE_ID = 'yaml-syntax';

export interface Finding {
  readonly ruleId: string;
  /** Review item (1-24); null for the loader's yaml-syntax findings. */
  readonly reviewItem: number | null;
  readonly severity: Severity;
  readonly phase: Phase;
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly message: string;
  readonly fixable: boolean;
  readonly messageId: string;
  /** The rule's report, for its own fix (absent for yaml-syntax). */
  readonly report?: Report<string, unknown, ReportOn>;
}

export interface ScanResult {
  readonly findings: Finding[];
  /** Options per rule id, validated. */
  readonly options: ReadonlyMap<string, unknown>;
}

export function compareFindings(a: Finding, b: Finding): number {
  return (
    a.phase - b.phase ||
    severityRank(a.severity) - severityRank(b.severity) ||
    a.file.localeCompare(b.file) ||
    a.line - b.line ||
    a.column - b.column ||
    a.ruleId.localeCompare(b.ruleId)
  );
}

export function optionsFor(rules: readonly Rule[], config: Config, configFile?: string, locate?: Locate): Map<string, unknown> {
  return new Map(rules.map((r) => [r.meta.id, ruleOptions(r, config, configFile, locate)]));
}

/** Run one rule's detect, turning its reports into located findings. A crash names the rule. */
export function detectRule(repo: Repo, rule: Rule, options: unknown): Finding[] {
  return runSync(detectRuleSteps(repo, rule, options));
}

/** detectRule as steps: one per report. */
export function* detectRuleSteps(repo: Repo, rule: Rule, options: unknown): Steps<Finding[]> {
  const out: Finding[] = [];
  try {
    for (const report of rule.detect({ repo, options })) {
      yield;
      const pos = report.resource ? report.resource.position(report.path) : { line: 1, column: 1 };
      const file = report.resource?.file ?? report.file ?? '.';
      out.push({
        ruleId: rule.meta.id,
        reviewItem: rule.meta.reviewItem,
        severity: rule.meta.severity,
        phase: rule.meta.phase,
        file,
        line: pos.line,
        column: pos.column,
        message: formatMessage(rule.meta.messages[report.messageId] ?? report.messageId, report.data),
        fixable: !!rule.fix && report.fixable !== false,
        messageId: report.messageId,
        report,
      });
    }
  } catch (e) {
    if (e instanceof GitopsFixError) throw e;
    const err = new GitopsFixError('rule-crashed', `Rule "${rule.meta.id}" crashed while detecting: ${(e as Error).message}`);
    (err as { cause?: unknown }).cause = e;
    throw err;
  }
  return out;
}

export function syntaxFindings(repo: Repo): Finding[] {
  return repo.files
    .filter((f) => f.status === 'skipped' && f.skipReason === 'syntax-error')
    .map((f) => ({
      ruleId: SYNTAX_RULE_ID,
      reviewItem: null,
      severity: 'high' as const,
      phase: 1 as const,
      file: f.path,
      line: f.errorPosition?.line ?? 1,
      column: f.errorPosition?.column ?? 1,
      message: `YAML syntax error: ${f.skipDetail}. Flux cannot apply this file; fix the YAML and run again.`,
      fixable: false,
      messageId: 'syntaxError',
    }));
}

export interface ScanOptions {
  /** Add the loader's own findings (yaml-syntax and the other input checks); default true. */
  readonly syntax?: boolean;
  /** Told before and after each rule (stage `scan`). */
  readonly onProgress?: OnProgress;
}

export function scan(repo: Repo, rules: readonly Rule[], options: ReadonlyMap<string, unknown>, opts: ScanOptions = {}): Finding[] {
  return runSync(scanSteps(repo, rules, options, opts));
}

/** scan that gives the event loop a turn between rules and findings and stops when `signal` is aborted. */
export function scanAsync(
  repo: Repo,
  rules: readonly Rule[],
  options: ReadonlyMap<string, unknown>,
  opts: ScanOptions = {},
  signal?: AbortSignal,
): Promise<Finding[]> {
  return runAsync(scanSteps(repo, rules, options, opts), signal);
}

export function* scanSteps(repo: Repo, rules: readonly Rule[], options: ReadonlyMap<string, unknown>, opts: ScanOptions = {}): Steps<Finding[]> {
  const findings: Finding[] = [];
  const { onProgress } = opts;
  let done = 0;
  for (const r of rules) {
    yield;
    onProgress?.({ stage: 'scan', done, total: rules.length, current: r.meta.id });
    findings.push(...(yield* detectRuleSteps(repo, r, options.get(r.meta.id))));
    onProgress?.({ stage: 'scan', done: ++done, total: rules.length });
  }
  if (opts.syntax !== false) findings.push(...syntaxFindings(repo), ...inputFindings(repo));
  return findings.sort(compareFindings);
}
