import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { getIn } from '../src/kit/index.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'example-repo');

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

const files = walk(root).map((path) => relative(root, path));
const yamlFiles = files.filter((path) => /\.ya?ml$/.test(path));

/** Line `n` (1-based) of a fixture file, without its leading whitespace. */
function line(path: string, n: number): string {
  const lines = readFileSync(join(root, path), 'utf8').split('\n');
  return (lines[n - 1] ?? '').trimStart();
}

const vault = 'infra/kubernetes/flux/infrastructure/vault/helmrelease.yaml';
const secretStore = 'infra/kubernetes/flux/infrastructure/external-secrets/secret-store.yaml';
const postgresSecret = 'infra/kubernetes/flux/infrastructure/external-secrets/postgres-external-secret.yaml';
const gotkSync = 'flux/clusters/production/flux-system/gotk-sync.yaml';

// Every file:line the review cites, with the content the review shows there.
const citedLines: Array<[path: string, line: number, content: string]> = [
  [vault, 30, 'tlsDisable: true  # TODO: Enable TLS in production'],
  [vault, 40, 'ha:'],
  [vault, 41, 'enabled: false'],
  [vault, 85, 'storage "file" {'],
  [vault, 86, 'path = "/vault/data"'],
  [vault, 87, '}'],
  [secretStore, 20, 'name: default'],
  [postgresSecret, 9, 'refreshInterval: 1h'],
  [gotkSync, 11, 'branch: "20260108_3"'],
];

describe('example-repo', () => {
  it.each(citedLines)('%s:%i holds the cited content', (path, n, content) => {
    expect(line(path, n)).toBe(content);
  });

  it('keeps the cited lines in the YAML structure the review describes', () => {
    const value = (path: string, ...keys: string[]) => getIn(parseAllDocuments(readFileSync(join(root, path), 'utf8'))[0]?.toJS(), keys);
    expect(value(vault, 'spec', 'values', 'global', 'tlsDisable')).toBe(true);
    expect(value(vault, 'spec', 'values', 'server', 'ha', 'enabled')).toBe(false);
    expect(value(vault, 'spec', 'values', 'server', 'standalone', 'config')).toContain('storage "file" {');
    // Line 42 still belongs to the ha block (an indented comment under it).
    expect(readFileSync(join(root, vault), 'utf8').split('\n')[41]).toMatch(/^ {8}#/);

    expect(value(secretStore, 'spec', 'provider', 'vault', 'auth', 'kubernetes', 'serviceAccountRef', 'name')).toBe('default');

    expect(value(postgresSecret, 'apiVersion')).toBe('external-secrets.io/v1');
    expect(value(postgresSecret, 'metadata', 'namespace')).toBe('production');
    expect(value(postgresSecret, 'spec', 'refreshInterval')).toBe('1h');

    expect(value(gotkSync, 'kind')).toBe('GitRepository');
    expect(value(gotkSync, 'spec', 'ref', 'branch')).toBe('20260108_3');
  });

  it('uses LF line endings and ends every file with a newline', () => {
    for (const path of files) {
      const text = readFileSync(join(root, path), 'utf8');
      expect(text, path).not.toContain('\r');
      expect(text.endsWith('\n'), path).toBe(true);
    }
  });

  it.each(yamlFiles)('%s parses without YAML errors', (path) => {
    const docs = parseAllDocuments(readFileSync(join(root, path), 'utf8'));
    for (const doc of docs) expect(doc.errors, path).toEqual([]);
  });
  // test/kustomize-build.test.ts builds every kustomize directory of it with kubectl.
});
