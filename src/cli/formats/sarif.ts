import { createHash } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import type { Rule, Severity } from '../../kit/index.js';
import type { FindingFix } from '../../engine/fix-regions.js';
import { findingKey } from '../../engine/plan.js';
import { docsReference, fixLabel, PSEUDO_RULES, readmeSection, readmeSectionUrl, readRuleReadme, repositoryUrl, ruleDocsUrl } from '../../engine/rule-docs.js';
import type { Finding } from '../../engine/scan.js';
import type { ScanReport } from '../../engine/session.js';
import type { Suppression } from '../../engine/suppress.js';

export const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';
const SRCROOT = '%SRCROOT%';

/** SARIF `level` of a severity: critical and high are errors, medium warnings, low notes. */
export function sarifLevel(s: Severity): 'error' | 'warning' | 'note' {
  return s === 'critical' || s === 'high' ? 'error' : s === 'medium' ? 'warning' : 'note';
}

/** GitHub code scanning's `security-severity` (0.1-10) for each severity. */
const SECURITY_SEVERITY: Record<Severity, string> = { critical: '9.5', high: '8.0', medium: '5.5', low: '3.0' };

export interface SarifOptions {
  /** Every rule (the driver describes all of them, scanned or not). */
  readonly rules: readonly Rule[];
  readonly version: string;
  /** Each finding's own fix (edit fixes only). */
  readonly fixes?: ReadonlyMap<Finding, FindingFix>;
  /** README text of a rule (defaults to the installed package's). */
  readonly readme?: (ruleId: string) => string | undefined;
}

function ruleDescriptor(rule: Rule, readme: string | undefined) {
  const { meta } = rule;
  const why = readme ? readmeSection(readme, 'Why') : undefined;
  const fix = readme ? readmeSection(readme, 'Fix') : undefined;
  const url = ruleDocsUrl(meta.id);
  const docs = url ? `[Documentation](${url})` : `Documentation: \`gitops-fix explain ${meta.id}\``;
  const markdown = [why && `## Why\n\n${why}`, fix && `## Fix\n\n${fix}`, docs].filter(Boolean).join('\n\n');
  return {
    id: meta.id,
    name: meta.id,
    shortDescription: { text: meta.title },
    fullDescription: { text: why ?? meta.title, ...(why ? { markdown: why } : {}) },
    ...(url ? { helpUri: url } : {}),
    help: { text: [why, fix && `Fix: ${fix}`, `Documentation: ${docsReference(meta.id, url)}`].filter(Boolean).join('\n\n'), markdown },
    defaultConfiguration: { level: sarifLevel(meta.severity) },
    properties: {
      tags: ['security', 'flux', 'gitops', `phase-${meta.phase}`, `review-item-${meta.reviewItem}`],
      'security-severity': SECURITY_SEVERITY[meta.severity],
      severity: meta.severity,
      phase: meta.phase,
      reviewItem: meta.reviewItem,
      fix: fixLabel(rule),
    },
  };
}

function pseudoDescriptor(p: (typeof PSEUDO_RULES)[number]) {
  const url = readmeSectionUrl(p.readmeSection);
  return {
    id: p.id,
    name: p.id,
    shortDescription: { text: p.title },
    fullDescription: { text: p.description, markdown: p.description },
    ...(url ? { helpUri: url } : {}),
    help: { text: p.description, markdown: url ? `${p.description}\n\n[Documentation](${url})` : p.description },
    defaultConfiguration: { level: sarifLevel(p.severity) },
    properties: { tags: ['gitops-fix'], 'security-severity': SECURITY_SEVERITY[p.severity], severity: p.severity, phase: p.phase, fix: 'report only' },
  };
}

function physical(file: string, line: number, column: number) {
  return { physicalLocation: { artifactLocation: { uri: encodeUri(file), uriBaseId: SRCROOT }, region: { startLine: line, startColumn: column } } };
}

/** A repository-relative POSIX path as a relative URI reference. */
function encodeUri(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}

function fingerprint(f: Finding): string {
  return createHash('sha256').update(findingKey(f)).digest('hex').slice(0, 32);
}

function suppressionJson(s: Suppression) {
  return {
    kind: s.source === 'config' ? ('external' as const) : ('inSource' as const),
    status: 'accepted' as const,
    ...(s.reason ? { justification: s.reason } : {}),
    ...(s.source === 'config' ? {} : { location: physical(s.file, s.line, s.column) }),
    properties: { source: s.source, rules: s.rules },
  };
}

/** The scan as a SARIF 2.1.0 log: one run, every rule in the driver, results with locations, fixes and suppressions. */
export function sarifLog(report: ScanReport, opts: SarifOptions) {
  const readme = opts.readme ?? readRuleReadme;
  const descriptors = [...opts.rules.map((r) => ruleDescriptor(r, readme(r.meta.id))), ...PSEUDO_RULES.map(pseudoDescriptor)];
  const index = new Map(descriptors.map((d, i) => [d.id, i]));
  const result = (f: Finding, suppression?: Suppression) => {
    const fix = opts.fixes?.get(f);
    return {
      ruleId: f.ruleId,
      ...(index.has(f.ruleId) ? { ruleIndex: index.get(f.ruleId)! } : {}),
      level: sarifLevel(f.severity),
      message: { text: f.message },
      locations: [physical(f.file, f.line, f.column)],
      partialFingerprints: { 'gitopsFixFinding/v1': fingerprint(f) },
      ...(fix
        ? {
            fixes: [
              {
                description: { text: fix.description },
                artifactChanges: fix.files.map((c) => ({
                  artifactLocation: { uri: encodeUri(c.path), uriBaseId: SRCROOT },
                  replacements: c.replacements.map((r) => ({ deletedRegion: { ...r.deletedRegion }, insertedContent: { text: r.insertedContent } })),
                })),
              },
            ],
          }
        : {}),
      ...(suppression ? { suppressions: [suppressionJson(suppression)] } : {}),
      properties: { severity: f.severity, phase: f.phase, reviewItem: f.reviewItem, fixable: f.fixable },
    };
  };
  return {
    $schema: SARIF_SCHEMA,
    version: '2.1.0' as const,
    runs: [
      {
        tool: {
          driver: {
            name: 'gitops-fix',
            version: opts.version,
            semanticVersion: opts.version,
            ...(repositoryUrl() ? { informationUri: repositoryUrl() } : {}),
            rules: descriptors,
          },
        },
        originalUriBaseIds: { [SRCROOT]: { uri: `${pathToFileURL(report.root).href.replace(/\/?$/, '/')}` } },
        invocations: [
          {
            executionSuccessful: true,
            toolExecutionNotifications: report.skipped.map((s) => ({
              level: 'note' as const,
              message: { text: `skipped (${s.reason})${s.detail ? `: ${s.detail}` : ''}` },
              locations: [{ physicalLocation: { artifactLocation: { uri: encodeUri(s.file), uriBaseId: SRCROOT } } }],
            })),
          },
        ],
        columnKind: 'utf16CodeUnits' as const,
        results: [...report.findings.map((f) => result(f)), ...report.suppressed.map((s) => result(s.finding, s.by))],
        properties: { summary: report.summary },
      },
    ],
  };
}
