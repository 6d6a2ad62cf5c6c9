import { SEVERITIES } from '../kit/index.js';
import { collapses, commonDir, digestByRule, FIRST_FEW, fixableLabel, isSevere, location, plural, skipText, type RuleDigest } from '../engine/digest.js';
import type { Finding } from '../engine/scan.js';
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

export interface TextOptions {
  /** Every finding in full, no rule collapsed (`--verbose`). */
  readonly verbose?: boolean;
  /** Columns to pack locations into (the terminal's width; 100 when not a terminal). */
  readonly width?: number;
}

/** `520 files read, 3 skipped (…); 598 documents; 212 findings (0 critical, …); 4 suppressed`. */
function summaryLine(report: ScanReport, paint: Paint): string {
  const s = report.summary;
  const reasons = new Map<string, number>();
  for (const k of report.skipped) reasons.set(k.reason, (reasons.get(k.reason) ?? 0) + 1);
  const skippedText = report.skipped.length ? `, ${report.skipped.length} skipped (${[...reasons].map(([r, n]) => `${n} ${r}`).join(', ')})` : '';
  const sev = SEVERITIES.map((x) => `${s.bySeverity[x]} ${x}`).join(', ');
  const suppressedText = s.suppressed ? `; ${s.suppressed} suppressed` : '';
  return `${s.files} files read${skippedText}; ${s.documents} documents; ${paint('bold', plural(s.findings, 'finding'))} (${sev})${suppressedText}`;
}

/** The table every report opens with: rule, severity, findings, fixable. */
function ruleTable(digests: readonly RuleDigest[], paint: Paint): string[] {
  const w = Math.max(4, ...digests.map((d) => d.ruleId.length));
  return [
    paint('dim', `  ${'rule'.padEnd(w)}  severity  findings  fixable`),
    ...digests.map(
      (d) =>
        `  ${d.ruleId.padEnd(w)}  ${paint(SEVERITY_STYLE[d.severity], d.severity.padEnd(8))}  ${String(d.findings.length).padStart(8)}  ${fixableLabel(d)}`,
    ),
  ];
}

function findingLine(f: Finding, paint: Paint): string {
  const fix = f.fixable ? '' : paint('dim', ' (no automatic fix)');
  return `    ${paint('cyan', location(f))}  ${f.message}${fix}`;
}

/** Words packed into lines of at most `width` columns (a word longer than that gets a line of its own). */
function pack(words: readonly string[], indent: string, width: number): string[] {
  const out: string[] = [];
  let line = '';
  for (const w of words) {
    if (line && indent.length + line.length + 2 + w.length > width) {
      out.push(indent + line);
      line = '';
    }
    line = line ? `${line}  ${w}` : w;
  }
  if (line) out.push(indent + line);
  return out;
}

function ruleHeading(d: RuleDigest, paint: Paint, tail = ''): string {
  return `  ${paint(SEVERITY_STYLE[d.severity], d.severity)} ${paint('bold', d.ruleId)} (${d.findings.length})${tail}`;
}

/** Findings by message id, in first-seen order. */
function byMessage(findings: readonly Finding[]): Finding[][] {
  const groups = new Map<string, Finding[]>();
  for (const f of findings) groups.set(f.messageId, [...(groups.get(f.messageId) ?? []), f]);
  return [...groups.values()];
}

/**
 * Many findings saying the same thing: the first message once, then every other location packed into lines. Those
 * at the same file name, line and column (`externalsecret.yaml:7:1` in 40 directories) list only their directories.
 */
function packedLines(group: readonly Finding[], paint: Paint, width: number): string[] {
  const [first, ...others] = group as [Finding, ...Finding[]];
  const dir = commonDir(group.map((f) => f.file));
  const fix = first.fixable ? '' : paint('dim', ' (no automatic fix)');
  const base = (f: Finding) => `${f.file.slice(f.file.lastIndexOf('/') + 1)}:${f.line}:${f.column}`;
  const byTail = new Map<string, Finding[]>();
  for (const f of others) byTail.set(base(f), [...(byTail.get(base(f)) ?? []), f]);
  const shared = [...byTail].filter(([, list]) => list.length >= 4);
  const single = others.filter((f) => !shared.some(([tail]) => tail === base(f)));
  const rel = (f: Finding) => f.file.slice(dir.length);
  return [
    `    ${paint('cyan', location(first))}  ${first.message}${fix}`,
    `    ${paint('dim', `the same for ${others.length} more${dir ? ` in ${dir}` : ''}:`)}`,
    ...shared.flatMap(([tail, list]) => [
      `      ${paint('dim', `${tail} in ${list.length} directories:`)}`,
      ...pack(braced(list.map((f) => rel(f).slice(0, Math.max(0, rel(f).lastIndexOf('/'))) || '.')), '        ', width).map((l) => paint('cyan', l)),
    ]),
    ...pack(
      single.map((f) => `${rel(f)}:${f.line}:${f.column}`),
      '      ',
      width,
    ).map((l) => paint('cyan', l)),
  ];
}

/**
 * Directories written the way a shell would expand them, in their order: those that differ in one segment only share
 * one word, `apps/downloads/{bazarr,radarr,sonarr}/app` (same parent and last segment) or `tofu-controller/{app,plans}`
 * (same parent). Each directory appears in exactly one word.
 */
export function braced(dirs: readonly string[]): string[] {
  const segments = dirs.map((d) => d.split('/'));
  // Key of the word a directory joins: parent + last segment shared (middle varies), else parent shared (last varies).
  const middleKey = (p: string[]) => (p.length >= 3 ? `${p.slice(0, -2).join('/')}/{}/${p.at(-1)}` : undefined);
  const lastKey = (p: string[]) => (p.length >= 2 ? `${p.slice(0, -1).join('/')}/{}` : undefined);
  const count = (keys: (string | undefined)[]) => {
    const n = new Map<string, number>();
    for (const k of keys) if (k) n.set(k, (n.get(k) ?? 0) + 1);
    return n;
  };
  const middles = count(segments.map(middleKey));
  const keyOf = segments.map((p) => {
    const m = middleKey(p);
    return m && (middles.get(m) ?? 0) > 1 ? { key: m, part: p.at(-2) } : undefined;
  });
  const lasts = count(segments.map((p, i) => (keyOf[i] ? undefined : lastKey(p))));
  segments.forEach((p, i) => {
    const l = lastKey(p);
    if (!keyOf[i] && l && (lasts.get(l) ?? 0) > 1) keyOf[i] = { key: l, part: p.at(-1) };
  });
  const words = new Map<string, string[]>();
  dirs.forEach((d, i) => {
    const k = keyOf[i];
    if (!k) words.set(`\0${d}`, [d]);
    else words.set(k.key, [...(words.get(k.key) ?? []), k.part ?? '']);
  });
  return [...words].map(([key, parts]) => (key.startsWith('\0') ? key.slice(1) : key.replace('{}', `{${parts.join(',')}}`)));
}

/** A critical or high rule: every finding; many findings saying the same thing share one message and pack their locations. */
function severeLines(d: RuleDigest, paint: Paint, opts: TextOptions): string[] {
  if (opts.verbose) return [ruleHeading(d, paint), ...d.findings.map((f) => findingLine(f, paint))];
  return [
    ruleHeading(d, paint),
    ...byMessage(d.findings).flatMap((g) => (g.length <= FIRST_FEW ? g.map((f) => findingLine(f, paint)) : packedLines(g, paint, opts.width ?? 100))),
  ];
}

/** A medium or low rule: collapsed to one line when uniform and many, else the first few findings and a count. */
function restLines(d: RuleDigest, paint: Paint, opts: TextOptions): string[] {
  if (opts.verbose) return [ruleHeading(d, paint), ...d.findings.map((f) => findingLine(f, paint))];
  const first = d.findings[0]!;
  if (collapses(d)) {
    return [
      ruleHeading(d, paint, `: ${first.message} ${paint('dim', `(first at ${location(first)}; ${d.findings.length - 1} more like it, --verbose lists them)`)}`),
    ];
  }
  const shown = d.findings.slice(0, FIRST_FEW);
  const more = d.findings.length - shown.length;
  return [
    ruleHeading(d, paint),
    ...shown.map((f) => findingLine(f, paint)),
    ...(more ? [`    ${paint('dim', `${more} more not shown (--verbose lists them)`)}`] : []),
  ];
}

/** Skipped files with their reasons; a reason that many files share (SOPS, templates) lists the first few unless verbose. */
function skippedLines(report: ScanReport, paint: Paint, opts: TextOptions): string[] {
  if (!report.skipped.length) return [];
  const byReason = new Map<string, ScanReport['skipped'][number][]>();
  for (const s of report.skipped) byReason.set(s.reason, [...(byReason.get(s.reason) ?? []), s]);
  const lines = [...byReason.values()].flatMap((group) => {
    const shown = opts.verbose || group.length <= SKIPPED_IN_FULL ? group : group.slice(0, FIRST_FEW);
    const more = group.length - shown.length;
    return [
      ...shown.map((s) => `  ${s.file}: ${skipText(s.reason, s.detail)}`),
      ...(more ? [paint('dim', `  ${more} more ${group[0]!.reason} not shown (--verbose lists them)`)] : []),
    ];
  });
  return ['', paint('bold', 'Skipped files'), ...lines];
}

/** Files skipped for one reason are listed one by one up to this many. */
const SKIPPED_IN_FULL = 10;

/**
 * The text report: the summary line and a table of rules, then every critical and high finding, then the medium and
 * low ones by rule (the first few, or one line for many alike; all with `verbose`), skipped files, the checklist.
 */
export function scanText(report: ScanReport, paint: Paint, opts: TextOptions = {}): string {
  const lines: string[] = [summaryLine(report, paint)];
  const digests = digestByRule(report.findings);
  if (digests.length) lines.push('', ...ruleTable(digests, paint));
  const severe = digests.filter((d) => isSevere(d.severity));
  if (severe.length) lines.push('', paint('bold', 'Critical and high'), ...severe.flatMap((d) => severeLines(d, paint, opts)));
  const rest = digests.filter((d) => !isSevere(d.severity));
  if (rest.length) lines.push('', paint('bold', 'Medium and low'), ...rest.flatMap((d) => restLines(d, paint, opts)));
  lines.push(...skippedLines(report, paint, opts));
  lines.push(...checklistText(report, paint));
  return lines.join('\n');
}
