/**
 * In-place edits of literal block scalars: the header (indicators, comment) and the body's own indentation and
 * line endings are kept, and unchanged lines are copied from the original source.
 */
import { isScalar, isSeq } from 'yaml';
import type { CST } from 'yaml';
import { colOf, dashOffsets, isBlankText, keyStart, kindOf, rangeOf, refuse, resolve, splice } from './core.js';
import type { Ctx, Hit, Path } from './core.js';
import { blockCanHold, styleOf } from './render.js';

const pad = (n: number) => ' '.repeat(n);

/** Longest common subsequence of two line lists, as index pairs (prefix/suffix trimmed; a large middle is left unmatched). */
function lcs(a: string[], b: string[]): [number, number][] {
  let pre = 0;
  while (pre < a.length && pre < b.length && a[pre] === b[pre]) pre++;
  let suf = 0;
  while (suf < a.length - pre && suf < b.length - pre && a[a.length - 1 - suf] === b[b.length - 1 - suf]) suf++;
  const out: [number, number][] = [];
  for (let i = 0; i < pre; i++) out.push([i, i]);
  const n = a.length - pre - suf;
  const m = b.length - pre - suf;
  if (n > 0 && m > 0 && n * m <= 4_000_000) {
    const w = m + 1;
    const dp = new Uint32Array((n + 1) * w);
    for (let i = n - 1; i >= 0; i--) {
      for (let j = m - 1; j >= 0; j--) {
        dp[i * w + j] = a[pre + i] === b[pre + j] ? dp[(i + 1) * w + j + 1]! + 1 : Math.max(dp[(i + 1) * w + j]!, dp[i * w + j + 1]!);
      }
    }
    let i = 0;
    let j = 0;
    while (i < n && j < m) {
      if (a[pre + i] === b[pre + j]) out.push([pre + i++, pre + j++]);
      else if (dp[(i + 1) * w + j]! >= dp[i * w + j + 1]!) i++;
      else j++;
    }
  }
  for (let k = suf; k > 0; k--) out.push([a.length - k, b.length - k]);
  return out;
}

/**
 * The indentation of a block scalar's body: the first non-blank line's, else its indentation indicator's, else its
 * owner's (key or dash) plus the file's indentation step.
 */
function bodyIndent(c: Ctx, hit: Hit, tok: CST.BlockScalar, raw: readonly string[], value: readonly string[], explicit: number): number {
  const k = raw.findIndex((l) => !isBlankText(l));
  const first = k >= 0 ? raw[k] : undefined;
  if (first !== undefined && value[k] !== undefined) return first.length - value[k].length;
  if (explicit) return tok.indent + explicit;
  const owner = hit.pair ? keyStart(hit.pair) : hit.parent && isSeq(hit.parent) ? dashOffsets(c.src, hit.parent)[hit.index!] : undefined;
  return (owner === undefined ? 0 : colOf(c.src, owner)) + styleOf(c).indent;
}

/** The chomping indicator `text` needs (`cur`: the block's present one) and its lines as the body holds them. */
function chompedLines(text: string, cur: string): { chomp: string; lines: string[] } {
  const trailing = /\n*$/.exec(text)?.[0].length ?? 0;
  const content = text.slice(0, text.length - trailing);
  const chomp = text === '' ? cur : trailing === 0 ? '-' : trailing === 1 && content !== '' ? (cur === '+' ? '+' : '') : '+';
  const lines = content === '' ? [] : content.split('\n');
  if (chomp === '+') for (let i = content === '' ? 0 : 1; i < trailing; i++) lines.push('');
  return { chomp, lines };
}

/** The new body: lines the old body already has are copied from the source, the others written at `ind`. */
function newBody(c: Ctx, tok: CST.BlockScalar, srcLines: readonly string[], oldDec: string[], lines: string[], ind: number, text: string): string {
  const bodyEol = tok.source.includes('\r\n')
    ? '\r\n'
    : tok.source.includes('\n')
      ? '\n'
      : (((tok.props.find((t) => t.type === 'newline') as CST.SourceToken | undefined)?.source as '\n' | '\r\n' | undefined) ?? c.eol);
  const match = new Map(lcs(oldDec, lines).map(([i, j]) => [j, i]));
  const out = lines
    .map((l, j) => {
      const i = match.get(j);
      const kept = i === undefined ? undefined : srcLines[i];
      if (kept !== undefined) return kept.endsWith('\n') ? kept : kept + bodyEol;
      return (l === '' ? '' : pad(ind) + l) + bodyEol;
    })
    .join('');
  return !tok.source.endsWith('\n') && tok.source !== '' && !text.endsWith('\n') ? out.replace(/\r?\n$/, '') : out;
}

/** Replace the text of a literal block scalar in place (see setBlockScalar). */
export function spliceBlockScalar(c: Ctx, path: Path, text: string): void {
  const s = c.src;
  const r = resolve(c.doc, path, c.path);
  if (!r.found) refuse(c.path, 'not found; setBlockScalar edits an existing literal block scalar');
  const n = r.hit.node;
  if (isScalar(n) && n.type === 'BLOCK_FOLDED') refuse(c.path, 'is a folded block scalar (>); refusing to re-fold it');
  if (!isScalar(n) || n.type !== 'BLOCK_LITERAL') refuse(c.path, `is a ${kindOf(n)}, not a literal block scalar (|)`);
  if (n.value === text) return;
  if (/[\r\x85\u2028\u2029]/.test(text)) refuse(c.path, 'text contains a carriage return or another line separator; use \\n');
  if (!blockCanHold(text))
    refuse(c.path, 'a literal block cannot hold this text exactly (a last line of spaces only, or control characters); set it as a quoted string');
  const tok = n.srcToken as CST.BlockScalar;
  const hdr = tok.props.find((t) => t.type === 'block-scalar-header') as CST.SourceToken;
  const end = rangeOf(n)![1];
  const bodyStart = end - tok.source.length;
  if (s.slice(bodyStart, end) !== tok.source) refuse(c.path, 'unexpected block scalar layout');
  const explicit = Number(/[1-9]/.exec(hdr.source)?.[0] ?? 0);
  const cur = /[+-]/.exec(hdr.source)?.[0] ?? '';

  const srcLines = tok.source ? tok.source.split(/(?<=\n)/) : [];
  const raw = srcLines.map((l) => l.replace(/\r?\n$/, ''));
  const ind = bodyIndent(c, r.hit, tok, raw, (n.value as string).split('\n'), explicit);
  const oldDec = raw.map((l) => (l.length > ind ? l.slice(ind) : ''));
  const { chomp, lines } = chompedLines(text, cur);
  const firstText = lines.find((l) => l !== '');
  // Text that starts with a space or a tab needs an indentation indicator: the body's indentation relative to its owner.
  let indicator = explicit;
  if (!explicit && firstText !== undefined && /^[ \t]/.test(firstText)) {
    indicator = ind - tok.indent;
    if (indicator < 1 || indicator > 9) refuse(c.path, `the new text starts with a space and would need an indentation indicator of ${indicator}; refusing`);
  }
  const out = newBody(c, tok, srcLines, oldDec, lines, ind, text);

  let regionEnd = end;
  if (chomp === '+' && cur !== '+') {
    // Blank lines after a clipped/stripped body would become part of a kept (`|+`) value.
    for (;;) {
      const m = /^[ \t]*(\r?\n|$)/.exec(s.slice(regionEnd));
      if (!m || !m[0].length) break;
      regionEnd += m[0].length;
    }
  }
  if (chomp !== cur || indicator !== explicit) {
    const h = hdr.source.replace(/[+-]/, '');
    splice(c, hdr.offset, hdr.offset + hdr.source.length, indicator === explicit ? `|${chomp}${h.slice(1)}` : `|${indicator}${chomp}`);
  }
  splice(c, bodyStart, regionEnd, out);
}
