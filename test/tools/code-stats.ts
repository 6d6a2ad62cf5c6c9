/**
 * Code-shape figures of src/ and transforms/: type assertions (`as`, except `as const`), non-null assertions, exports
 * of the kit, the longest functions and the largest files. `npx tsx test/tools/code-stats.ts [--json]`.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

const ROOT = join(import.meta.dirname, '..', '..');
const GENERATED = new Set(['src/kit/vault/chart-defaults.ts', 'src/kit/vault-chart.ts']);

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

interface Fn {
  readonly where: string;
  readonly lines: number;
}

export function codeStats() {
  let casts = 0;
  let nonNull = 0;
  const fns: Fn[] = [];
  const sizes: { file: string; lines: number }[] = [];
  let kitExports = 0;
  for (const abs of [...files(join(ROOT, 'src')), ...files(join(ROOT, 'transforms'))]) {
    const rel = relative(ROOT, abs);
    const text = readFileSync(abs, 'utf8');
    const sf = ts.createSourceFile(rel, text, ts.ScriptTarget.ES2022, true);
    if (!GENERATED.has(rel)) sizes.push({ file: rel, lines: text.split('\n').length });
    const line = (n: ts.Node) => sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1;
    const visit = (n: ts.Node) => {
      if (ts.isAsExpression(n) && !(ts.isTypeReferenceNode(n.type) && n.type.getText(sf) === 'const')) casts++;
      if (ts.isTypeAssertionExpression(n)) casts++;
      if (ts.isNonNullExpression(n)) nonNull++;
      if ((ts.isFunctionDeclaration(n) || ts.isMethodDeclaration(n) || ts.isArrowFunction(n) || ts.isFunctionExpression(n)) && n.body) {
        const lines = sf.getLineAndCharacterOfPosition(n.end).line - sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1;
        const name = (n as { name?: ts.Node }).name?.getText(sf) ?? '(anonymous)';
        if (rel.startsWith('src/')) fns.push({ where: `${rel}:${line(n)} ${name}`, lines });
      }
      ts.forEachChild(n, visit);
    };
    visit(sf);
    if (rel.startsWith('src/kit/')) {
      for (const st of sf.statements) {
        const mods = ts.canHaveModifiers(st) ? ts.getModifiers(st) : undefined;
        if (mods?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword)) {
          kitExports += ts.isVariableStatement(st) ? st.declarationList.declarations.length : 1;
        } else if (ts.isExportDeclaration(st) && st.exportClause && ts.isNamedExports(st.exportClause) && rel !== 'src/kit/index.ts') {
          kitExports += st.exportClause.elements.length;
        }
      }
    }
  }
  fns.sort((a, b) => b.lines - a.lines);
  sizes.sort((a, b) => b.lines - a.lines);
  return { casts, nonNull, kitExports, longestFunctions: fns.slice(0, 8), largestFiles: sizes.slice(0, 8) };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const s = codeStats();
  if (process.argv.includes('--json')) console.log(JSON.stringify(s, null, 2));
  else {
    console.log(`type assertions (as): ${s.casts}\nnon-null assertions (!): ${s.nonNull}\nkit exports: ${s.kitExports}`);
    console.log('longest functions in src/:');
    for (const f of s.longestFunctions) console.log(`  ${f.lines} lines  ${f.where}`);
    console.log('largest files (src/, transforms/, generated data aside):');
    for (const f of s.largestFiles) console.log(`  ${f.lines} lines  ${f.file}`);
  }
}
