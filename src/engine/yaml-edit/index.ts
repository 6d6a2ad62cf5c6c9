/**
 * Comment-preserving, minimal-diff YAML edits.
 *
 * Every edit locates nodes with the `yaml` Document API (parsed with keepSourceTokens), splices new text into the
 * ORIGINAL string, re-parses the result and verifies that the data of every document equals the original data plus
 * exactly the intended change (applied through the Document API). A document is never re-serialised, so comments,
 * spacing, quoting, CRLF, a BOM, a missing final newline and every untouched line stay byte-identical. Whenever an
 * edit cannot be made safely an EditRefusedError is thrown and no text is returned.
 */
import { diffArrays } from 'diff';
import { EditRefusedError, eolOf, finish, open, parseDocs, refuse } from './core.js';
import type { EditOpts, Path } from './core.js';
import { expectAppend, expectDelete, expectMerge, expectSet } from './expect.js';
import { spliceAppend, spliceBlockScalar, spliceDelete, spliceInsert, spliceMerge, spliceScalar, spliceSet } from './splices.js';
import { isObj, isScalarVal, normalize, renderScalar } from './render.js';

export { EditRefusedError, eolOf, parseDocs, renderScalar };
export type { EditOpts, Path };

function checkComment(path: Path, comment: string | undefined): string | undefined {
  if (comment === undefined) return undefined;
  if (/[\r\n]/.test(comment)) refuse(path, 'a comment must be a single line');
  const t = comment.replace(/^#\s?/, '').trim();
  return t || undefined;
}

/**
 * Set a scalar, keeping its quote style (re-quoting when YAML 1.1 or 1.2 would re-type the value), trailing comment,
 * anchor and tag; an alias value is replaced by the scalar. A missing key is inserted (creating missing parents); a
 * literal block scalar gets its text replaced (setBlockScalar). `o.comment` is added as a trailing comment when the
 * line has none.
 */
export function setScalar(src: string, path: Path, value: string | number | boolean | null, o?: EditOpts & { comment?: string }): string {
  const c = open(src, path, o);
  if (!isScalarVal(value)) refuse(path, 'setScalar takes a string, number, boolean or null; use setValue');
  spliceScalar(c, path, value, checkComment(path, o?.comment));
  return finish(c, (d) => expectSet(d, path, value));
}

/**
 * Insert `key: value` into the map at mapPath, creating missing parents; fills `key:`, `key: ~`, `key: null` and
 * `key: {}` placeholders. The value may be a scalar, map or array (rendered in the file's indentation style).
 * `o.after` = sibling key to insert after (default: after the last pair); `o.comment` = trailing `# comment` on the
 * inserted key line. Refuses if the key already exists.
 */
export function insertPair(src: string, mapPath: Path, key: string | number, value: unknown, o?: EditOpts & { after?: string; comment?: string }): string {
  const path = [...mapPath, key];
  const c = open(src, path, o);
  const v = normalize(value, path);
  spliceInsert(c, mapPath, [[key, v]], { after: o?.after, comment: checkComment(path, o?.comment) });
  return finish(c, (d) => expectSet(d, path, v));
}

/**
 * Make the value at path equal `value`: scalars are set in place (setScalar), a missing key is inserted (insertPair),
 * an existing literal block scalar given a string is edited in place (setBlockScalar), and a value replaced by a
 * collection (or a collection replaced by a scalar) gets its lines rewritten in the file's style (a flow collection
 * stays flow). Equal data is a no-op. `o.comment` goes on an inserted key's line, or on the line of a scalar set in
 * place when that line has no comment yet.
 */
export function setValue(src: string, path: Path, value: unknown, o?: EditOpts & { comment?: string }): string {
  const c = open(src, path, o);
  const v = normalize(value, path);
  spliceSet(c, path, v, checkComment(path, o?.comment));
  return finish(c, (d) => expectSet(d, path, v));
}

/**
 * Deep-merge a plain object into the map at path (created when missing): missing keys are inserted, differing
 * scalars set, nested maps merged recursively, arrays (and other differing values) replaced.
 */
export function mergeValue(src: string, path: Path, value: Record<string, unknown>, o?: EditOpts): string {
  const c = open(src, path, o);
  const v = normalize(value, path);
  if (!isObj(v)) refuse(path, 'mergeValue takes a plain object');
  spliceMerge(c, path, v);
  return finish(c, (d) => expectMerge(d, path, v));
}

/**
 * Delete a map key (its key line, value lines, trailing comment and the deeper-indented comments after it) or a
 * sequence item by index. Comments above the key and those belonging to following siblings stay. Removing the last
 * pair/item of a block collection leaves `parent: {}` / `parent: []`. Works in flow collections. A missing path
 * returns src unchanged.
 */
export function deleteKey(src: string, path: Path, o?: EditOpts): string {
  const c = open(src, path, o);
  if (!spliceDelete(c, path)) return src;
  return finish(c, (d) => expectDelete(d, path));
}

/**
 * Replace the text of a literal block scalar (`|`, `|-`, `|+`, `|2` ...) in place: keeps the header and its
 * comment and the body's own indentation and line endings; unchanged lines map 1:1 to the original source (so
 * whitespace-only lines survive); changes the chomping indicator only when the new text needs it. Refuses folded
 * `>` scalars and text that would need an indentation indicator.
 */
export function setBlockScalar(src: string, path: Path, text: string, o?: EditOpts): string {
  const c = open(src, path, o);
  if (typeof text !== 'string') refuse(path, 'setBlockScalar takes a string');
  spliceBlockScalar(c, path, text);
  return finish(c, (d) => expectSet(d, path, text));
}

/**
 * Append an item to the sequence at path (block or flow; created when missing, in the file's `- ` indentation style).
 * A `key:`, `key: ~` or `key: []` placeholder becomes a block sequence.
 */
export function appendToSeq(src: string, path: Path, value: unknown, o?: EditOpts): string {
  const c = open(src, path, o);
  const v = normalize(value, path);
  spliceAppend(c, path, v);
  return finish(c, (d) => expectAppend(d, path, v));
}

const lines = (s: string): string[] => s.split(/(?<=\n)/).filter((l) => l !== '');

/**
 * Number of lines that differ between an expected (golden) text and an actual one: added plus removed lines of a
 * line diff where lines keep their terminators (so CRLF versus LF counts as a change). 0 means byte-identical.
 */
export function unintendedLines(expected: string, actual: string): number {
  return diffArrays(lines(expected), lines(actual)).reduce((n, p) => n + (p.added || p.removed ? p.value.length : 0), 0);
}
