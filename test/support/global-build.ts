/**
 * Global set-up of the integration tests: one build of dist/ from the sources, before any test runs, so that the
 * tests that run the built CLI as a process (the bin, the terminal picker, git hooks, signals, start-up, the
 * packed package) never run code older than the sources beside it.
 */
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './tree.js';

export default function build(): void {
  rmSync(join(ROOT, 'dist'), { recursive: true, force: true });
  execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
}
