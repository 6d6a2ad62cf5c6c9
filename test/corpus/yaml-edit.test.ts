/**
 * Real-world check over the shared corpus of Flux / Kubernetes repositories: two edits per document, each must
 * change only its intended lines (0 collateral lines) or be refused for a documented reason.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { diffArrays } from 'diff';
import { describe, expect, test } from 'vitest';
import { isAlias, isMap, isScalar, isSeq, parseAllDocuments } from 'yaml';
import type { Document, Node as YNode } from 'yaml';
import { EditRefusedError, appendToSeq, deleteKey, insertPair, parseDocs, setScalar, setValue } from '../../src/engine/yaml-edit/index.js';
import { missing, skipTitle } from '../support/needs.js';
import { CORPUS } from '../support/tree.js';

/** Characters re-parsed per file and edit kind, at most (a document sample is taken beyond it). */
const BUDGET = 400_000;

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return e.name === '.git' ? [] : walk(p);
    return /\.ya?ml$/i.test(e.name) ? [p] : [];
  });
}

const why = missing('corpus');
const files = why ? [] : walk(CORPUS).sort();
const lines = (s: string) => s.split(/(?<=\n)/).filter((l) => l !== '');
const lineOf = (s: string, i: number) => (s.slice(0, i).match(/\n/g) ?? []).length;

/** Lines of `before` removed outside `intended`, plus added lines beyond `maxAdded`. */
function collateral(before: string, after: string, intended: Set<number>, maxAdded: number): number {
  let bad = 0;
  let added = 0;
  let removed = 0;
  let idx = 0;
  for (const part of diffArrays(lines(before), lines(after))) {
    if (part.added) added += part.value.length;
    else if (part.removed) {
      for (let k = 0; k < part.value.length; k++) if (!intended.has(idx + k)) bad++;
      removed += part.value.length;
      idx += part.value.length;
    } else idx += part.value.length;
  }
  return bad + Math.max(0, added - removed - maxAdded);
}

interface Leaf {
  path: (string | number)[];
  node: YNode;
}

/** First scalar (or alias) leaf in document order at depth >= 2, not going through aliases or merge keys. */
function firstLeaf(node: unknown, path: (string | number)[] = []): Leaf | undefined {
  if ((isScalar(node) || isAlias(node)) && path.length >= 2) return { path, node };
  if (isMap(node)) {
    for (const p of node.items) {
      if (!isScalar(p.key) || p.key.value === '<<' || typeof p.key.value === 'object') continue;
      const hit = firstLeaf(p.value, [...path, p.key.value as string]);
      if (hit) return hit;
    }
  }
  if (isSeq(node)) {
    for (const [i, it] of node.items.entries()) {
      const hit = firstLeaf(it, [...path, i]);
      if (hit) return hit;
    }
  }
  return undefined;
}

function changed(n: YNode): string | number | boolean {
  if (isAlias(n)) return 'x';
  const v = (n as { value: unknown }).value;
  if (typeof v === 'number') return v + 1;
  if (typeof v === 'boolean') return !v;
  if (typeof v === 'string') return `${v}-x`;
  return 'x';
}

/** Long synchronous loops starve the test runner's RPC; let it through now and then. */
const yieldToRunner = () => new Promise<void>((r) => setImmediate(r));

const REASONS: [string, RegExp][] = [
  ['alias', /alias \*/],
  ['merge', /merge key <</],
  ['flow', /flow collection/],
  ['folded', /folded block scalar/],
];

describe.skipIf(why)(skipTitle('corpus', why), () => {
  test('scalar edit and annotation insert on every document: 0 collateral lines or a documented refusal', async () => {
    const stats = { files: 0, scalar: 0, insert: 0, collateral: 0, refused: {} as Record<string, number> };
    const problems: string[] = [];
    const refusedFor = (file: string, what: string, e: unknown) => {
      if (!(e instanceof EditRefusedError)) throw e;
      const reason = REASONS.find(([, re]) => re.test(e.message))?.[0];
      if (!reason) problems.push(`${file} ${what}: unexpected refusal: ${e.message}`);
      else stats.refused[reason] = (stats.refused[reason] ?? 0) + 1;
    };
    const seen = new Set<string>();
    for (const [k, file] of files.entries()) {
      if (k % 20 === 0) await yieldToRunner();
      const src = readFileSync(file, 'utf8');
      if (seen.has(src)) continue; // identical copies (staging/production) add nothing
      seen.add(src);
      let docs: Document.Parsed[];
      try {
        docs = parseDocs(src);
      } catch {
        continue;
      }
      stats.files++;
      // Every document, except in very large multi-document files where an evenly spread sample keeps the run short.
      const budget = Math.max(2, Math.floor(BUDGET / Math.max(1, src.length)));
      const step = docs.length > budget ? (docs.length - 1) / (budget - 1) : 1;
      const pick = new Set(docs.length > budget ? Array.from({ length: budget }, (_, k) => Math.round(k * step)) : docs.keys());
      for (const [di, doc] of docs.entries()) {
        if (!pick.has(di)) continue;
        // (a) first scalar leaf at depth >= 2 set to a changed value
        const leaf = firstLeaf(doc.contents);
        if (leaf) {
          const value = changed(leaf.node);
          try {
            const out = setScalar(src, leaf.path, value, { doc: di });
            const [a, b] = leaf.node.range!;
            const intended = new Set<number>();
            for (let l = lineOf(src, a); l <= lineOf(src, Math.max(a, b - 1)); l++) intended.add(l);
            const block = isScalar(leaf.node) && leaf.node.type === 'BLOCK_LITERAL';
            const n = collateral(src, out, intended, block ? 2 : 0);
            if (n) problems.push(`${file} doc ${di} set ${leaf.path.join('.')}: ${n} collateral lines`);
            stats.collateral += n;
            const got = parseAllDocuments(out)[di]!.getIn(leaf.path);
            if (got !== value) problems.push(`${file} doc ${di} set ${leaf.path.join('.')}: reads back ${String(got)}`);
            stats.scalar++;
          } catch (e) {
            refusedFor(file, `doc ${di} set ${leaf.path.join('.')}`, e);
          }
        }
        // (b) annotation insert where the document is a map with a metadata map
        const meta = isMap(doc.contents) ? doc.contents.get('metadata', true) : undefined;
        if (isMap(meta)) {
          const ann = meta.get('annotations', true);
          if (isMap(ann) && ann.has('gitops-fix/touched')) continue;
          try {
            const out = insertPair(src, ['metadata', 'annotations'], 'gitops-fix/touched', 'true', { doc: di });
            // A placeholder (`annotations:` / `annotations: {}`) or a flow map line may be rewritten; nothing else.
            const intended = new Set<number>();
            const node = (isMap(ann) && ann.flow) || (ann && !isMap(ann)) ? (ann as YNode) : meta.flow ? meta : undefined;
            if (node?.range) for (let l = lineOf(src, node.range[0]); l <= lineOf(src, node.range[1]); l++) intended.add(l);
            const n = collateral(src, out, intended, 2);
            if (n) problems.push(`${file} doc ${di} insert annotation: ${n} collateral lines`);
            stats.collateral += n;
            const got = parseAllDocuments(out)[di]!.getIn(['metadata', 'annotations', 'gitops-fix/touched']);
            if (got !== 'true') problems.push(`${file} doc ${di} insert annotation: reads back ${String(got)}`);
            stats.insert++;
          } catch (e) {
            refusedFor(file, `doc ${di} insert annotation`, e);
          }
        }
      }
    }
    expect(problems).toEqual([]);
    expect(stats.collateral).toBe(0);
    expect(stats.scalar).toBeGreaterThan(0);
    expect(stats.insert).toBeGreaterThan(0);
    if (process.env.YAML_EDIT_CORPUS_STATS) console.log(JSON.stringify(stats));
  }, 600_000);

  test('random deletes, replacements and appends: each verifies or is refused for a documented reason', async () => {
    let seed = 42;
    const rnd = (k: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % k;
    };
    const allowed = [...REASONS.map(([, re]) => re), /anchor &\S+ that \*\S+ still refers to/, /no brackets/];
    const problems: string[] = [];
    const refusedBy: Record<string, number> = {};
    let edits = 0;
    const seen = new Set<string>();
    for (const [k, file] of files.entries()) {
      if (k % 20 === 0) await yieldToRunner();
      const src = readFileSync(file, 'utf8');
      if (src.length > 20_000 || seen.has(src)) continue;
      seen.add(src);
      let docs: Document.Parsed[];
      try {
        docs = parseDocs(src);
      } catch {
        continue;
      }
      for (const [di, doc] of docs.entries()) {
        const nodes: { path: (string | number)[]; node: unknown }[] = [];
        const visit = (n: unknown, path: (string | number)[]) => {
          if (path.length) nodes.push({ path, node: n });
          if (isMap(n)) {
            for (const p of n.items) {
              if (isScalar(p.key) && ['string', 'number'].includes(typeof p.key.value) && p.key.value !== '<<')
                visit(p.value, [...path, p.key.value as string]);
            }
          } else if (isSeq(n)) n.items.forEach((it, i) => visit(it, [...path, i]));
        };
        visit(doc.contents, []);
        if (!nodes.length) continue;
        const o = { doc: di };
        const t1 = nodes[rnd(nodes.length)]!;
        const t2 = nodes[rnd(nodes.length)]!;
        const seq = nodes.filter((x) => isSeq(x.node));
        const runs: [string, () => string][] = [
          [`delete ${t1.path.join('.')}`, () => deleteKey(src, t1.path, o)],
          [`replace ${t2.path.join('.')}`, () => setValue(src, t2.path, { replaced: true, list: ['a', 'b c'] }, o)],
        ];
        if (seq.length) {
          const t3 = seq[rnd(seq.length)]!;
          const item = (t3.node as { items: unknown[] }).items.some(isMap) ? { name: 'added' } : 'added';
          runs.push([`append ${t3.path.join('.')}`, () => appendToSeq(src, t3.path, item, o)]);
        }
        for (const [what, run] of runs) {
          try {
            run();
            edits++;
          } catch (e) {
            if (!(e instanceof EditRefusedError)) throw e;
            const re = allowed.find((r) => r.test(e.message));
            if (!re) problems.push(`${file} doc ${di} ${what}: ${e.message}`);
            else refusedBy[re.source] = (refusedBy[re.source] ?? 0) + 1;
          }
        }
      }
    }
    if (process.env.YAML_EDIT_CORPUS_STATS) console.log(JSON.stringify({ edits, refusedBy }));
    expect(problems).toEqual([]);
    expect(edits).toBeGreaterThan(1000);
  }, 600_000);
});
