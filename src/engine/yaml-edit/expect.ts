/**
 * The intended change applied through the Document API: the reference the edited text is verified against.
 * Editing a scalar node in place keeps its anchor, so `*aliases` of an edited `&anchor` change with it, as they do
 * in the text.
 */
import { isMap, isScalar, isSeq } from 'yaml';
import type { Node as YNode } from 'yaml';
import { keyMatches } from './core.js';
import type { Coll, Doc, Path } from './core.js';
import { isObj, isScalarVal } from './render.js';
import type { Val } from './render.js';

const create = (doc: Doc, v: Val, old?: unknown): YNode => {
  const n = doc.createNode(v, { aliasDuplicateObjects: false }) as YNode;
  const anchor = (old as { anchor?: string } | null | undefined)?.anchor;
  if (anchor) (n as { anchor?: string }).anchor = anchor;
  return n;
};

function getChild(coll: unknown, seg: string | number): unknown {
  if (isMap(coll)) return coll.items.find((p) => keyMatches(p.key, seg))?.value;
  if (isSeq(coll) && typeof seg === 'number') return coll.items[seg];
  return undefined;
}

function setChild(doc: Doc, coll: Coll, seg: string | number, v: Val | YNode, raw = false): void {
  const put = (cur: unknown): unknown => {
    if (raw) return v;
    if (isScalar(cur) && isScalarVal(v)) {
      cur.value = v;
      return cur;
    }
    return create(doc, v as Val, cur);
  };
  if (isMap(coll)) {
    const pair = coll.items.find((p) => keyMatches(p.key, seg));
    if (pair) pair.value = put(pair.value);
    else coll.items.push(doc.createPair(seg, raw ? v : create(doc, v as Val)));
  } else if (isSeq(coll) && typeof seg === 'number') {
    if (seg < coll.items.length) coll.items[seg] = put(coll.items[seg]);
    else if (seg === coll.items.length) coll.items.push(raw ? v : create(doc, v as Val));
    else throw new Error(`index ${seg} out of range`);
  } else throw new Error(`cannot set ${String(seg)} here`);
}

/** The collection at `path`, creating maps for missing keys and `key:` / `key: ~` placeholders. */
function ensureColl(doc: Doc, path: Path): Coll {
  let node: unknown = doc.contents;
  if (!isMap(node) && !isSeq(node)) {
    if (!(node == null || (isScalar(node) && node.value === null))) throw new Error('the document root is not a collection');
    node = doc.contents = create(doc, {}, node) as never;
  }
  for (const seg of path) {
    const child = getChild(node, seg);
    if (isMap(child) || isSeq(child)) node = child;
    else if (child == null || (isScalar(child) && child.value === null)) {
      const m = create(doc, {}, child);
      setChild(doc, node as Coll, seg, m, true);
      node = m;
    } else throw new Error(`${String(seg)} is not a collection`);
  }
  return node as Coll;
}

export function expectSet(doc: Doc, path: Path, v: Val): void {
  if (!path.length) {
    doc.contents = create(doc, v, doc.contents) as never;
    return;
  }
  setChild(doc, ensureColl(doc, path.slice(0, -1)), path[path.length - 1]!, v);
}

export function expectMerge(doc: Doc, path: Path, o: { [k: string]: Val }): void {
  const coll = ensureColl(doc, path);
  for (const [k, x] of Object.entries(o)) {
    if (isObj(x) && isMap(getChild(coll, k))) expectMerge(doc, [...path, k], x);
    else setChild(doc, coll, k, x);
  }
}

export function expectDelete(doc: Doc, path: Path): void {
  const coll = ensureColl(doc, path.slice(0, -1));
  const seg = path[path.length - 1]!;
  if (isMap(coll)) coll.items = coll.items.filter((p) => !keyMatches(p.key, seg));
  else if (typeof seg === 'number') coll.items.splice(seg, 1);
}

export function expectAppend(doc: Doc, path: Path, v: Val): void {
  let node: unknown = doc.contents;
  for (const seg of path) node = getChild(node, seg);
  if (isSeq(node)) node.items.push(create(doc, v));
  else expectSet(doc, path, [v]);
}
