/**
 * The generated parts of the documentation, computed from the code and the fixtures:
 * - each rule README's Example section (between `<!-- example:start -->` and `<!-- example:end -->`), from the
 *   rule's first invalid fixture that has a fixed tree (else its first invalid fixture): what scan reports, then
 *   the diff of every changed file and the text of every new one;
 * - the rules table of the root README (between `<!-- rules:start -->` and `<!-- rules:end -->`), which is
 *   `gitops-fix rules --format markdown`;
 * - schema/gitops-fix.schema.json, the JSON Schema of `.gitops-fix.yaml`.
 *
 * `npm run gen:docs` writes them (test/tools/gen-docs.ts); test/docs.test.ts fails when a file differs.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { createTwoFilesPatch } from 'diff';
import type { Rule } from '../../src/kit/index.js';
import { configJsonSchemaText, SCHEMA_FILE } from '../../src/engine/config-schema.js';
import { rules as allRules } from '../../src/engine/registry.js';
import { EXAMPLE_END, EXAMPLE_START } from '../../src/engine/rule-docs.js';
import { detectRule } from '../../src/engine/scan.js';
import { openSession } from '../../src/engine/session.js';
import { rulesMarkdown } from '../../src/cli/commands/rules.js';
import { listCases, type FixtureCase } from '../support/fixtures.js';
import { readTree, ROOT } from '../support/tree.js';

export const RULES_START = '<!-- rules:start -->';
export const RULES_END = '<!-- rules:end -->';

export interface GeneratedFile {
  /** Relative to the project root. */
  readonly path: string;
  /** The expected content, or the reason it cannot be generated. */
  readonly content: string;
  readonly error?: string;
}

/** Replace what is between two marker lines (markers kept). */
export function replaceBetween(text: string, start: string, end: string, body: string): string | undefined {
  const a = text.indexOf(start);
  const b = text.indexOf(end, a + start.length);
  if (a < 0 || b < 0) return undefined;
  return `${text.slice(0, a + start.length)}\n${body ? `${body}\n` : ''}${text.slice(b)}`;
}

function fence(lang: string, text: string): string {
  const ticks = text.includes('```') ? '````' : '```';
  return `${ticks}${lang}\n${text.endsWith('\n') ? text : `${text}\n`}${ticks}`;
}

function language(path: string): string {
  return /\.ya?ml$/i.test(path) ? 'yaml' : /\.md$/i.test(path) ? 'markdown' : /\.json$/i.test(path) ? 'json' : /\.hcl$/i.test(path) ? 'hcl' : 'text';
}

/** The case an example is made from: the first invalid one with a fixed tree, else the first invalid one. */
export function exampleCase(ruleId: string): FixtureCase | undefined {
  const invalid = listCases(ruleId).filter((c) => !c.valid);
  return invalid.find((c) => c.afterDir) ?? invalid[0];
}

function findingLines(c: FixtureCase, rule: Rule): string {
  const s = openSession(c.beforeDir);
  return detectRule(s.repo, rule, s.options.get(rule.meta.id))
    .map((f) => `${f.file}:${f.line}:${f.column} ${f.message}`)
    .join('\n');
}

/** The Markdown of a rule's Example section, generated from its fixture. */
export function ruleExample(rule: Rule): string {
  const id = rule.meta.id;
  const c = exampleCase(id);
  if (!c) return `_No invalid fixture yet: add \`fixtures/${id}/invalid-<what>/\` and run \`npm run gen:docs\`._`;
  const link = `[\`fixtures/${id}/${c.name}/\`](../../fixtures/${id}/${c.name}/)`;
  const before = readTree(c.beforeDir);
  const out: string[] = [`Generated from ${link}.`];
  const config = before.get('.gitops-fix.yaml');
  if (config) out.push('', 'With this `.gitops-fix.yaml`:', '', fence('yaml', config));
  out.push('', '`gitops-fix scan` reports:', '', fence('text', findingLines(c, rule)));
  if (!c.afterDir) {
    out.push('', 'There is no automatic fix for this case; the message says what to do. The files:');
    for (const [p, t] of [...before].sort(([a], [b]) => a.localeCompare(b))) if (p !== '.gitops-fix.yaml') out.push('', `\`${p}\``, '', fence(language(p), t));
    return out.join('\n');
  }
  const after = readTree(c.afterDir);
  const paths = [...new Set([...before.keys(), ...after.keys()])].sort();
  const changed = paths.filter((p) => before.get(p) !== after.get(p));
  out.push('', '`gitops-fix fix` changes:');
  for (const p of changed) {
    const a = before.get(p);
    const b = after.get(p);
    if (a !== undefined && b !== undefined) {
      const patch = createTwoFilesPatch(`a/${p}`, `b/${p}`, a, b, undefined, undefined, { context: 3 });
      out.push('', fence('diff', patch.slice(patch.indexOf('\n') + 1).replace(/\t$/gm, '')));
    } else if (b !== undefined) out.push('', `New file \`${p}\`:`, '', fence(language(p), b));
    else out.push('', `Deletes \`${p}\`.`);
  }
  return out.join('\n');
}

/** Every generated file with its expected content. */
export function expectedDocs(rules: readonly Rule[] = allRules, root = ROOT): GeneratedFile[] {
  const out: GeneratedFile[] = [];
  const readme = join(root, 'README.md');
  const text = readFileSync(readme, 'utf8');
  const table = replaceBetween(text, RULES_START, RULES_END, rulesMarkdown(rules));
  out.push(
    table === undefined
      ? { path: 'README.md', content: text, error: `README.md has no ${RULES_START} … ${RULES_END} markers` }
      : { path: 'README.md', content: table },
  );
  for (const rule of rules) {
    const p = join(root, 'transforms', rule.meta.id, 'README.md');
    const rel = relative(root, p).split('\\').join('/');
    if (!existsSync(p)) {
      out.push({ path: rel, content: '', error: `${rel} is missing` });
      continue;
    }
    const current = readFileSync(p, 'utf8');
    const next = replaceBetween(current, EXAMPLE_START, EXAMPLE_END, ruleExample(rule));
    out.push(
      next === undefined
        ? { path: rel, content: current, error: `${rel} has no ${EXAMPLE_START} … ${EXAMPLE_END} markers in its Example section` }
        : { path: rel, content: next },
    );
  }
  out.push({ path: SCHEMA_FILE, content: configJsonSchemaText(rules) });
  return out;
}
