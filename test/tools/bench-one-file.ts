/**
 * Benchmark: many findings in one file. `npx tsx test/tools/bench-one-file.ts [N...] [--runs R]` (default 500 and
 * 1000; `npm run build` first).
 *
 * For each N, writes one multi-document file of N ExternalSecrets refreshed every hour (each a finding of
 * externalsecret-slow-refresh whose fix edits one line) into a temporary directory, and measures the built CLI's
 * `fix --rule externalsecret-slow-refresh --yes --dry-run --format json` on it under /usr/bin/time: wall time,
 * CPU time (user + system) and peak RSS, the median of R runs. The plan must fix all N findings.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { externalSecret } from '../support/bad-input.js';
import { ROOT } from '../support/tree.js';

const CLI = join(ROOT, 'dist', 'bin', 'gitops-fix.js');
const args = process.argv.slice(2);
const runsAt = args.indexOf('--runs');
const runs = runsAt >= 0 ? Number(args[runsAt + 1]) : 1;
const sizes = args.filter((a, i) => /^\d+$/.test(a) && i !== runsAt + 1).map(Number);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[(xs.length - 1) >> 1]!;

console.log(`| findings in one file | file KB | wall s | CPU s | peak RSS MiB | fixed |`);
console.log(`|---|---|---|---|---|---|`);
for (const n of sizes.length ? sizes : [500, 1000]) {
  const dir = mkdtempSync(join(tmpdir(), 'gitops-fix-bench-one-file-'));
  try {
    const file = join(dir, 'secrets.yaml');
    writeFileSync(file, Array.from({ length: n }, (_, i) => externalSecret(`app-${i}`)).join('---\n'));
    const samples: { wall: number; cpu: number; rss: number; fixed: number }[] = [];
    for (let r = 0; r < runs; r++) {
      const stats = join(dir, 'time.txt');
      const out = execFileSync(
        '/usr/bin/time',
        ['-o', stats, '-f', '%e %U %S %M', process.execPath, CLI, 'fix', '--rule', 'externalsecret-slow-refresh', '--yes', '--dry-run', '--format', 'json'],
        { cwd: dir, encoding: 'utf8', maxBuffer: 1024 * 1024 * 1024 },
      );
      const [wall, user, sys, rss] = execFileSync('cat', [stats], { encoding: 'utf8' }).trim().split(/\s+/).map(Number);
      samples.push({ wall: wall!, cpu: user! + sys!, rss: rss! / 1024, fixed: JSON.parse(out).summary.fixed });
    }
    const fixed = samples[0]!.fixed;
    if (fixed !== n) throw new Error(`${n} findings: only ${fixed} fixed`);
    const row = [
      n,
      Math.round(statSync(file).size / 1024),
      median(samples.map((s) => s.wall)),
      median(samples.map((s) => s.cpu)).toFixed(2),
      Math.round(Math.max(...samples.map((s) => s.rss))),
      fixed,
    ];
    console.log(`| ${row.join(' | ')} |`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
console.log(
  `\nload average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}, ${runs} run(s) each`,
);
