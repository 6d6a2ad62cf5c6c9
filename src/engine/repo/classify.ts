/**
 * What a file's bytes are: text that parses as YAML (its documents and line positions), or skipped with a reason
 * (too large, binary, not UTF-8, a template, a syntax error, nested too deeply).
 */
import { isCollection, LineCounter, parseAllDocuments, visit, type Document } from 'yaml';
import { countParse } from '../../kit/parse-work.js';
import type { Position, RepoFile, SkipReason } from '../../kit/repo.js';

export const MAX_FILE_BYTES = 5 * 1024 * 1024;

/** How the loader parses a file (and parses it again for positions). */
export const PARSE_OPTIONS = (lineCounter: LineCounter) => ({ lineCounter, logLevel: 'error', uniqueKeys: true, merge: true }) as const;

export interface Classified {
  file: RepoFile;
  docs?: Document.Parsed[];
  lineCounter?: LineCounter;
}

export function skipped(path: string, size: number, reason: SkipReason, detail: string, text = '', errorPosition?: Position): Classified {
  return { file: { path, text, size, status: 'skipped', skipReason: reason, skipDetail: detail, resources: [], ...(errorPosition ? { errorPosition } : {}) } };
}

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function decode(buf: Buffer): { text?: string; reason?: SkipReason; detail?: string } {
  if ((buf[0] === 0xff && buf[1] === 0xfe) || (buf[0] === 0xfe && buf[1] === 0xff)) {
    return { reason: 'not-utf8', detail: 'UTF-16 encoded; re-save the file as UTF-8' };
  }
  if (buf.includes(0)) return { reason: 'binary', detail: 'contains NUL bytes: not a text file (rename it, or remove it from the repository)' };
  try {
    return { text: UTF8.decode(buf) };
  } catch {
    return { reason: 'not-utf8', detail: 'not valid UTF-8 (Latin-1?); re-save the file as UTF-8' };
  }
}

/** `{{ .x }}` outside a string parses as a flow map used as a key: a sure sign of a template. */
function hasTemplateKeys(doc: Document.Parsed): boolean {
  let found = false;
  visit(doc, {
    Pair(_, pair) {
      if (isCollection(pair.key)) {
        found = true;
        return visit.BREAK;
      }
      return undefined;
    },
  });
  return found;
}

const TEMPLATE_MARK = /\{\{|\{%|\{#/;

/** Deeper documents are not read: the parser and every recursive consumer after it would exhaust the stack. */
export const MAX_NESTING = 256;

export function isStackOverflow(e: unknown): boolean {
  return e instanceof RangeError || /Maximum call stack size exceeded/.test(String((e as { message?: unknown } | null)?.message ?? e));
}

export function tooDeep(path: string, size: number, text: string, line?: number): Classified {
  return skipped(path, size, 'too-deep', `nested too deeply to read safely${line ? ` (near line ${line})` : ''}: over ${MAX_NESTING} levels; not read`, text);
}

/** The parser's first line without its ` at line L, column C:` tail (the finding carries the position). */
function syntaxMessage(message: string): string {
  return message
    .split('\n')[0]!
    .replace(/ at line \d+, column \d+:?\s*$/, '')
    .trim();
}

export function classifyFile(path: string, buf: Buffer | undefined, size: number, readError?: string, given?: string): Classified {
  if (readError) return skipped(path, size, 'unreadable', readError);
  if (size > MAX_FILE_BYTES) return skipped(path, size, 'too-large', `${(size / 1048576).toFixed(1)} MiB is over the ${MAX_FILE_BYTES / 1048576} MiB limit`);
  let text = given;
  if (text === undefined) {
    const d = decode(buf!);
    if (d.text === undefined) return skipped(path, size, d.reason!, d.detail!);
    text = d.text;
  }
  const lineCounter = new LineCounter();
  let docs: Document.Parsed[];
  try {
    countParse(text);
    docs = parseAllDocuments(text, PARSE_OPTIONS(lineCounter)) as Document.Parsed[];
    if (!Array.isArray(docs)) docs = []; // EmptyStream: empty or comment-only file
  } catch (e) {
    if (isStackOverflow(e)) return tooDeep(path, size, text);
    return skipped(path, size, 'syntax-error', (e as Error).message.split('\n')[0]!, text);
  }
  const templated = TEMPLATE_MARK.test(text);
  for (const d of docs) {
    if (d.errors.length) {
      const e = d.errors[0]!;
      const pos = e.linePos?.[0];
      if (isStackOverflow(e)) return tooDeep(path, size, text, pos?.line);
      if (templated) return skipped(path, size, 'templated', 'Go/Helm template syntax makes it invalid YAML; it is rendered before use', text);
      return skipped(path, size, 'syntax-error', syntaxMessage(e.message), text, pos ? { line: pos.line, column: pos.col } : undefined);
    }
  }
  if (templated && docs.some(hasTemplateKeys))
    return skipped(path, size, 'templated', 'contains {{ }} templates outside strings; it is rendered before use', text);
  return { file: { path, text, size, status: 'parsed', resources: [] }, docs, lineCounter };
}
