import { createTwoFilesPatch, structuredPatch } from 'diff';
import type { FileChange } from './plan.js';

/** One file's change as a git-style unified diff (`a/`, `b/` prefixes, `/dev/null` for a new file). */
export function fileDiff(change: FileChange, context = 3): string {
  const created = change.before === null;
  const patch = createTwoFilesPatch(created ? '/dev/null' : `a/${change.path}`, `b/${change.path}`, change.before ?? '', change.after, undefined, undefined, {
    context,
  });
  // Drop jsdiff's "=====" separator line; git's header names both sides and the mode of a new file.
  const body = patch.slice(patch.indexOf('\n') + 1);
  if (!body.includes('\n@@')) return ''; // identical
  const header = `diff --git a/${change.path} b/${change.path}\n${created ? 'new file mode 100644\n' : ''}`;
  return header + body;
}

/** Unified diffs of several files, in path order. */
export function unifiedDiff(changes: readonly FileChange[], context = 3): string {
  return [...changes]
    .sort((a, b) => a.path.localeCompare(b.path))
    .map((c) => fileDiff(c, context))
    .join('');
}

export interface DiffStatLine {
  readonly path: string;
  readonly added: number;
  readonly removed: number;
  readonly created: boolean;
}

export function diffStat(changes: readonly FileChange[]): DiffStatLine[] {
  return [...changes]
    .sort((a, b) => a.path.localeCompare(b.path))
    .map((c) => {
      let added = 0;
      let removed = 0;
      for (const h of structuredPatch('a', 'b', c.before ?? '', c.after, undefined, undefined, { context: 0 }).hunks) {
        for (const l of h.lines) {
          if (l.startsWith('+')) added++;
          else if (l.startsWith('-')) removed++;
        }
      }
      return { path: c.path, added, removed, created: c.before === null };
    });
}

/** `git diff --stat`-like text: ` path | 3 ++-` lines and a total line. */
export function formatDiffStat(stat: readonly DiffStatLine[]): string {
  if (!stat.length) return '';
  const width = Math.max(...stat.map((s) => s.path.length));
  const numWidth = Math.max(...stat.map((s) => String(s.added + s.removed).length));
  const lines = stat.map((s) => {
    const n = s.added + s.removed;
    const bar = '+'.repeat(Math.min(s.added, 40)) + '-'.repeat(Math.min(s.removed, 40));
    return ` ${s.path.padEnd(width)} | ${String(n).padStart(numWidth)} ${bar}`;
  });
  const added = stat.reduce((a, s) => a + s.added, 0);
  const removed = stat.reduce((a, s) => a + s.removed, 0);
  const created = stat.filter((s) => s.created).length;
  const plural = (k: number, w: string) => `${k} ${w}${k === 1 ? '' : 's'}`;
  lines.push(
    ` ${plural(stat.length, 'file')} changed${created ? ` (${created} created)` : ''}, ${plural(added, 'insertion')}(+), ${plural(removed, 'deletion')}(-)`,
  );
  return lines.join('\n');
}
