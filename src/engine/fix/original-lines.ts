/**
 * Where a planned fix's finding is in the user's file. Rules are planned one after the other, each on the tree the
 * rules before it left, so a finding's line is a line of that planned tree; this maps it back to the line of the
 * file as it is on disk (HEAD), the one a user can open.
 */
import { diffLines } from 'diff';
import type { Plan } from '../plan.js';
import type { Finding } from '../scan.js';

/**
 * The line of `original` that line `line` (1-based) of `current` comes from. A line that the earlier fixes added
 * maps to the original line it was inserted before (the last line when it was appended); a file the plan created
 * has no original line (undefined).
 */
export function originalLine(original: string | null, current: string, line: number): number | undefined {
  if (original === null) return undefined;
  if (original === current) return line;
  let oldLine = 1;
  let newLine = 1;
  for (const part of diffLines(original, current)) {
    const n = part.count ?? 0;
    if (part.removed) {
      oldLine += n;
      continue;
    }
    if (line < newLine + n) return part.added ? Math.max(1, Math.min(oldLine, lineCount(original))) : oldLine + (line - newLine);
    newLine += n;
    if (!part.added) oldLine += n;
  }
  return Math.max(1, Math.min(oldLine + (line - newLine), lineCount(original)));
}

function lineCount(s: string): number {
  if (!s) return 1;
  const n = s.split('\n').length;
  return s.endsWith('\n') ? n - 1 : n;
}

/**
 * The line on disk of each finding of the plan (fixed, skipped or dropped): its line in the tree its rule was planned
 * on, mapped back to the file as it is on disk. A finding in a file the plan created keeps its own line.
 */
export function originalFindingLines(plan: Plan): Map<Finding, number> {
  const out = new Map<Finding, number>();
  // The content of each touched file as the rule being walked saw it: the original, then each rule's `after`.
  const seen = new Map<string, string | null>(plan.originalFiles);
  for (const rp of plan.rules) {
    const findings = [...rp.fixed.map((x) => x.finding), ...[...rp.skipped, ...rp.dropped].flatMap((d) => (d.finding ? [d.finding] : []))];
    for (const f of findings) {
      const original = plan.originalFiles.get(f.file);
      const current = seen.get(f.file);
      if (original === undefined || current === undefined || current === null) out.set(f, f.line);
      else out.set(f, originalLine(original, current, f.line) ?? f.line);
    }
    for (const fc of rp.files) seen.set(fc.path, fc.after);
  }
  return out;
}
