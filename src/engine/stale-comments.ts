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

const indent = (line: string) => /^\s*/.exec(line)![0].length;

/** The line of the key (or HCL block) that holds line `at`: the nearest line above with less indentation. */
function parentLine(lines: readonly string[], at: number): number | undefined {
  const own = indent(lines[at]!);
  for (let i = at - 1; i >= 0; i--) {
    const l = lines[i]!;
    if (!l.trim() || commentOnly(l)) continue;
    if (indent(l) < own) return i;
  }
  return undefined;
}

/**
 * The comments on line `at`, directly above it, and around the keys that hold it (up to three levels: the comment
 * above `readinessProbe:` when its `path` changes, the comment that opens `server:` when `server.ha.enabled` does).
 */
function around(lines: readonly string[], at: number, changed: Set<number>, below: boolean): string[] {
  const out: string[] = [];
  const own = commentOf(lines[at]!);
  if (own) out.push(own);
  const near = [...adjacentComments(lines, at, -1, changed), ...(below ? adjacentComments(lines, at, 1, changed) : [])];
  let parent = parentLine(lines, at);
  for (let level = 0; level < 3 && parent !== undefined; level++, parent = parentLine(lines, parent)) {
    if (changed.has(parent)) continue;
    near.push(...adjacentComments(lines, parent, -1, changed), ...adjacentComments(lines, parent, 1, changed));
  }
  for (const j of near) out.push(lines[j]!.trim());
  return out;
}

/** Comments of one changed YAML file that match `topic` and are still in the file after the change. */
export function staleComments(fc: FileChange, topic: RegExp): StaleComment[] {
  if (fc.before === null || !/\.ya?ml$/i.test(fc.path)) return [];
  const before = fc.before.split('\n');
  const after = fc.after.split('\n');
  const { removed, added } = changedLines(fc.before, fc.after);
  const candidates = new Set<string>();
  for (const i of removed) for (const c of around(before, i, removed, true)) candidates.add(c);
  for (const i of added) for (const c of around(after, i, added, false)) candidates.add(c);
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
