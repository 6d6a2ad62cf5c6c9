/** A parsed file's documents as Resources: positions in the source, alias and nesting limits, SOPS files left alone. */
import { isAlias, isCollection, isMap, isPair, isScalar, visit, type Document, type LineCounter } from 'yaml';
import { apiGroup, type Position, type Resource, type YamlPath } from '../../kit/index.js';
import { scalarText } from '../../kit/scalar.js';
import { isStackOverflow, MAX_NESTING, skipped, tooDeep, type Classified } from './classify.js';

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

/** Does `path` go through an alias or a merge key (`<<`) on its way? */
function throughAlias(doc: Document.Parsed, path: YamlPath): boolean {
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

function getIn(data: unknown, path: YamlPath): unknown {
  let cur: unknown = data;
  for (const seg of path) {
    if (cur == null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[seg];
  }
  return cur;
}

function makeResource(file: string, index: number, doc: Document.Parsed, data: unknown, lc: LineCounter): Resource {
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
    position: (path: YamlPath = []) => nodePosition(doc, lc, path),
    throughAlias: (path: YamlPath) => throughAlias(doc, path),
  };
}

/** A classified file with its documents turned into resources (or skipped: alias bombs, nesting, SOPS). */
export function withResources(path: string, c: Classified): Classified {
  if (!c.docs || !c.lineCounter) return c;
  const own: Resource[] = [];
  let bad: Classified | undefined;
  c.docs.forEach((d, i) => {
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
    own.push(makeResource(path, i, d, data, c.lineCounter!));
  });
  if (bad) return bad;
  if (own.some((r) => isSops(r.data)))
    return skipped(path, c.file.size, 'sops-encrypted', 'SOPS-encrypted: never edited (editing breaks its MAC)', c.file.text);
  return { file: { ...c.file, resources: own } };
}
