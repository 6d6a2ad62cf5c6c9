/**
 * Configuration errors in plain words: each problem at its `file:line:column` in `.gitops-fix.yaml`, with its key
 * path, what is expected and, for a misspelt key, the closest known key.
 */
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import type { z } from 'zod';
import { didYouMean } from './suggest.js';

/** Where a key path is in the file: `line:column` (1-based); the nearest existing parent when the key is absent. */
export type Locate = (path: readonly PropertyKey[], at?: 'key' | 'value') => { line: number; column: number } | undefined;

/** A locator over the configuration file's text. */
export function configLocator(text: string): Locate {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, logLevel: 'silent' });
  const at = (offset: number | undefined) => {
    if (offset === undefined) return undefined;
    const p = lineCounter.linePos(offset);
    return { line: p.line, column: p.col };
  };
  return (path, where = 'value') => {
    let node: Node | null | undefined = doc.contents;
    let found = at(node?.range?.[0]);
    for (const seg of path) {
      if (isMap(node)) {
        const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
        if (!pair) return found;
        found = at((pair.key as Node).range?.[0]) ?? found;
        node = pair.value as Node | null;
        // A key's problem is at its value when there is one (`clusters: prod` → at `prod`).
        if (where === 'value' && seg === path[path.length - 1] && node?.range) found = at(node.range[0]) ?? found;
      } else if (isSeq(node) && typeof seg === 'number') {
        const item = node.items[seg] as Node | undefined;
        if (!item) return found;
        node = item;
        found = at(item.range?.[0]) ?? found;
      } else return found;
    }
    return found;
  };
}

const EXPECTED: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  array: 'a list',
  object: 'a map of keys and values',
  record: 'a map of keys and values',
  null: 'nothing (null)',
};

function expectedWords(t: string | undefined): string {
  return (t && EXPECTED[t]) ?? (t ? `a ${t}` : 'another value');
}

/** What the file holds, in words: `the string "prod"`, `a list`, `nothing`. */
export function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'an empty value';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  if (typeof v === 'number' || typeof v === 'boolean') return `${typeof v === 'number' ? 'the number' : ''} ${String(v)}`.trim();
  if (Array.isArray(v)) return 'a list';
  return 'a map';
}

function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
  let v = raw;
  for (const seg of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[seg];
  }
  return v;
}

type Schema = z.ZodType;

interface Walked {
  description?: string;
  def?: { type?: string; innerType?: Schema; element?: Schema; valueType?: Schema; shape?: Record<string, Schema> };
}

/** The schema at a key path (through defaults, optionals, arrays and records). */
function schemaAt(schema: Schema | undefined, path: readonly PropertyKey[]): Walked | undefined {
  let s = schema as Walked | undefined;
  let description = s?.description;
  const unwrap = () => {
    description = s?.description ?? description;
    while (s?.def && (s.def.type === 'default' || s.def.type === 'optional' || s.def.type === 'nullable' || s.def.type === 'prefault')) s = s.def.innerType;
  };
  unwrap();
  for (const seg of path) {
    if (s?.def?.type === 'object') s = s.def.shape?.[String(seg)];
    else if (s?.def?.type === 'array') s = s.def.element;
    else if (s?.def?.type === 'record') s = s.def.valueType;
    else return undefined;
    description = undefined;
    unwrap();
  }
  return s ? { ...s, description: description ?? s.description } : undefined;
}

/** The keys the object schema at a key path knows. */
function keysAt(schema: Schema | undefined, path: readonly PropertyKey[]): string[] {
  const s = schemaAt(schema, path);
  return s?.def?.type === 'object' ? Object.keys(s.def.shape ?? {}) : [];
}

type Issue = z.core.$ZodIssue;

function described(d: string | undefined): string {
  return d ? ` (${d.replace(/\.$/, '').replace(/^./, (c) => c.toLowerCase())})` : '';
}

/** The expected types of a union's branches: `a string or a list`. */
function unionExpected(issue: Extract<Issue, { code: 'invalid_union' }>): string | undefined {
  const types = new Set<string>();
  for (const branch of issue.errors) for (const i of branch) if (i.code === 'invalid_type' && i.path.length === 0) types.add(expectedWords(i.expected));
  return types.size ? [...types].join(' or ') : undefined;
}

/** One problem in plain words (without its key path). */
export function plainIssue(issue: Issue, raw: unknown, schema?: Schema): string {
  const value = valueAt(raw, issue.path);
  switch (issue.code) {
    case 'invalid_type':
      if (value !== undefined) return `expected ${expectedWords(issue.expected)}, found ${describeValue(value)}`;
      return `missing: expected ${expectedWords(issue.expected)}${described(schemaAt(schema, issue.path)?.description)}`;
    case 'invalid_union': {
      const expected = unionExpected(issue);
      return expected ? `expected ${expected}, found ${describeValue(value)}` : issue.message;
    }
    case 'invalid_value':
      return `expected ${issue.values.map((v) => JSON.stringify(v)).join(', ')}; found ${describeValue(value)}`;
    case 'too_small':
      if (issue.origin === 'string') return issue.minimum === 1 ? 'must not be empty' : `needs at least ${String(issue.minimum)} characters`;
      if (issue.origin === 'array') return `needs at least ${String(issue.minimum)} entr${issue.minimum === 1 ? 'y' : 'ies'}`;
      return issue.message;
    case 'unrecognized_keys':
      return `unknown key${didYouMean(issue.keys[0] ?? '', keysAt(schema, issue.path))}`;
    default:
      return issue.message;
  }
}

function keyPath(path: readonly PropertyKey[]): string {
  return path.map(String).join('.') || '(top level)';
}

/**
 * One line per problem: `  FILE:LINE:COLUMN: key.path: what is expected, found what` (`file:line:column` when the
 * file is known). `prefix` is the key path of `raw` in the file (`['rules', 'vault-tls-disabled']` for its options).
 */
export function formatConfigIssues(
  error: z.ZodError,
  opts: { raw: unknown; schema?: Schema; file: string; locate?: Locate; prefix?: readonly PropertyKey[] },
): string {
  const prefix = opts.prefix ?? [];
  return error.issues
    .flatMap((i) => {
      const entries = i.code === 'unrecognized_keys' ? i.keys.map((k) => ({ issue: { ...i, keys: [k] }, path: [...i.path, k] })) : [{ issue: i, path: i.path }];
      return entries.map(({ issue, path }) => {
        const full = [...prefix, ...path];
        const pos = opts.locate?.(full, issue.code === 'unrecognized_keys' ? 'key' : 'value');
        const where = `${opts.file}${pos ? `:${pos.line}:${pos.column}` : ''}`;
        return `  ${where}: ${keyPath(full)}: ${plainIssue(issue, opts.raw, opts.schema)}`;
      });
    })
    .join('\n');
}
