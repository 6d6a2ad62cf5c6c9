/**
 * Property-based tests. A model of a YAML stream (maps, block and flow sequences, literal blocks, scalars in every
 * quote style, own-line and trailing comments with varied spacing, blank lines, 2/4-space indentation, both `- `
 * styles, LF/CRLF, BOM, with or without a final newline, several documents) is rendered to text; a random edit is
 * applied both to the text (by the editor) and to the model. The editor's output must be byte-identical to the
 * rendering of the edited model (so only the intended lines change), and must parse to the edited model's data.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { diffArrays } from 'diff';
import { appendToSeq, deleteKey, insertPair, setBlockScalar, setScalar, setValue, unintendedLines } from '../../src/engine/yaml-edit/index.js';

// ---------------------------------------------------------------------------------------------------------------
// Model.

type Seg = string | number;
type Trail = { sp: string; text: string } | undefined;
type ScalarStyle = 'plain' | 'single' | 'double' | 'empty' | 'tilde';
interface Scal {
  t: 'scalar';
  v: string | number | boolean | null;
  style: ScalarStyle;
}
interface BlockLine {
  text: string;
  raw?: string;
}
interface Block {
  t: 'block';
  lines: BlockLine[];
  clip: boolean;
}
interface FlowSeq {
  t: 'flow';
  items: Scal[];
}
/** `sty`: indentation of a subtree the editor inserted (it follows the style detected from the file). */
interface Sty {
  indent: number;
  seqIndent: number;
}
interface MapN {
  t: 'map';
  pairs: PairN[];
  end: string[];
  sty?: Sty;
}
interface SeqN {
  t: 'seq';
  items: ItemN[];
  end: string[];
  sty?: Sty;
}
interface PairN {
  key: string;
  v: Node;
  lead: string[];
  trail: Trail;
}
interface ItemN {
  v: Scal | MapN;
  lead: string[];
  trail: Trail;
}
type Node = Scal | Block | FlowSeq | MapN | SeqN;

interface Style {
  indent: number;
  seqIndent: number;
  eol: '\n' | '\r\n';
  final: boolean;
  bom: boolean;
  header: boolean;
}
interface Model {
  st: Style;
  docs: MapN[];
}

const SAFE_PLAIN = ['foo', 'bar-1', 'v1.2.3', 'nginx:1.27', 'https://example.com/x', 'a b', '日本 🚀', 'x,y', 'some/path'];
const QUOTED = ['yes', 'on', 'off', 'y', '1.10', '0775', 'true', 'null', '', '12:30', '1_000', 'a: b', 'x #y', '[a]'];
const FLOW_SAFE = ['a', 'b-2', 'x.y', 'z9'];
const KEYS = ['alpha', 'beta', 'gamma', 'delta', 'name', 'image', 'size', 'port', 'x1', 'app.kubernetes.io/name'];
const NEW_KEYS = ['added', 'extra', 'gitops-fix/touched', 'zeta'];
const BLOCK_LINES = ['ui = true', 'listener "tcp" {', '  address = ":8200"', '}', 'storage "file" {', 'path = "/vault/data"', '# hcl comment', 'x = 1'];
const NEW_BLOCK_LINES = ['storage "raft" {', 'node_id = "vault-0"', '  retry_join = true', 'y = 2'];
const COMMENTS = ['c', 'TODO: fix', 'note # inner'];

const pad = (n: number) => ' '.repeat(n);
const needsQuote = (v: string, inFlow: boolean) => QUOTED.includes(v) || (inFlow && /[,[\]{}]/.test(v));

function styleFor(v: Scal['v'], orig: ScalarStyle, inFlow: boolean): ScalarStyle {
  if (typeof v !== 'string') return 'plain';
  if (orig === 'single' || orig === 'double') return orig;
  return needsQuote(v, inFlow) ? 'double' : 'plain';
}

function scalarText(s: Scal): string {
  if (s.v === null) return s.style === 'empty' ? '' : s.style === 'tilde' ? '~' : 'null';
  if (typeof s.v !== 'string') return String(s.v);
  if (s.style === 'single') return `'${s.v}'`;
  if (s.style === 'double') return `"${s.v}"`;
  return s.v;
}

const trailText = (t: Trail) => (t ? `${t.sp}# ${t.text}` : '');

// ---------------------------------------------------------------------------------------------------------------
// Rendering: lines with the path of the pair/item that owns them.

interface Out {
  text: string;
  owner: Seg[];
  block?: boolean;
}

function effStyle(m: Model): Sty {
  let maps = false;
  let seqs = false;
  const visit = (n: Node) => {
    if (n.t === 'map')
      for (const p of n.pairs) {
        if (p.v.t === 'map' && p.v.pairs.length) maps = true;
        if (p.v.t === 'seq' && p.v.items.length) seqs = true;
        visit(p.v);
      }
    if (n.t === 'seq') for (const it of n.items) visit(it.v);
  };
  m.docs.forEach(visit);
  const indent = maps ? m.st.indent : 2;
  return { indent, seqIndent: seqs ? m.st.seqIndent : indent };
}

function renderMap(m: MapN, col: number, path: Seg[], st: Style, out: Out[]): void {
  for (const p of m.pairs) {
    for (const l of p.lead) out.push({ text: l, owner: path });
    renderPair(p, col, [...path, p.key], st, out);
  }
  for (const l of m.end) out.push({ text: l, owner: path });
}

function renderPair(p: PairN, col: number, path: Seg[], st0: Style, out: Out[]): void {
  const head = `${pad(col)}${p.key}:`;
  const v = p.v;
  const st = (v.t === 'map' || v.t === 'seq') && v.sty ? { ...st0, ...v.sty } : st0;
  const tr = trailText(p.trail);
  switch (v.t) {
    case 'scalar': {
      const t = scalarText(v);
      out.push({ text: t === '' ? head + tr : `${head} ${t}${tr}`, owner: path });
      return;
    }
    case 'flow':
      out.push({ text: `${head} [${v.items.map(scalarText).join(', ')}]${tr}`, owner: path });
      return;
    case 'block':
      out.push({ text: `${head} ${v.clip ? '|' : '|-'}${tr}`, owner: path });
      for (const l of v.lines) out.push({ text: l.raw ?? (l.text === '' ? '' : pad(col + st.indent) + l.text), owner: path, block: true });
      return;
    case 'map':
      out.push({ text: v.pairs.length ? head + tr : `${head} {}${tr}`, owner: path });
      renderMap(v, col + st.indent, path, st, out);
      return;
    case 'seq':
      out.push({ text: v.items.length ? head + tr : `${head} []${tr}`, owner: path });
      for (const [i, it] of v.items.entries()) {
        for (const l of it.lead) out.push({ text: l, owner: path });
        renderItem(it, col + st.seqIndent, [...path, i], st, out);
      }
      for (const l of v.end) out.push({ text: l, owner: path });
  }
}

function renderItem(it: ItemN, dcol: number, path: Seg[], st: Style, out: Out[]): void {
  if (it.v.t === 'scalar') {
    out.push({ text: `${pad(dcol)}- ${scalarText(it.v)}${trailText(it.trail)}`, owner: path });
    return;
  }
  if (!it.v.pairs.length) {
    out.push({ text: `${pad(dcol)}- {}`, owner: path });
    return;
  }
  const start = out.length;
  renderMap(it.v, dcol + 2, path, st, out);
  out[start] = { ...out[start]!, text: `${pad(dcol)}- ${out[start]!.text.slice(dcol + 2)}` };
}

/** The rendered text and, per line, its owner. */
function render(m: Model): { text: string; lines: Out[] } {
  const lines: Out[] = [];
  if (m.st.header) lines.push({ text: '# generated stream', owner: [] }, { text: '', owner: [] });
  for (const [i, d] of m.docs.entries()) {
    if (i > 0 || m.st.header) lines.push({ text: '---', owner: [] });
    renderMap(d, 0, [`#${i}`], m.st, lines);
  }
  const text = (m.st.bom ? '\ufeff' : '') + lines.map((l) => l.text).join(m.st.eol) + (m.st.final ? m.st.eol : '');
  return { text, lines };
}

function toData(n: Node): unknown {
  switch (n.t) {
    case 'scalar':
      return n.v;
    case 'flow':
      return n.items.map((s) => s.v);
    case 'block':
      return n.lines.map((l) => l.text).join('\n') + (n.clip ? '\n' : '');
    case 'map':
      return Object.fromEntries(n.pairs.map((p) => [p.key, toData(p.v)]));
    case 'seq':
      return n.items.map((it) => toData(it.v));
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Generators.

const trailArb: fc.Arbitrary<Trail> = fc.option(fc.record({ sp: fc.constantFrom(' ', '  ', '\t', '   ', ' \t'), text: fc.constantFrom(...COMMENTS) }), {
  nil: undefined,
  freq: 3,
});
const leadArb = (col: number): fc.Arbitrary<string[]> =>
  fc.array(
    fc.oneof(
      fc.constant(''),
      fc.constantFrom(...COMMENTS).map((c) => `${pad(col)}# ${c}`),
    ),
    { maxLength: 2 },
  );
const endArb = (col: number): fc.Arbitrary<string[]> =>
  fc.oneof(
    { weight: 3, arbitrary: fc.constant([] as string[]) },
    fc.tuple(fc.boolean(), fc.constantFrom(...COMMENTS)).map(([blank, c]) => [...(blank ? [''] : []), `${pad(col)}# ${c}`]),
  );

function scalarArb(opts: { allowEmpty: boolean }): fc.Arbitrary<Scal> {
  const nullStyles: ScalarStyle[] = opts.allowEmpty ? ['empty', 'tilde', 'plain'] : ['tilde', 'plain'];
  return fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...SAFE_PLAIN).map((v): Scal => ({ t: 'scalar', v, style: 'plain' })) },
    {
      weight: 3,
      arbitrary: fc
        .tuple(fc.constantFrom(...SAFE_PLAIN, ...QUOTED), fc.constantFrom<ScalarStyle>('single', 'double'))
        .map(([v, style]): Scal => ({ t: 'scalar', v, style })),
    },
    { weight: 2, arbitrary: fc.integer({ min: -5, max: 5000 }).map((v): Scal => ({ t: 'scalar', v, style: 'plain' })) },
    { weight: 1, arbitrary: fc.boolean().map((v): Scal => ({ t: 'scalar', v, style: 'plain' })) },
    { weight: 1, arbitrary: fc.constantFrom(...nullStyles).map((style): Scal => ({ t: 'scalar', v: null, style })) },
  );
}

function blockArb(col: number, st: Style): fc.Arbitrary<Block> {
  const ind = col + st.indent;
  return fc
    .tuple(
      fc.uniqueArray(fc.constantFrom(...BLOCK_LINES), { minLength: 1, maxLength: 4 }),
      fc.boolean(),
      fc.option(fc.tuple(fc.nat(), fc.nat({ max: Math.max(0, ind - 1) })), { nil: undefined }),
    )
    .filter(([ls]) => !ls[0]!.startsWith(' '))
    .map(([ls, clip, empty]) => {
      const lines: BlockLine[] = ls.map((text) => ({ text }));
      if (empty && lines.length >= 2) lines.splice(1 + (empty[0] % (lines.length - 1)), 0, { text: '', raw: pad(empty[1]) });
      return { t: 'block' as const, lines, clip };
    });
}

function mapArb(col: number, depth: number, st: Style, item: boolean, minPairs = 1): fc.Arbitrary<MapN> {
  return fc
    .uniqueArray(fc.constantFrom(...KEYS), { minLength: minPairs, maxLength: item ? 3 : 4 })
    .chain((keys) =>
      fc
        .tuple(fc.tuple(...keys.map((k) => pairArb(k, col, depth, st, item))), item ? fc.constant([] as string[]) : endArb(col))
        .map(([pairs, end]) => ({ t: 'map' as const, pairs, end })),
    );
}

function pairArb(key: string, col: number, depth: number, st: Style, item: boolean): fc.Arbitrary<PairN> {
  const values: fc.WeightedArbitrary<Node>[] = [{ weight: 6, arbitrary: scalarArb({ allowEmpty: true }) }];
  if (!item) {
    values.push({ weight: 1, arbitrary: blockArb(col, st) });
    values.push({
      weight: 1,
      arbitrary: fc
        .uniqueArray(fc.constantFrom(...FLOW_SAFE), { minLength: 1, maxLength: 3 })
        .map((xs): FlowSeq => ({ t: 'flow', items: xs.map((v) => ({ t: 'scalar', v, style: 'plain' })) })),
    });
    values.push({ weight: 1, arbitrary: fc.constant<MapN>({ t: 'map', pairs: [], end: [] }) });
    if (depth < 3) {
      values.push({ weight: 3, arbitrary: mapArb(col + st.indent, depth + 1, st, false) });
      values.push({ weight: 2, arbitrary: seqArb(col + st.seqIndent, depth + 1, st) });
    }
  }
  return fc.tuple(fc.oneof(...values), item ? fc.constant([] as string[]) : leadArb(col), trailArb).map(([v, lead, trail]) => ({ key, v, lead, trail }));
}

function seqArb(dcol: number, depth: number, st: Style): fc.Arbitrary<SeqN> {
  const item: fc.Arbitrary<ItemN> = fc
    .tuple(
      fc.oneof({ weight: 3, arbitrary: scalarArb({ allowEmpty: false }) }, { weight: 2, arbitrary: mapArb(dcol + 2, depth + 1, st, true) }),
      leadArb(dcol),
      trailArb,
    )
    .map(([v, lead, trail]) => ({ v, lead, trail: v.t === 'scalar' ? trail : undefined }));
  return fc.array(item, { minLength: 1, maxLength: 3 }).map((items) => ({ t: 'seq' as const, items, end: [] }));
}

const styleArb: fc.Arbitrary<Style> = fc
  .record({
    indent: fc.constantFrom(2, 4),
    seqIndentOn: fc.boolean(),
    eol: fc.constantFrom<'\n' | '\r\n'>('\n', '\r\n'),
    final: fc.boolean(),
    bom: fc.boolean(),
    header: fc.boolean(),
  })
  .map(({ seqIndentOn, ...r }) => ({ ...r, seqIndent: seqIndentOn ? r.indent : 0 }));

const modelArb: fc.Arbitrary<Model> = styleArb.chain((st) =>
  fc.array(mapArb(0, 0, st, false, 2), { minLength: 1, maxLength: 2 }).map((docs) => {
    // A literal block on the last line needs its line break (clip would otherwise lose it): the file then ends with one.
    const lines = render({ st, docs }).lines;
    return { st: { ...st, final: st.final || !!lines[lines.length - 1]!.block }, docs };
  }),
);

// ---------------------------------------------------------------------------------------------------------------
// Navigation.

interface Target {
  di: number;
  path: Seg[];
  node: Node;
  parent?: MapN | SeqN | FlowSeq;
  inItem: boolean;
}

function targets(m: Model): Target[] {
  const out: Target[] = [];
  const walk = (di: number, n: Node, path: Seg[], parent: Target['parent'], inItem: boolean) => {
    out.push({ di, path, node: n, parent, inItem });
    if (n.t === 'map') for (const p of n.pairs) walk(di, p.v, [...path, p.key], n, inItem);
    if (n.t === 'seq') for (const [i, it] of n.items.entries()) walk(di, it.v, [...path, i], n, true);
    if (n.t === 'flow') for (const [i, s] of n.items.entries()) walk(di, s, [...path, i], n, inItem);
  };
  m.docs.forEach((d, di) => walk(di, d, [], undefined, false));
  return out;
}

function at(m: Model, di: number, path: Seg[]): { node: Node; parent?: MapN | SeqN | FlowSeq } {
  let node: Node = m.docs[di]!;
  let parent: MapN | SeqN | FlowSeq | undefined;
  for (const seg of path) {
    parent = node as MapN | SeqN | FlowSeq;
    if (node.t === 'map') node = node.pairs.find((p) => p.key === seg)!.v;
    else if (node.t === 'seq') node = node.items[seg as number]!.v;
    else if (node.t === 'flow') node = node.items[seg as number]!;
  }
  return { node, parent };
}

const clone = (m: Model): Model => structuredClone(m);

function toModel(v: unknown, inFlow = false): Node {
  if (v === null || typeof v !== 'object') return { t: 'scalar', v: v as Scal['v'], style: styleFor(v as Scal['v'], 'plain', inFlow) };
  if (Array.isArray(v)) return { t: 'seq', items: v.map((x) => ({ v: toModel(x) as Scal | MapN, lead: [], trail: undefined })), end: [] };
  return { t: 'map', pairs: Object.entries(v).map(([key, x]) => ({ key, v: toModel(x), lead: [], trail: undefined })), end: [] };
}

// ---------------------------------------------------------------------------------------------------------------
// Edits: each returns the editor's output and the expected model.

type Edit =
  | { kind: 'set'; di: number; path: Seg[]; value: Scal['v'] }
  | { kind: 'insert'; di: number; mapPath: Seg[]; key: string; value: unknown; after?: string; comment?: string }
  | { kind: 'delete'; di: number; path: Seg[] }
  | { kind: 'append'; di: number; path: Seg[]; value: unknown }
  | { kind: 'block'; di: number; path: Seg[]; op: 'replace' | 'insert' | 'delete' | 'chomp'; index: number; line: string };

const newScalar = fc.oneof(fc.constantFrom<Scal['v']>(...SAFE_PLAIN, ...QUOTED), fc.integer({ min: -5, max: 5000 }), fc.boolean(), fc.constant(null));
const insertValue = fc.oneof(
  { weight: 3, arbitrary: fc.oneof(fc.constantFrom<unknown>(...SAFE_PLAIN, ...QUOTED), fc.integer({ min: 0, max: 99 }), fc.boolean()) },
  { weight: 1, arbitrary: fc.record({ k1: fc.constantFrom(...SAFE_PLAIN), k2: fc.integer({ min: 0, max: 9 }) }) },
);

function editArb(m: Model): fc.Arbitrary<Edit> {
  const ts = targets(m);
  const arbs: fc.Arbitrary<Edit>[] = [];
  const scalars = ts.filter((t) => t.node.t === 'scalar');
  if (scalars.length) {
    arbs.push(fc.tuple(fc.constantFrom(...scalars), newScalar).map(([t, value]) => ({ kind: 'set', di: t.di, path: t.path, value })));
  }
  // maps (and `key:` / `key: ~` placeholders of pairs) to insert into; also a missing child map of a real map
  const maps = ts.filter((t) => t.node.t === 'map' || (t.node.t === 'scalar' && t.node.v === null && t.parent?.t === 'map' && !t.inItem));
  arbs.push(
    fc
      .tuple(
        fc.constantFrom(...maps),
        fc.constantFrom(...NEW_KEYS),
        insertValue,
        fc.boolean(),
        fc.nat(),
        fc.option(fc.constantFrom(...COMMENTS), { nil: undefined }),
      )
      .map(([t, key, value, missing, pick, comment]): Edit => {
        const keys = t.node.t === 'map' ? t.node.pairs.map((p) => p.key) : [];
        const canMiss = t.node.t === 'map' && !t.inItem && t.node.pairs.length > 0;
        if (missing && canMiss) return { kind: 'insert', di: t.di, mapPath: [...t.path, 'newParent'], key, value, comment };
        const after = keys.length && pick % 3 === 0 ? keys[pick % keys.length] : undefined;
        return { kind: 'insert', di: t.di, mapPath: t.path, key, value, after, comment };
      }),
  );
  const deletable = ts.filter((t) => t.path.length > 0 && !(t.path.length === 1 && m.docs[t.di]!.pairs.length < 2));
  if (deletable.length) arbs.push(fc.constantFrom(...deletable).map((t): Edit => ({ kind: 'delete', di: t.di, path: t.path })));
  const seqs = ts.filter((t) => t.node.t === 'seq' || t.node.t === 'flow');
  const realMaps = ts.filter((t) => t.node.t === 'map' && t.node.pairs.length && !t.inItem);
  arbs.push(
    fc
      .tuple(
        fc.constantFrom(...(seqs.length ? seqs : realMaps)),
        fc.oneof(fc.constantFrom<unknown>(...SAFE_PLAIN, ...QUOTED), fc.integer({ min: 0, max: 9 }), fc.record({ k1: fc.constantFrom(...SAFE_PLAIN) })),
        fc.boolean(),
      )
      .map(([t, value, missing]): Edit => {
        if (t.node.t === 'map' || (missing && realMaps.length)) {
          const mt = t.node.t === 'map' ? t : realMaps[0]!;
          return { kind: 'append', di: mt.di, path: [...mt.path, 'newList'], value: typeof value === 'object' ? 'v' : value };
        }
        return { kind: 'append', di: t.di, path: t.path, value: t.node.t === 'flow' && typeof value === 'object' ? 'v' : value };
      }),
  );
  const blocks = ts.filter((t) => t.node.t === 'block');
  if (blocks.length) {
    arbs.push(
      fc
        .tuple(
          fc.constantFrom(...blocks),
          fc.constantFrom<'replace' | 'insert' | 'delete' | 'chomp'>('replace', 'insert', 'delete', 'chomp'),
          fc.nat(),
          fc.constantFrom(...NEW_BLOCK_LINES),
        )
        .map(([t, op, index, line]): Edit => ({ kind: 'block', di: t.di, path: t.path, op, index, line })),
    );
  }
  return fc.oneof(...arbs);
}

/** Apply an edit to the model; undefined when the edit is not meaningful for this model (then skipped). */
function applyModel(m0: Model, e: Edit): { m: Model; text: string; blockText?: string } | undefined {
  const m = clone(m0);
  const eff = effStyle(m0);
  switch (e.kind) {
    case 'set': {
      const { node, parent } = at(m, e.di, e.path);
      const s = node as Scal;
      const inFlow = parent?.t === 'flow';
      if (s.v === e.value) break;
      s.style = styleFor(e.value, s.style, inFlow);
      s.v = e.value;
      break;
    }
    case 'insert': {
      const missingParent = e.mapPath[e.mapPath.length - 1] === 'newParent';
      const mapPath = missingParent ? e.mapPath.slice(0, -1) : e.mapPath;
      const { node, parent } = at(m, e.di, mapPath);
      let map: MapN;
      if (node.t === 'map') {
        map = node;
        if (!map.pairs.length && mapPath.length) map.sty = eff; // `key: {}` placeholder becomes a block map
      } else {
        // fill a `key:` / `key: ~` / `key: null` placeholder
        map = { t: 'map', pairs: [], end: [], sty: eff };
        (parent as MapN).pairs.find((p) => p.v === node)!.v = map;
      }
      if (map.pairs.some((p) => p.key === e.key) && !missingParent) return undefined;
      const pair: PairN = { key: e.key, v: withStyle(toModel(e.value), eff), lead: [], trail: e.comment ? { sp: ' ', text: e.comment } : undefined };
      if (missingParent) {
        if (map.pairs.some((p) => p.key === 'newParent')) return undefined;
        map.pairs.push({ key: 'newParent', v: { t: 'map', pairs: [pair], end: [], sty: eff }, lead: [], trail: undefined });
      } else {
        const i = e.after === undefined ? -1 : map.pairs.findIndex((p) => p.key === e.after);
        map.pairs.splice(i < 0 ? map.pairs.length : i + 1, 0, pair);
      }
      break;
    }
    case 'delete': {
      const { parent } = at(m, e.di, e.path);
      const seg = e.path[e.path.length - 1]!;
      const before = render(m0);
      const last = before.lines[before.lines.length - 1]!;
      // Removing the last lines of a file without a final newline leaves the line before with its own line break,
      // except for the only pair of a `- key: value` item map: that line is rewritten as `- {}`.
      const grand = e.path.length >= 2 ? at(m0, e.di, e.path.slice(0, -2)).node : undefined;
      const onlyItemPair = grand?.t === 'seq' && parent!.t === 'map' && parent!.pairs.length === 1;
      const eofEol = !m0.st.final && !onlyItemPair && startsWith([`#${e.di}`, ...e.path], last.owner);
      if (parent!.t === 'flow') parent!.items.splice(seg as number, 1);
      else {
        const list: (PairN | ItemN)[] = parent!.t === 'map' ? parent!.pairs : parent!.items;
        const i = parent!.t === 'map' ? parent!.pairs.findIndex((p) => p.key === seg) : (seg as number);
        const [gone] = list.splice(i, 1);
        if (i < list.length) list[i]!.lead = [...gone!.lead, ...list[i]!.lead];
        else parent!.end = [...gone!.lead, ...parent!.end];
        // an item map's first pair shares the `- ` line with the item: its own lead cannot exist there
      }
      const r = render(m);
      return { m, text: r.text + (eofEol ? m.st.eol : '') };
    }
    case 'append': {
      const last = e.path[e.path.length - 1];
      if (last === 'newList') {
        const { node } = at(m, e.di, e.path.slice(0, -1));
        const map = node as MapN;
        if (map.pairs.some((p) => p.key === 'newList')) return undefined;
        map.pairs.push({ key: 'newList', v: withStyle(toModel([e.value]), eff), lead: [], trail: undefined });
        break;
      }
      const { node } = at(m, e.di, e.path);
      if (node.t === 'flow') node.items.push(toModel(e.value, true) as Scal);
      else (node as SeqN).items.push({ v: withStyle(toModel(e.value), eff) as Scal | MapN, lead: [], trail: undefined });
      break;
    }
    case 'block': {
      const b = at(m, e.di, e.path).node as Block;
      const lines = b.lines;
      const i = e.index % (e.op === 'insert' ? lines.length + 1 : lines.length);
      if (e.op === 'chomp') b.clip = !b.clip;
      else if (e.op === 'replace') lines[i] = { text: e.line };
      else if (e.op === 'insert') lines.splice(i, 0, { text: e.line });
      else if (lines.length > 1) lines.splice(i, 1);
      else return undefined;
      if (lines.some((l, k) => k > 0 && l.text !== '' && lines.findIndex((x) => x.text === l.text) !== k)) return undefined;
      if (lines[0]!.text === '' || lines[lines.length - 1]!.text === '' || lines[0]!.text.startsWith(' ')) return undefined;
      return { m, text: render(m).text, blockText: toData(b) as string };
    }
  }
  return { m, text: render(m).text };
}

const startsWith = (prefix: Seg[], owner: Seg[]) => prefix.length <= owner.length && prefix.every((s, i) => owner[i] === s);

/** Newly inserted subtrees use the indentation the editor detects from the file. */
function withStyle(n: Node, eff: Sty): Node {
  if (n.t === 'map') {
    n.sty = eff;
    for (const p of n.pairs) withStyle(p.v, eff);
  }
  if (n.t === 'seq') {
    n.sty = eff;
    for (const it of n.items) withStyle(it.v, eff);
  }
  return n;
}

// ---------------------------------------------------------------------------------------------------------------

function runEdit(src: string, e: Edit, blockText: string | undefined): string {
  switch (e.kind) {
    case 'set':
      return setScalar(src, e.path, e.value, { doc: e.di });
    case 'insert':
      return insertPair(src, e.mapPath, e.key, e.value, { doc: e.di, after: e.after, comment: e.comment });
    case 'delete':
      return deleteKey(src, e.path, { doc: e.di });
    case 'append':
      return appendToSeq(src, e.path, e.value, { doc: e.di });
    case 'block':
      return setBlockScalar(src, e.path, blockText!, { doc: e.di });
  }
}

const dataOf = (text: string) =>
  parseAllDocuments(text).map((d) => {
    expect(d.errors).toEqual([]);
    return d.toJS();
  });

describe('property: random documents, random edits', () => {
  test('generated documents parse to the model data', () => {
    fc.assert(
      fc.property(modelArb, (m) => {
        const { text } = render(m);
        expect(dataOf(text)).toEqual(m.docs.map(toData));
      }),
      { numRuns: 150 },
    );
  });

  test('every edit verifies, changes only the intended lines and yields the intended data', () => {
    fc.assert(
      fc.property(
        modelArb.chain((m) => editArb(m).map((e) => [m, e] as const)),
        ([m, e]) => {
          const exp = applyModel(m, e);
          fc.pre(exp !== undefined);
          const src = render(m).text;
          const out = runEdit(src, e, exp.blockText);
          if (process.env.YAML_EDIT_PROP_DEBUG && out !== exp.text) console.log(JSON.stringify({ e, src, out, want: exp.text }, null, 1));
          expect(out).toBe(exp.text);
          expect(unintendedLines(exp.text, out)).toBe(0);
          expect(dataOf(out)).toEqual(exp.m.docs.map(toData));
        },
      ),
      { numRuns: Number(process.env.YAML_EDIT_PROP_RUNS ?? 500) },
    );
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Multi-line strings: whatever their first line, blank or whitespace-only lines and final line breaks, they are
// written as a literal block in block context (with an indentation indicator when the text needs one) and as a
// one-line double-quoted string in flow context; never refused, never invalid, nothing else touched.

const multiLineArb = fc
  .array(fc.constantFrom('a', 'x', ' ', '  ', '\t', '#', ': ', '"', "'", '\\', '- ', '{', '}', '[', ',', '\n', '\n', '\n'), { minLength: 2, maxLength: 14 })
  .map((parts) => parts.join(''))
  .filter((s) => s.includes('\n'));

interface MultiLineCase {
  readonly src: string;
  readonly run: (src: string, value: string) => string;
  /** Path of the value and the data of the source with it set. */
  readonly path: Seg[];
  /** The value is in a flow collection. */
  readonly flow: boolean;
  /** Lines of the source the edit replaces (the old value's line); 0 for an insertion. */
  readonly replaces: number;
}

const multiLineCaseArb: fc.Arbitrary<MultiLineCase> = fc
  .record({
    depth: fc.integer({ min: 0, max: 3 }),
    indent: fc.constantFrom(2, 4),
    eol: fc.constantFrom('\n', '\r\n'),
    final: fc.boolean(),
    kind: fc.constantFrom('insert', 'set-plain', 'set-double', 'set-single', 'set-comment', 'set-item', 'append', 'flow', 'block'),
  })
  .map(({ depth, indent, eol, final, kind }) => {
    const keys = ['spec', 'values', 'server', 'standalone'].slice(0, depth);
    const nest = (inner: string[]): string[] => {
      let lines = inner;
      for (let i = keys.length - 1; i >= 0; i--) lines = [`${keys[i]}:`, ...lines.map((l) => ' '.repeat(indent) + l)];
      return lines;
    };
    const leaf: Record<string, string[]> = {
      insert: ['before: 1'],
      'set-plain': ['config: old', 'after: 2'],
      'set-double': ['config: "old\\nvalue"', 'after: 2'],
      'set-single': ["config: 'old'"],
      'set-comment': ['config: old   # keep me', 'after: 2'],
      'set-item': ['list:', `${' '.repeat(indent)}- old`, `${' '.repeat(indent)}- other`],
      append: ['list:', `${' '.repeat(indent)}- first`],
      flow: ['map: {a: 1, config: "old"}'],
      block: ['config: |', `${' '.repeat(indent)}old`, 'after: 2'],
    };
    const lines = ['top: 0', ...nest(leaf[kind]!)];
    const src = lines.join(eol) + (final ? eol : '');
    const run = (s: string, v: string): string => {
      switch (kind) {
        case 'insert':
          return insertPair(s, keys, 'config', v);
        case 'set-item':
          return setValue(s, [...keys, 'list', 0], v);
        case 'append':
          return appendToSeq(s, [...keys, 'list'], v);
        case 'flow':
          return setValue(s, [...keys, 'map', 'config'], v);
        default:
          return setValue(s, [...keys, 'config'], v);
      }
    };
    const path: Seg[] =
      kind === 'set-item'
        ? [...keys, 'list', 0]
        : kind === 'append'
          ? [...keys, 'list', 1]
          : kind === 'flow'
            ? [...keys, 'map', 'config']
            : [...keys, 'config'];
    return { src, run, path, flow: kind === 'flow', replaces: kind === 'insert' || kind === 'append' ? 0 : kind === 'block' ? 2 : 1 };
  });

const getIn = (data: unknown, path: Seg[]): unknown => path.reduce<unknown>((v, k) => (v as Record<string | number, unknown>)?.[k], data);
const linesOf = (s: string) => s.split(/(?<=\n)/).filter((l) => l !== '');

describe('property: multi-line strings', () => {
  test('block context: a literal block that reads back as the string; flow context: one line; nothing else changes', () => {
    fc.assert(
      fc.property(multiLineCaseArb, multiLineArb, (c, value) => {
        const out = c.run(c.src, value);
        const [doc] = dataOf(out);
        expect(getIn(doc, c.path)).toBe(value);
        const block = /(config:|-) \|([1-9]?[-+]?|[-+][1-9])( +# keep me)?\r?\n/;
        if (c.flow) expect(linesOf(out)).toHaveLength(linesOf(c.src).length);
        else if (ordinaryText(value)) expect(out).toMatch(block);
        else expect(out).toMatch(new RegExp(`${block.source}|(config:|-) "[^\\r\\n]*"( +# keep me)?(\\r?\\n|$)`));
        // Only the old value's lines go: every other line of the source is still there, in order.
        const removed = diffArrays(linesOf(c.src), linesOf(out)).reduce((n, p) => n + (p.removed ? p.count : 0), 0);
        // (a source without a final newline gets one on its last line when the new lines go after it)
        expect(removed).toBeLessThanOrEqual(c.replaces + 1);
      }),
      { numRuns: Number(process.env.YAML_EDIT_PROP_RUNS ?? 500) },
    );
  });
});

/**
 * Lines of text, some of them possibly starting with spaces, no line of spaces only, no control characters: a
 * literal block always holds them (with an indentation indicator when the first starts with a space). Other
 * strings (a last line of spaces only, nothing but line breaks) may be written double-quoted on one line.
 */
function ordinaryText(s: string): boolean {
  const lines = s.replace(/\n+$/, '').split('\n');
  // eslint-disable-next-line no-control-regex -- a literal block cannot hold these control characters: they are what is looked for
  return !/[\r\x00-\x08\x0b\x0c\x0e-\x1f]/.test(s) && lines.some((l) => l !== '') && !lines.some((l) => l !== '' && /^[ \t]*$/.test(l));
}
