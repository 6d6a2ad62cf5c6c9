/**
 * The edit operations: each one locates its nodes in the parsed document and records splices into the original text
 * (insert, set a scalar, replace a value, set, append, delete, merge). They never mutate the document; the caller
 * applies the expected change and verifies afterwards.
 */
import { isAlias, isMap, isScalar, isSeq } from 'yaml';
import { spliceBlockScalar } from './block.js';
import {
  colOf,
  contentEnd,
  dashOffsets,
  eolEnd,
  fmtPath,
  inheritedKeys,
  isBlankText,
  isBlockColl,
  isBlockScalar,
  isFlowColl,
  isPlaceholder,
  keyMatches,
  keyStart,
  kindOf,
  lineContentEnd,
  lineStart,
  rangeOf,
  refuse,
  resolve,
  skipSubtreeTail,
  splice,
} from './core.js';
import type { Coll, Ctx, Hit, Path } from './core.js';
import { blockCanHold, isObj, isScalarVal, literalBlock, renderJson, renderMap, renderNested, renderScalar, renderSeq, renderItem } from './render.js';
import type { ScalarVal, Val } from './render.js';
import {
  addComment,
  afterColonProps,
  blockMapCol,
  emptyDocEnd,
  endsWithNl,
  flowBrackets,
  flowInsert,
  flowKey,
  flowNested,
  flowPadded,
  flowValue,
  insertLines,
  itemStart,
  pad,
  refuseAlias,
  refuseLostAnchors,
  replaceItem,
  spliceInline,
  style,
  tailEol,
  valueToBlock,
  type Entry,
} from './splice-text.js';

export { spliceBlockScalar };

export interface InsertOpts {
  after?: string;
  comment?: string;
}

/** Insert entries into the map at mapPath, creating missing parents and filling placeholders. */
export function spliceInsert(c: Ctx, mapPath: Path, entries: Entry[], o: InsertOpts = {}): void {
  const s = c.src;
  const r = resolve(c.doc, mapPath, c.path);
  const hit = r.hit;
  const n = hit.node;
  const missing = r.found ? [] : mapPath.slice(r.depth);
  refuseAlias(c, n);
  if (!r.found && isSeq(n)) refuse(c.path, `${fmtPath(mapPath.slice(0, r.depth + 1))} is out of range`);
  if (r.found && isMap(n)) {
    const inherited = inheritedKeys(c.doc, n);
    for (const [k] of entries) {
      if (n.items.some((p) => keyMatches(p.key, k))) refuse(c.path, `key ${JSON.stringify(String(k))} already exists`);
      if (inherited.has(String(k))) refuse(c.path, `key ${JSON.stringify(String(k))} is inherited through merge key <<; edit the merged anchor instead`);
    }
  }
  if (isMap(n) && !n.flow) {
    const col = blockMapCol(c, n);
    const after = o.after !== undefined && !missing.length ? n.items.find((p) => keyMatches(p.key, o.after!)) : undefined;
    const anchor = after ?? n.items[n.items.length - 1]!;
    const at = skipSubtreeTail(s, eolEnd(s, contentEnd(anchor)!), col);
    return insertLines(c, at, renderNested(missing, entries, col, style(c), o.comment));
  }
  const blockParent = !!hit.parent && !hit.parent.flow;
  if (isMap(n) && n.flow && (n.items.length || !blockParent)) {
    const padded = flowPadded(c, n);
    const texts = missing.length ? [flowNested(c, missing, entries, padded)] : entries.map(([k, v]) => `${flowKey(c, k)}: ${flowValue(c, v, padded)}`);
    return flowInsert(c, n, texts);
  }
  if (isPlaceholder(s, n, 'map')) {
    if (hit.pair && blockParent) {
      const col = colOf(s, keyStart(hit.pair)!) + style(c).indent;
      return valueToBlock(c, hit, renderNested(missing, entries, col, style(c), o.comment));
    }
    if (hit.parent && isSeq(hit.parent) && blockParent) {
      const d = dashOffsets(s, hit.parent)[hit.index!]!;
      const col = colOf(s, d);
      const lines = renderNested(missing, entries, col + 2, style(c), o.comment);
      lines[0] = `${pad(col)}- ${lines[0]!.slice(col + 2)}`;
      const end = eolEnd(s, contentEnd(n) ?? d + 1);
      return splice(c, d, end, lines.join(c.eol).slice(col) + tailEol(c, end, lines));
    }
    if (hit.parent?.flow) {
      const rr = rangeOf(n)!;
      return spliceInline(c, rr[0], rr[1], `{${flowNested(c, missing, entries, false)}}`);
    }
    const at = emptyDocEnd(c);
    if (at !== undefined) return insertLines(c, at, renderNested(missing, entries, 0, style(c), o.comment));
    refuse(c.path, 'the document root is a null value; refusing to replace it');
  }
  refuse(c.path, `${fmtPath(r.found ? mapPath : mapPath.slice(0, r.depth))} is a ${kindOf(n)}, not a map`);
}

/**
 * A multi-line string replacing an inline scalar (plain, quoted or an alias) in a block collection is written as a
 * literal block: the header where the scalar was (anchor, tag and trailing comment stay on that line), the body on
 * the lines after it, with an indentation indicator when the text needs one. False when that is not possible (the
 * value on a line of its own, a string a literal block cannot hold): the caller writes a one-line quoted string.
 */
function scalarToBlock(c: Ctx, hit: Hit, value: string, comment: string | undefined): boolean {
  const s = c.src;
  const p = hit.parent;
  const rr = rangeOf(hit.node);
  if (!p || p.flow || !rr) return false;
  let owner: number | undefined;
  if (hit.pair) owner = keyStart(hit.pair);
  else if (isSeq(p)) owner = dashOffsets(s, p)[hit.index!];
  if (owner === undefined || s.slice(owner, rr[0]).includes('\n')) return false;
  const indent = hit.pair ? style(c).indent : 2;
  const lit = literalBlock(value, indent);
  if (!lit) return false;
  const bodyCol = colOf(s, owner) + indent;
  splice(c, rr[0], rr[1], lit.header);
  if (comment) addComment(c, rr[1], comment);
  const end = eolEnd(s, lineContentEnd(s, rr[1]));
  const body = lit.lines.map((l) => (l === '' ? '' : pad(bodyCol) + l));
  if (end === s.length && !endsWithNl(s, end)) splice(c, end, end, c.eol + body.join(c.eol) + tailEol(c, end, body));
  else splice(c, end, end, body.join(c.eol) + c.eol);
  return true;
}

/** Set an existing inline scalar (or alias); a missing key is inserted. */
export function spliceScalar(c: Ctx, path: Path, value: ScalarVal, comment?: string): void {
  if (!path.length) refuse(c.path, 'cannot set the document root');
  const r = resolve(c.doc, path, c.path);
  if (!r.found) {
    if (r.depth === path.length - 1 && isSeq(r.hit.node)) refuse(c.path, `index ${String(path[path.length - 1])} is out of range; use appendToSeq`);
    return spliceInsert(c, path.slice(0, -1), [[path[path.length - 1]!, value]], { comment });
  }
  const { node: n, parent } = r.hit;
  if (isScalar(n) && isBlockScalar(n)) {
    if (n.type === 'BLOCK_FOLDED') refuse(c.path, 'is a folded block scalar (>); refusing to re-fold it');
    if (typeof value !== 'string') refuse(c.path, 'is a literal block scalar; only a string can replace its text');
    if (!blockCanHold(value)) return spliceReplace(c, r.hit, value); // a one-line quoted string then
    return spliceBlockScalar(c, path, value);
  }
  if (!isScalar(n) && !isAlias(n)) refuse(c.path, `is a ${kindOf(n)}, not a scalar; use setValue to replace it`);
  const rr = rangeOf(n)!;
  if (typeof value === 'string' && value.includes('\n') && !(isScalar(n) && n.value === value) && scalarToBlock(c, r.hit, value, comment)) return;
  if (!(isScalar(n) ? n.value === value : sameData(c, n, value))) {
    spliceInline(c, rr[0], rr[1], c.json ? renderJson(value, false) : renderScalar(value, isScalar(n) ? n.type : 'PLAIN', !!parent?.flow));
  }
  if (comment && !parent?.flow) addComment(c, rr[1], comment);
}

// ---------------------------------------------------------------------------------------------------------------
// Replacement, append, delete, merge.

/** Replace an existing value with a new one (scalar or collection) in the surrounding style. */
export function spliceReplace(c: Ctx, hit: Hit, v: Val): void {
  const s = c.src;
  const n = hit.node;
  const p = hit.parent;
  if (!p) refuse(c.path, 'cannot replace the whole document');
  const r = rangeOf(n);
  if (!r) refuse(c.path, 'value without a position (explicit key?)');
  refuseLostAnchors(c, n, !(isSeq(p) && !p.flow));
  if (p.flow) return spliceInline(c, r[0], r[1], flowValue(c, v, flowPadded(c, p)));
  const inline = isScalarVal(v) || (Array.isArray(v) ? !v.length : !Object.keys(v).length);
  const scalarText = () => (isScalarVal(v) ? renderScalar(v, isScalar(n) && !isBlockScalar(n) ? n.type : 'PLAIN') : Array.isArray(v) ? '[]' : '{}');
  if (isFlowColl(n) && !inline) return spliceInline(c, r[0], r[1], flowValue(c, v, flowPadded(c, n)));
  if (isSeq(p)) {
    if (inline && !isBlockColl(n) && !isBlockScalar(n)) return spliceInline(c, r[0], r[1], scalarText());
    return replaceItem(c, p, hit.index!, v);
  }
  const pair = hit.pair!;
  const keyCol = colOf(s, keyStart(pair)!);
  if (inline) {
    if (isBlockColl(n)) {
      const { at, commentPart } = afterColonProps(c, pair);
      const end = skipSubtreeTail(s, eolEnd(s, contentEnd(n)!), keyCol);
      return splice(c, at, end, ` ${scalarText()}${commentPart}` + (endsWithNl(s, end) ? c.eol : ''));
    }
    if (isBlockScalar(n)) return splice(c, r[0], r[1], scalarText() + (endsWithNl(s, r[1]) ? c.eol : ''));
    return spliceInline(c, r[0], r[1], scalarText());
  }
  const st = style(c);
  let lines: string[];
  if (Array.isArray(v)) {
    const col = isSeq(n) && !n.flow ? colOf(s, dashOffsets(s, n)[0]!) : keyCol + st.seqIndent;
    lines = renderSeq(v, col, st);
  } else {
    const first = isMap(n) && !n.flow ? keyStart(n.items[0]!) : undefined;
    lines = renderMap(v, first !== undefined ? colOf(s, first) : keyCol + st.indent, st);
  }
  valueToBlock(c, hit, lines);
}

/** General "make the value at path equal v". */
export function spliceSet(c: Ctx, path: Path, v: Val, comment?: string): void {
  if (!path.length) refuse(c.path, 'cannot replace the whole document');
  const r = resolve(c.doc, path, c.path);
  if (!r.found) {
    const last = path[path.length - 1]!;
    if (r.depth === path.length - 1 && isSeq(r.hit.node)) {
      if (last === r.hit.node.items.length) return spliceAppend(c, path.slice(0, -1), v);
      refuse(c.path, `index ${String(last)} is out of range`);
    }
    return spliceInsert(c, path.slice(0, -1), [[last, v]], { comment });
  }
  const n = r.hit.node;
  if (sameData(c, n, v)) return;
  if (isScalarVal(v)) {
    if (isBlockScalar(n) || isScalar(n) || isAlias(n)) return spliceScalar(c, path, v, comment);
  } else if (isScalar(n) && n.type === 'BLOCK_FOLDED') {
    refuse(c.path, 'is a folded block scalar (>); refusing to rewrite it');
  }
  spliceReplace(c, r.hit, v);
}

function sameData(c: Ctx, n: unknown, v: Val): boolean {
  if (isScalar(n)) return n.value === v;
  if (!isMap(n) && !isSeq(n) && !isAlias(n)) return false;
  try {
    return JSON.stringify(canonJS((n as Coll).toJS(c.doc, { maxAliasCount: -1 }))) === JSON.stringify(canonJS(v));
  } catch {
    return false;
  }
}
const canonJS = (v: unknown): unknown =>
  Array.isArray(v)
    ? v.map(canonJS)
    : v && typeof v === 'object'
      ? Object.fromEntries(
          Object.keys(v)
            .sort()
            .map((k) => [k, canonJS((v as Record<string, unknown>)[k])]),
        )
      : typeof v === 'bigint'
        ? Number(v)
        : v;

/** Append an item to the sequence at path (created when missing). */
export function spliceAppend(c: Ctx, path: Path, v: Val): void {
  const s = c.src;
  const r = resolve(c.doc, path, c.path);
  if (!r.found) {
    if (r.depth === path.length - 1 && isSeq(r.hit.node)) refuse(c.path, `index ${String(path[path.length - 1])} is out of range`);
    return spliceInsert(c, path.slice(0, -1), [[path[path.length - 1]!, [v]]]);
  }
  const hit = r.hit;
  const n = hit.node;
  refuseAlias(c, n);
  const blockParent = !!hit.parent && !hit.parent.flow;
  if (isSeq(n) && !n.flow) {
    const col = colOf(s, dashOffsets(s, n)[0]!);
    const at = skipSubtreeTail(s, eolEnd(s, contentEnd(n)!), col);
    return insertLines(c, at, renderItem(v, col, style(c)));
  }
  const toBlock = (hit.pair && blockParent) || !hit.parent;
  if (isSeq(n) && n.flow && (n.items.length || !toBlock || !hit.pair)) return flowInsert(c, n, [flowValue(c, v, flowPadded(c, n))]);
  if (isPlaceholder(s, n, 'seq')) {
    if (hit.pair && blockParent) {
      const col = colOf(s, keyStart(hit.pair)!) + style(c).seqIndent;
      return valueToBlock(c, hit, renderSeq([v], col, style(c)));
    }
    if (hit.parent && isSeq(hit.parent) && blockParent) return replaceItem(c, hit.parent, hit.index!, [v]);
    if (hit.parent?.flow) {
      const rr = rangeOf(n)!;
      return spliceInline(c, rr[0], rr[1], `[${flowValue(c, v, false)}]`);
    }
    const at = emptyDocEnd(c);
    if (at !== undefined) return insertLines(c, at, renderSeq([v], 0, style(c)));
    refuse(c.path, 'the document root is a null value; refusing to replace it');
  }
  refuse(c.path, `is a ${kindOf(n)}, not a sequence`);
}

/** Where an emptied block collection gets its `{}` / `[]`: after the owner's `key:` (+props) or `-`. */
function emptyMarkerPos(c: Ctx, path: Path): number | undefined {
  const r = resolve(c.doc, path, c.path);
  const h = r.hit;
  if (h.pair) return afterColonProps(c, h.pair).at;
  if (h.parent && isSeq(h.parent)) return dashOffsets(c.src, h.parent)[h.index!]! + 1;
  return undefined;
}

/** Delete a map key or a sequence item; returns false when the path does not exist. */
export function spliceDelete(c: Ctx, path: Path): boolean {
  const s = c.src;
  if (!path.length) refuse(c.path, 'cannot delete the whole document');
  const r = resolve(c.doc, path, c.path);
  if (!r.found) return false;
  const { node: n, parent: p, pair, index } = r.hit;
  if (!p || index === undefined) refuse(c.path, 'cannot delete the whole document');
  refuseLostAnchors(c, pair ?? n, false);
  if (pair && isMap(p) && inheritedKeys(c.doc, p).has(String(path[path.length - 1]))) {
    refuse(c.path, 'the key is also inherited through merge key <<; deleting it would expose the inherited value');
  }
  if (p.flow) {
    const items = p.items;
    const { open, close } = flowBrackets(c, p);
    if (items.length === 1) splice(c, open + 1, close, '');
    else if (index < items.length - 1) splice(c, itemStart(items[index])!, itemStart(items[index + 1])!, '');
    else splice(c, contentEnd(items[index - 1])!, contentEnd(items[index])!, '');
    return true;
  }
  const starts = isMap(p) ? p.items.map((q) => keyStart(q)) : dashOffsets(s, p);
  const start = starts[index];
  if (start === undefined) refuse(c.path, 'complex keys are not supported');
  const col = colOf(s, start);
  const ls = lineStart(s, start);
  const inlineStart = !isBlankText(s.slice(ls, start));
  const end = skipSubtreeTail(s, eolEnd(s, contentEnd(pair ?? n) ?? start + 1), col);
  const empty = isMap(p) ? '{}' : '[]';
  if (p.items.length > 1) {
    if (!inlineStart) splice(c, ls, end, '');
    else if (index === 0 && starts[1] !== undefined) splice(c, start, starts[1], '');
    else refuse(c.path, 'unsupported layout (a key after another one on the same line)');
    return true;
  }
  if (inlineStart) {
    splice(c, start, end, empty + (endsWithNl(s, end) ? c.eol : ''));
    return true;
  }
  const at = emptyMarkerPos(c, path.slice(0, -1));
  if (at === undefined) splice(c, ls, end, empty + (endsWithNl(s, end) ? c.eol : ''));
  else {
    splice(c, at, at, ` ${empty}`);
    splice(c, ls, end, '');
  }
  return true;
}

/** Deep-merge a map into the map at path. */
export function spliceMerge(c: Ctx, path: Path, o: { [k: string]: Val }): void {
  const s = c.src;
  const r = resolve(c.doc, path, c.path);
  if (!r.found) {
    if (r.depth === path.length - 1 && isSeq(r.hit.node)) refuse(c.path, `index ${String(path[path.length - 1])} is out of range`);
    return spliceInsert(c, path.slice(0, -1), [[path[path.length - 1]!, o]]);
  }
  const n = r.hit.node;
  refuseAlias(c, n);
  const entries = Object.entries(o);
  if (isPlaceholder(s, n, 'map') && !isMap(n)) {
    if (entries.length) return spliceInsert(c, path, entries);
    return spliceReplace(c, r.hit, {});
  }
  if (!isMap(n)) refuse(c.path, `is a ${kindOf(n)}, not a map`);
  const map = n;
  const inherited = inheritedKeys(c.doc, map);
  const missing: Entry[] = [];
  for (const [k, v] of entries) {
    const pair = map.items.find((q) => keyMatches(q.key, k));
    const sub = [...path, k];
    if (!pair) {
      if (inherited.has(k)) refuse(sub, `key ${JSON.stringify(k)} is inherited through merge key <<; edit the merged anchor instead`);
      missing.push([k, v]);
    } else if (isObj(v) && isAlias(pair.value)) {
      refuse(sub, `path goes through alias *${pair.value.source}; edit the anchor instead`);
    } else if (isObj(v) && isMap(pair.value)) spliceMerge({ ...c, path: sub }, sub, v);
    else spliceSet({ ...c, path: sub }, sub, v);
  }
  if (missing.length) spliceInsert(c, path, missing);
}
