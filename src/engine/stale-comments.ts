/**
 * Comments a change may contradict: a comment on an edited line, or in the comment block just above or just below
 * it ("# TODO: Enable TLS", "Plain HTTP inside the cluster", "The file backend is single-node only"), whose words
 * touch what the rule changes (`meta.staleComments`). The files keep them; the commit message and the pull-request
 * body list them for someone to read.
 */
import { diffLines } from 'diff';
import type { FileChange } from './plan.js';

export interface StaleComment {
  readonly file: string;
  /** 1-based line in the changed file. */
  readonly line: number;
  /** The comment, from its `#`. */
  readonly text: string;
}

/** The comment of a line: its `#` part when the `#` starts the line or follows a space. */
function commentOf(line: string): string | undefined {
  const m = /(?:^|\s)(#.*?)\s*\r?$/.exec(line);
  return m ? m[1] : undefined;
}

const commentOnly = (line: string) => /^\s*#/.test(line);

/** Line numbers (0-based) of `before` that the change removed or rewrote, and of `after` that it added. */
function changedLines(before: string, after: string): { removed: Set<number>; added: Set<number> } {
  const removed = new Set<number>();
  const added = new Set<number>();
  let b = 0;
  let a = 0;
  for (const part of diffLines(before, after)) {
    const n = part.count ?? 0;
    if (part.added) for (let i = 0; i < n; i++) added.add(a + i);
    else if (part.removed) for (let i = 0; i < n; i++) removed.add(b + i);
    if (!part.added) b += n;
    if (!part.removed) a += n;
  }
  return { removed, added };
}

/** The comment-only lines directly above (step -1) or below (step 1) line `at`. */
function adjacentComments(lines: readonly string[], at: number, step: 1 | -1, skip: Set<number>): number[] {
  const out: number[] = [];
  for (let i = at + step; i >= 0 && i < lines.length && !skip.has(i) && commentOnly(lines[i]!); i += step) out.push(i);
  return out;
}

/** Comments of one changed file that match `topic` and are still in the file after the change. */
export function staleComments(fc: FileChange, topic: RegExp): StaleComment[] {
  if (fc.before === null) return [];
  const before = fc.before.split('\n');
  const after = fc.after.split('\n');
  const { removed, added } = changedLines(fc.before, fc.after);
  const candidates = new Set<string>();
  for (const i of removed) {
    const own = commentOf(before[i]!);
    if (own) candidates.add(own);
    for (const j of [...adjacentComments(before, i, -1, removed), ...adjacentComments(before, i, 1, removed)]) candidates.add(before[j]!.trim());
  }
  for (const i of added) {
    const own = commentOf(after[i]!);
    if (own) candidates.add(own);
    for (const j of adjacentComments(after, i, -1, added)) candidates.add(after[j]!.trim());
  }
  const out: StaleComment[] = [];
  const seen = new Set<string>();
  after.forEach((line, i) => {
    const c = commentOf(line);
    if (!c || !candidates.has(c) || !topic.test(c) || seen.has(c)) return;
    // A comment the fix wrote itself (TODO(gitops-fix) markers) is not the repository's.
    if (/gitops-fix/i.test(c)) return;
    seen.add(c);
    out.push({ file: fc.path, line: i + 1, text: c });
  });
  return out;
}

/** Stale comments of every file a rule changed, for its topic; none when the rule declares no topic. */
export function staleCommentsOf(files: readonly FileChange[], topic: RegExp | undefined): StaleComment[] {
  if (!topic) return [];
  return files.flatMap((fc) => staleComments(fc, topic));
}
