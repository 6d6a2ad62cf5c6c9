import { relative, sep } from 'node:path';
import picomatch from 'picomatch';
import { severityRank, type Repo, type Resource } from '../kit/index.js';
import { CONFIG_FILE, type Config } from './config.js';
import { GitopsFixError } from './errors.js';
import { didYouMean } from './suggest.js';
import { findingKey } from './plan.js';
import { rules as allRules } from './registry.js';
import { PSEUDO_RULES, SUPPRESSION_RULE_ID } from './rule-docs.js';
import { compareFindings, scan, type Finding } from './scan.js';
import type { Session } from './session.js';
import { scalarText } from '../kit/scalar.js';

/** `# gitops-fix-ignore <rule-id>[,<rule-id>]: <reason>` on the finding's line or the line above. */
export const IGNORE_COMMENT = 'gitops-fix-ignore';
/** Annotation listing the rule ids to ignore for this object (`"rule-a,rule-b"`, or `"*"`). */
export const IGNORE_ANNOTATION = 'gitops-fix.io/ignore';
/** Annotation saying why. */
export const IGNORE_REASON_ANNOTATION = 'gitops-fix.io/ignore-reason';

export type SuppressionSource = 'comment' | 'annotation' | 'config';

/** One way of saying "not here, and here is why". */
export interface Suppression {
  readonly source: SuppressionSource;
  /** Rule ids, or `*` for every rule. */
  readonly rules: readonly string[];
  readonly reason: string | undefined;
  /** Where it is written (repository-relative; for config entries the config file as given). */
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

export interface SuppressedFinding {
  readonly finding: Finding;
  readonly by: Suppression;
}

export interface SuppressionResult {
  /** Findings still reported, plus a `suppression-without-reason` finding per suppression that has no reason. */
  readonly findings: Finding[];
  readonly suppressed: SuppressedFinding[];
}

interface CommentDirective extends Suppression {
  /** The comment is alone on its line, so it also covers the line below. */
  readonly wholeLine: boolean;
}

const DIRECTIVE = new RegExp(`(^|\\s)#\\s*${IGNORE_COMMENT}(?=\\s|:|$)(.*)$`);

/** Parse `gitops-fix-ignore a, b: reason` (the text after the marker). Rule ids are separated by commas or spaces. */
export function parseDirective(rest: string): { rules: string[]; reason: string | undefined } {
  const colon = rest.indexOf(':');
  const ids = colon < 0 ? rest : rest.slice(0, colon);
  const reason = colon < 0 ? undefined : rest.slice(colon + 1).trim();
  return {
    rules: ids
      .split(/[\s,]+/)
      .map((s) => s.trim())
      .filter(Boolean),
    reason: reason ? reason : undefined,
  };
}

function commentDirectives(path: string, text: string): CommentDirective[] {
  if (!text.includes(IGNORE_COMMENT)) return [];
  const out: CommentDirective[] = [];
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n|\r/);
  lines.forEach((l, i) => {
    const m = DIRECTIVE.exec(l);
    if (!m) return;
    const { rules, reason } = parseDirective(m[2]!);
    const column = m.index + m[1]!.length + 1;
    out.push({ source: 'comment', rules, reason, file: path, line: i + 1, column, wholeLine: l.slice(0, column - 1).trim() === '' });
  });
  return out;
}

function annotations(r: Resource): Record<string, unknown> {
  const a = r.get(['metadata', 'annotations']);
  return a && typeof a === 'object' && !Array.isArray(a) ? (a as Record<string, unknown>) : {};
}

function covers(s: Suppression, ruleId: string): boolean {
  return s.rules.includes('*') || s.rules.includes(ruleId);
}

function knownIds(): string[] {
  return [...allRules.map((r) => r.meta.id), ...PSEUDO_RULES.map((p) => p.id)];
}

/**
 * The suppressions of a repository: comments in its files, annotations on its objects, `ignore:` entries of the
 * configuration. Findings of `suppression-without-reason` itself cannot be suppressed: write the reason instead.
 */
export class Suppressions {
  private readonly comments = new Map<string, CommentDirective[]>();
  /** resource id → the annotation suppression that covers it (its own, or its HelmRelease's for a values file). */
  private readonly byResource = new Map<string, Suppression>();
  private readonly annotationList: { suppression: Suppression; resource: Resource }[] = [];
  private readonly config: { suppression: Suppression; match: (file: string) => boolean }[] = [];

  constructor(repo: Repo, config: Config, configFile?: string) {
    for (const f of repo.files) {
      const list = commentDirectives(f.path, f.text);
      if (list.length) this.comments.set(f.path, list);
    }
    for (const r of repo.resources) {
      const a = annotations(r);
      const value = a[IGNORE_ANNOTATION];
      if (value === undefined || value === null) continue;
      const reason = typeof a[IGNORE_REASON_ANNOTATION] === 'string' ? a[IGNORE_REASON_ANNOTATION].trim() : '';
      const pos = r.position(['metadata', 'annotations', IGNORE_ANNOTATION]);
      const suppression: Suppression = {
        source: 'annotation',
        rules: scalarText(value)
          .split(/[\s,]+/)
          .filter(Boolean),
        reason: reason || undefined,
        file: r.file,
        line: pos.line,
        column: pos.column,
      };
      this.annotationList.push({ suppression, resource: r });
      this.byResource.set(r.id, suppression);
      // A HelmRelease's annotation also covers the values files it reads (findings on its values live there).
      if (r.kind === 'HelmRelease') {
        for (const s of repo.flux.valuesSources(r))
          if (s.kind === 'file' && !this.byResource.has(s.resource.id)) this.byResource.set(s.resource.id, suppression);
      }
    }
    const cfgPath = configFile ? relativeTo(repo.root, configFile) : CONFIG_FILE;
    const ids = knownIds();
    config.ignore.forEach((e, i) => {
      if (e.rule !== '*' && !ids.includes(e.rule)) {
        throw new GitopsFixError(
          'invalid-config',
          `${configFile ?? CONFIG_FILE}: invalid configuration\n  ignore.${i}.rule: unknown rule id "${e.rule}"${didYouMean(e.rule, ids)} (see \`gitops-fix rules\`; * for every rule)`,
        );
      }
      const globs = e.paths?.length ? picomatch(e.paths, { dot: true }) : () => true;
      this.config.push({
        suppression: { source: 'config', rules: [e.rule], reason: e.reason, file: cfgPath, line: 1, column: 1 },
        match: (file) => globs(file),
      });
    });
  }

  /** Every suppression that has no reason (comments and annotations; config entries always have one). */
  get withoutReason(): Suppression[] {
    const out: Suppression[] = [];
    for (const list of this.comments.values()) out.push(...list.filter((d) => !d.reason));
    out.push(...this.annotationList.filter((a) => !a.suppression.reason).map((a) => a.suppression));
    return out;
  }

  /** What suppresses this finding, by position (comments), object (annotations) or path (config); a reasoned one first. */
  match(f: Finding): Suppression | undefined {
    if (f.ruleId === SUPPRESSION_RULE_ID) return undefined;
    const found = [...this.matchComment(f), ...this.matchStable(f)];
    return found.find((s) => s.reason) ?? found[0];
  }

  /** Annotation and config suppressions: independent of line numbers, so they hold while fixes move lines. */
  matchStable(f: Finding): Suppression[] {
    if (f.ruleId === SUPPRESSION_RULE_ID) return [];
    const out: Suppression[] = [];
    const rid = f.report?.resource?.id;
    const a = rid ? this.byResource.get(rid) : undefined;
    if (a && covers(a, f.ruleId)) out.push(a);
    for (const c of this.config) if (covers(c.suppression, f.ruleId) && c.match(f.file)) out.push(c.suppression);
    return out;
  }

  private matchComment(f: Finding): Suppression[] {
    const list = this.comments.get(f.file);
    if (!list) return [];
    return list.filter((d) => covers(d, f.ruleId) && (d.line === f.line || (d.wholeLine && d.line === f.line - 1)));
  }

  /**
   * Split findings into reported and suppressed, and add a `suppression-without-reason` finding for each
   * suppression without a reason. `reportUnused`: also report reasonless suppressions that hid nothing here
   * (a full scan; a scan filtered by rule or phase reports only those that hid one of its findings).
   */
  apply(findings: readonly Finding[], reportUnused = true): SuppressionResult {
    const kept: Finding[] = [];
    const suppressed: SuppressedFinding[] = [];
    const hidden = new Map<Suppression, Finding[]>();
    for (const f of findings) {
      const by = this.match(f);
      if (!by) {
        kept.push(f);
        continue;
      }
      suppressed.push({ finding: f, by });
      for (const s of [...this.matchComment(f), ...this.matchStable(f)]) hidden.set(s, [...(hidden.get(s) ?? []), f]);
    }
    for (const s of this.withoutReason) {
      const hid = hidden.get(s) ?? [];
      if (!hid.length && !reportUnused) continue;
      kept.push(withoutReasonFinding(s, hid));
    }
    return { findings: kept.sort(compareFindings), suppressed };
  }
}

function relativeTo(root: string, file: string): string {
  const r = relative(root, file);
  return r.startsWith('..') ? file : r.split(sep).join('/');
}

function withoutReasonFinding(s: Suppression, hid: readonly Finding[]): Finding {
  const worst = [...hid].sort((a, b) => severityRank(a.severity) - severityRank(b.severity) || a.phase - b.phase)[0];
  const ids = s.rules.join(',') || '<rule-id>';
  const what = hid.length
    ? `hides ${hid.length} finding${hid.length === 1 ? '' : 's'} of ${[...new Set(hid.map((h) => h.ruleId))].join(', ')}`
    : `names ${ids}`;
  const message =
    s.source === 'comment'
      ? `${IGNORE_COMMENT} comment without a reason ${what}: say why after a colon (# ${IGNORE_COMMENT} ${ids}: <why this is accepted>)`
      : `annotation ${IGNORE_ANNOTATION} without ${IGNORE_REASON_ANNOTATION} ${what}: add the annotation ${IGNORE_REASON_ANNOTATION} saying why`;
  return {
    ruleId: SUPPRESSION_RULE_ID,
    reviewItem: null,
    severity: worst?.severity ?? 'low',
    phase: worst?.phase ?? 4,
    file: s.file,
    line: s.line,
    column: s.column,
    message,
    fixable: false,
    messageId: s.source === 'comment' ? 'commentWithoutReason' : 'annotationWithoutReason',
  };
}

export function suppressionsOf(session: Session): Suppressions {
  return new Suppressions(session.repo, session.loaded.config, session.loaded.file);
}

/**
 * The `exclude` of `planFixes` that leaves suppressed findings alone (and, when given, the findings `also`
 * excludes). `scanned`: the findings of every rule on the session's repository, when the caller has them already. Comment suppressions are matched on the repository as loaded, by finding identity, so they hold when
 * earlier fixes move lines; annotation and config suppressions are matched on every re-detection.
 */
export function excludeSuppressed(session: Session, also?: (f: Finding) => boolean, scanned?: readonly Finding[]): (f: Finding) => boolean {
  const suppressions = suppressionsOf(session);
  const keys = new Set((scanned ?? scan(session.repo, allRules, session.options, { syntax: false })).filter((f) => suppressions.match(f)).map(findingKey));
  return (f) => keys.has(findingKey(f)) || suppressions.matchStable(f).length > 0 || !!also?.(f);
}
