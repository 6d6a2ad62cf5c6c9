/**
 * Core of the minimal-diff YAML editor: parsing, path resolution, text helpers, splice application and the
 * re-parse verification every edit goes through.
 *
 * Edits never serialise a document. They locate nodes with the `yaml` Document API (ranges are UTF-16 offsets
 * into the original string, BOM included), splice new text into the original string, re-parse the result and
 * compare its data with the original data plus the intended change applied through the Document API.
 */
import { isAlias, isMap, isPair, isScalar, isSeq, parseAllDocuments, parseDocument } from 'yaml';
import type { Document, Node as YNode, Pair, YAMLMap, YAMLSeq } from 'yaml';
import { countParse } from '../../kit/parse-work.js';
import { scalarText } from '../../kit/scalar.js';

export type Path = readonly (string | number)[];
export interface EditOpts {
  /** Index into parseAllDocuments() (default 0). */
  doc?: number;
}

/** Thrown whenever an edit cannot be made safely; the message is a human reason that names the path. */
export class EditRefusedError extends Error {
  readonly path: Path;
  constructor(message: string, path: Path = []) {
    super(message);
    this.name = 'EditRefusedError';
    this.path = path;
  }
}

export type Doc = Document.Parsed;
export type Coll = YAMLMap<unknown, unknown> | YAMLSeq<unknown>;

/** `spec.values.server`, `spec.containers[0].image`, `metadata.annotations."a.b/c"`. */
export function fmtPath(path: Path): string {
  if (!path.length) return '(document root)';
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += (out ? '.' : '') + (/^[\w\-/]+$/.test(seg) ? seg : JSON.stringify(seg));
  }
  return out;
}

export function refuse(path: Path, reason: string): never {
  throw new EditRefusedError(`${fmtPath(path)}: ${reason}`, path);
}

const errText = (e: unknown): string => (e instanceof Error ? e.message : String(e)).split('\n')[0]!.trim();

/** Parse every document (keepSourceTokens, logLevel 'error'); any document error (duplicate keys included) refuses. */
export function parseDocs(src: string): Doc[] {
  countParse(src);
  const docs = parseAllDocuments(src, { keepSourceTokens: true, logLevel: 'error' });
  // A comment-only stream is an EmptyStream (an empty array): nothing to edit, and its text is never rewritten.
  const list = Array.from(docs) as Doc[];
  for (const [i, d] of list.entries()) {
    if (d.errors.length) {
      throw new EditRefusedError(`refusing to edit invalid YAML${list.length > 1 ? ` (document ${i})` : ''}: ${errText(d.errors[0]!.message)}`);
    }
  }
  return list;
}

/** The file's line ending: the first line break found (`\n` when there is none). */
export function eolOf(src: string): '\n' | '\r\n' {
  const i = src.indexOf('\n');
  return i > 0 && src[i - 1] === '\r' ? '\r\n' : '\n';
}

// ---------------------------------------------------------------------------------------------------------------
// Text helpers. Positions are offsets into the source string.

/** Start of the line holding position `i` (after a leading BOM on the first line, which is not a column). */
export function lineStart(s: string, i: number): number {
  const p = s.lastIndexOf('\n', i - 1) + 1;
  return p === 0 && s.charCodeAt(0) === 0xfeff && i > 0 ? 1 : p;
}
export const colOf = (s: string, i: number): number => i - lineStart(s, i);
/** End of the line content (before `\r\n` / `\n`) of the line holding position `i`. */
export function lineContentEnd(s: string, i: number): number {
  const nl = s.indexOf('\n', i);
  if (nl < 0) return s.length;
  return nl > 0 && s[nl - 1] === '\r' ? nl - 1 : nl;
}
/** Position after the line break that ends the content ending at `pos` (`pos` itself if it already follows one). */
export function eolEnd(s: string, pos: number): number {
  if (pos > 0 && s[pos - 1] === '\n') return pos;
  const nl = s.indexOf('\n', pos);
  return nl < 0 ? s.length : nl + 1;
}
/** Move back over spaces and tabs. */
export function trimBack(s: string, pos: number): number {
  while (pos > 0 && (s[pos - 1] === ' ' || s[pos - 1] === '\t')) pos--;
  return pos;
}
export const isBlankText = (t: string): boolean => /^[ \t\r]*$/.test(t);

/**
 * From `at` (a line start), skip the comment lines that belong to the subtree that just ended: comments indented
 * deeper than `col`, possibly separated by blank lines. Returns the end of the last such comment line, so blank
 * lines after it (and everything at or left of `col`) stay after the insertion point.
 */
export function skipSubtreeTail(s: string, at: number, col: number): number {
  let pos = at;
  let commit = at;
  while (pos < s.length) {
    const nl = s.indexOf('\n', pos);
    const end = nl < 0 ? s.length : nl + 1;
    const line = s.slice(pos, nl < 0 ? s.length : nl);
    if (isBlankText(line)) {
      pos = end;
      continue;
    }
    const m = /^([ \t]*)#/.exec(line);
    if (m && m[1]!.length > col) {
      pos = commit = end;
      continue;
    }
    break;
  }
  return commit;
}

// ---------------------------------------------------------------------------------------------------------------
// Node helpers.

export type Range = [number, number, number];
export const rangeOf = (n: unknown): Range | undefined =>
  n && typeof n === 'object' && 'range' in n ? (((n as YNode).range as Range | undefined) ?? undefined) : undefined;

/** End offset of a node's own content: the last scalar of a block collection, excluding comments after it. */
export function contentEnd(n: unknown): number | undefined {
  if (n == null) return undefined;
  if (isPair(n)) return contentEnd(n.value) ?? contentEnd(n.key);
  if (isMap(n) || isSeq(n)) {
    const r = rangeOf(n);
    if (n.flow || !n.items.length) return r?.[1];
    for (let i = n.items.length - 1; i >= 0; i--) {
      const e = contentEnd(n.items[i]);
      if (e !== undefined) return e;
    }
    return r?.[1];
  }
  return rangeOf(n)?.[1];
}

export const kindOf = (n: unknown): string =>
  isAlias(n) ? `alias *${n.source}` : isMap(n) ? 'map' : isSeq(n) ? 'sequence' : isScalar(n) ? (n.value === null ? 'null' : 'scalar') : 'missing';
export const keyStart = (p: Pair<unknown, unknown>): number | undefined => rangeOf(p.key)?.[0];

export const isBlockColl = (n: unknown): n is Coll => (isMap(n) || isSeq(n)) && !n.flow;
export const isFlowColl = (n: unknown): n is Coll => (isMap(n) || isSeq(n)) && !!n.flow;
export const isBlockScalar = (n: unknown): boolean => isScalar(n) && (n.type === 'BLOCK_LITERAL' || n.type === 'BLOCK_FOLDED');

/** `key:`, `key: ~`, `key: null`, `key: {}`, `key: []` (empty flow collections need `allowEmptyFlow`). */
export function isPlaceholder(s: string, n: unknown, allowEmptyFlow: 'map' | 'seq' | 'none'): boolean {
  if (n == null) return true;
  if (isScalar(n)) return n.value === null && !isBlockScalar(n);
  if (allowEmptyFlow === 'none') return false;
  if ((allowEmptyFlow === 'map' ? isMap(n) : isSeq(n)) && (n as Coll).flow && !(n as Coll).items.length) {
    const r = rangeOf(n);
    return !!r && /^[[{][ \t]*[\]}]$/.test(s.slice(r[0], r[1]));
  }
  return false;
}

export function keyMatches(key: unknown, seg: string | number): boolean {
  if (!isScalar(key)) return false;
  const v = key.value;
  if (v === seg) return true;
  return v !== null && typeof v !== 'object' && typeof v !== 'symbol' && scalarText(v) === String(seg);
}

export const isMergeKey = (key: unknown): boolean =>
  isScalar(key) && (typeof key.value === 'symbol' || (key.value === '<<' && (key.type ?? 'PLAIN') === 'PLAIN'));

/** Keys a map inherits through `<<:` merge keys (YAML 1.1, used by Kubernetes). */
export function inheritedKeys(doc: Doc, map: YAMLMap<unknown, unknown>, seen = new Set<unknown>()): Set<string> {
  const out = new Set<string>();
  if (seen.has(map)) return out;
  seen.add(map);
  for (const p of map.items) {
    if (!isMergeKey(p.key)) continue;
    const sources = isSeq(p.value) ? p.value.items : [p.value];
    for (let src of sources) {
      if (isAlias(src)) src = src.resolve(doc);
      if (!isMap(src)) continue;
      for (const q of src.items) if (isScalar(q.key) && !isMergeKey(q.key)) out.add(String(q.key.value));
      for (const k of inheritedKeys(doc, src, seen)) out.add(k);
    }
  }
  return out;
}

export interface Hit {
  /** The node at the path (null when a pair has no value node). */
  node: unknown;
  /** The pair holding the node when the parent is a map. */
  pair?: Pair<unknown, unknown>;
  /** The collection holding the node (undefined at the document root). */
  parent?: Coll;
  /** Index of the node (or pair) in `parent.items`. */
  index?: number;
}
export type Resolved = { found: true; hit: Hit } | { found: false; depth: number; hit: Hit };

/**
 * Walk `path` without following aliases: a path that continues through `*alias` or through a key inherited from
 * a `<<:` merge is refused. When the path is missing, `depth` is the length of the deepest existing prefix and
 * `hit` describes that node.
 */
export function resolve(doc: Doc, path: Path, full: Path = path): Resolved {
  let hit: Hit = { node: doc.contents };
  for (let i = 0; i < path.length; i++) {
    const seg = path[i]!;
    const node = hit.node;
    if (isAlias(node)) refuse(full, `path goes through alias *${node.source}; edit the anchor instead`);
    if (isMap(node)) {
      if (seg === '<<') refuse(full, 'path goes through merge key <<; edit the merged anchor instead');
      const matches = node.items.filter((p) => keyMatches(p.key, seg));
      if (matches.length > 1) refuse(full, `key ${JSON.stringify(String(seg))} is ambiguous (several keys match)`);
      const pair = matches[0];
      if (!pair) {
        if (inheritedKeys(doc, node).has(String(seg))) {
          refuse(full, `key ${JSON.stringify(String(seg))} is inherited through merge key <<; edit the merged anchor instead`);
        }
        return { found: false, depth: i, hit };
      }
      hit = { node: pair.value, pair, parent: node, index: node.items.indexOf(pair) };
    } else if (isSeq(node)) {
      if (typeof seg !== 'number' || !Number.isInteger(seg) || seg < 0) {
        refuse(full, `${fmtPath(path.slice(0, i))} is a sequence; expected an index, got ${JSON.stringify(seg)}`);
      }
      if (seg >= node.items.length) return { found: false, depth: i, hit };
      hit = { node: node.items[seg], parent: node, index: seg };
    } else {
      return { found: false, depth: i, hit };
    }
  }
  return { found: true, hit };
}

/** Offsets of the `-` indicators of a block sequence's items (from the CST, so `- # c\n  a: 1` works). */
export function dashOffsets(s: string, seq: YAMLSeq<unknown>): number[] {
  const tok = seq.srcToken as { type?: string; items?: { start: { type: string; offset: number }[] }[] } | undefined;
  if (tok?.type === 'block-seq' && tok.items) {
    const out = tok.items.flatMap((it) => it.start.filter((t) => t.type === 'seq-item-ind').map((t) => t.offset));
    if (out.length === seq.items.length) return out;
  }
  // Fallback: the last `-` before each item.
  return seq.items.map((it) => s.lastIndexOf('-', rangeOf(it)?.[0] ?? 0));
}

// ---------------------------------------------------------------------------------------------------------------
// Edit context: one parse of the source, a list of splices, expected-data mutations, verification.

export interface Splice {
  start: number;
  end: number;
  text: string;
  seq: number;
}

export interface Ctx {
  readonly src: string;
  readonly docs: Doc[];
  readonly di: number;
  readonly doc: Doc;
  readonly eol: '\n' | '\r\n';
  /** The path named in refusal messages. */
  readonly path: Path;
  readonly splices: Splice[];
  /** The stream had no document: `doc` is an empty one standing for the end of the text. */
  readonly synthetic: boolean;
  /** Lazily detected indentation style, shared by derived contexts. */
  readonly cache: { style?: import('./render.js').Style };
  /** The edited document is JSON (`{...}` or `[...]` that JSON.parse reads): new text is JSON, and so must the result be. */
  readonly json: boolean;
}

/** Is the document written as JSON? (a flow map or sequence that JSON.parse reads as it is) */
function isJsonDocument(src: string, doc: Doc): boolean {
  const r = rangeOf(doc.contents);
  if (!r || !(isMap(doc.contents) || isSeq(doc.contents)) || !doc.contents.flow) return false;
  try {
    JSON.parse(src.slice(r[0], r[1]));
    return true;
  } catch {
    return false;
  }
}

export function open(src: string, path: Path, o: EditOpts | undefined): Ctx {
  const di = o?.doc ?? 0;
  let docs: Doc[];
  try {
    docs = parseDocs(src);
  } catch (e) {
    refuse(path, errText(e));
  }
  // An empty or comment-only stream has no document; edits may add the first one.
  const synthetic = !docs.length && di === 0;
  if (synthetic) docs = [parseDocument('', { keepSourceTokens: true, logLevel: 'error' })];
  if (!Number.isInteger(di) || di < 0 || di >= docs.length) {
    refuse(path, `document index ${di} out of range (the file has ${docs.length} document${docs.length === 1 ? '' : 's'})`);
  }
  return { src, docs, di, doc: docs[di]!, eol: eolOf(src), path, splices: [], synthetic, cache: {}, json: !synthetic && isJsonDocument(src, docs[di]!) };
}

export function splice(c: Ctx, start: number, end: number, text: string): void {
  c.splices.push({ start, end, text, seq: c.splices.length });
}

/** Apply the splices right to left; text planned earlier for the same offset comes first. */
export function applySplices(c: Ctx): string {
  const list = [...c.splices].sort((a, b) => b.start - a.start || b.seq - a.seq);
  let out = c.src;
  let floor = Infinity;
  for (const sp of list) {
    if (sp.end > floor || sp.end < sp.start) refuse(c.path, 'overlapping edits; refusing');
    out = out.slice(0, sp.start) + sp.text + out.slice(sp.end);
    floor = sp.start;
  }
  return out;
}

/** Canonical text of JS data: object keys sorted, numbers and strings distinguished, NaN/Infinity kept. */
export function canon(v: unknown, depth = 0): string {
  if (depth > 200) throw new Error('data nests too deeply (recursive alias?)');
  if (v === null || v === undefined) return 'null';
  switch (typeof v) {
    case 'number':
      return Number.isNaN(v) ? 'NaN' : Object.is(v, -0) ? 'n0' : `n${v}`;
    case 'bigint':
      return `n${v}`;
    case 'string':
      return JSON.stringify(v);
    case 'boolean':
      return String(v);
    case 'symbol':
      return `sym:${v.description ?? ''}`;
    case 'object':
      break;
    default:
      return `?${typeof v}`;
  }
  if (Array.isArray(v)) return `[${v.map((x) => canon(x, depth + 1)).join(',')}]`;
  if (v instanceof Date) return `D${v.toISOString()}`;
  if (ArrayBuffer.isView(v)) return `B${Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64')}`;
  if (v instanceof Map) {
    const e = [...v].map(([k, x]) => `${canon(k, depth + 1)}:${canon(x, depth + 1)}`).sort();
    return `{${e.join(',')}}`;
  }
  if (v instanceof Set)
    return `S[${[...v]
      .map((x) => canon(x, depth + 1))
      .sort()
      .join(',')}]`;
  const keys = Object.keys(v).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canon((v as Record<string, unknown>)[k], depth + 1)}`).join(',')}}`;
}

const docJS = (d: Doc): string => canon(d.toJS({ maxAliasCount: -1 }));

/**
 * The part of a multi-document stream that belongs to the edited document: from the end of the previous document
 * (so its own directives are included) to its own end. Undefined when a splice lies outside it, or when that part
 * alone does not read as the document it belongs to.
 */
function docSpan(c: Ctx): [number, number] | undefined {
  if (c.synthetic || c.docs.length < 2) return undefined;
  const start = c.di === 0 ? 0 : c.docs[c.di - 1]!.range[2];
  const end = c.doc.range[2];
  if (c.splices.some((sp) => sp.start < start || sp.end > end)) return undefined;
  try {
    const alone = parseDocs(c.src.slice(start, end));
    return alone.length === 1 && docJS(alone[0]!) === docJS(c.doc) ? [start, end] : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Apply the splices, then verify by re-parsing: the data of the edited document must equal its original data with
 * `expect` applied to the parsed Document (so an edited &anchor propagates to its *aliases, as in the text), and
 * every other document must be unchanged. In a multi-document stream only the edited document's part is re-parsed:
 * the text around it is byte-identical and document boundaries (`---`, `...`, directives) are never edited, so the
 * other documents read exactly as before; an edit that would add or remove a boundary parses to a different number
 * of documents and is refused. Call only after planning is complete: `expect` mutates the parsed document.
 */
export function finish(c: Ctx, expect: (doc: Doc) => void): string {
  if (!c.splices.length) return c.src;
  const out = applySplices(c);
  if (out === c.src) return c.src;
  const span = docSpan(c);
  let after: Doc[];
  try {
    after = parseDocs(span ? out.slice(span[0], span[1] + out.length - c.src.length) : out);
  } catch (e) {
    refuse(c.path, `the edit would produce invalid YAML (${errText(e)}); refusing`);
  }
  if (after.length !== (span ? 1 : c.docs.length)) refuse(c.path, 'the edit would change the number of documents; refusing');
  let want: string;
  try {
    expect(c.doc);
    want = docJS(c.doc);
  } catch (e) {
    if (e instanceof EditRefusedError) throw e;
    refuse(c.path, `the intended change cannot be applied to the data (${errText(e)}); refusing`);
  }
  const text = (s: string, d: Doc) => s.slice(d.range[0], d.range[2]);
  if (c.json) {
    const d = after[span ? 0 : c.di]!;
    const r = rangeOf(d.contents);
    const base = span ? out.slice(span[0], span[1] + out.length - c.src.length) : out;
    try {
      JSON.parse(r ? base.slice(r[0], r[1]) : '');
    } catch {
      refuse(c.path, 'the document is JSON, and the edit would write YAML into it (JSON stays JSON); change it by hand');
    }
  }
  for (let i = 0; i < after.length; i++) {
    const edited = span || i === c.di;
    let same: boolean;
    try {
      if (edited) same = docJS(after[i]!) === want;
      else same = text(c.src, c.docs[i]!) === text(out, after[i]!) || docJS(after[i]!) === docJS(c.docs[i]!);
    } catch (e) {
      refuse(c.path, `the edited text cannot be read back (${errText(e)}); refusing`);
    }
    if (!same) {
      refuse(c.path, `the edited text does not parse to the intended data${edited ? '' : ` (document ${i} changed)`}; refusing`);
    }
  }
  return out;
}
