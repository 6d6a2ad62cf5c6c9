import { mkdtempSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';

/**
 * Two tiers (CONTRIBUTING.md):
 * - unit: the kit, the engine, the rules and their fixtures, in process. No build, no tool, no ../shared.
 *   `npm run test:unit`.
 * - integration: the CLI (in process through the command functions; as a process only where a real one matters:
 *   the bin, the terminal picker, git hooks, signals, start-up), the corpus and charts in ../shared, kubectl and
 *   the packed package. Its global set-up builds dist/ beside the tests when the sources changed; the tests that run
 *   dist/ wait for it (test/support/global-build.ts).
 * `npm test` runs both. Tests that need ../shared or a tool that is absent are skipped with the reason, and the
 * skip reporter lists them at the end of the run.
 */
const UNIT = [
  'test/kit/**/*.test.ts',
  'test/engine/**/*.test.ts',
  'test/rules.test.ts',
  'test/registry.test.ts',
  'test/message-coverage.test.ts',
  'test/generated.test.ts',
  'test/example-repo.test.ts',
  'test/docs.test.ts',
  'test/schema.test.ts',
  'test/architecture.test.ts',
  'test/vault/hcl-fixtures.test.ts',
  'test/vault/composition.test.ts',
  'test/vault/runbooks-and-notes.test.ts',
];

export default defineConfig({
  test: {
    // Pulled charts, cached renders (gitops-fix, helm) go to a directory of this run, never to the user's ~/.cache.
    env: { XDG_CACHE_HOME: mkdtempSync(join(tmpdir(), 'gitops-fix-test-cache-')) },
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Vitest runs one worker less than there are cores; many of these tests wait on child processes (git, helm,
    // kubectl, the built CLI), so one more worker than cores keeps both cores busy (BENCHMARKS.md, "Test suite").
    maxWorkers: availableParallelism() + 1,
    // As many kept as started: the pool ends a worker that idles past its timeout while the others still run files,
    // and with workers that run many files (isolate: false) that ending raced its teardown ("Terminating worker
    // thread", the run aborted).
    minWorkers: availableParallelism() + 1,
    reporters: ['default', './test/support/skip-reporter.ts', ['json', { outputFile: '.test-results/vitest.json' }]],
    // A worker runs many files and keeps its module cache between them: a new process for every file, loading the
    // CLI, the engine and the rules again, cost about 1 s of CPU per file (BENCHMARKS.md, "Test suite"). Tests keep
    // no state between files; one that changes the process (its environment, a handler) puts it back when it ends.
    // This is the pool's setting, so it is set here for both projects (Vitest runs one project's files, then the
    // other's, each in fresh workers).
    isolate: false,
    projects: [
      { extends: true, test: { name: 'unit', include: UNIT } },
      { extends: true, test: { name: 'integration', include: ['test/**/*.test.ts'], exclude: UNIT, globalSetup: ['./test/support/global-build.ts'] } },
    ],
  },
});
