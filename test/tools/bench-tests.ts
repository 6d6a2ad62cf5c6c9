/**
 * Benchmark: CPU and wall time of each test file. `npx tsx test/tools/bench-tests.ts [FILE...] [--runs R]`.
 *
 * Builds dist/ once (test/support/global-build.ts, skipped when dist/ is from these sources), then runs each test
 * file alone, `vitest run FILE` with one worker, under test/support/cpu-time.py: wall time and the CPU time (user +
 * system) of Vitest, its worker and every process they started (git, helm, kubectl, the built CLI). A file's CPU is
 * the best measure of its cost on a shared machine: its wall time grows with the load, its CPU time much less. The
 * first row is an empty run (Vitest's own start-up); each file here also pays the transform of the sources it
 * imports, which `npm test` pays once per run. The table is sorted by CPU, the median of R runs (default 1), and is
 * written to .bench/tests.md too.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import build from '../support/global-build.js';
import { ROOT } from '../support/tree.js';

const args = process.argv.slice(2);
const runsAt = args.indexOf('--runs');
const runs = runsAt >= 0 ? Number(args[runsAt + 1]) : 1;
const chosen = args.filter((a, i) => !a.startsWith('--') && (runsAt < 0 || i !== runsAt + 1));

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? testFiles(join(dir, e.name)) : e.name.endsWith('.test.ts') ? [relative(ROOT, join(dir, e.name))] : [],
  );
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[(xs.length - 1) >> 1]!;
const VITEST = join(ROOT, 'node_modules', 'vitest', 'vitest.mjs');
const CPU_TIME = join(ROOT, 'test', 'support', 'cpu-time.py');
const work = mkdtempSync(join(tmpdir(), 'gitops-fix-bench-tests-'));

interface Row {
  readonly file: string;
  readonly wall: number;
  readonly cpu: number;
  readonly tests: string;
}

/** One file (or none: `--passWithNoTests` on a filter that matches nothing) under test/support/cpu-time.py. */
function measure(file: string | undefined): Row {
  const walls: number[] = [];
  const cpus: number[] = [];
  let tests = '';
  for (let r = 0; r < runs; r++) {
    const json = join(work, 'result.json');
    const vitestArgs = file
      ? ['run', file, '--maxWorkers=1', '--minWorkers=1', '--reporter=json', `--outputFile=${json}`]
      : ['run', 'no-such-test-file', '--passWithNoTests', '--reporter=json', `--outputFile=${json}`];
    const res = spawnSync('python3', [CPU_TIME, process.execPath, VITEST, ...vitestArgs], {
      cwd: ROOT,
      encoding: 'utf8',
      maxBuffer: 256 * 1024 * 1024,
    });
    const [wall, user, sys, code] = res.stderr.trim().split('\n').pop()!.split(/\s+/).map(Number);
    walls.push(wall!);
    cpus.push(user! + sys!);
    if (file) {
      const out = JSON.parse(readFileSync(json, 'utf8')) as { numPassedTests: number; numFailedTests: number; numPendingTests: number };
      tests =
        `${out.numPassedTests} passed` +
        (out.numFailedTests ? `, ${out.numFailedTests} FAILED` : '') +
        (out.numPendingTests ? `, ${out.numPendingTests} skipped` : '');
      if (code !== 0 && !out.numFailedTests) tests += ` (exit ${code})`;
    }
  }
  return { file: file ?? '(empty run: Vitest start-up)', wall: median(walls), cpu: median(cpus), tests };
}

try {
  await build()?.();
  const files = chosen.length ? chosen : testFiles(join(ROOT, 'test')).sort();
  const rows: Row[] = [measure(undefined)];
  for (const f of files) {
    rows.push(measure(f));
    console.error(`${f}: ${rows.at(-1)!.cpu.toFixed(1)} s CPU, ${rows.at(-1)!.wall.toFixed(1)} s wall, load ${loadavg()[0]!.toFixed(1)}`);
  }
  const [empty, ...measured] = rows;
  measured.sort((a, b) => b.cpu - a.cpu);
  const lines = [
    '| test file | CPU s | wall s | tests |',
    '|---|---:|---:|---|',
    ...[empty!, ...measured].map((r) => `| ${r.file} | ${r.cpu.toFixed(1)} | ${r.wall.toFixed(1)} | ${r.tests} |`),
    `| total of the files | ${measured.reduce((s, r) => s + r.cpu, 0).toFixed(1)} | ${measured.reduce((s, r) => s + r.wall, 0).toFixed(1)} | |`,
    '',
    `load average at the end ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}, ${runs} run(s) each`,
  ];
  console.log(lines.join('\n'));
  mkdirSync(join(ROOT, '.bench'), { recursive: true });
  writeFileSync(join(ROOT, '.bench', 'tests.md'), lines.join('\n') + '\n');
} finally {
  rmSync(work, { recursive: true, force: true });
}
