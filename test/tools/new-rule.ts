/**
 * Scaffold a rule:
 *
 *   npm run new-rule -- <rule-id> --item N --phase P --severity S [--generate]
 *
 * Creates transforms/<id>/index.ts (a skeleton that compiles) and README.md (the standard headings),
 * fixtures/<id>/valid-basic/before/ and invalid-basic/{before,after}/, templates/<id>/ with --generate, and inserts
 * the rule into transforms/index.ts in sorted position (an AST edit with ts-morph, so the file's own layout is kept).
 * Every placeholder is marked TODO(new-rule): the registry parity test names each one left.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PHASES, SEVERITIES, type Phase, type Severity } from '../../src/kit/index.js';
import { ROOT } from '../support/tree.js';

export const TODO = 'TODO(new-rule)';

export interface NewRule {
  readonly id: string;
  readonly item: number;
  readonly phase: Phase;
  readonly severity: Severity;
  readonly generate: boolean;
}

export function parseArgs(argv: readonly string[]): NewRule {
  const usage = 'usage: npm run new-rule -- <rule-id> --item <1-24> --phase <1-4> --severity <critical|high|medium|low> [--generate]';
  const flags = new Map<string, string>();
  const positional: string[] = [];
  let generate = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--generate') generate = true;
    else if (a.startsWith('--')) {
      const [k, v] = a.includes('=') ? [a.slice(2, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a.slice(2), argv[++i]];
      if (!['item', 'phase', 'severity'].includes(k) || v === undefined) throw new Error(`${a}: unknown or incomplete option\n${usage}`);
      flags.set(k, v);
    } else positional.push(a);
  }
  const id = positional[0];
  if (!id || positional.length > 1) throw new Error(usage);
  if (!/^[a-z0-9]+(-[a-z0-9]+)+$/.test(id)) throw new Error(`${id}: a rule id is kebab-case with at least two words (e.g. helmrelease-missing-interval)`);
  const item = Number(flags.get('item'));
  if (!Number.isInteger(item) || item < 1 || item > 24) throw new Error(`--item ${flags.get('item') ?? ''}: the review item, 1 to 24\n${usage}`);
  const phase = Number(flags.get('phase'));
  if (!(PHASES as readonly number[]).includes(phase)) throw new Error(`--phase ${flags.get('phase') ?? ''}: one of ${PHASES.join(', ')}\n${usage}`);
  const severity = flags.get('severity') ?? '';
  if (!(SEVERITIES as readonly string[]).includes(severity)) throw new Error(`--severity ${severity}: one of ${SEVERITIES.join(', ')}\n${usage}`);
  return { id, item, phase: phase as Phase, severity: severity as Severity, generate };
}

/** `kustomization-no-wait` → `kustomizationNoWait`. */
export function identifier(id: string): string {
  return id.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

function indexTs(r: NewRule): string {
  const fix = r.generate
    ? `  fix: {
    kind: 'generate',
    safe: false,
    apply({ resource }) {
      // ${TODO}: the file to create (next to the object it is about) and the values of the template's placeholders.
      const dir = dirOf(resource.file);
      const name = \`\${resource.name ?? 'unnamed'}-todo.yaml\`;
      return {
        changes: [
          { op: 'create', file: dir ? \`\${dir}/\${name}\` : name, templates: ['resource'], vars: { name: resource.name ?? 'unnamed', namespace: resource.namespace ?? 'default' } },
          { op: 'addKustomizeResource', dir, entry: name },
        ],
        summary: '${TODO}: one line saying what the fix adds',
      };
    },
  },`
    : `  fix: {
    kind: 'edit',
    safe: true,
    apply({ resource }) {
      // ${TODO}: the changes, as data (set, merge, delete, append on the resource).
      return { changes: [{ op: 'set', resource, path: ['spec', 'todo'], value: true }], summary: '${TODO}: one line saying what the fix sets' };
    },
  },`;
  return `import { clean, defineRule, ${r.generate ? 'dirOf, ' : ''}notApplicable } from '../../src/kit/index.js';

export const rule = defineRule({
  meta: {
    id: '${r.id}',
    title: '${TODO}: one imperative line (Require / Disallow / Replace / Add ...)',
    reviewItem: ${r.item},
    severity: '${r.severity}',
    phase: ${r.phase},
    messages: {
      found: '{kind} {name}: ${TODO} what is wrong and what it causes',
    },
  },
  *detect({ repo }) {
    // ${TODO}: yield one report per problem, on the object (and the path in it) where the problem is. What the fix needs
    // from here goes in \`detail\` (declare \`Generator<Report<M, Detail>>\`); a problem without an automatic fix says \`fixable: false\`.
    for (const resource of repo.ofKind('TodoKind')) {
      yield { messageId: 'found', resource, path: ['spec'], data: { kind: resource.kind ?? '', name: resource.name ?? '(unnamed)' } };
    }
  },
  checklist({ repo }) {
    // ${TODO}: the review checklist's line when detect found nothing: not applicable (and why), or clean (what was checked).
    if (!repo.ofKind('TodoKind').length) return notApplicable('${TODO}: no TodoKind');
    return clean('${TODO}: every TodoKind is in order');
  },
${fix}
});
`;
}

function readme(r: NewRule): string {
  const fix = r.generate ? '**generate** (review)' : '**edit** (safe)';
  return `# ${r.id}

${TODO}: one imperative line (Require / Disallow / Replace / Add ...)

Review item ${r.item} · severity **${r.severity}** · phase **${r.phase}** · fix: ${fix}

## Why

${TODO}: what goes wrong, for whom, and how the rule recognises it. Cite the facts (chart keys, CRD fields) in
References.

## Example

<!-- example:start -->
<!-- example:end -->

## Fix

${TODO}: what the fix changes, what it leaves alone, and what a reviewer should check.

## Options

This rule has no options.

## References

- ${TODO}: the upstream documentation the rule relies on.
`;
}

const TEMPLATE = `# ${TODO}: the resource this rule generates. Placeholders are whole scalars (\${name}), filled with typed values.
apiVersion: v1
kind: ConfigMap
metadata:
  name: \${name}
  namespace: \${namespace}
`;

/** Insert `import { rule as <ident> } from './<id>/index.js'` and `<ident>` into `rules`, both in sorted position. */
export async function register(indexFile: string, id: string): Promise<void> {
  const { Project, QuoteKind, IndentationText, SyntaxKind } = await import('ts-morph');
  const project = new Project({
    skipAddingFilesFromTsConfig: true,
    manipulationSettings: { quoteKind: QuoteKind.Single, indentationText: IndentationText.TwoSpaces },
  });
  const sf = project.addSourceFileAtPath(indexFile);
  const ruleImport = /^\.\/([^/]+)\/index\.js$/;
  const imports = sf.getImportDeclarations();
  const idOfImport = (i: (typeof imports)[number]) => ruleImport.exec(i.getModuleSpecifierValue())?.[1];
  if (imports.some((i) => idOfImport(i) === id)) throw new Error(`transforms/index.ts already imports ${id}`);
  const ruleImports = imports.filter((i) => idOfImport(i) !== undefined);
  const next = ruleImports.find((i) => idOfImport(i)! > id);
  const at = next ? next.getChildIndex() : ruleImports.length ? ruleImports[ruleImports.length - 1]!.getChildIndex() + 1 : imports.length;
  const ident = identifier(id);
  sf.insertImportDeclaration(at, { namedImports: [{ name: 'rule', alias: ident }], moduleSpecifier: `./${id}/index.js` });

  const decl = sf.getVariableDeclarationOrThrow('rules');
  const array =
    decl.getInitializerOrThrow().getFirstDescendantByKind(SyntaxKind.ArrayLiteralExpression) ??
    decl.getInitializerIfKindOrThrow(SyntaxKind.ArrayLiteralExpression);
  const idOfIdent = new Map(
    sf
      .getImportDeclarations()
      .flatMap((i) => i.getNamedImports().map((n) => [(n.getAliasNode() ?? n.getNameNode()).getText(), idOfImport(i)] as const))
      .filter((e): e is readonly [string, string] => e[1] !== undefined),
  );
  const elements = array.getElements();
  const pos = elements.findIndex((e) => (idOfIdent.get(e.getText()) ?? e.getText()) > id);
  array.insertElement(pos < 0 ? elements.length : pos, ident, { useNewLines: true });
  await sf.save();
}

/** Write the rule's files and register it. Returns the paths created (relative to root). */
export async function scaffold(r: NewRule, root = ROOT): Promise<string[]> {
  const created: string[] = [];
  const write = (rel: string, text: string) => {
    const abs = join(root, rel);
    if (existsSync(abs)) throw new Error(`${rel} already exists`);
    mkdirSync(dirname(abs), { recursive: true });
    writeFileSync(abs, text);
    created.push(rel);
  };
  for (const p of [`transforms/${r.id}`, `fixtures/${r.id}`, `templates/${r.id}`]) if (existsSync(join(root, p))) throw new Error(`${p} already exists`);
  write(`transforms/${r.id}/index.ts`, indexTs(r));
  write(`transforms/${r.id}/README.md`, readme(r));
  for (const c of ['valid-basic/before', 'invalid-basic/before', 'invalid-basic/after']) write(`fixtures/${r.id}/${c}/.gitkeep`, '');
  if (r.generate) write(`templates/${r.id}/resource.yaml`, TEMPLATE);
  await register(join(root, 'transforms', 'index.ts'), r.id);
  created.push('transforms/index.ts (registered)');
  return created;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  try {
    const r = parseArgs(process.argv.slice(2));
    const created = await scaffold(r);
    process.stdout.write(
      [
        `Scaffolded ${r.id}:`,
        ...created.map((c) => `  ${c}`),
        '',
        'Next: write the fixtures (a mini-repository in each before/, the fixed tree in after/), the rule and its README,',
        `then: npx vitest run test/registry.test.ts test/rules.test.ts -t ${r.id}   (they name every ${TODO} left)`,
        '      npm run gen:docs                                                    (the README example and the rules table)',
      ].join('\n') + '\n',
    );
  } catch (e) {
    process.stderr.write(`new-rule: ${(e as Error).message}\n`);
    process.exitCode = 2;
  }
}
