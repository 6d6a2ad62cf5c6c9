/**
 * Regenerate the generated documentation: rule README examples, the root README's rules table and the
 * configuration JSON Schema (see test/tools/docs.ts).
 *
 *   npm run gen:docs            write what changed
 *   npm run gen:docs -- --check list what is stale and exit 1 (writes nothing)
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { expectedDocs } from './docs.js';
import { ROOT } from '../support/tree.js';

const check = process.argv.includes('--check');
let stale = 0;
let errors = 0;
for (const f of expectedDocs()) {
  if (f.error) {
    process.stderr.write(`error: ${f.error}\n`);
    errors++;
    continue;
  }
  const abs = join(ROOT, f.path);
  const current = existsSync(abs) ? readFileSync(abs, 'utf8') : undefined;
  if (current === f.content) continue;
  stale++;
  if (check) process.stdout.write(`stale: ${f.path}\n`);
  else {
    mkdirSync(dirname(abs), { recursive: true });
    writeFileSync(abs, f.content);
    process.stdout.write(`wrote ${f.path}\n`);
  }
}
if (!stale && !errors) process.stdout.write('docs are up to date\n');
process.exitCode = errors || (check && stale) ? 1 : 0;
