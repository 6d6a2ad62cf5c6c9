/**
 * Loaded resources keep plain data and alias marks, not parsed Documents: `throughAlias` answers from the marks as
 * the Document would, and `position` parses its file again on first use, once per file, only for the files asked.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseWork, type YamlPath } from '../../src/kit/index.js';
import { fromRaw } from '../../src/engine/config.js';
import { loadRepo } from '../../src/engine/repo/load.js';
import { listYamlFiles } from '../../src/engine/repo/list.js';
import { aliasMarks, locate, throughAliasIn, throughMarks } from '../../src/engine/repo/resources.js';
import { missing, skipTitle } from '../support/needs.js';
import { CORPUS, tempDir, writeTree } from '../support/tree.js';

const { settings } = fromRaw({});

/** Every path into `data` (and one step past each, and a key that is nowhere), at most `limit` of them. */
function pathsOf(data: unknown, limit = 5000): YamlPath[] {
  const out: YamlPath[] = [[], ['no-such-key'], [0]];
  const walk = (v: unknown, path: (string | number)[]) => {
    if (out.length >= limit) return;
    out.push(path, [...path, 'no-such-key'], [...path, 0], [...path, '0']);
    if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...path, i]));
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, [...path, k]);
  };
  walk(data, []);
  return out;
}

/** Compare marks and Documents on every path of every document of `text`; the number of paths checked. */
function compare(text: string): { paths: number; through: number } {
  const { docs } = locate(text);
  let paths = 0;
  let through = 0;
  for (const d of docs) {
    if (d.errors.length) continue;
    let data: unknown;
    try {
      data = d.toJS({ maxAliasCount: 100 });
    } catch {
      continue;
    }
    const marks = aliasMarks(d);
    for (const p of pathsOf(data)) {
      const want = throughAliasIn(d, p);
      expect(throughMarks(marks, p), `${JSON.stringify(p)}`).toBe(want);
      paths++;
      if (want) through++;
    }
  }
  return { paths, through };
}

const ALIASES = `base: &base
  image: nginx
  ports: [80, 443]
app:
  <<: *base
  replicas: 2
list:
  - &item {name: a, value: 1}
  - *item
  - name: c
    env: *base
1: int key
"1": string key
nested:
  deep:
    - - *item
      - plain
whole: *base
`;

describe('compact positions', () => {
  it('alias marks answer throughAlias as the Document does: anchors, aliases, merge keys, sequences, numeric keys', () => {
    const { paths, through } = compare(ALIASES);
    expect(paths).toBeGreaterThan(100);
    expect(through).toBeGreaterThan(10);
  });

  const why = missing('corpus');
  it.skipIf(why)(skipTitle('alias marks agree with the Document on every corpus file that has aliases or merge keys', why), { timeout: 120_000 }, () => {
    let total = 0;
    let through = 0;
    for (const repo of listYamlFiles(CORPUS)) {
      const text = readFileSync(join(CORPUS, repo), 'utf8');
      if (!text.includes('*') && !text.includes('<<')) continue;
      const r = compare(text);
      total += r.paths;
      through += r.through;
    }
    expect(total).toBeGreaterThan(1000);
    expect(through).toBeGreaterThan(0);
  });

  it('position() parses its file again once, on first use, and only that file', () => {
    const dir = tempDir();
    writeTree(
      dir,
      new Map([
        ['a.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a2\ndata:\n  k: v\n'],
        ['b.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n'],
      ]),
    );
    const repo = loadRepo(dir, { settings, files: ['a.yaml', 'b.yaml'] });
    const [a1, a2] = repo.file('a.yaml')!.resources;
    const start = parseWork.parses;
    expect(a2!.position(['data', 'k'])).toEqual({ line: 11, column: 3 });
    expect(parseWork.parses - start).toBe(1);
    expect(a1!.position(['metadata', 'name'])).toEqual({ line: 4, column: 3 });
    expect(a2!.position(['metadata', 'missing'])).toEqual({ line: 8, column: 1 });
    expect(a2!.position()).toEqual({ line: 6, column: 1 });
    expect(parseWork.parses - start, 'one parse for the file, cached').toBe(1);
    expect(a1!.throughAlias(['metadata', 'name'])).toBe(false);
    expect(parseWork.parses - start, 'throughAlias needs no parse').toBe(1);
  });
});
