// Real-parser check: @cdktf/hcl2json (HashiCorp's hcl/v2 2.23 compiled to WASM; async; errors carry file:line,col;
// ~0.35 s to load, so imported only when validateEdit runs). Not hcl2-parser: 3.8 MB GopherJS build of hcl/v2 2.10,
// ~0.65 s to load, and its errors arrive as empty objects with no message or position.

/**
 * Vault server configuration (HCL as Vault reads it, i.e. HCL v1): a tolerant structural parser that keeps source
 * offsets, and text edits that change only the lines concerned.
 */

export interface HclRange {
  start: number;
  end: number;
}

export interface HclAttribute {
  name: string;
  /** Decoded value: string (`${...}` kept as written), number, boolean, array, or object for `{ ... }`. */
  value: unknown;
  /** Source text of the value. */
  raw: string;
  /** The attribute's whole line(s) including a trailing comment, without the newline; when other items share the
   *  line, from the name to the end of the value (and its comma). */
  range: HclRange;
  valueRange: HclRange;
}

export interface HclBlock {
  type: string;
  labels: string[];
  /** From the first character of the type to just after the closing brace. */
  range: HclRange;
  /** Between the braces. */
  bodyRange: HclRange;
  attributes: HclAttribute[];
  blocks: HclBlock[];
  /** Indentation of the line the block starts on. */
  indent: string;
}

export interface HclDoc {
  text: string;
  attributes: HclAttribute[];
  blocks: HclBlock[];
}

/** Selects a block by type and first label; `parent` selects a nested block (`telemetry` inside `listener "tcp"`). */
export interface HclBlockRef {
  type: string;
  label?: string;
  parent?: HclBlockRef;
}

export class HclError extends Error {
  readonly line: number;
  readonly column: number;
  constructor(message: string, line: number, column: number) {
    super(`line ${line}, column ${column}: ${message}`);
    this.name = 'HclError';
    this.line = line;
    this.column = column;
  }
}

interface AttrMeta {
  nameStart: number;
  eq: number;
  /** After the value and an optional comma. */
  end: number;
}

const attrMeta = new WeakMap<HclAttribute, AttrMeta>();
/** Heredoc bodies (through the closing anchor) of each parsed document: text that must not be re-indented. */
const heredocsOf = new WeakMap<HclDoc, HclRange[]>();

const MAX_DEPTH = 64;
const IDENT_START = /[\p{L}_]/u;
const IDENT_PART = /[\p{L}\p{N}_\-.]/u;
const NUMBER = /-?(?:0[xX][0-9a-fA-F]+|(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)/y;
const BOOL = /(?:true|false)(?![\p{L}\p{N}_\-.])/uy;
const HEREDOC_ANCHOR = /[A-Za-z_][A-Za-z0-9_-]*/y;
const ESCAPES: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\', '"': '"' };

interface Body {
  attributes: HclAttribute[];
  blocks: HclBlock[];
}

class Parser {
  pos = 0;
  readonly heredocs: HclRange[] = [];

  constructor(readonly text: string) {}

  fail(message: string, at = this.pos): never {
    const before = this.text.slice(0, at);
    const line = before.split('\n').length;
    const column = at - (before.lastIndexOf('\n') + 1) + 1;
    throw new HclError(message, line, column);
  }

  /** Whitespace (newlines included: HCL1 does not need them) and comments. */
  skip(): void {
    const t = this.text;
    for (;;) {
      const c = t[this.pos];
      if (c === ' ' || c === '\t' || c === '\r' || c === '\n' || c === '\f' || c === '\v' || c === '\uFEFF') {
        this.pos++;
      } else if (c === '#' || (c === '/' && t[this.pos + 1] === '/')) {
        const nl = t.indexOf('\n', this.pos);
        this.pos = nl < 0 ? t.length : nl;
      } else if (c === '/' && t[this.pos + 1] === '*') {
        const close = t.indexOf('*/', this.pos + 2);
        if (close < 0) this.fail('unterminated /* comment');
        this.pos = close + 2;
      } else {
        return;
      }
    }
  }

  parseBody(openBrace: number | undefined, depth: number): Body {
    if (depth > MAX_DEPTH) this.fail('nesting too deep');
    const body: Body = { attributes: [], blocks: [] };
    const t = this.text;
    for (;;) {
      this.skip();
      if (this.pos >= t.length) {
        if (openBrace !== undefined) this.fail("missing '}' for this '{'", openBrace);
        return body;
      }
      if (t[this.pos] === '}') {
        if (openBrace === undefined) this.fail("unexpected '}'");
        return body;
      }
      this.parseItem(body, depth);
      this.skip();
      if (t[this.pos] === ',') this.pos++;
    }
  }

  parseKey(): { value: string; start: number } {
    const start = this.pos;
    const c = this.text[this.pos] ?? '';
    if (c === '"') {
      return { value: this.parseString().value, start };
    }
    if (!IDENT_START.test(c)) this.fail(`expected an attribute name or block type, found ${describe(c)}`);
    this.pos++;
    while (this.pos < this.text.length && IDENT_PART.test(this.text[this.pos]!)) this.pos++;
    return { value: this.text.slice(start, this.pos), start };
  }

  parseItem(body: Body, depth: number): void {
    const t = this.text;
    const keys: { value: string; start: number }[] = [];
    for (;;) {
      const c = t[this.pos] ?? '';
      if (keys.length > 0 && c !== '"' && !IDENT_START.test(c)) {
        const what = keys.length === 1 ? `'${keys[0]!.value}'` : 'block labels';
        this.fail(`expected '=' or '{' after ${what}, found ${describe(c)}`);
      }
      keys.push(this.parseKey());
      this.skip();
      const next = t[this.pos];
      if (next === '=') {
        if (keys.length > 1) this.fail("expected '{' after block labels, found '='");
        const eq = this.pos;
        this.pos++;
        this.skip();
        const v = this.parseValue(depth + 1);
        let end = v.end;
        this.skip();
        if (t[this.pos] === ',') end = ++this.pos;
        else this.pos = v.end;
        const attr: HclAttribute = {
          name: keys[0]!.value,
          value: v.value,
          raw: t.slice(v.start, v.end),
          range: attributeRange(t, keys[0]!.start, v.end),
          valueRange: { start: v.start, end: v.end },
        };
        attrMeta.set(attr, { nameStart: keys[0]!.start, eq, end });
        body.attributes.push(attr);
        return;
      }
      if (next === '{') {
        const open = this.pos;
        this.pos++;
        const inner = this.parseBody(open, depth + 1);
        const start = keys[0]!.start;
        this.pos++;
        body.blocks.push({
          type: keys[0]!.value,
          labels: keys.slice(1).map((k) => k.value),
          range: { start, end: this.pos },
          bodyRange: { start: open + 1, end: this.pos - 1 },
          attributes: inner.attributes,
          blocks: inner.blocks,
          indent: lineIndent(t, start),
        });
        return;
      }
    }
  }

  parseValue(depth: number): { value: unknown; start: number; end: number } {
    if (depth > MAX_DEPTH) this.fail('nesting too deep');
    const t = this.text;
    const start = this.pos;
    const c = t[start] ?? '';
    if (c === '"') {
      const s = this.parseString();
      return { value: s.value, start, end: this.pos };
    }
    if (c === '<' && t[start + 1] === '<') return { value: this.parseHeredoc(), start, end: this.pos };
    if (c === '[') {
      this.pos++;
      const items: unknown[] = [];
      for (;;) {
        this.skip();
        if (t[this.pos] === ']') break;
        if (this.pos >= t.length) this.fail("missing ']' for this '['", start);
        items.push(this.parseValue(depth + 1).value);
        this.skip();
        if (t[this.pos] === ',') this.pos++;
        else if (t[this.pos] !== ']') this.fail(`expected ',' or ']' in list, found ${describe(t[this.pos] ?? '')}`);
      }
      this.pos++;
      return { value: items, start, end: this.pos };
    }
    if (c === '{') {
      this.pos++;
      const body = this.parseBody(start, depth + 1);
      this.pos++;
      return { value: bodyToValue(body), start, end: this.pos };
    }
    BOOL.lastIndex = start;
    const b = BOOL.exec(t);
    if (b) {
      this.pos = start + b[0].length;
      return { value: b[0] === 'true', start, end: this.pos };
    }
    NUMBER.lastIndex = start;
    const n = NUMBER.exec(t);
    if (n) {
      const end = start + n[0].length;
      if (end < t.length && IDENT_PART.test(t[end]!)) this.fail(`invalid number '${t.slice(start, end + 1)}' (quote it)`, start);
      this.pos = end;
      const neg = n[0].startsWith('-');
      const body = neg ? n[0].slice(1) : n[0];
      const num = /^0[xX]/.test(body) ? parseInt(body.slice(2), 16) : Number(body);
      return { value: neg ? -num : num, start, end };
    }
    if (c === '' || c === '}' || c === ',') this.fail(`expected a value, found ${describe(c)}`);
    this.fail(`expected a value (quoted string, number, true/false, list, object or heredoc), found ${describe(c)}`);
  }

  /** A quoted string at `pos`; `${...}` (which may contain quotes and newlines) is kept verbatim. */
  parseString(): { value: string } {
    const t = this.text;
    const start = this.pos;
    this.pos++;
    let out = '';
    let braces = 0;
    for (;;) {
      if (this.pos >= t.length) this.fail('unterminated string', start);
      const c = t[this.pos]!;
      if (c === '"' && braces === 0) {
        this.pos++;
        return { value: out };
      }
      if (c === '\n' && braces === 0) this.fail('unterminated string (newline inside quotes)', start);
      if (c === '\\') {
        out += braces > 0 ? this.rawEscape() : this.escape();
        continue;
      }
      if (c === '$' && t[this.pos + 1] === '{') {
        braces++;
        out += '${';
        this.pos += 2;
        continue;
      }
      if (braces > 0 && c === '{') braces++;
      if (braces > 0 && c === '}') braces--;
      out += c;
      this.pos++;
    }
  }

  rawEscape(): string {
    const s = this.text.slice(this.pos, this.pos + 2);
    if (s.length < 2) this.fail('unterminated string');
    this.pos += 2;
    return s;
  }

  escape(): string {
    const t = this.text;
    const at = this.pos;
    const c = t[at + 1] ?? '';
    if (c in ESCAPES) {
      this.pos += 2;
      return ESCAPES[c]!;
    }
    const hex = (n: number): string => {
      const digits = t.slice(at + 2, at + 2 + n);
      if (!new RegExp(`^[0-9a-fA-F]{${n}}$`).test(digits)) this.fail(`invalid \\${c} escape`, at);
      this.pos = at + 2 + n;
      const cp = parseInt(digits, 16);
      if (cp > 0x10ffff) this.fail(`invalid \\${c} escape`, at);
      return String.fromCodePoint(cp);
    };
    if (c === 'x') return hex(2);
    if (c === 'u') return hex(4);
    if (c === 'U') return hex(8);
    if (/[0-7]/.test(c)) {
      const digits = t.slice(at + 1, at + 4);
      if (!/^[0-7]{3}$/.test(digits)) this.fail('invalid octal escape', at);
      this.pos = at + 4;
      return String.fromCharCode(parseInt(digits, 8));
    }
    return this.fail(`unknown escape sequence '\\${c}'`, at);
  }

  parseHeredoc(): string {
    const t = this.text;
    const start = this.pos;
    this.pos += 2;
    const indented = t[this.pos] === '-';
    if (indented) this.pos++;
    HEREDOC_ANCHOR.lastIndex = this.pos;
    const m = HEREDOC_ANCHOR.exec(t);
    if (!m) this.fail('expected a heredoc anchor after <<', start);
    const anchor = m[0];
    this.pos += anchor.length;
    if (t[this.pos] === '\r') this.pos++;
    if (t[this.pos] !== '\n') this.fail('a heredoc anchor must end its line', start);
    this.pos++;
    const bodyStart = this.pos;
    const lines: string[] = [];
    for (;;) {
      if (this.pos >= t.length) this.fail(`unterminated heredoc (no closing '${anchor}' line)`, start);
      const nl = t.indexOf('\n', this.pos);
      const lineEndAt = nl < 0 ? t.length : nl;
      const line = t.slice(this.pos, lineEndAt).replace(/\r$/, '');
      if (line.trim() === anchor) {
        const lead = line.length - line.trimStart().length;
        const close = this.pos + lead + anchor.length;
        this.heredocs.push({ start: bodyStart, end: close });
        this.pos = close;
        break;
      }
      lines.push(line);
      this.pos = nl < 0 ? t.length : nl + 1;
    }
    if (indented) {
      const widths = lines.filter((l) => l.trim() !== '').map((l) => l.length - l.trimStart().length);
      const cut = widths.length ? Math.min(...widths) : 0;
      return lines.map((l) => l.slice(Math.min(cut, l.length - l.trimStart().length))).join('\n') + '\n';
    }
    return lines.length ? lines.join('\n') + '\n' : '';
  }
}

function describe(c: string): string {
  if (c === '') return 'end of text';
  if (c === '\n' || c === '\r') return 'end of line';
  return `'${c}'`;
}

function bodyToValue(body: Body): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const a of body.attributes) out[a.name] = a.value;
  for (const b of body.blocks) {
    let slot = out;
    for (const key of [b.type, ...b.labels.slice(0, -1)]) {
      const next = slot[key];
      slot = (typeof next === 'object' && next !== null && !Array.isArray(next) ? next : (slot[key] = {})) as Record<string, unknown>;
    }
    slot[b.labels.length ? b.labels[b.labels.length - 1]! : b.type] = bodyToValue(b);
  }
  return out;
}

/** Structural parse, tolerant like HCL1. Throws HclError on malformed text. */
export function parseHcl(text: string): HclDoc {
  const p = new Parser(text);
  const body = p.parseBody(undefined, 0);
  const doc: HclDoc = { text, attributes: body.attributes, blocks: body.blocks };
  heredocsOf.set(doc, p.heredocs);
  return doc;
}

// ---------------------------------------------------------------------------------------------------------------
// Queries

/** Blocks of `type` (and first label `label`, when given) directly inside `container`. */
export function findBlocks(container: HclDoc | HclBlock, type: string, label?: string): HclBlock[] {
  return container.blocks.filter((b) => b.type === type && (label === undefined || b.labels[0] === label));
}

/** The attribute `name` directly inside `container` (the last one when it is repeated). */
export function getAttribute(container: HclBlock | HclDoc, name: string): HclAttribute | undefined {
  const all = container.attributes.filter((a) => a.name === name);
  return all[all.length - 1];
}

/** Every block `ref` selects (none when a parent is missing). */
export function matchBlocks(doc: HclDoc, ref: HclBlockRef): HclBlock[] {
  const containers: (HclDoc | HclBlock)[] = ref.parent ? matchBlocks(doc, ref.parent) : [doc];
  return containers.flatMap((c) => findBlocks(c, ref.type, ref.label));
}

/** The single block `ref` selects; throws when none or several match. */
export function resolveBlock(doc: HclDoc, ref: HclBlockRef): HclBlock {
  const found = matchBlocks(doc, ref);
  if (found.length === 1) return found[0]!;
  const where = ref.parent ? ` inside ${refName(ref.parent)}` : '';
  if (found.length === 0) throw new Error(`no ${refName(ref)} block${where}`);
  throw new Error(`${found.length} ${refName(ref)} blocks${where}; the edit is ambiguous`);
}

function refName(ref: HclBlockRef): string {
  return ref.label === undefined ? ref.type : `${ref.type} "${ref.label}"`;
}

/** Vault's reading of a boolean option (Go ParseBool for strings, non-zero for numbers): tls_disable = 1 / true / "true". */
export function isTruthyHcl(v: unknown): boolean {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'string') return ['1', 't', 'T', 'true', 'TRUE', 'True'].includes(v);
  return false;
}

/** HCL text of a value: strings quoted with HCL escapes, numbers and booleans plain. A closed `${...}` is written as
 *  is (Vault reads it literally); a string that would not read back the same (an unclosed `${`) throws. */
export function renderHclValue(v: string | number | boolean): string {
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new Error(`cannot write ${v} in HCL`);
    return String(v);
  }
  let out = '"';
  for (const ch of v) {
    const code = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (code < 0x20 || code === 0x7f) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  out += '"';
  if (v.includes('${')) {
    // HCL has no escape for `${`: the text must read back as the same string.
    const p = new Parser(out);
    let back: string | undefined;
    try {
      back = p.parseString().value;
    } catch {
      back = undefined;
    }
    if (back !== v || p.pos !== out.length) throw new Error(`cannot write ${JSON.stringify(v)} in HCL: \${ starts an interpolation`);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Text helpers

function lineStart(text: string, at: number): number {
  return text.lastIndexOf('\n', at - 1) + 1;
}

/** Offset of the end of the line holding `at`, before `\r\n` / `\n`. */
function lineEnd(text: string, at: number): number {
  const nl = text.indexOf('\n', at);
  if (nl < 0) return text.length;
  return nl > 0 && text[nl - 1] === '\r' && nl - 1 >= at ? nl - 1 : nl;
}

function nextLineStart(text: string, at: number): number {
  const nl = text.indexOf('\n', at);
  return nl < 0 ? text.length : nl + 1;
}

function lineIndent(text: string, at: number): string {
  const s = lineStart(text, at);
  return /^[ \t]*/.exec(text.slice(s, at))![0];
}

function onlySpaceBefore(text: string, at: number): boolean {
  return /^[ \t]*$/.test(text.slice(lineStart(text, at), at));
}

/** End of the line after `end` when only a comma, a comment and blanks follow; otherwise undefined. */
function restOfLine(text: string, end: number): number | undefined {
  const eol = lineEnd(text, end);
  const rest = /^[ \t]*,?[ \t]*(?:(?:#|\/\/)[^\n]*|\/\*(?:(?!\*\/)[^\n])*\*\/[ \t]*)?$/;
  return rest.test(text.slice(end, eol)) ? eol : undefined;
}

function attributeRange(text: string, nameStart: number, valueEnd: number): HclRange {
  const rest = restOfLine(text, valueEnd);
  const start = onlySpaceBefore(text, nameStart) ? lineStart(text, nameStart) : nameStart;
  if (rest !== undefined) return { start, end: rest };
  const comma = /^[ \t]*,/.exec(text.slice(valueEnd));
  return { start, end: valueEnd + (comma ? comma[0].length : 0) };
}

function ownsLines(text: string, r: HclRange): boolean {
  return r.start === lineStart(text, r.start) && r.end === lineEnd(text, r.end);
}

function detectEol(text: string): string {
  return text.includes('\r\n') ? '\r\n' : '\n';
}

interface Edit {
  start: number;
  end: number;
  text: string;
}

function applyEdits(text: string, edits: Edit[]): string {
  let out = text;
  for (const e of [...edits].sort((a, b) => b.start - a.start)) out = out.slice(0, e.start) + e.text + out.slice(e.end);
  return out;
}

function allBlocks(blocks: HclBlock[]): HclBlock[] {
  return blocks.flatMap((b) => [b, ...allBlocks(b.blocks)]);
}

function firstChildStart(b: HclBlock): number | undefined {
  const starts = [...b.attributes.map((a) => attrMeta.get(a)!.nameStart), ...b.blocks.map((x) => x.range.start)];
  return starts.length ? Math.min(...starts) : undefined;
}

/** One level of indentation as the file writes it. */
function indentUnit(doc: HclDoc): string {
  for (const b of allBlocks(doc.blocks)) {
    const first = firstChildStart(b);
    if (first === undefined || !onlySpaceBefore(doc.text, first)) continue;
    const ci = lineIndent(doc.text, first);
    if (ci.length > b.indent.length && ci.startsWith(b.indent)) return ci.slice(b.indent.length);
  }
  return /^\t/m.test(doc.text) ? '\t' : '  ';
}

/** Indentation for a new line inside `b`. */
function childIndent(doc: HclDoc, b: HclBlock): string {
  const first = firstChildStart(b);
  if (first !== undefined && onlySpaceBefore(doc.text, first)) {
    const ci = lineIndent(doc.text, first);
    if (ci.length > b.indent.length) return ci;
  }
  return b.indent + indentUnit(doc);
}

function isOneLine(text: string, b: HclBlock): boolean {
  return !text.slice(b.bodyRange.start - 1, b.bodyRange.end).includes('\n');
}

/** Whether items are separated by blank lines (judged on transitions that involve a block). */
function blankHabit(text: string, container: HclDoc | HclBlock, fallback: boolean): boolean {
  const items = [...container.attributes.map((a) => ({ r: a.range, block: false })), ...container.blocks.map((b) => ({ r: b.range, block: true }))].sort(
    (x, y) => x.r.start - y.r.start,
  );
  let blank = 0;
  let tight = 0;
  for (let i = 1; i < items.length; i++) {
    const a = items[i - 1]!;
    const b = items[i]!;
    if (!a.block && !b.block) continue;
    if (/\n[ \t\r]*\n/.test(text.slice(a.r.end, b.r.start))) blank++;
    else tight++;
  }
  return blank + tight === 0 ? fallback : blank >= tight;
}

/** `name = value`, padded to the `=` column when the sibling attributes next to `anchor` are aligned. */
function attributeLine(text: string, siblings: HclAttribute[], anchor: HclAttribute | undefined, indent: string, name: string, value: string): string {
  const column = anchor ? alignedColumn(text, siblings, anchor) : undefined;
  const pad = column !== undefined && indent.length + name.length + 1 <= column ? column - indent.length - name.length : 1;
  return `${name}${' '.repeat(pad)}= ${value}`;
}

function alignedColumn(text: string, siblings: HclAttribute[], anchor: HclAttribute): number | undefined {
  const owned = siblings.filter((a) => ownsLines(text, a.range)).sort((x, y) => x.range.start - y.range.start);
  const at = owned.indexOf(anchor);
  if (at < 0) return undefined;
  let group = [anchor];
  for (let i = at - 1; i >= 0; i--) {
    if (!/^\r?\n$/.test(text.slice(owned[i]!.range.end, owned[i + 1]!.range.start))) break;
    group.unshift(owned[i]!);
  }
  if (group.length < 2) group = owned;
  if (group.length < 2) return undefined;
  const cols = group.map((a) => attrMeta.get(a)!.eq - lineStart(text, a.range.start));
  if (!cols.every((c) => c === cols[0])) return undefined;
  const padded = group.some((a) => /^[ \t]{2}$/.test(text.slice(attrMeta.get(a)!.eq - 2, attrMeta.get(a)!.eq)));
  return padded ? cols[0] : undefined;
}

/**
 * `blockText` moved to `indent`, its indentation unit converted to `unit`; heredoc bodies stay as written. Returns the
 * lines, each with its indentation (join them with the file's line end).
 */
function reindent(blockText: string, indent: string, unit: string): string[] {
  const src = blockText
    .replace(/\r\n/g, '\n')
    .replace(/^(?:[ \t]*\n)+/, '')
    .replace(/\s+$/, '');
  const heredocs = heredocsOf.get(parseHcl(src))!;
  const lines: { text: string; fixed: boolean }[] = [];
  let at = 0;
  for (const l of src.split('\n')) {
    lines.push({ text: l, fixed: heredocs.some((r) => at >= r.start && at < r.end) });
    at += l.length + 1;
  }
  const leadOf = (l: string): string => /^[ \t]*/.exec(l)![0];
  const free = lines.filter((l) => !l.fixed && l.text.trim() !== '');
  // A first line at column 0 followed by indented lines is a template literal's hanging first line.
  const measured = free.length > 1 && leadOf(free[0]!.text) === '' ? free.slice(1) : free;
  const base = measured.map((l) => leadOf(l.text)).reduce((m, w) => (w.length < m.length ? w : m), leadOf(measured[0]?.text ?? ''));
  const relative = free.map((l) => leadOf(l.text).slice(Math.min(base.length, leadOf(l.text).length))).filter((w) => w !== '');
  const spaces = relative.filter((w) => !w.startsWith('\t')).map((w) => w.length);
  const srcUnit = relative.some((w) => w.startsWith('\t')) ? '\t' : ' '.repeat(spaces.length ? Math.min(...spaces) : 2);
  return lines.map((l) => {
    if (l.fixed) return l.text;
    if (l.text.trim() === '') return '';
    const lead = leadOf(l.text);
    let rest = lead.slice(Math.min(base.length, lead.length));
    let levels = 0;
    while (rest.startsWith(srcUnit)) {
      levels++;
      rest = rest.slice(srcUnit.length);
    }
    return indent + unit.repeat(levels) + rest + l.text.slice(lead.length);
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Edits

export interface HclTarget {
  /** The block to edit; the top level of the file when absent. */
  block?: HclBlockRef;
}

/**
 * Sets `name` in the target: replaces the value of an existing attribute (every occurrence; a trailing comment stays,
 * in its column when it was set apart), or adds `name = value` after the last attribute of the block (of the top
 * level when no block is given; at the top when there is none). Throws when the block is missing or ambiguous.
 */
export function setAttribute(text: string, target: HclTarget, name: string, value: string | number | boolean): string {
  const doc = parseHcl(text);
  const container = target.block ? resolveBlock(doc, target.block) : doc;
  const rendered = renderHclValue(value);
  const existing = container.attributes.filter((a) => a.name === name);
  if (existing.length)
    return applyEdits(
      text,
      existing.flatMap((a) => replaceValue(text, a, rendered)),
    );
  return applyEdits(text, [insertAttribute(doc, container, name, rendered)]);
}

function replaceValue(text: string, a: HclAttribute, rendered: string): Edit[] {
  if (a.raw === rendered) return [];
  const edits: Edit[] = [{ start: a.valueRange.start, end: a.valueRange.end, text: rendered }];
  const gap = /^(,?)([ \t]{2,})(?=#|\/\/|\/\*)/.exec(text.slice(a.valueRange.end, lineEnd(text, a.valueRange.end)));
  if (gap && !a.raw.includes('\n')) {
    const width = Math.max(1, gap[2]!.length - (rendered.length - a.raw.length));
    const start = a.valueRange.end + gap[1]!.length;
    edits.push({ start, end: start + gap[2]!.length, text: ' '.repeat(width) });
  }
  return edits;
}

function insertAttribute(doc: HclDoc, container: HclDoc | HclBlock, name: string, value: string): Edit {
  const text = doc.text;
  const eol = detectEol(text);
  const isBlock = 'type' in container;
  if (isBlock && isOneLine(text, container)) return expandOneLine(doc, container, (ci) => [`${ci}${name} = ${value}`]);
  const anchor = [...container.attributes].sort((x, y) => x.range.start - y.range.start).pop();
  if (anchor) {
    const meta = attrMeta.get(anchor)!;
    const indent = onlySpaceBefore(text, meta.nameStart) ? lineIndent(text, meta.nameStart) : isBlock ? childIndent(doc, container) : '';
    const line = attributeLine(text, container.attributes, anchor, indent, name, value);
    const at = ownsLines(text, anchor.range) ? anchor.range.end : meta.end;
    return { start: at, end: at, text: eol + indent + line };
  }
  if (isBlock) {
    const open = container.bodyRange.start - 1;
    const at = restOfLine(text, open + 1) ?? open + 1;
    return { start: at, end: at, text: `${eol}${childIndent(doc, container)}${name} = ${value}` };
  }
  const starts = doc.blocks.map((b) => b.range.start);
  if (!starts.length) return { start: 0, end: 0, text: `${name} = ${value}${eol}` };
  const indent = lineIndent(text, Math.min(...starts));
  return { start: 0, end: 0, text: `${indent}${name} = ${value}${eol}${blankHabit(text, doc, true) ? eol : ''}` };
}

/** Rewrites a one-line block `type "label" { ... }` over several lines, its content first, then `lines(childIndent)`. */
function expandOneLine(doc: HclDoc, b: HclBlock, lines: (childIndent: string) => string[]): Edit {
  const eol = detectEol(doc.text);
  const ci = b.indent + indentUnit(doc);
  const inner = doc.text.slice(b.bodyRange.start, b.bodyRange.end).trim();
  const body = [...(inner ? [ci + inner] : []), ...lines(ci)];
  return { start: b.bodyRange.start, end: b.bodyRange.end, text: eol + body.join(eol) + eol + b.indent };
}

/** Removes every `name` attribute of the target (its whole lines when it has them); no change when absent. */
export function removeAttribute(text: string, target: HclTarget, name: string): string {
  const doc = parseHcl(text);
  const containers: (HclDoc | HclBlock)[] = target.block ? [resolveBlockOrNone(doc, target.block)].filter((b) => b !== undefined) : [doc];
  const edits = containers
    .flatMap((c) => c.attributes.filter((a) => a.name === name))
    .map((a): Edit => {
      if (ownsLines(text, a.range)) return removeLines(text, a.range.start, a.range.end);
      return removeInline(text, attrMeta.get(a)!.nameStart, attrMeta.get(a)!.end);
    });
  return applyEdits(text, edits);
}

function resolveBlockOrNone(doc: HclDoc, ref: HclBlockRef): HclBlock | undefined {
  return matchBlocks(doc, ref).length === 0 ? undefined : resolveBlock(doc, ref);
}

/** Deletes [start, end) that shares its line with other items, with the blanks that separated it. */
function removeInline(text: string, start: number, end: number): Edit {
  const after = /^[ \t]*/.exec(text.slice(end))![0];
  const next = text[end + after.length];
  if (next === undefined || next === '}' || next === '\n' || next === '\r') {
    const before = /[ \t]*$/.exec(text.slice(0, start))![0];
    return { start: start - before.length, end, text: '' };
  }
  return { start, end: end + after.length, text: '' };
}

/** Deletes the whole lines from the one holding `start` to the one holding `end`, with their line end. */
function removeLines(text: string, start: number, end: number): Edit {
  const s = lineStart(text, start);
  const e = nextLineStart(text, end);
  if (e === text.length && !text.endsWith('\n') && s > 0) {
    // The last line has no line end: remove the one before it instead.
    return { start: text[s - 2] === '\r' ? s - 2 : s - 1, end: e, text: '' };
  }
  return { start: s, end: e, text: '' };
}

/** Replaces the whole block; `newBlockText` is re-indented to the old block's indentation and indentation unit.
 *  Throws when the block is missing or ambiguous, or `newBlockText` does not parse. */
export function replaceBlock(text: string, target: HclBlockRef, newBlockText: string): string {
  const doc = parseHcl(text);
  const b = resolveBlock(doc, target);
  const lines = reindent(newBlockText, b.indent, indentUnit(doc));
  lines[0] = lines[0]!.slice(b.indent.length);
  return applyEdits(text, [{ start: b.range.start, end: b.range.end, text: lines.join(detectEol(text)) }]);
}

/** Removes the block with its lines (and one blank line when it stood between blank lines); no change when absent.
 *  Comments above the block stay. */
export function removeBlock(text: string, target: HclBlockRef): string {
  const doc = parseHcl(text);
  const b = resolveBlockOrNone(doc, target);
  if (!b) return text;
  const rest = restOfLine(text, b.range.end);
  if (!onlySpaceBefore(text, b.range.start) || rest === undefined) return applyEdits(text, [removeInline(text, b.range.start, b.range.end)]);
  const isBlank = (from: number): boolean => text.slice(from, lineEnd(text, from)).trim() === '';
  let s = lineStart(text, b.range.start);
  let e = nextLineStart(text, rest);
  if (e < text.length) {
    const prevBlank = s === 0 || isBlank(lineStart(text, s - 1));
    if (prevBlank && isBlank(e)) e = nextLineStart(text, e);
    return applyEdits(text, [{ start: s, end: e, text: '' }]);
  }
  // The block ends the text: blank lines before it go too, and the text keeps its own ending.
  while (s > 0 && isBlank(lineStart(text, s - 1))) s = lineStart(text, s - 1);
  if (!text.endsWith('\n') && s > 0) s = text[s - 2] === '\r' ? s - 2 : s - 1;
  return applyEdits(text, [{ start: s, end: e, text: '' }]);
}

export interface AppendBlockOptions {
  /** Put the block right after this top-level block (the last one that matches); at the end when there is none. */
  after?: HclBlockRef;
  /** Put the block at the end of this block's body instead of at the top level. */
  into?: HclBlockRef;
}

/** Adds a block at the end of the text, after `after`, or at the end of `into`'s body; separated by a blank line
 *  when the file separates its blocks that way. Throws when `blockText` does not parse or `into` is missing. */
export function appendBlock(text: string, blockText: string, opts: AppendBlockOptions = {}): string {
  const doc = parseHcl(text);
  const eol = detectEol(text);
  const unit = indentUnit(doc);
  if (opts.into) {
    const parent = resolveBlock(doc, opts.into);
    if (isOneLine(text, parent)) return applyEdits(text, [expandOneLine(doc, parent, (ci) => reindent(blockText, ci, unit))]);
    const lines = reindent(blockText, childIndent(doc, parent), unit);
    const content = text.slice(parent.bodyRange.start, parent.bodyRange.end).replace(/\s+$/, '').length;
    if (content === 0) {
      const at = parent.bodyRange.start;
      return applyEdits(text, [{ start: at, end: at, text: eol + lines.join(eol) }]);
    }
    const last = parent.bodyRange.start + content;
    const at = lineEnd(text, last) < parent.bodyRange.end ? lineEnd(text, last) : last;
    const sep = eol + (blankHabit(text, parent, false) ? eol : '');
    return applyEdits(text, [{ start: at, end: at, text: sep + lines.join(eol) }]);
  }
  const starts = [...doc.attributes.map((a) => a.range.start), ...doc.blocks.map((b) => b.range.start)];
  const lines = reindent(blockText, starts.length ? lineIndent(text, Math.min(...starts)) : '', unit);
  const sep = eol + (blankHabit(text, doc, true) ? eol : '');
  const after = opts.after ? findBlocks(doc, opts.after.type, opts.after.label).pop() : undefined;
  if (after) {
    const at = restOfLine(text, after.range.end) ?? after.range.end;
    return applyEdits(text, [{ start: at, end: at, text: sep + lines.join(eol) }]);
  }
  const content = text.replace(/\s+$/, '').length;
  if (content === 0) return lines.join(eol) + eol + text;
  const at = lineEnd(text, content - 1);
  return applyEdits(text, [{ start: at, end: at, text: sep + lines.join(eol) }]);
}

/** Sets an attribute of a (possibly nested) block, adding the block with just that attribute when it is missing:
 *  `setBlockAttribute(text, { type: 'telemetry', parent: { type: 'listener', label: 'tcp' } }, 'unauthenticated_metrics_access', true)`. */
export function setBlockAttribute(text: string, block: HclBlockRef, name: string, value: string | number | boolean): string {
  const doc = parseHcl(text);
  if (matchBlocks(doc, block).length > 0) return setAttribute(text, { block }, name, value);
  const header = block.label === undefined ? block.type : `${block.type} ${renderHclValue(block.label)}`;
  const blockText = `${header} {\n  ${name} = ${renderHclValue(value)}\n}`;
  return appendBlock(text, blockText, block.parent ? { into: block.parent } : {});
}

// ---------------------------------------------------------------------------------------------------------------
// Validation

type Hcl2Parse = (filename: string, contents: string) => Promise<unknown>;

let hcl2: Promise<Hcl2Parse | undefined> | undefined;

/** HashiCorp's HCL2 parser, loaded on first use; undefined when the package cannot be loaded. */
function loadHcl2(): Promise<Hcl2Parse | undefined> {
  hcl2 ??= (async () => {
    try {
      const specifier = '@cdktf/hcl2json';
      const mod = (await import(specifier)) as { parse?: unknown; default?: { parse?: unknown } };
      const parse = mod.parse ?? mod.default?.parse;
      return typeof parse === 'function' ? (parse as Hcl2Parse) : undefined;
    } catch {
      return undefined;
    }
  })();
  return hcl2;
}

async function hcl2Error(parse: Hcl2Parse, text: string): Promise<string | undefined> {
  try {
    await parse('config.hcl', text);
    return undefined;
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    return message.replace(/^parse config: \[(.*)\]$/s, '$1');
  }
}

/**
 * Checks an edited configuration. The structural parser must accept `edited`; and when HashiCorp's HCL2 parser
 * accepts `original`, it must accept `edited` too. HCL2 rejects some text Vault's HCL1 reads (a comma after an
 * attribute, several attributes in a one-line block), so an original it rejects only skips that check (see `note`).
 */
export async function validateEdit(original: string, edited: string): Promise<{ ok: true; note?: string } | { ok: false; error: string }> {
  try {
    parseHcl(edited);
  } catch (e) {
    return { ok: false, error: `edited config does not parse: ${e instanceof Error ? e.message : String(e)}` };
  }
  const parse = await loadHcl2();
  if (!parse) return { ok: true, note: 'HCL2 parser unavailable; checked structurally only' };
  const before = await hcl2Error(parse, original);
  if (before !== undefined) return { ok: true, note: `original config is not HCL2 (${before}); checked structurally only` };
  const after = await hcl2Error(parse, edited);
  if (after !== undefined) return { ok: false, error: `edited config is rejected by the HCL2 parser: ${after}` };
  return { ok: true };
}
