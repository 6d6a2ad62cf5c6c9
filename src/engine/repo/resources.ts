/** A parsed file's documents as Resources: positions in the source, alias and nesting limits, SOPS files left alone. */
import { join } from 'node:path';
import { isAlias, isCollection, isMap, isPair, isScalar, LineCounter, parseAllDocuments, visit, type Document } from 'yaml';
import { countParse } from '../../kit/parse-work.js';
import { apiGroup, type Position, type RepoFile, type Resource, type YamlPath } from '../../kit/repo.js';
import { scalarText } from '../../kit/scalar.js';
import { isStackOverflow, MAX_NESTING, PARSE_OPTIONS, skipped, tooDeep, type Classified } from './classify.js';
import { readAndClassify } from './read.js';

/** Where an unresolved alias is (`Unresolved alias ...: name`): the first `*name` in the document. */
function aliasPosition(doc: Document.Parsed, message: string, lc: LineCounter): Position | undefined {
  const name = /:\s*(\S+)$/.exec(message)?.[1];
  let offset: number | undefined;
  visit(doc, {
    Alias(_, node) {
      if (offset === undefined && (name === undefined || node.source === name)) offset = node.range?.[0];
      return offset === undefined ? undefined : visit.BREAK;
    },
  });
  if (offset === undefined) return undefined;
  const p = lc.linePos(offset);
  return { line: p.line, column: p.col };
}

/** Nesting depth of plain data, without recursion; stops counting past `limit`. */
export function nestingDepth(data: unknown, limit = MAX_NESTING): number {
  let max = 0;
  const stack: [unknown, number][] = [[data, 0]];
  while (stack.length) {
    const [v, d] = stack.pop()!;
    if (!v || typeof v !== 'object') continue;
    if (d + 1 > max) max = d + 1;
    if (max > limit) return max;
    for (const c of Array.isArray(v) ? v : Object.values(v)) if (c && typeof c === 'object') stack.push([c, d + 1]);
  }
  return max;
}

function isSops(data: unknown): boolean {
  if (!data || typeof data !== 'object' || Array.isArray(data)) return false;
  const sops = (data as Record<string, unknown>).sops;
  return !!sops && typeof sops === 'object' && 'mac' in sops;
}

function keyText(key: unknown): string {
  return isScalar(key) ? String(key.value) : String(key);
}

/** Where `path` is in the document: the key of its deepest existing step (the document's start for none). */
function nodePosition(doc: Document.Parsed, lc: LineCounter, path: YamlPath): Position {
  let node: unknown = doc.contents;
  let best: number | undefined = (doc.contents as { range?: number[] } | null)?.range?.[0];
  for (const seg of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && keyText(p.key) === String(seg));
      if (!pair) break;
      const keyRange = (pair.key as { range?: number[] } | null)?.range;
      if (keyRange) best = keyRange[0];
      node = pair.value;
    } else if (isCollection(node) && typeof seg === 'number' && seg < node.items.length) {
      node = node.items[seg];
      const r = (node as { range?: number[] } | null)?.range;
      if (r) best = r[0];
    } else break;
  }
  const p = lc.linePos(best ?? 0);
  return { line: p.line, column: p.col };
}

/** Does `path` go through an alias or a merge key (`<<`) on its way? (On a parsed Document; tests compare `aliasMarks`.) */
export function throughAliasIn(doc: Document.Parsed, path: YamlPath): boolean {
  let node: unknown = doc.contents;
  for (const seg of path) {
    if (!node || typeof node !== 'object') return false;
    if (isAlias(node)) return true;
    if (isMap(node)) {
      if (node.items.some((p) => isScalar(p.key) && p.key.value === '<<')) return true;
      const pair = node.items.find((p) => keyText(p.key) === String(seg));
      if (!pair) return false;
      node = pair.value;
    } else if (isCollection(node) && typeof seg === 'number') node = node.items[seg];
    else return false;
  }
  return false;
}

/**
 * A path to a node that is an alias or a map with a merge key: a map step is the key's text, a sequence step its
 * index. Every path that runs through such a node (and goes past it) is through an alias.
 */
export type AliasMark = readonly (string | number)[];

/** The alias marks of a document, none below the first mark on a branch (the nodes `throughAliasIn` stops at). */
export function aliasMarks(doc: Document.Parsed): AliasMark[] {
  const out: AliasMark[] = [];
  const walk = (node: unknown, path: (string | number)[]): void => {
    if (!node || typeof node !== 'object') return;
    if (isAlias(node)) {
      out.push(path);
      return;
    }
    if (isMap(node)) {
      if (node.items.some((p) => isScalar(p.key) && p.key.value === '<<')) {
        out.push(path);
        return;
      }
      const seen = new Set<string>();
      for (const p of node.items) {
        const k = keyText(p.key);
        if (seen.has(k)) continue; // a path finds the first pair with its key
        seen.add(k);
        walk(p.value, [...path, k]);
      }
    } else if (isCollection(node)) node.items.forEach((n, i) => walk(n, [...path, i]));
  };
  walk(doc.contents, []);
  return out;
}

/** throughAliasIn answered from the marks alone: some mark is a proper prefix of `path`. */
export function throughMarks(marks: readonly AliasMark[], path: YamlPath): boolean {
  return marks.some((m) => m.length < path.length && m.every((s, i) => (typeof s === 'number' ? path[i] === s : String(path[i]) === s)));
}

function getIn(data: unknown, path: YamlPath): unknown {
  let cur: unknown = data;
  for (const seg of path) {
    if (cur == null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[seg];
  }
  return cur;
}

/** One document as plain data: what a Resource is made of (structured-cloneable, so a worker thread can send it). */
export interface CompactDoc {
  readonly data: unknown;
  /** Alias marks; absent when the document has none. */
  readonly marks?: readonly AliasMark[];
}

/**
 * A read and classified file without parsed Documents: the file (resources empty) and, when parsed, its documents
 * as plain data. Locating a finding parses the text again (`Located`), only for the files that need it.
 */
export interface CompactFile {
  readonly file: RepoFile;
  readonly docs?: readonly CompactDoc[];
}

/** A file's Documents with their line positions. */
export interface Located {
  readonly docs: readonly Document.Parsed[];
  readonly lineCounter: LineCounter;
}

/** Parse a file's text again, as the loader did, for positions. */
export function locate(text: string): Located {
  const lineCounter = new LineCounter();
  countParse(text);
  const docs = parseAllDocuments(text, PARSE_OPTIONS(lineCounter)) as Document.Parsed[];
  return { docs: Array.isArray(docs) ? docs : [], lineCounter };
}

function makeResource(file: string, index: number, doc: CompactDoc, located: () => Located): Resource {
  const { data, marks } = doc;
  const obj = data && typeof data === 'object' && !Array.isArray(data) ? (data as Record<string, unknown>) : undefined;
  const meta = obj?.metadata && typeof obj.metadata === 'object' ? (obj.metadata as Record<string, unknown>) : undefined;
  const str = (v: unknown) => (v == null ? undefined : scalarText(v));
  const apiVersion = str(obj?.apiVersion);
  return {
    file,
    doc: index,
    apiVersion,
    group: apiGroup(apiVersion),
    kind: str(obj?.kind),
    name: str(meta?.name),
    namespace: str(meta?.namespace),
    data,
    id: `${file}#${index}`,
    get: (path: YamlPath) => getIn(data, path),
    position: (path: YamlPath = []) => {
      const l = located();
      const d = l.docs[index];
      if (!d) return { line: 1, column: 1 };
      return nodePosition(d, l.lineCounter, path);
    },
    throughAlias: (path: YamlPath) => !!marks && throughMarks(marks, path),
  };
}

/**
 * A classified file's documents as plain data (or the file skipped: alias bombs, nesting, SOPS). Pure and per
 * file: worker threads run it.
 */
export function compactFile(path: string, c: Classified): CompactFile {
  if (!c.docs || !c.lineCounter) return { file: c.file };
  const own: CompactDoc[] = [];
  let bad: Classified | undefined;
  const mayAlias = c.file.text.includes('*') || c.file.text.includes('<<');
  c.docs.forEach((d) => {
    if (bad) return;
    let data: unknown;
    try {
      data = d.toJS({ maxAliasCount: 100 });
    } catch (e) {
      const message = (e as Error).message.split('\n')[0]!;
      bad = isStackOverflow(e)
        ? tooDeep(path, c.file.size, c.file.text)
        : /alias count/i.test(message)
          ? skipped(
              path,
              c.file.size,
              'unsafe-aliases',
              `alias expansion refused (${message}): a billion-laughs style file? Replace the aliases with plain values`,
              c.file.text,
            )
          : skipped(path, c.file.size, 'syntax-error', message, c.file.text, aliasPosition(d, message, c.lineCounter!));
      return;
    }
    if (nestingDepth(data) > MAX_NESTING) {
      bad = tooDeep(path, c.file.size, c.file.text);
      return;
    }
    const marks = mayAlias ? aliasMarks(d) : [];
    own.push(marks.length ? { data, marks } : { data });
  });
  if (bad) return { file: bad.file };
  if (own.some((r) => isSops(r.data)))
    return { file: skipped(path, c.file.size, 'sops-encrypted', 'SOPS-encrypted: never edited (editing breaks its MAC)', c.file.text).file };
  return { file: c.file, docs: own };
}

/** Read, parse and classify one file of `root` as a compact file (null: the file is gone), on any thread. */
export function readCompact(root: string, path: string): CompactFile | null {
  const c = readAndClassify(root, join(root, path), path);
  return c ? compactFile(path, c) : null;
}

/**
 * The RepoFile of a compact file: its documents as Resources. Positions come from parsing the text again on the
 * first `position()` of any of its resources (once per file), or from `located` when the caller has the Documents
 * at hand (a file just edited).
 */
export function materialise(c: CompactFile, located?: Located): RepoFile {
  if (!c.docs) return c.file;
  const { path, text } = c.file;
  let cached = located;
  const lazy = (): Located => (cached ??= locate(text));
  return { ...c.file, resources: c.docs.map((d, i) => makeResource(path, i, d, lazy)) };
}

/** A classified file with its documents turned into resources (or skipped: alias bombs, nesting, SOPS). */
export function withResources(path: string, c: Classified, keepDocuments = false): Classified {
  const compact = compactFile(path, c);
  const located = keepDocuments && compact.docs && c.docs && c.lineCounter ? { docs: c.docs, lineCounter: c.lineCounter } : undefined;
  return { file: materialise(compact, located) };
}
