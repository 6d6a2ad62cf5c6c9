/**
 * What a test needs beyond the project: third-party data beside it (`../shared`) or a tool on this machine. A test
 * that lacks one is skipped *visibly*: `describe.skipIf(why)(skipTitle(title, why), ...)` puts the reason in the
 * title, and the skip reporter (test/support/skip-reporter.ts) lists every skipped test or suite with it at the end
 * of the run. Nothing here fails when a need is missing; a fresh clone without `../shared` runs green.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { CHARTS, hasCharts, renderSkipReason } from './helm.js';
import { CORPUS, isDir, ROOT } from './tree.js';

export type Need = 'corpus' | 'charts' | 'reference' | 'kubectl' | 'pty' | 'helm';

/** Reference data kept beside the project (chart values files, among others). */
export const REFERENCE = join(ROOT, '..', 'shared', 'reference');

function onPath(cmd: string, args: readonly string[]): boolean {
  return spawnSync(cmd, args, { stdio: 'ignore', timeout: 20_000 }).status === 0;
}

const checks: Record<Need, () => string | undefined> = {
  corpus: () => (isDir(CORPUS) ? undefined : 'needs the corpus in ../shared/corpus (absent here)'),
  charts: () => (hasCharts ? undefined : `needs the real charts in ../shared/charts (absent here: ${CHARTS})`),
  reference: () => (isDir(REFERENCE) ? undefined : 'needs the reference data in ../shared/reference (absent here)'),
  kubectl: () => (onPath('kubectl', ['version', '--client']) ? undefined : 'needs kubectl (with kustomize) on PATH'),
  pty: () => (onPath('python3', ['-c', 'import pty']) ? undefined : "needs python3 with its standard 'pty' module on PATH"),
  helm: () => renderSkipReason,
};

const cache = new Map<Need, string | undefined>();

/** Why a test that needs all of `needs` cannot run here, or undefined when it can. */
export function missing(...needs: readonly Need[]): string | undefined {
  for (const n of needs) {
    if (!cache.has(n)) cache.set(n, checks[n]());
    const why = cache.get(n);
    if (why) return why;
  }
  return undefined;
}

/** The marker the skip reporter reads the reason from. */
export const SKIP_MARK = ' (skipped: ';

/** `title`, with the reason it is skipped when there is one. */
export function skipTitle(title: string, why: string | undefined): string {
  return why ? `${title}${SKIP_MARK}${why})` : title;
}
