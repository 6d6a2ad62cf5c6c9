/**
 * How fast `fix` stops on Ctrl-C: `npx tsx test/tools/bench-interrupt.ts DIR [DELAY_S ...]` (after `npm run build`).
 *
 * Runs the built CLI's `fix DIR --dry-run --phase all --yes --include-review --format json` once per delay, sends it
 * SIGINT after that many seconds, and prints how long it took to exit after the signal (or that it finished first).
 */
import { spawn } from 'node:child_process';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { ROOT } from '../support/tree.js';

const CLI = join(ROOT, 'dist', 'bin', 'gitops-fix.js');
const [dirArg, ...rest] = process.argv.slice(2);
if (!dirArg) {
  process.stderr.write('usage: bench-interrupt.ts DIR [DELAY_S ...]\n');
  process.exit(2);
}
const dir = resolve(dirArg);
const delays = rest.length ? rest.map(Number) : [1, 2, 4, 8, 16];
for (const d of delays) {
  const t0 = performance.now();
  const args = [CLI, 'fix', '.', '--dry-run', '--phase', 'all', '--yes', '--include-review', '--format', 'json'];
  const child = spawn(process.execPath, args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  let sent = 0;
  const timer = setTimeout(() => {
    sent = performance.now();
    child.kill('SIGINT');
  }, d * 1000);
  const code = await new Promise<number | string | null>((done) => child.on('close', (c, s) => done(c ?? s)));
  clearTimeout(timer);
  const end = performance.now();
  const last = stderr.split('\n').filter(Boolean).at(-1) ?? '';
  const what = sent ? `stopped ${((end - sent) / 1000).toFixed(2)} s after SIGINT` : `finished first, at ${((end - t0) / 1000).toFixed(1)} s`;
  process.stdout.write(`SIGINT at ${d} s: exit ${code}, ${what}${last ? ` (${last.slice(0, 80)})` : ''}\n`);
}
process.stdout.write(
  `load average at the end: ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}\n`,
);
