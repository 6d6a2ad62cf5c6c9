/**
 * Text edits of a Vault configuration that change only the lines concerned, in the file's own layout: set or remove
 * an attribute, replace, remove or append a block.
 */
import {
  attributeOffsets,
  heredocRanges,
  lineEnd,
  lineIndent,
  lineStart,
  onlySpaceBefore,
  parseHcl,
  readHclString,
  restOfLine,
  type HclAttribute,
  type HclBlock,
  type HclBlockRef,
  type HclDoc,
  type HclRange,
} from './parse.js';
import { findBlocks, matchBlocks, resolveBlock } from './query.js';

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
    if (readHclString(out) !== v) throw new Error(`cannot write ${JSON.stringify(v)} in HCL: \${ starts an interpolation`);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Text helpers

function nextLineStart(text: string, at: number): number {
  const nl = text.indexOf('\n', at);
  return nl < 0 ? text.length : nl + 1;
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
  const starts = [...b.attributes.map((a) => attributeOffsets(a).nameStart), ...b.blocks.map((x) => x.range.start)];
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
  const cols = group.map((a) => attributeOffsets(a).eq - lineStart(text, a.range.start));
  if (!cols.every((c) => c === cols[0])) return undefined;
  const padded = group.some((a) => /^[ \t]{2}$/.test(text.slice(attributeOffsets(a).eq - 2, attributeOffsets(a).eq)));
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
  const heredocs = heredocRanges(parseHcl(src));
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
    const meta = attributeOffsets(anchor);
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
      return removeInline(text, attributeOffsets(a).nameStart, attributeOffsets(a).end);
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
