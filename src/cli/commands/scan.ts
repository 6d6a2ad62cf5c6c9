import { relative, resolve, sep } from 'node:path';
import { SEVERITIES, severityRank, type Severity } from '../../kit/index.js';
import { packageVersion } from '../../engine/package-root.js';
import { parsePhases, rules as allRules } from '../../engine/registry.js';
import { openSession, runScan } from '../../engine/session.js';
import { GitopsFixError } from '../../engine/errors.js';
import { colorEnabled, painter } from '../colors.js';
import { FINDINGS, OK } from '../exit-codes.js';
import { lineWriter, type CliIO } from '../io.js';
import { progressLine } from '../progress.js';
import { scanJson, scanText } from '../format.js';

export interface ScanFlags {
  format: string;
  phase: string[];
  rule: string[];
  failOn: string;
  config?: string;
}

export const SCAN_FORMATS = ['text', 'json', 'sarif', 'junit', 'markdown', 'github'] as const;

export async function scanCommand(dir: string, flags: ScanFlags, io: CliIO): Promise<number> {
  const out = lineWriter(io.stdout);
  if (!(SCAN_FORMATS as readonly string[]).includes(flags.format)) {
    throw new GitopsFixError('usage', `--format ${flags.format}: expected one of ${SCAN_FORMATS.join(', ')}`);
  }
  const failOn = flags.failOn;
  if (failOn !== 'none' && !(SEVERITIES as readonly string[]).includes(failOn)) {
    throw new GitopsFixError('usage', `--fail-on ${failOn}: expected critical, high, medium, low or none`);
  }
  const configFile = flags.config === undefined ? undefined : resolve(io.cwd, flags.config);
  const progress = progressLine(io.stderr);
  let session, report;
  try {
    session = openSession(resolve(io.cwd, dir), configFile, undefined, progress.report);
    report = runScan(session, { phases: parsePhases(flags.phase), ruleIds: flags.rule }, progress.report);
  } finally {
    progress.end();
  }
  if (flags.format === 'sarif') {
    const [{ sarifLog }, { findingFixes }] = await Promise.all([import('../formats/sarif.js'), import('../../engine/fix-regions.js')]);
    out(JSON.stringify(sarifLog(report, { rules: allRules, version: packageVersion(), fixes: findingFixes(session, report.findings) }), null, 2));
  } else if (flags.format === 'junit') {
    out((await import('../formats/junit.js')).scanJunit(report));
  } else if (flags.format === 'markdown') {
    out((await import('../formats/markdown.js')).scanMarkdown(report, allRules));
  } else if (flags.format === 'github') {
    // Annotations need paths relative to the workspace (the current directory in a workflow step).
    const prefix = relative(io.cwd, report.root).split(sep).join('/');
    out((await import('../formats/github.js')).scanGithub(report, prefix.startsWith('..') ? report.root : prefix));
  } else out(flags.format === 'json' ? scanJson(report) : scanText(report, painter(colorEnabled(io.stdout, io.env))));
  if (failOn === 'none') return OK;
  const threshold = severityRank(failOn as Severity);
  return report.findings.some((f) => severityRank(f.severity) <= threshold) ? FINDINGS : OK;
}
