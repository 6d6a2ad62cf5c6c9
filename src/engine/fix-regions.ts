import { diffLines } from 'diff';
import { findingKey, planFixes } from './plan.js';
import { ruleById } from './registry.js';
import type { Finding } from './scan.js';
import type { Session } from './session.js';

/** A text region: 1-based lines and columns (UTF-16 code units); the end column is the one after the region. */
export interface TextRegion {
  readonly startLine: number;
  readonly startColumn: number;
  readonly endLine: number;
  readonly endColumn: number;
}

/** Replace the text of `deletedRegion` (empty for an insertion) with `insertedContent`. */
export interface Replacement {
  readonly deletedRegion: TextRegion;
  readonly insertedContent: string;
}

export interface FileReplacements {
  readonly path: string;
  /** In file order, not overlapping, all relative to the original text. */
  readonly replacements: readonly Replacement[];
}

/** One finding's own fix, planned and verified alone, as replacements in existing files. */
export interface FindingFix {
  readonly description: string;
  readonly files: readonly FileReplacements[];
}

function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 13 /* \r */) {
      if (text.charCodeAt(i + 1) === 10) i++;
      starts.push(i + 1);
    } else if (c === 10) starts.push(i + 1);
  }
  return starts;
}

/** Offset → line and column; a byte-order mark is not a column. */
function positionAt(starts: readonly number[], offset: number, bom: boolean): { line: number; column: number } {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= offset) lo = mid;
    else hi = mid - 1;
  }
  const column = offset - starts[lo]! + 1 - (lo === 0 && bom && offset > 0 ? 1 : 0);
  return { line: lo + 1, column };
}

/**
 * The smallest replacements that turn `before` into `after`: changed line blocks, narrowed to the characters that
 * differ. A region never starts after the final line break (an insertion at the end of the file is anchored at the
 * end of the last line instead), so every region lies on lines that exist.
 */
export function replacements(before: string, after: string): Replacement[] {
  if (before === after) return [];
  const edits: { start: number; end: number; text: string }[] = [];
  let offset = 0;
  let pending: { start: number; end: number; text: string } | undefined;
  const flush = () => {
    if (pending) edits.push(pending);
    pending = undefined;
  };
  for (const part of diffLines(before, after)) {
    if (part.added) {
      pending ??= { start: offset, end: offset, text: '' };
      pending.text += part.value;
    } else if (part.removed) {
      pending ??= { start: offset, end: offset, text: '' };
      pending.end += part.value.length;
      offset += part.value.length;
    } else {
      flush();
      offset += part.value.length;
    }
  }
  flush();
  const starts = lineStarts(before);
  const bom = before.startsWith('\uFEFF');
  return edits.map((e) => {
    let { start, end, text } = e;
    // Narrow to the characters that differ.
    while (start < end && text.length && before[start] === text[0]) {
      start++;
      text = text.slice(1);
    }
    while (end > start && text.length && before[end - 1] === text[text.length - 1]) {
      end--;
      text = text.slice(0, -1);
    }
    // Whole words read better than fragments (`24h` → `1h`, not `24` → `1`).
    const word = (c: string | undefined) => c !== undefined && /\w/.test(c);
    while (start > 0 && word(before[start - 1]) && (word(text[0]) || (end > start && word(before[start])))) {
      start--;
      text = before[start] + text;
    }
    while (end < before.length && word(before[end]) && (word(text[text.length - 1]) || (end > start && word(before[end - 1])))) {
      text += before[end];
      end++;
    }
    // Anchor at the end of the last line rather than inside or after the final line break.
    const eol = before.length - (before.endsWith('\r\n') ? 2 : /[\r\n]$/.test(before) ? 1 : 0);
    while (end > eol && start > 0) {
      const last = text.length ? text[text.length - 1] : end > start ? before[end - 1] : undefined;
      if (last === undefined || before[start - 1] !== last) break;
      if (text.length) text = before[start - 1] + text.slice(0, -1);
      start--;
      end--;
    }
    const s = positionAt(starts, start, bom);
    const t = positionAt(starts, end, bom);
    return { deletedRegion: { startLine: s.line, startColumn: s.column, endLine: t.line, endColumn: t.column }, insertedContent: text };
  });
}

/** Apply replacements (as `replacements` returns them) to a text: the inverse, for tests and consumers. */
export function applyReplacements(text: string, reps: readonly Replacement[]): string {
  const starts = lineStarts(text);
  const bom = text.startsWith('\uFEFF') ? 1 : 0;
  const offsetOf = (line: number, column: number) => starts[line - 1]! + column - 1 + (line === 1 ? bom : 0);
  let out = text;
  for (const r of [...reps].reverse()) {
    const a = offsetOf(r.deletedRegion.startLine, r.deletedRegion.startColumn);
    const b = offsetOf(r.deletedRegion.endLine, r.deletedRegion.endColumn);
    out = out.slice(0, a) + r.insertedContent + out.slice(b);
  }
  return out;
}

/**
 * Each finding's own fix, planned alone on the repository as loaded (so the fixes are independent alternatives,
 * as SARIF `fixes` are) and verified like any fix. Findings without a fix, fixes that fail verification and fixes
 * that create files (a replacement needs an existing file) get none.
 */
export function findingFixes(session: Session, findings: readonly Finding[]): Map<Finding, FindingFix> {
  const out = new Map<Finding, FindingFix>();
  for (const finding of findings) {
    const rule = ruleById(finding.ruleId);
    if (!rule?.fix || !finding.fixable || !finding.report) continue;
    const key = findingKey(finding);
    let plan;
    try {
      plan = planFixes(session.repo, { rules: [rule], options: session.options, exclude: (f) => findingKey(f) !== key });
    } catch {
      continue; // a rule that cannot plan here reports no fix; `fix` shows why
    }
    const rp = plan.rules.find((r) => r.rule.meta.id === rule.meta.id);
    const fixed = rp?.fixed.find((x) => findingKey(x.finding) === key);
    if (!fixed || plan.rules.some((r) => r.dropped.length)) continue;
    const files: FileReplacements[] = [];
    let creates = false;
    for (const [path, after] of [...plan.finalFiles].sort(([a], [b]) => a.localeCompare(b))) {
      const before = plan.originalFiles.get(path);
      if (before === null || before === undefined) {
        creates = true;
        break;
      }
      const reps = replacements(before, after);
      if (reps.length) files.push({ path, replacements: reps });
    }
    if (creates || !files.length) continue;
    out.set(finding, { description: fixed.summary, files });
  }
  return out;
}
