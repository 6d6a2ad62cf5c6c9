/**
 * Benchmark: `npm run bench [-- --clusters N --namespaces M --runs R --baseline DIR --json]`.
 *
 * Generates a synthetic fleet (test/tools/fleet.ts: ~10,000 YAML files by default) in a temporary git repository,
 * and measures the built CLI (dist/, `npm run build` first) as a child process under /usr/bin/time: wall time, CPU
 * time (user + system) and peak RSS of
 * - `scan` of the fleet, of every shared-corpus repository and of the example repository: as it runs by default
 *   (worker threads for a large repository), on one thread (GITOPS_FIX_THREADS=1) and, with `--baseline DIR` (a
 *   built checkout of another version, e.g. main), that version's scan, all in the same run,
 * - the parse floor of the same files in the same run: a node process that reads each file and runs
 *   `parseAllDocuments` on it, nothing else (the file list is the loader's own, written to a file beforehand),
 * - `fix --dry-run --phase all --yes` of the fleet,
 * - `fix --phase all --yes` (a review branch) of the fleet and of the example repository,
 * - `--version` (cold start).
 * Each figure is the median of its runs. On a busy machine wall time grows with the load; CPU time much less, so
 * the ratio to the parse floor is given for both.
 */
import { spawn, execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { basename, join } from 'node:path';
import { listYamlFiles } from '../../src/engine/repo/list.js';
import { corpusRepos, ROOT } from '../support/tree.js';
import { DEFAULT_FLEET, generateFleet } from './fleet.js';

const CLI = join(ROOT, 'dist', 'bin', 'gitops-fix.js');
const YAML = join(ROOT, 'node_modules', 'yaml', 'dist', 'index.js');
const TIME = '/usr/bin/time';

interface Sample {
  readonly wall: number;
  readonly cpu: number;
  readonly rssMiB: number;
  readonly code: number | null;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

function medianSample(samples: Sample[]): Sample {
  return {
    wall: median(samples.map((s) => s.wall)),
    cpu: median(samples.map((s) => s.cpu)),
    rssMiB: Math.max(...samples.map((s) => s.rssMiB)),
    code: samples[0]!.code,
  };
}

const hasTime = (() => {
  try {
    execFileSync(TIME, ['-f', '%e', 'true'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/** Run node with args under /usr/bin/time (or without it: wall time only, RSS from the child's own report). */
function measure(args: readonly string[], cwd: string, env: Readonly<Record<string, string>> = {}): Promise<Sample> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const cmd = hasTime ? TIME : process.execPath;
    const full = hasTime ? ['-f', 'BENCH %e %U %S %M', process.execPath, ...args] : [...args];
    const child = spawn(cmd, full, { cwd, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '', ...env } });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const wall = (performance.now() - t0) / 1000;
      const m = /BENCH ([\d.]+) ([\d.]+) ([\d.]+) (\d+)/.exec(stderr);
      if (m)
        resolve({
          wall,
          cpu: Number(m[2]) + Number(m[3]),
          rssMiB: Number(m[4]) / 1024,
          code: code === null ? null : Number(/exited with non-zero status (\d+)/.exec(stderr)?.[1] ?? code),
        });
      else resolve({ wall, cpu: NaN, rssMiB: NaN, code });
    });
  });
}

async function repeat(n: number, f: (i: number) => Promise<Sample>): Promise<Sample> {
  const out: Sample[] = [];
  for (let i = 0; i < n; i++) out.push(await f(i));
  return medianSample(out);
}

/** The parse floor: read and parseAllDocuments every listed file, in a fresh node process. */
const FLOOR = `
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
const { parseAllDocuments } = await import(process.argv[3]);
const root = process.argv[1];
const files = readFileSync(process.argv[2], 'utf8').split('\\0').filter(Boolean);
let docs = 0;
for (const f of files) {
  try { docs += Array.from(parseAllDocuments(readFileSync(join(root, f), 'utf8'))).length; } catch {}
}
if (!docs && files.length) process.exitCode = 3;
`;

interface Tree {
  readonly files: number;
  readonly bytes: number;
  readonly list: string;
}

function listTree(dir: string, listFile: string): Tree {
  const files = listYamlFiles(dir).filter((f) => {
    try {
      return statSync(join(dir, f)).isFile() && statSync(join(dir, f)).size <= 5 * 1024 * 1024;
    } catch {
      return false;
    }
  });
  writeFileSync(listFile, files.join('\0'));
  return { files: files.length, bytes: files.reduce((n, f) => n + statSync(join(dir, f)).size, 0), list: listFile };
}

const floor = (dir: string, t: Tree) => measure(['--input-type=module', '-e', FLOOR, dir, t.list, YAML], dir);
const cli = (args: readonly string[], cwd: string) => measure([CLI, ...args], cwd);
/** The CLI on one thread. */
const cli1 = (args: readonly string[], cwd: string) => measure([CLI, ...args], cwd, { GITOPS_FIX_THREADS: '1' });

function argText(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
}

function gitInit(dir: string): void {
  const g = (...a: string[]) => execFileSync('git', ['-c', 'user.name=bench', '-c', 'user.email=bench@localhost', ...a], { cwd: dir, stdio: 'ignore' });
  g('init', '-q', '--initial-branch=main');
  g('add', '-A');
  g('commit', '-q', '--no-verify', '-m', 'fleet');
}

interface Row {
  readonly what: string;
  readonly files?: number;
  readonly mb?: number;
  readonly sample: Sample;
  readonly floor?: Sample;
  readonly target?: string;
  readonly ok?: boolean;
}

function fmt(rows: readonly Row[]): string {
  const head = [
    'measurement',
    'files',
    'MB',
    'wall s',
    'CPU s',
    'MB/s (wall)',
    'peak RSS MiB',
    'floor wall s',
    'floor CPU s',
    'scan/floor wall',
    'scan/floor CPU',
    'target',
    'met',
  ];
  const lines = rows.map((r) => [
    r.what,
    r.files === undefined ? '' : String(r.files),
    r.mb === undefined ? '' : r.mb.toFixed(1),
    r.sample.wall.toFixed(2),
    Number.isNaN(r.sample.cpu) ? '' : r.sample.cpu.toFixed(2),
    r.mb === undefined ? '' : (r.mb / r.sample.wall).toFixed(2),
    Number.isNaN(r.sample.rssMiB) ? '' : r.sample.rssMiB.toFixed(0),
    r.floor ? r.floor.wall.toFixed(2) : '',
    r.floor && !Number.isNaN(r.floor.cpu) ? r.floor.cpu.toFixed(2) : '',
    r.floor ? (r.sample.wall / r.floor.wall).toFixed(2) : '',
    r.floor && !Number.isNaN(r.floor.cpu) ? (r.sample.cpu / r.floor.cpu).toFixed(2) : '',
    r.target ?? '',
    r.ok === undefined ? '' : r.ok ? 'yes' : 'NO',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...lines.map(line)].join('\n');
}

function arg(argv: string[], name: string, fallback: number): number {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? Number(argv[i + 1]) : fallback;
}

export async function bench(argv: string[]): Promise<{ rows: Row[]; machine: string }> {
  const runs = arg(argv, 'runs', 3);
  const baselineDir = argText(argv, 'baseline');
  const baselineCli = baselineDir ? join(baselineDir, 'dist', 'bin', 'gitops-fix.js') : undefined;
  if (baselineCli) readFileSync(baselineCli);
  const baseline = (args: readonly string[], cwd: string) => measure([baselineCli!, ...args], cwd);
  /** Rows for the same scan by the baseline version and on one thread, next to the default one. */
  const variants = async (name: string, dir: string, files: number, mb: number, floorSample: Sample): Promise<void> => {
    const args = ['scan', dir, '--format', 'json'];
    if (baselineCli)
      rows.push({ what: `${name} (baseline ${basename(baselineDir!)})`, files, mb, sample: await repeat(runs, () => baseline(args, dir)), floor: floorSample });
    rows.push({ what: `${name} (1 thread)`, files, mb, sample: await repeat(runs, () => cli1(args, dir)), floor: floorSample });
  };
  const fleetOpts = { clusters: arg(argv, 'clusters', DEFAULT_FLEET.clusters), namespaces: arg(argv, 'namespaces', DEFAULT_FLEET.namespaces) };
  const log = (s: string) => process.stderr.write(`bench: ${s}\n`);
  const tmp = mkdtempSync(join(tmpdir(), 'gitops-fix-bench-'));
  const rows: Row[] = [];
  try {
    const fleet = join(tmp, 'fleet');
    log(`generating a fleet of ${fleetOpts.clusters} clusters × ${fleetOpts.namespaces} namespaces in ${fleet}`);
    generateFleet(fleet, fleetOpts);
    gitInit(fleet);
    const example = join(tmp, 'example');
    cpSync(join(ROOT, 'fixtures', 'example-repo'), example, { recursive: true });
    gitInit(example);

    const fleetTree = listTree(fleet, join(tmp, 'fleet.list'));
    const mb = fleetTree.bytes / 1048576;
    log(`fleet: ${fleetTree.files} files, ${mb.toFixed(1)} MB; scan and parse floor, ${runs} runs each`);
    const scanFleet = await repeat(runs, () => cli(['scan', '.', '--format', 'json'], fleet));
    const floorFleet = await repeat(runs, () => floor(fleet, fleetTree));
    rows.push({
      what: 'scan: fleet',
      files: fleetTree.files,
      mb,
      sample: scanFleet,
      floor: floorFleet,
      target: '≤ 10 s, ≤ 1 GiB, ≤ 1.0 × floor',
      ok: scanFleet.wall <= 10 && scanFleet.rssMiB <= 1024 && scanFleet.wall <= floorFleet.wall,
    });
    await variants('scan: fleet', fleet, fleetTree.files, mb, floorFleet);

    for (const repo of corpusRepos()) {
      const t = listTree(repo, join(tmp, `${basename(repo)}.list`));
      const s = await repeat(runs, () => cli(['scan', repo, '--format', 'json'], repo));
      const f = await repeat(runs, () => floor(repo, t));
      rows.push({
        what: `scan: ${basename(repo)}`,
        files: t.files,
        mb: t.bytes / 1048576,
        sample: s,
        floor: f,
        target: '≤ 1.5 × floor',
        ok: s.wall <= 1.5 * f.wall,
      });
      await variants(`scan: ${basename(repo)}`, repo, t.files, t.bytes / 1048576, f);
    }

    const exampleTree = listTree(example, join(tmp, 'example.list'));
    const scanExample = await repeat(5, () => cli(['scan', '.', '--format', 'json'], example));
    rows.push({
      what: 'scan: example repository (cold start)',
      files: exampleTree.files,
      mb: exampleTree.bytes / 1048576,
      sample: scanExample,
      floor: await repeat(5, () => floor(example, exampleTree)),
    });
    const bare = await repeat(10, () => measure(['-e', '0'], example));
    rows.push({ what: 'node -e 0 (the machine: bare node start-up)', sample: bare });
    const version = await repeat(10, () => cli(['--version'], example));
    rows.push({ what: 'gitops-fix --version (cold start)', sample: version, target: '≤ 0.15 s', ok: version.wall <= 0.15 });

    log('fix --dry-run --phase all --yes of the fleet');
    const dry = await repeat(1, () => cli(['fix', '.', '--dry-run', '--phase', 'all', '--yes', '--format', 'json'], fleet));
    rows.push({ what: 'fix --dry-run --phase all: fleet', files: fleetTree.files, mb, sample: dry });
    log('fix --phase all --yes (review branch) of the fleet');
    const branchFleet = await repeat(1, () => cli(['fix', '.', '--phase', 'all', '--yes', '--branch', 'bench-fleet', '--format', 'json'], fleet));
    rows.push({ what: 'fix --phase all, review branch: fleet', files: fleetTree.files, mb, sample: branchFleet });
    log('fix --phase all --yes (review branch) of the example repository');
    const branchExample = await repeat(runs, (i) => cli(['fix', '.', '--phase', 'all', '--yes', '--branch', `bench-${i}`, '--format', 'json'], example));
    rows.push({
      what: 'fix --phase all, review branch: example repository',
      files: exampleTree.files,
      sample: branchExample,
      target: '≤ 3 s',
      ok: branchExample.wall <= 3,
    });
    for (const r of rows) if (r.sample.code !== null && r.sample.code > 1) throw new Error(`${r.what}: the CLI exited with ${r.sample.code}`);
  } finally {
    if (!argv.includes('--keep')) rmSync(tmp, { recursive: true, force: true });
    else log(`kept ${tmp}`);
  }
  const cpu = cpus();
  const machine = `${cpu.length} × ${cpu[0]?.model ?? 'CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Node ${process.version}, ${process.platform}; load average at the end ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}`;
  return { rows, machine };
}

if (process.argv[1] && process.argv[1].endsWith('bench.ts')) {
  const argv = process.argv.slice(2);
  try {
    readFileSync(CLI);
  } catch {
    process.stderr.write('bench: dist/ is missing: run `npm run build` first\n');
    process.exit(2);
  }
  const { rows, machine } = await bench(argv);
  if (argv.includes('--json')) process.stdout.write(`${JSON.stringify({ machine, rows }, null, 2)}\n`);
  else process.stdout.write(`Machine: ${machine}\n\n${fmt(rows)}\n`);
  process.exitCode = rows.some((r) => r.ok === false) ? 1 : 0;
}
