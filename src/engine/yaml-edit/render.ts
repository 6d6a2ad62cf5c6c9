/**
 * Rendering of new text for splices: schema-aware scalars (YAML 1.2 and 1.1), keys, block subtrees in the file's
 * indentation style, and single-line flow collections.
 */
import { Document, isMap, isScalar, isSeq, parseDocument, visit } from 'yaml';
import type { Scalar } from 'yaml';
import { colOf, dashOffsets, isBlockColl, rangeOf, refuse } from './core.js';
import type { Ctx, Doc, Path } from './core.js';

export type Val = null | boolean | number | bigint | string | Val[] | { [k: string]: Val };
export type ScalarVal = null | boolean | number | bigint | string;

export const isScalarVal = (v: unknown): v is ScalarVal => v === null || ['boolean', 'number', 'bigint', 'string'].includes(typeof v);
export const isObj = (v: unknown): v is { [k: string]: Val } => !!v && typeof v === 'object' && !Array.isArray(v);

/** Copy a caller's value into plain data: undefined object members are dropped, undefined array items become null. */
export function normalize(v: unknown, path: Path, depth = 0): Val {
  if (depth > 100) refuse(path, 'value nests too deeply');
  if (v === undefined) refuse(path, 'value is undefined');
  if (isScalarVal(v)) return v;
  if (Array.isArray(v)) return v.map((x) => (x === undefined ? null : normalize(x, path, depth + 1)));
  if (v instanceof Map) {
    const o: { [k: string]: Val } = {};
    for (const [k, x] of v) if (x !== undefined) o[String(k)] = normalize(x, path, depth + 1);
    return o;
  }
  if (typeof v === 'object' && v !== null) {
    const proto: unknown = Object.getPrototypeOf(v);
    if (proto === Object.prototype || proto === null) {
      const o: { [k: string]: Val } = {};
      for (const [k, x] of Object.entries(v)) if (x !== undefined) o[k] = normalize(x, path, depth + 1);
      return o;
    }
  }
  return refuse(path, `unsupported value type ${Object.prototype.toString.call(v)}`);
}

// ---------------------------------------------------------------------------------------------------------------
// Style detection.

export interface Style {
  /** Indentation of a nested map under its key. */
  indent: number;
  /** Offset of a block sequence's `- ` under its key (0 for `key:\n- a`). */
  seqIndent: number;
}

/** The file's style, detected once per edit. */
export const styleOf = (c: Ctx): Style => (c.cache.style ??= detectStyle(c.src, c.docs));

function mode(counts: Map<number, number>, fallback: number): number {
  let best = fallback;
  let n = 0;
  for (const [k, c] of counts) if (c > n || (c === n && k < best)) [best, n] = [k, c];
  return best;
}

/** Detect the file's indentation from nested block collections of every document (2 / indented when unknown). */
export function detectStyle(src: string, docs: Doc[]): Style {
  const maps = new Map<number, number>();
  const seqs = new Map<number, number>();
  const bump = (m: Map<number, number>, k: number) => m.set(k, (m.get(k) ?? 0) + 1);
  for (const d of docs) {
    visit(d, {
      Pair(_, p) {
        const k = rangeOf(p.key);
        if (!k || !isBlockColl(p.value) || !p.value.items.length) return;
        const keyCol = colOf(src, k[0]);
        if (isMap(p.value)) {
          const first = rangeOf(p.value.items[0]?.key);
          if (first) {
            const diff = colOf(src, first[0]) - keyCol;
            if (diff > 0) bump(maps, diff);
          }
        } else if (isSeq(p.value)) {
          const dash = dashOffsets(src, p.value)[0];
          if (dash !== undefined) {
            const diff = colOf(src, dash) - keyCol;
            if (diff >= 0) bump(seqs, diff);
          }
        }
      },
    });
  }
  const indent = mode(maps, 2);
  return { indent, seqIndent: mode(seqs, indent) };
}

// ---------------------------------------------------------------------------------------------------------------
// Scalars and keys.

type Style1 = 'PLAIN' | 'QUOTE_SINGLE' | 'QUOTE_DOUBLE';

function lib(value: string, version: '1.1' | '1.2', type: Style1): string {
  const d = new Document(value, { version });
  (d.contents as Scalar).type = type;
  // Never fold a double-quoted string over several lines: its continuation lines would need the indentation of
  // the place it is spliced into, which the library does not know.
  return d.toString({ lineWidth: 0, minContentWidth: 0, doubleQuotedMinMultiLineLength: Infinity }).replace(/\r?\n$/, '');
}

const oneLine = (s: string): boolean => !/[\r\n]/.test(s);

/**
 * Render a scalar in the original quote style. A string is quoted whenever YAML 1.2 OR 1.1 (Kubernetes) would read
 * the plain form as something else (`yes`, `on`, `1.10`, `12:30`, `1_000`, `0775`, `null`, `''` ...), when it holds
 * a line break, and inside flow collections when it holds `,[]{}`. Numbers, booleans and null are written plainly.
 */
export function renderScalar(value: ScalarVal, style?: string, inFlow = false): string {
  if (value === null) return 'null';
  if (typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return '.nan';
    if (!Number.isFinite(value)) return value > 0 ? '.inf' : '-.inf';
    return String(value);
  }
  let type: Style1 = style === 'QUOTE_SINGLE' || style === 'QUOTE_DOUBLE' ? style : 'PLAIN';
  if (/[\r\n]/.test(value)) type = 'QUOTE_DOUBLE';
  if (type !== 'PLAIN') {
    const s = lib(value, '1.2', type);
    if (oneLine(s) && s[0] === (type === 'QUOTE_SINGLE' ? "'" : '"')) return s;
    return lib(value, '1.2', 'QUOTE_DOUBLE');
  }
  const s12 = lib(value, '1.2', 'PLAIN');
  const s11 = lib(value, '1.1', 'PLAIN');
  const quoted = [s12, s11].find((x) => x[0] === '"' || x[0] === "'");
  if (quoted && oneLine(quoted)) return lib(value, '1.2', quoted[0] === "'" ? 'QUOTE_SINGLE' : 'QUOTE_DOUBLE');
  if (s12 !== value || s11 !== value || (inFlow && /[,[\]{}]/.test(value))) return lib(value, '1.2', 'QUOTE_DOUBLE');
  return value;
}

/** Render a mapping key; quoted when the plain form would not read back as the same string key in 1.2 and 1.1. */
export function renderKey(key: string | number, inFlow = false): string {
  if (typeof key === 'number') return renderScalar(key);
  const s = renderScalar(key, 'PLAIN', inFlow);
  if (s[0] === '"' || s[0] === "'") return s;
  const ok = (['1.2', '1.1'] as const).every((version) => {
    const d = parseDocument(inFlow ? `{${s}: 0}` : `${s}: 0`, { version, logLevel: 'silent' });
    const m = d.contents;
    return !d.errors.length && isMap(m) && m.items.length === 1 && isScalar(m.items[0]!.key) && m.items[0]!.key.value === key;
  });
  return ok ? s : lib(key, '1.2', 'QUOTE_DOUBLE');
}

// ---------------------------------------------------------------------------------------------------------------
// Block subtrees (lines without terminators; the caller joins them with the file's EOL).

const pad = (n: number) => ' '.repeat(n);

/**
 * A multi-line string as a literal block (`|`, `|-`, `|+`; body lines without indentation). When the first line
 * starts with a space or a tab, or a line holds only spaces, the header carries an indentation indicator
 * (`|2`, `|2-`...): `indicator` is the body's indentation relative to the key (or the `-`) that owns it. Undefined
 * when the string cannot be a literal block (control characters, a carriage return, no line break, no content)
 * or does not read back as itself.
 */
export function literalBlock(s: string, indicator = 2): { header: string; lines: string[] } | undefined {
  // eslint-disable-next-line no-control-regex -- a block scalar cannot hold these control characters: they are what is looked for
  if (!s.includes('\n') || /[\r\x00-\x08\x0b\x0c\x0e-\x1f\x7f\x85\u2028\u2029\ufeff]/.test(s)) return undefined;
  const trailing = /\n*$/.exec(s)![0].length;
  const content = s.slice(0, s.length - trailing);
  if (!content) return undefined;
  const lines = content.split('\n');
  const needsIndicator = /^[ \t]/.test(lines.find((l) => l !== '')!) || lines.some((l) => l !== '' && /^[ \t]*$/.test(l));
  if (needsIndicator && !(Number.isInteger(indicator) && indicator >= 1 && indicator <= 9)) return undefined;
  for (let i = 1; i < trailing; i++) lines.push('');
  const header = `|${needsIndicator ? indicator : ''}${trailing === 0 ? '-' : trailing === 1 ? '' : '+'}`;
  // Read it back where it would stand (the body `indicator` columns right of its key).
  const probe = `k: ${header}\n${lines.map((l) => (l === '' ? '' : ' '.repeat(Math.max(indicator, 1)) + l)).join('\n')}\n`;
  const back = parseDocument(probe, { logLevel: 'silent' });
  if (back.errors.length || !isMap(back.contents) || back.get('k') !== s) return undefined;
  return { header, lines };
}

/** Can a literal block scalar hold `s` exactly? (Empty text and bare line breaks: yes, as an empty body.) */
export function blockCanHold(s: string): boolean {
  return /^\n*$/.test(s) || literalBlock(s.includes('\n') ? s : `${s}\n`, 2) !== undefined;
}

const body = (lines: string[], col: number) => lines.map((l) => (l === '' ? '' : pad(col) + l));

/** `key: value` (or `key:` + nested lines) at `col`; `comment` goes on the key line. */
export function renderPair(key: string | number, v: Val, col: number, st: Style, comment?: string): string[] {
  const head = pad(col) + renderKey(key) + ':';
  const c = comment ? ` # ${comment}` : '';
  if (isScalarVal(v)) {
    const lit = typeof v === 'string' ? literalBlock(v, st.indent) : undefined;
    if (lit) return [`${head} ${lit.header}${c}`, ...body(lit.lines, col + st.indent)];
    return [`${head} ${renderScalar(v)}${c}`];
  }
  if (Array.isArray(v)) {
    if (!v.length) return [`${head} []${c}`];
    return [head + c, ...renderSeq(v, col + st.seqIndent, st)];
  }
  if (!Object.keys(v).length) return [`${head} {}${c}`];
  return [head + c, ...renderMap(v, col + st.indent, st)];
}

export function renderMap(o: { [k: string]: Val }, col: number, st: Style): string[] {
  return Object.entries(o).flatMap(([k, v]) => renderPair(k, v, col, st));
}

export function renderSeq(a: Val[], col: number, st: Style): string[] {
  return a.flatMap((x) => renderItem(x, col, st));
}

/** One `- item` at `col` (maps and sequences in compact form: `- a: 1\n  b: 2`). */
export function renderItem(v: Val, col: number, st: Style): string[] {
  const dash = pad(col) + '-';
  if (isScalarVal(v)) {
    const lit = typeof v === 'string' ? literalBlock(v, 2) : undefined;
    if (lit) return [`${dash} ${lit.header}`, ...body(lit.lines, col + 2)];
    return [`${dash} ${renderScalar(v)}`];
  }
  if (Array.isArray(v) ? !v.length : !Object.keys(v).length) return [`${dash} ${Array.isArray(v) ? '[]' : '{}'}`];
  const lines = Array.isArray(v) ? renderSeq(v, col + 2, st) : renderMap(v, col + 2, st);
  lines[0] = `${dash} ${lines[0]!.slice(col + 2)}`;
  return lines;
}

/** Nested missing parents (`a:\n  b:\n    key: value`), the comment on the first entry's key line. */
export function renderNested(missing: Path, entries: [string | number, Val][], col: number, st: Style, comment?: string): string[] {
  if (!missing.length) return entries.flatMap(([k, v], i) => renderPair(k, v, col, st, i === 0 ? comment : undefined));
  return [`${pad(col)}${renderKey(missing[0]!)}:`, ...renderNested(missing.slice(1), entries, col + st.indent, st, comment)];
}

// ---------------------------------------------------------------------------------------------------------------
// Flow (single line).

export function renderFlow(v: Val, padded: boolean): string {
  if (isScalarVal(v)) return renderScalar(v, 'PLAIN', true);
  const [o, c] = padded ? ['{ ', ' }'] : ['{', '}'];
  if (Array.isArray(v)) {
    if (!v.length) return '[]';
    const inner = v.map((x) => renderFlow(x, padded)).join(', ');
    return padded ? `[ ${inner} ]` : `[${inner}]`;
  }
  const e = Object.entries(v);
  if (!e.length) return '{}';
  return o + e.map(([k, x]) => `${renderKey(k, true)}: ${renderFlow(x, padded)}`).join(', ') + c;
}

export const renderFlowPair = (k: string | number, v: Val, padded: boolean): string => `${renderKey(k, true)}: ${renderFlow(v, padded)}`;

/** A value as JSON text in the spacing of the document (`{"a": 1}` or `{ "a": 1 }`), for edits of JSON documents. */
export function renderJson(v: Val, padded: boolean): string {
  if (v === null || typeof v === 'boolean' || typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'bigint') return String(v);
  if (typeof v === 'number') return Number.isFinite(v) ? JSON.stringify(v) : '.nan'; // not JSON: the edit is refused
  const [o, c] = padded ? ['{ ', ' }'] : ['{', '}'];
  if (Array.isArray(v)) {
    if (!v.length) return '[]';
    const inner = v.map((x) => renderJson(x, padded)).join(', ');
    return padded ? `[ ${inner} ]` : `[${inner}]`;
  }
  const e = Object.entries(v);
  if (!e.length) return '{}';
  return o + e.map(([k, x]) => `${JSON.stringify(k)}: ${renderJson(x, padded)}`).join(', ') + c;
}
