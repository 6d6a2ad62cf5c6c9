/**
 * Vault server configuration (HCL as Vault reads it, i.e. HCL v1): a tolerant structural parser that keeps the
 * source offsets the edits (edit.ts) need.
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

export interface AttrMeta {
  nameStart: number;
  eq: number;
  /** After the value and an optional comma. */
  end: number;
}

const attrMeta = new WeakMap<HclAttribute, AttrMeta>();
/** Heredoc bodies (through the closing anchor) of each parsed document: text that must not be re-indented. */
const heredocsOf = new WeakMap<HclDoc, HclRange[]>();

/** Where an attribute parsed by parseHcl starts, where its `=` is, and where it ends (after an optional comma). */
export function attributeOffsets(a: HclAttribute): AttrMeta {
  const meta = attrMeta.get(a);
  if (!meta) throw new Error(`attribute ${a.name} was not read by parseHcl`);
  return meta;
}

/** The heredoc bodies of a document parsed by parseHcl (through their closing anchors). */
export function heredocRanges(doc: HclDoc): readonly HclRange[] {
  return heredocsOf.get(doc) ?? [];
}

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

/** The string a whole HCL string literal (`"..."`) reads as; undefined when `text` is not exactly one. */
export function readHclString(text: string): string | undefined {
  const p = new Parser(text);
  try {
    const value = p.parseString().value;
    return p.pos === text.length ? value : undefined;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Source offsets (shared with the edits)

export function lineStart(text: string, at: number): number {
  return text.lastIndexOf('\n', at - 1) + 1;
}

/** Offset of the end of the line holding `at`, before `\r\n` / `\n`. */
export function lineEnd(text: string, at: number): number {
  const nl = text.indexOf('\n', at);
  if (nl < 0) return text.length;
  return nl > 0 && text[nl - 1] === '\r' && nl - 1 >= at ? nl - 1 : nl;
}

export function lineIndent(text: string, at: number): string {
  const s = lineStart(text, at);
  return /^[ \t]*/.exec(text.slice(s, at))![0];
}

export function onlySpaceBefore(text: string, at: number): boolean {
  return /^[ \t]*$/.test(text.slice(lineStart(text, at), at));
}

/** End of the line after `end` when only a comma, a comment and blanks follow; otherwise undefined. */
export function restOfLine(text: string, end: number): number | undefined {
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
