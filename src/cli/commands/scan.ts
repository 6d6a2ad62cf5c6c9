import { relative, resolve, sep } from 'node:path';
import { SEVERITIES, severityRank, type Severity } from '../../kit/index.js';
import { packageVersion } from '../../engine/package-root.js';
import { parsePhases, rules as allRules } from '../../engine/registry.js';
import { openSessionAsync, runScan, type ScanReport } from '../../engine/session.js';
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
  verbose?: boolean;
}

/** Nothing to check: no Kubernetes object and no finding (an empty directory, a wrong path, only skipped files). */
function nothingToScan(report: ScanReport, dir: string): GitopsFixError | undefined {
  if (report.summary.objects || report.findings.length || report.suppressed.length) return undefined;
  const s = report.summary;
  const skipped = report.skipped.length ? `, ${report.skipped.length} of them skipped (\`--format json\` lists why)` : '';
  return new GitopsFixError(
    'no-objects',
    `${dir}: no Kubernetes or Flux objects found (${s.files} YAML file${s.files === 1 ? '' : 's'} read${skipped}), so nothing was checked. ` +
      'Scan the root of a Flux repository (the directory holding clusters/ or your Flux Kustomizations and HelmReleases).',
  );
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
    session = await openSessionAsync(resolve(io.cwd, dir), configFile, undefined, undefined, progress.report);
    report = runScan(session, { phases: parsePhases(flags.phase), ruleIds: flags.rule }, progress.report);
  } finally {
    progress.end();
  }
  const empty = nothingToScan(report, dir);
  if (empty) throw empty;
  if (flags.format === 'sarif') {
    const [{ sarifLog }, { findingFixes }] = await Promise.all([import('../formats/sarif.js'), import('../../engine/fix-regions.js')]);
    out(JSON.stringify(sarifLog(report, { rules: allRules, version: packageVersion(), fixes: findingFixes(session, report.findings) }), null, 2));
  } else if (flags.format === 'junit') {
    out((await import('../formats/junit.js')).scanJunit(report));
  } else if (flags.format === 'markdown') {
    out((await import('../formats/markdown.js')).scanMarkdown(report, allRules, { verbose: !!flags.verbose }));
  } else if (flags.format === 'github') {
    // Annotations need paths relative to the workspace (the current directory in a workflow step).
    const prefix = relative(io.cwd, report.root).split(sep).join('/');
    out((await import('../formats/github.js')).scanGithub(report, prefix.startsWith('..') ? report.root : prefix));
  } else if (flags.format === 'json') out(scanJson(report));
  else out(scanText(report, painter(colorEnabled(io.stdout, io.env)), { verbose: !!flags.verbose, width: io.stdout.isTTY ? io.stdout.columns : undefined }));
  if (failOn === 'none') return OK;
  const threshold = severityRank(failOn as Severity);
  return report.findings.some((f) => severityRank(f.severity) <= threshold) ? FINDINGS : OK;
}
