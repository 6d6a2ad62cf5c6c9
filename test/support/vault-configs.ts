/** Vault configurations found in block scalars of YAML trees (the fixtures, the corpus), and the TLS edit check. */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { diffLines } from 'diff';
import { expect } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { removeAttribute, setAttribute } from '../../src/kit/hcl/edit.js';
import { parseHcl } from '../../src/kit/hcl/parse.js';
import { findBlocks, getAttribute } from '../../src/kit/hcl/query.js';
import { validateEdit } from '../../src/kit/hcl/validate.js';

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    const st = statSync(path);
    return st.isDirectory() ? walk(path) : /\.ya?ml$/.test(name) ? [path] : [];
  });
}

/** String values of a YAML document, with their paths. */
function strings(v: unknown, path: string): { path: string; text: string }[] {
  if (typeof v === 'string') return [{ path, text: v }];
  if (Array.isArray(v)) return v.flatMap((x, i) => strings(x, `${path}[${i}]`));
  if (v && typeof v === 'object') return Object.entries(v).flatMap(([k, x]) => strings(x, path ? `${path}.${k}` : k));
  return [];
}

/** Multi-line strings of every YAML file below root that look like a Vault configuration (a tcp listener or a storage). */
export function vaultConfigs(root: string): { where: string; text: string }[] {
  return walk(root)
    .filter((file) => /listener "tcp"|storage "/.test(readFileSync(file, 'utf8')))
    .flatMap((file) =>
      parseAllDocuments(readFileSync(file, 'utf8')).flatMap((doc) =>
        strings(doc.toJS(), '')
          .filter((s) => /listener "tcp"|storage "/.test(s.text) && s.text.includes('\n'))
          .map((s) => ({ where: `${relative(root, file)} ${s.path}`, text: s.text })),
      ),
    );
}

/** Lines removed from and added to `before`. */
function lineChanges(before: string, after: string): { removed: string[]; added: string[] } {
  const removed: string[] = [];
  const added: string[] = [];
  for (const part of diffLines(before, after)) {
    const lines = part.value.replace(/\n$/, '').split('\n');
    if (part.removed) removed.push(...lines);
    if (part.added) added.push(...lines);
  }
  return { removed, added };
}

/**
 * The configuration parses; when it has one tcp listener without TLS, turning TLS on (remove tls_disable, add the
 * certificate file, set disable_mlock) changes only those lines and passes validateEdit.
 */
export async function expectTlsEdit(text: string): Promise<void> {
  const doc = parseHcl(text);
  const l = findBlocks(doc, 'listener', 'tcp');
  expect(l.length + findBlocks(doc, 'storage').length).toBeGreaterThan(0);
  // Configs that already carry TLS (fixture trees of later rules) only need to parse.
  if (l.length !== 1 || getAttribute(l[0]!, 'tls_cert_file')) return;
  const tcp = { block: { type: 'listener', label: 'tcp' } };
  let out = removeAttribute(text, tcp, 'tls_disable');
  out = setAttribute(out, tcp, 'tls_cert_file', '/vault/userconfig/vault-tls/tls.crt');
  out = setAttribute(out, {}, 'disable_mlock', true);
  const changes = lineChanges(text, out);
  expect(changes.removed.every((line) => /tls_disable/.test(line))).toBe(true);
  expect(changes.added.every((line) => /tls_cert_file|disable_mlock/.test(line) || line.trim() === '')).toBe(true);
  expect(await validateEdit(text, out)).toMatchObject({ ok: true });
}
