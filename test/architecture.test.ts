import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './support/tree.js';

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) out.push(...sources(p));
    else if (p.endsWith('.ts')) out.push(p);
  }
  return out;
}

function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1] ?? m[2]!);
}

/** Which project layers each layer may import (downward only) and which packages. */
const LAYERS: Record<string, { layers: string[]; packages: RegExp }> = {
  bin: { layers: ['src/cli'], packages: /^node:/ },
  'src/cli': { layers: ['src/cli', 'src/engine', 'src/kit'], packages: /^(node:|commander$|@inquirer\/|listr2$|diff$)/ },
  'src/engine': { layers: ['src/engine', 'src/kit', 'transforms'], packages: /^(node:|yaml$|zod$|diff$|picomatch$|semver$)/ },
  transforms: { layers: ['transforms', 'src/kit'], packages: /^$/ },
  'src/kit': { layers: ['src/kit'], packages: /^(node:|yaml$|zod$|diff$|semver$|hcl2-parser$|@cdktf\/hcl2json$)/ },
};

function layerOf(path: string): string | undefined {
  const rel = relative(ROOT, path).split('\\').join('/');
  return Object.keys(LAYERS)
    .sort((a, b) => b.length - a.length)
    .find((l) => rel === l || rel.startsWith(l + '/'));
}

describe('architecture', () => {
  for (const layer of Object.keys(LAYERS)) {
    it(`${layer} imports only downward`, () => {
      const bad: string[] = [];
      for (const file of sources(join(ROOT, layer))) {
        if (layer === 'src') continue;
        if (layerOf(file) !== layer) continue;
        for (const spec of imports(file)) {
          if (spec.startsWith('.')) {
            const target = layerOf(join(file, '..', spec));
            if (!target || !LAYERS[layer]!.layers.includes(target)) bad.push(`${relative(ROOT, file)} → ${spec}`);
          } else if (!LAYERS[layer]!.packages.test(spec)) bad.push(`${relative(ROOT, file)} → package ${spec}`);
        }
      }
      expect(bad, 'imports must go bin → src/cli → src/engine → transforms → src/kit; only src/cli touches the terminal').toEqual([]);
    });
  }

  it("no rule imports another rule's files", () => {
    const bad: string[] = [];
    const root = join(ROOT, 'transforms');
    for (const file of sources(root)) {
      const [own] = relative(root, file).split(/[\\/]/);
      if (relative(root, file) === 'index.ts') continue;
      for (const spec of imports(file)) {
        if (!spec.startsWith('.')) continue;
        const target = relative(root, join(file, '..', spec)).split(/[\\/]/);
        if (target[0] === '..' || target.length === 1) continue;
        if (target[0] !== own) bad.push(`${relative(ROOT, file)} → ${spec}`);
      }
    }
    expect(bad, 'a rule reads another rule only through src/kit').toEqual([]);
  });

  it('the engine never prints or exits', () => {
    const bad = sources(join(ROOT, 'src', 'engine')).filter((f) => /console\.|process\.(stdout|stderr|exit)/.test(readFileSync(f, 'utf8')));
    expect(bad.map((f) => relative(ROOT, f))).toEqual([]);
  });
});
