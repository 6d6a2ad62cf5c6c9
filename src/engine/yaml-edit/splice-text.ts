/**
 * Text-level splices shared by the edit operations (splices.ts): inserting lines, replacing inline values and block
 * values, adding to flow collections, adding comments, and the refusals that keep anchors and aliases intact.
 */
import { isAlias, isMap, isPair, isScalar, isSeq, visit } from 'yaml';
import type { CST, Pair, Scalar, YAMLMap, YAMLSeq } from 'yaml';
import {
  colOf,
  contentEnd,
  dashOffsets,
  eolEnd,
  isBlankText,
  isBlockColl,
  isBlockScalar,
  keyStart,
  lineContentEnd,
  lineStart,
  rangeOf,
  refuse,
  skipSubtreeTail,
  splice,
  trimBack,
} from './core.js';
import type { Coll, Ctx, Hit, Path } from './core.js';
import { renderFlow, renderItem, renderJson, renderKey, styleOf } from './render.js';
import type { Val } from './render.js';

type Key = string | number;
export type Entry = [Key, Val];

export const style = styleOf;
export const pad = (n: number) => ' '.repeat(n);
export const itemStart = (it: unknown): number | undefined => (isPair(it) ? (rangeOf(it.key)?.[0] ?? rangeOf(it.value)?.[0]) : rangeOf(it)?.[0]);
export const endsWithNl = (s: string, end: number) => end > 0 && s[end - 1] === '\n';
/**
 * The line break after replacement lines ending at `end`: kept when the source had one there; added at the end of
 * a file without a final line break when the last line is empty (the kept trailing lines of a `|+` block need it).
 */
export const tailEol = (c: Ctx, end: number, lines: readonly string[]) => (endsWithNl(c.src, end) || lines[lines.length - 1] === '' ? c.eol : '');

export function refuseAlias(c: Ctx, n: unknown): void {
  if (isAlias(n)) refuse(c.path, `path goes through alias *${n.source}; edit the anchor instead`);
}

/** Insert whole lines at a line start `at` (at EOF without a final newline, the newline goes first). */
export function insertLines(c: Ctx, at: number, lines: string[]): void {
  const text = lines.join(c.eol);
  if (at === c.src.length && c.src.length && !c.src.endsWith('\n')) splice(c, at, at, c.eol + text + tailEol(c, at, lines));
  else splice(c, at, at, text + c.eol);
}

/** Replace an inline value's text; an empty value (`key:`, `key:   # c`) gets a separating space. */
export function spliceInline(c: Ctx, a: number, b: number, text: string): void {
  const s = c.src;
  if (a !== b) return splice(c, a, b, text);
  const p = trimBack(s, a);
  if (s[a] === '#') splice(c, p, p, ' ' + text);
  else splice(c, p, a, (p > 0 && /[:\-?]/.test(s[p - 1]!) ? ' ' : '') + text);
}

/** Add ` # comment` at the end of the line holding `pos`, unless that line already has a comment there. */
export function addComment(c: Ctx, pos: number, comment: string): void {
  const s = c.src;
  const end = lineContentEnd(s, pos);
  if (s.slice(pos, end).includes('#')) return;
  const at = Math.max(pos, trimBack(s, end));
  splice(c, at, at, ` # ${comment}`);
}

/** Key line of a block-map pair: position after the colon and the props (`&a`, `!tag`) that follow it. */
export function afterColonProps(c: Ctx, pair: Pair<unknown, unknown>): { at: number; commentPart: string; lce: number } {
  const s = c.src;
  const k = rangeOf(pair.key);
  if (!k) refuse(c.path, 'complex keys are not supported');
  const colon = s.indexOf(':', k[1]);
  if (colon < 0 || s.slice(k[1], colon).includes('\n')) refuse(c.path, 'explicit (`? `) keys are not supported');
  const lce = lineContentEnd(s, colon);
  const rest = s.slice(colon + 1, lce);
  const props = /^(?:[ \t]+[&!][^ \t]*)*/.exec(rest)![0];
  const after = rest.slice(props.length);
  return { at: colon + 1 + props.length, commentPart: after.includes('#') ? after : '', lce };
}

/**
 * Make the value of a block-map pair the given block lines (already indented), replacing whatever is there:
 * an inline value (keeping a trailing comment on the key line), a block scalar, or a block collection's lines.
 */
export function valueToBlock(c: Ctx, hit: Hit, lines: string[]): void {
  const s = c.src;
  const n = hit.node;
  const pair = hit.pair!;
  const r = rangeOf(n);
  if (!r) refuse(c.path, 'value without a position (explicit key?)');
  if (isBlockColl(n)) {
    const end = skipSubtreeTail(s, eolEnd(s, contentEnd(n)!), colOf(s, keyStart(pair)!));
    return splice(c, lineStart(s, r[0]), end, lines.join(c.eol) + tailEol(c, end, lines));
  }
  const keyEnd = rangeOf(pair.key)![1];
  const sameLine = !s.slice(keyEnd, r[0]).includes('\n');
  if (isBlockScalar(n)) {
    const tok = (n as Scalar).srcToken as CST.BlockScalar | undefined;
    const cm = tok?.props.find((t) => t.type === 'comment') as CST.SourceToken | undefined;
    const start = sameLine ? trimBack(s, r[0]) : lineContentEnd(s, keyEnd);
    const text = (sameLine && cm ? ` ${cm.source}` : '') + c.eol + lines.join(c.eol) + tailEol(c, r[1], lines);
    return splice(c, start, r[1], text);
  }
  const empty = r[0] === r[1];
  const lce = lineContentEnd(s, r[1]);
  const tail = s.slice(empty ? trimBack(s, r[0]) : r[1], lce);
  const commentPart = sameLine && tail.includes('#') ? tail : '';
  const end = eolEnd(s, lce);
  const start = sameLine ? trimBack(s, r[0]) : lineContentEnd(s, keyEnd);
  splice(c, start, end, commentPart + c.eol + lines.join(c.eol) + tailEol(c, end, lines));
}

/** Replace a block-sequence item (from its `-` to the end of its lines) with freshly rendered `- ...` lines. */
export function replaceItem(c: Ctx, seq: YAMLSeq<unknown>, index: number, v: Val): void {
  const s = c.src;
  const d = dashOffsets(s, seq)[index]!;
  const col = colOf(s, d);
  const end = skipSubtreeTail(s, eolEnd(s, contentEnd(seq.items[index]) ?? d + 1), col);
  const lines = renderItem(v, col, style(c));
  splice(c, d, end, lines.join(c.eol).slice(col) + tailEol(c, end, lines));
}

export function flowPadded(c: Ctx, n: Coll): boolean {
  const r = rangeOf(n);
  return !!r && c.src[r[0] + 1] === ' ' && n.items.length > 0;
}

/** Offsets of a flow collection's brackets; a bracket-less `[key: value]` pair map is refused. */
export function flowBrackets(c: Ctx, f: Coll): { open: number; close: number } {
  const r = rangeOf(f)!;
  const open = r[0];
  const close = r[1] - 1;
  if (!'{['.includes(c.src[open]!) || !'}]'.includes(c.src[close]!)) {
    refuse(c.path, 'the flow collection has no brackets (a `[key: value]` pair); refusing');
  }
  return { open, close };
}

/** Add rendered items to a flow collection, following its layout (one line, or one item per line; trailing comma). */
export function flowInsert(c: Ctx, f: Coll, texts: string[]): void {
  const s = c.src;
  const { open, close } = flowBrackets(c, f);
  if (!f.items.length) {
    const inner = s.slice(open + 1, close);
    if (!/^[ \t]*$/.test(inner)) refuse(c.path, 'flow collection with comments or line breaks; refusing');
    return splice(c, open + 1, close, inner.length ? ` ${texts.join(', ')} ` : texts.join(', '));
  }
  const last = f.items[f.items.length - 1];
  const lastEnd = contentEnd(last)!;
  const gap = s.slice(lastEnd, close);
  if (gap.includes('#')) refuse(c.path, 'flow collection has a comment after its last item; refusing');
  const comma = gap.indexOf(',');
  const ls = itemStart(last)!;
  if (lineStart(s, ls) > open && gap.includes('\n')) {
    const lead = s.slice(lineStart(s, ls), ls);
    const ind = isBlankText(lead) ? lead : pad(colOf(s, ls));
    if (comma >= 0) splice(c, lastEnd + comma + 1, lastEnd + comma + 1, texts.map((t) => c.eol + ind + t + ',').join(''));
    else splice(c, lastEnd, lastEnd, texts.map((t) => ',' + c.eol + ind + t).join(''));
  } else if (comma >= 0) splice(c, lastEnd + comma + 1, lastEnd + comma + 1, texts.map((t) => ` ${t},`).join(''));
  else splice(c, lastEnd, lastEnd, texts.map((t) => `, ${t}`).join(''));
}

/** A key and a value in flow style: YAML, or JSON in a JSON document. */
export const flowKey = (c: Ctx, k: string | number): string => (c.json ? JSON.stringify(String(k)) : renderKey(k, true));
export const flowValue = (c: Ctx, v: Val, padded: boolean): string => (c.json ? renderJson(v, padded) : renderFlow(v, padded));

export const flowNested = (c: Ctx, missing: Path, entries: Entry[], padded: boolean): string => {
  const [o, cl] = padded ? ['{ ', ' }'] : ['{', '}'];
  const inner = (m: Path): string =>
    m.length ? `${flowKey(c, m[0]!)}: ${o}${inner(m.slice(1))}${cl}` : entries.map(([k, v]) => `${flowKey(c, k)}: ${flowValue(c, v, padded)}`).join(', ');
  return inner(missing);
};

/** Column of a block map's keys, from its first plain `key:` (explicit `? key` and complex keys do not tell it). */
export function blockMapCol(c: Ctx, m: YAMLMap<unknown, unknown>): number {
  const s = c.src;
  for (const p of m.items) {
    const k = keyStart(p);
    if (!isScalar(p.key) || k === undefined) continue;
    const before = s.slice(lineStart(s, k), k);
    if (/^[ \t]*(?:- +)*$/.test(before)) return colOf(s, k);
  }
  return refuse(c.path, 'the map has only complex or explicit (`? `) keys; refusing to insert into it');
}

/** Refuse when removing `n` (its own anchor too, unless `keepOwn`) would leave `*aliases` elsewhere without their anchor. */
export function refuseLostAnchors(c: Ctx, n: unknown, keepOwn: boolean): void {
  const lost = new Set<string>();
  const inside = new Set<unknown>();
  const collect = (x: unknown, own: boolean) => {
    if (x == null || typeof x !== 'object') return;
    inside.add(x);
    const a = (x as { anchor?: string }).anchor;
    if (a && !(own && keepOwn)) lost.add(a);
    if (isPair(x)) {
      collect(x.key, false);
      collect(x.value, false);
    } else if (isMap(x) || isSeq(x)) for (const it of x.items) collect(it, false);
  };
  collect(n, true);
  if (!lost.size) return;
  visit(c.doc, {
    Alias(_, a) {
      if (lost.has(a.source) && !inside.has(a)) {
        refuse(c.path, `the removed value defines anchor &${a.source} that *${a.source} still refers to; refusing`);
      }
    },
  });
}

/** Where the content of an empty document goes (after its `---` line and comments), if it has no content at all. */
export function emptyDocEnd(c: Ctx): number | undefined {
  const root = c.doc.contents;
  if (!(root == null || (isScalar(root) && root.value === null && !root.source && !root.anchor && !root.tag))) return undefined;
  if (c.synthetic) return c.src.length;
  const at = c.doc.range[1];
  return at > 0 && c.src[at - 1] !== '\n' ? eolEnd(c.src, at) : at;
}
