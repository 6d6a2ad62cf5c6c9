/**
 * Global set-up of the integration tests: dist/ built from the sources before any test runs, so that the tests that
 * run the built CLI as a process (the bin, the terminal picker, git hooks, signals, start-up, the packed package)
 * never run code older than the sources beside it.
 *
 * The build is keyed by content: dist/.sources holds a hash of every input of the build (bin, src, transforms,
 * the tsconfig files, package-lock.json). When it matches the sources, dist/ is theirs and is not built again; any
 * other dist/ (none, an older one, one left by a failed build) is removed and built afresh.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './tree.js';

const INPUTS = ['bin', 'src', 'transforms', 'tsconfig.json', 'tsconfig.build.json', 'package-lock.json'];
const STAMP = join(ROOT, 'dist', '.sources');

/** sha256 over the paths and contents of the build's inputs. */
export function sourcesHash(): string {
  const hash = createHash('sha256');
  const add = (rel: string) => {
    const abs = join(ROOT, rel);
    if (!existsSync(abs)) return;
    const entries = (() => {
      try {
        return readdirSync(abs, { withFileTypes: true });
      } catch {
        return undefined; // a file
      }
    })();
    if (!entries) {
      hash.update(`${rel}\0`).update(readFileSync(abs)).update('\0');
      return;
    }
    for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) add(`${rel}/${e.name}`);
  };
  for (const input of INPUTS) add(input);
  return hash.digest('hex');
}

export default function build(): void {
  const hash = sourcesHash();
  if (existsSync(STAMP) && readFileSync(STAMP, 'utf8') === hash) return;
  rmSync(join(ROOT, 'dist'), { recursive: true, force: true });
  execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
  writeFileSync(STAMP, hash);
}
