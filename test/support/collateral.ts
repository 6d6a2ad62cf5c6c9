/**
 * Collateral lines: lines a fix changed outside the edits it asked for.
 *
 * Definition. A rule's fixes come back as change operations on (file, document, path). For every edited file
 * (one that existed before the rule ran) we take a line diff of the text before and after the rule, with line
 * terminators kept (so a CRLF turned into LF, or a lost BOM, is a changed line). Each removed line must lie in an
 * *intended region* of the text before, and each added line in an intended region of the text after:
 *
 * - `set`, `delete`, `append` on a path that exists: the lines of that key (or sequence item) from the key to the
 *   end of its value, plus the comment lines directly above it; the same for the path in the text after.
 * - a path that does not exist yet: in the text after, the lines of the outermost key the edit created; in the
 *   text before, the deepest existing ancestor when it is written inline (`values: {}`, `[a, b]`, `key:` with no
 *   value), since it has to be rewritten as a block; a block ancestor contributes no line.
 * - `merge`: the same for every leaf path of the merged value (nested maps are walked, sequences are leaves).
 * - `delete` that empties a map: the parent, when it is now written inline (`{}`), in the text after.
 * - `addKustomizeResource`: an `append` to `resources` of the directory's kustomization file.
 * - a file whose last line had no line break, when the edit is at the end of the file: that line gaining one.
 *
 * New files (`create`, `createText`) have no collateral lines by definition. A changed line outside every region
 * is collateral: the harness reports it with its rule, file, side and text, and the corpus test fails on it.
 */
import { diffArrays } from 'diff';
import { isAlias, isCollection, isMap, isPair, isScalar, isSeq, parseAllDocuments, type Document } from 'yaml';
import type { Change, Repo, YamlPath } from '../../src/kit/index.js';

export interface CollateralLine {
  readonly file: string;
  /** '-' a line of the text before that was removed or changed; '+' a line of the text after that was added. */
  readonly side: '-' | '+';
  /** 1-based line number on that side. */
  readonly line: number;
  readonly text: string;
}

/** An intended edit on one document of one file. */
export interface EditSite {
  readonly file: string;
  readonly doc: number;
  readonly path: YamlPath;
  readonly op: 'set' | 'delete' | 'append' | 'merge-leaf';
}

const splitLines = (s: string): string[] => s.split(/(?<=\n)/).filter((l) => l !== '');

function lineIndex(text: string): (offset: number) => number {
  const starts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return (offset: number) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
}

const keyText = (k: unknown): string => (isScalar(k) ? String(k.value) : String(k));

interface Located {
  /** Offsets of the key (or item) start and of the value end. */
  readonly start: number;
  readonly end: number;
  readonly value: unknown;
}

/** Walk `path` in a document. Returns the spans of every existing prefix (index i = path[0..i]). */
function walk(doc: Document.Parsed, path: YamlPath): Located[] {
  const out: Located[] = [];
  let node: unknown = doc.contents;
  for (const seg of path) {
    if (!node || isAlias(node)) break;
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && keyText(p.key) === String(seg));
      if (!pair) break;
      const kr = (pair.key as { range?: number[] } | null)?.range;
      const vr = (pair.value as { range?: number[] } | null)?.range;
      if (!kr) break;
      out.push({ start: kr[0]!, end: Math.max(kr[1]!, vr?.[1] ?? 0), value: pair.value });
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number' && seg < node.items.length) {
      const item = node.items[seg];
      const r = (item as { range?: number[] } | null)?.range;
      if (!r) break;
      out.push({ start: r[0]!, end: r[1]!, value: item });
      node = item;
    } else break;
  }
  return out;
}

const isBlockCollection = (v: unknown): boolean => isCollection(v) && !(v as { flow?: boolean }).flow;

class TextRegions {
  readonly lines: string[];
  private readonly docs: Document.Parsed[];
  private readonly lineOf: (offset: number) => number;
  readonly marked = new Set<number>();
  constructor(readonly text: string) {
    this.lines = splitLines(text);
    this.docs = Array.from(parseAllDocuments(text, { logLevel: 'silent' }) as Iterable<Document.Parsed>);
    this.lineOf = lineIndex(text);
  }
  locate(doc: number, path: YamlPath): Located[] {
    const d = this.docs[doc];
    return d ? walk(d, path) : [];
  }
  /**
   * Mark the lines of a span, plus the comment-only lines directly above it. A block scalar (`|`, `>`) also owns the
   * blank lines after its last line: YAML reads them as part of it, so a line diff may place an inserted blank line
   * there rather than inside.
   */
  mark(span: Located): void {
    const first = this.lineOf(span.start);
    let last = this.lineOf(Math.max(span.start, span.end - 1));
    const type = isScalar(span.value) ? span.value.type : undefined;
    if (type === 'BLOCK_LITERAL' || type === 'BLOCK_FOLDED') while (last < this.lines.length && /^\s*\r?\n$/.test(this.lines[last] ?? '')) last++;
    for (let l = first; l <= last; l++) this.marked.add(l);
    for (let l = first - 1; l >= 1 && /^\s*#/.test(this.lines[l - 1] ?? ''); l--) this.marked.add(l);
  }
}

/** Leaf paths of a merged value: nested maps are walked, anything else is a leaf. */
function leafPaths(base: YamlPath, value: unknown): YamlPath[] {
  if (!value || typeof value !== 'object' || Array.isArray(value) || !Object.keys(value).length) return [base];
  return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) => leafPaths([...base, k], v));
}

/** The edit sites of a fix's changes (repo: the repository the fix was computed on). */
export function editSites(changes: readonly Change[], repo: Repo): EditSite[] {
  const out: EditSite[] = [];
  for (const c of changes) {
    if (c.op === 'create' || c.op === 'createText') continue;
    if (c.op === 'addKustomizeResource') {
      const k = repo.flux.kustomizeFile(c.dir);
      if (k) out.push({ file: k.file, doc: k.doc, path: ['resources'], op: 'append' });
      continue;
    }
    if (c.op === 'merge') {
      for (const p of leafPaths(c.path, c.value)) out.push({ file: c.resource.file, doc: c.resource.doc, path: p, op: 'merge-leaf' });
    } else out.push({ file: c.resource.file, doc: c.resource.doc, path: c.path, op: c.op });
  }
  return out;
}

/** Changed lines of one file that no edit site accounts for. */
export function collateralLines(file: string, before: string, after: string, sites: readonly EditSite[]): CollateralLine[] {
  const b = new TextRegions(before);
  const a = new TextRegions(after);
  for (const s of sites) {
    if (s.file !== file) continue;
    const inBefore = b.locate(s.doc, s.path);
    const inAfter = a.locate(s.doc, s.path);
    const full = inBefore.length === s.path.length;
    // The deepest existing ancestor is rewritten when it is inline (`{}`, `[a]`, `null`, no value).
    const rewritten = !full && inBefore.length > 0 && !isBlockCollection(inBefore[inBefore.length - 1]!.value);
    if (full || rewritten) b.mark(inBefore[inBefore.length - 1]!);
    if (s.op === 'delete') {
      const parent = inAfter.slice(0, s.path.length - 1);
      const p = parent[parent.length - 1];
      if (parent.length === s.path.length - 1 && p && !isBlockCollection(p.value)) a.mark(p);
      continue;
    }
    // The outermost key the edit created (or the inline ancestor it rewrote), or the edited node itself.
    const created = full ? s.path.length - 1 : rewritten ? inBefore.length - 1 : inBefore.length;
    const span = inAfter[created];
    if (span) a.mark(span);
  }
  const out: CollateralLine[] = [];
  let lb = 0;
  let la = 0;
  const removed: { line: number; text: string }[] = [];
  const added: { line: number; text: string }[] = [];
  for (const part of diffArrays(b.lines, a.lines)) {
    for (const text of part.value) {
      if (part.removed) removed.push({ line: ++lb, text });
      else if (part.added) added.push({ line: ++la, text });
      else {
        lb++;
        la++;
      }
    }
  }
  const lastBefore = b.lines.length;
  const unterminated = lastBefore > 0 && !b.lines[lastBefore - 1]!.endsWith('\n');
  for (const r of removed) {
    if (b.marked.has(r.line)) continue;
    // The last line gains a line break because something was appended after it.
    if (unterminated && r.line === lastBefore && added.some((x) => x.text.replace(/\r?\n$/, '') === r.text && a.marked.has(x.line + 1))) continue;
    out.push({ file, side: '-', line: r.line, text: r.text.replace(/\r?\n$/, '') });
  }
  // When the appended last line reads like the old last line, the diff pairs those two and shows the old one, now
  // with its line break, as added.
  const lastText = unterminated ? b.lines[lastBefore - 1]! : undefined;
  const lastMoved = lastText !== undefined && (removed.some((r) => r.line === lastBefore) || a.lines[a.lines.length - 1] === lastText);
  for (const x of added) {
    if (a.marked.has(x.line)) continue;
    if (lastMoved && x.text.replace(/\r?\n$/, '') === lastText && a.marked.has(x.line + 1)) continue;
    out.push({ file, side: '+', line: x.line, text: x.text.replace(/\r?\n$/, '') });
  }
  return out;
}
