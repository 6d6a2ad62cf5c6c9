import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export const ROOT = join(dirname(new URL(import.meta.url).pathname), '..', '..');
export const CORPUS = join(ROOT, '..', 'shared', 'corpus');

/** Every file below dir (relative POSIX paths) with its exact text. */
export function readTree(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string, rel: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(join(d, e.name), r);
      else out.set(r, readFileSync(join(d, e.name), 'utf8'));
    }
  };
  walk(dir, '');
  return out;
}

export function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

export function tempDir(prefix = 'gitops-fix-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function copyTree(from: string, to: string): void {
  cpSync(from, to, { recursive: true });
}

export function writeTree(dir: string, files: ReadonlyMap<string, string>): void {
  for (const [p, t] of files) {
    mkdirSync(dirname(join(dir, p)), { recursive: true });
    writeFileSync(join(dir, p), t);
  }
}

export function removeTree(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

export function corpusRepos(): string[] {
  if (!isDir(CORPUS)) return [];
  return readdirSync(CORPUS)
    .filter((n) => isDir(join(CORPUS, n)))
    .sort()
    .map((n) => join(CORPUS, n));
}
