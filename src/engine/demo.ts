import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initRepository, logStat } from './git/repository.js';
import { gitSync } from './git/run.js';
import { packageRoot } from './package-root.js';

/** A temporary git repository holding a copy of the bundled example repository (one commit on `main`). */
export function createDemoRepo(): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'gitops-fix-demo-')), 'example-repo');
  cpSync(join(packageRoot(), 'fixtures', 'example-repo'), dir, { recursive: true });
  initRepository(dir, 'Example Flux repository (gitops-fix demo)');
  return dir;
}

/** The commits of `branch` since `base` with their file stats, and the overall diff stat. */
export function branchReport(dir: string, base: string, branch: string): { log: string; stat: string } {
  return { log: logStat(dir, base, branch), stat: gitSync(dir, ['-c', 'color.ui=never', 'diff', '--stat', `${base}...${branch}`]) };
}
