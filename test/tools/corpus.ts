/**
 * Corpus harness: run every rule over real repositories, in memory, and measure what the fixes would do.
 *
 *   npm run corpus -- [--json] [DIR...]      (default: every repository in ../shared/corpus/)
 *
 * Per repository: load and scan with every registered rule, plan every fix of every phase (the planner's own
 * verification included), then check the plan from outside:
 * - collateral lines: changed lines outside the intended edits (see test/support/collateral.ts), must be 0;
 * - refused fixes (the editor or the rule declined, with the reason) versus failed ones (verification failed:
 *   the finding persisted, the result did not parse, the fix crashed), which must be 0;
 * - `kubectl kustomize` of every kustomize directory that includes a touched file, before and after: a directory
 *   that built before must build after;
 * - idempotency: the fixed tree, written to a temporary copy and loaded again, plans no change;
 * - fixes a later rule undid (reintroduced findings).
 * Nothing is written to the repositories.
 */
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { Repo, Rule } from '../../src/kit/index.js';
import { Planner, reintroduced, type Plan, type RulePlan } from '../../src/engine/plan.js';
import { rules as allRules } from '../../src/engine/registry.js';
import { scan } from '../../src/engine/scan.js';
import { openSession } from '../../src/engine/session.js';
import { collateralLines, editSites, type CollateralLine, type EditSite } from '../support/collateral.js';
import { corpusRepos } from '../support/tree.js';

const run = promisify(execFile);

export interface FixProblem {
  readonly rule: string;
  readonly file: string;
  readonly line: number;
  readonly reason: string;
}

export interface KustomizeStatus {
  readonly dir: string;
  /** 'absent': no kustomization file on that side; 'unchecked': not built before, since it builds after. */
  readonly before: 'ok' | 'fail' | 'absent' | 'unchecked';
  readonly after: 'ok' | 'fail' | 'absent';
  readonly error?: string;
}

export interface RepoResult {
  readonly repo: string;
  readonly dir: string;
  readonly crash?: string;
  readonly files: number;
  readonly documents: number;
  readonly skipped: Record<string, number>;
  readonly findings: number;
  readonly findingsByRule: Record<string, number>;
  /** Fixes applied by the plan, and files it changed or created. */
  readonly fixes: number;
  readonly filesChanged: number;
  readonly filesCreated: number;
  readonly refused: readonly FixProblem[];
  readonly failed: readonly FixProblem[];
  readonly collateral: readonly (CollateralLine & { rule: string })[];
  readonly kustomize: readonly KustomizeStatus[];
  /** Directories that built before the fixes and do not after. */
  readonly broken: readonly string[];
  /** Rules that plan changes again on the fixed tree, with the files. */
  readonly notIdempotent: readonly { rule: string; files: string[] }[];
  readonly reintroduced: readonly FixProblem[];
  readonly ms: { readonly scan: number; readonly plan: number; readonly check: number; readonly total: number };
}

export interface CorpusOptions {
  readonly rules?: readonly Rule[];
  /** Run `kubectl kustomize` (default: when kubectl is on PATH). */
  readonly kustomize?: boolean;
}

/** Reasons the planner gives when its own verification fails (as opposed to a fix that declined). */
const VERIFICATION_FAILURE =
  /^(the finding persists|the result no longer parses|the rule's fix crashed|unexpected error|dropped with a fix of the same rule that failed)/;

const KUSTOMIZE_NAMES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];

let kubectlChecked: boolean | undefined;
async function hasKubectl(): Promise<boolean> {
  if (kubectlChecked === undefined) {
    try {
      await run('kubectl', ['version', '--client'], { timeout: 20_000 });
      kubectlChecked = true;
    } catch {
      kubectlChecked = false;
    }
  }
  return kubectlChecked;
}

export const kubectlRuns = { count: 0 };

async function kustomizeBuild(dir: string): Promise<string | undefined> {
  kubectlRuns.count++;
  try {
    await run('kubectl', ['kustomize', dir], { timeout: 60_000, maxBuffer: 64 * 1024 * 1024 });
    return undefined;
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    return (err.stderr || err.message).trim().split('\n')[0] ?? 'failed';
  }
}

const parent = (p: string) => (p.includes('/') ? p.slice(0, p.lastIndexOf('/')) : '');

function hasKustomization(root: string, dir: string): boolean {
  return KUSTOMIZE_NAMES.some((n) => existsSync(join(root, dir, n)));
}

/**
 * The kustomize directory that builds each touched file: its own directory when it has a kustomization file, else
 * the nearest ancestor with one whose build includes the file (a directory Flux builds without a kustomization
 * file has none to check).
 */
function dirsToBuild(touched: readonly string[], before: Repo, after: Repo, beforeRoot: string, afterRoot: string): string[] {
  const dirs = new Set<string>();
  for (const file of touched) {
    let d = parent(file);
    for (let first = true; ; first = false) {
      const here = hasKustomization(beforeRoot, d) || hasKustomization(afterRoot, d);
      if (here && (first || after.flux.kustomizeFiles(d).includes(file) || before.flux.kustomizeFiles(d).includes(file))) {
        dirs.add(d);
        break;
      }
      if (d === '') break;
      d = parent(d);
    }
  }
  return [...dirs].sort();
}

/** Directories of `root` that do not build: all of them in one kubectl run when that works, else by halves. */
async function failingBuilds(root: string, dirs: readonly string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  if (!dirs.length) return out;
  if (dirs.length === 1) {
    const err = await kustomizeBuild(join(root, dirs[0]!));
    if (err !== undefined) out.set(dirs[0]!, err);
    return out;
  }
  // The kustomization that lists them lives outside the repository (nothing is written into it): kustomize takes
  // directories from anywhere.
  const all = mkdtempSync(join(tmpdir(), 'gitops-fix-corpus-all-'));
  writeFileSync(join(all, 'kustomization.yaml'), `resources:\n${dirs.map((d) => `  - ${JSON.stringify(relative(all, join(root, d)))}`).join('\n')}\n`);
  const err = await kustomizeBuild(all);
  rmSync(all, { recursive: true, force: true });
  if (err === undefined) return out;
  // One directory fails, or two produce the same object: split until each failure is a single directory.
  const mid = dirs.length >> 1;
  const a = await failingBuilds(root, dirs.slice(0, mid));
  const b = await failingBuilds(root, dirs.slice(mid));
  return new Map([...a, ...b]);
}

/**
 * Build every directory in the fixed tree; one that fails there is built in the original tree too, so a failure
 * counts as broken by the fixes only when the directory built before. (kubectl costs ~0.3 s a run: directories are
 * built together, through a kustomization listing them, and split only on failure.)
 */
async function checkBuilds(dirs: readonly string[], beforeRoot: string, afterRoot: string): Promise<KustomizeStatus[]> {
  const inAfter = dirs.filter((d) => hasKustomization(afterRoot, d));
  const failedAfter = await failingBuilds(afterRoot, inAfter);
  const failedBefore = await failingBuilds(
    beforeRoot,
    [...failedAfter.keys()].filter((d) => hasKustomization(beforeRoot, d)),
  );
  return dirs.map((d) => {
    const before = !hasKustomization(beforeRoot, d) ? 'absent' : !failedAfter.has(d) ? 'unchecked' : failedBefore.has(d) ? 'fail' : 'ok';
    const after = !hasKustomization(afterRoot, d) ? 'absent' : failedAfter.has(d) ? 'fail' : 'ok';
    const error = failedAfter.get(d);
    return { dir: d || '.', before, after, ...(error !== undefined ? { error } : {}) };
  });
}

function materialise(from: string, plan: Plan): string {
  const to = mkdtempSync(join(tmpdir(), 'gitops-fix-corpus-'));
  cpSync(from, to, { recursive: true, filter: (src) => basename(src) !== '.git' });
  for (const [p, text] of plan.finalFiles) {
    const abs = join(to, ...p.split('/'));
    mkdirSync(dirname(abs), { recursive: true });
    writeFileSync(abs, text);
  }
  for (const [p, orig] of plan.originalFiles) if (orig !== null && !plan.finalFiles.has(p)) rmSync(join(to, p), { force: true });
  return to;
}

function problem(rp: RulePlan, d: { finding?: { file: string; line: number }; reason: string }): FixProblem {
  return { rule: rp.rule.meta.id, file: d.finding?.file ?? '', line: d.finding?.line ?? 0, reason: d.reason };
}

export async function runRepo(dirArg: string, opts: CorpusOptions = {}): Promise<RepoResult> {
  const dir = resolve(dirArg);
  const t0 = performance.now();
  const empty: RepoResult = {
    repo: basename(dir),
    dir,
    files: 0,
    documents: 0,
    skipped: {},
    findings: 0,
    findingsByRule: {},
    fixes: 0,
    filesChanged: 0,
    filesCreated: 0,
    refused: [],
    failed: [],
    collateral: [],
    kustomize: [],
    broken: [],
    notIdempotent: [],
    reintroduced: [],
    ms: { scan: 0, plan: 0, check: 0, total: 0 },
  };
  let tmp: string | undefined;
  try {
    const rules = opts.rules ?? allRules;
    const session = openSession(dir);
    const findings = scan(session.repo, rules, session.options);
    const skipped: Record<string, number> = {};
    for (const f of session.repo.files) if (f.status === 'skipped') skipped[f.skipReason!] = (skipped[f.skipReason!] ?? 0) + 1;
    const findingsByRule: Record<string, number> = {};
    for (const f of findings) findingsByRule[f.ruleId] = (findingsByRule[f.ruleId] ?? 0) + 1;
    const t1 = performance.now();

    // Plan rule by rule, keeping the repository each rule ran on to recompute its changes' edit sites.
    const planner = new Planner(session.repo, { rules, options: session.options });
    const collateral: (CollateralLine & { rule: string })[] = [];
    const sitesOf = new Map<RulePlan, EditSite[]>();
    while (!planner.done) {
      const repoBefore = planner.repoAfter;
      const rp = planner.planNext();
      const sites: EditSite[] = [];
      for (const x of rp.fixed) {
        const report = x.finding.report;
        if (!rp.rule.fix || !report || report.fixable === false) continue;
        const out = rp.rule.fix.apply(report, { repo: repoBefore, options: session.options.get(rp.rule.meta.id) });
        sites.push(...editSites(out.changes ?? [], repoBefore));
      }
      sitesOf.set(rp, sites);
    }
    const plan = planner.result();
    const t2 = performance.now();

    for (const rp of plan.rules) {
      for (const fc of rp.files) {
        if (fc.before === null) continue;
        for (const c of collateralLines(fc.path, fc.before, fc.after, sitesOf.get(rp) ?? [])) collateral.push({ ...c, rule: rp.rule.meta.id });
      }
    }
    const refused: FixProblem[] = [];
    const failed: FixProblem[] = [];
    for (const rp of plan.rules) for (const d of rp.dropped) (VERIFICATION_FAILURE.test(d.reason) ? failed : refused).push(problem(rp, d));

    const touched = [...plan.finalFiles.keys()].filter((p) => plan.finalFiles.get(p) !== plan.originalFiles.get(p));
    const kustomize: KustomizeStatus[] = [];
    const broken: string[] = [];
    const notIdempotent: { rule: string; files: string[] }[] = [];
    if (touched.length) {
      tmp = materialise(dir, plan);
      if (opts.kustomize ?? (await hasKubectl())) {
        const dirs = dirsToBuild(touched, session.repo, planner.repoAfter, dir, tmp);
        for (const k of await checkBuilds(dirs, dir, tmp)) {
          kustomize.push(k);
          if (k.before === 'ok' && k.after !== 'ok') broken.push(k.dir);
        }
      }
      // Idempotency: the fixed tree, loaded from disk like a user's next run, plans nothing.
      const again = openSession(tmp, undefined, dir);
      const second = new Planner(again.repo, { rules, options: again.options }).result();
      for (const rp of second.rules) if (rp.files.length) notIdempotent.push({ rule: rp.rule.meta.id, files: rp.files.map((f) => f.path) });
    }
    const back = reintroduced(plan, planner.repoAfter, session.options).map((f) => ({ rule: f.ruleId, file: f.file, line: f.line, reason: f.message }));
    const t3 = performance.now();
    return {
      ...empty,
      files: session.repo.files.length,
      documents: session.repo.resources.length,
      skipped,
      findings: findings.length,
      findingsByRule,
      fixes: plan.rules.reduce((n, rp) => n + rp.fixed.length, 0),
      filesChanged: touched.filter((p) => plan.originalFiles.get(p) != null).length,
      filesCreated: touched.filter((p) => plan.originalFiles.get(p) == null).length,
      refused,
      failed,
      collateral,
      kustomize,
      broken,
      notIdempotent,
      reintroduced: back,
      ms: { scan: t1 - t0, plan: t2 - t1, check: t3 - t2, total: t3 - t0 },
    };
  } catch (e) {
    const err = e as Error;
    return { ...empty, crash: `${err.message}\n${err.stack ?? ''}`, ms: { ...empty.ms, total: performance.now() - t0 } };
  } finally {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }
}

export async function runCorpus(dirs: readonly string[], opts: CorpusOptions = {}): Promise<RepoResult[]> {
  const out: RepoResult[] = [];
  for (const d of dirs) out.push(await runRepo(d, opts));
  return out;
}

/** Problems that fail the corpus test, one line each. */
export function failures(results: readonly RepoResult[]): string[] {
  const out: string[] = [];
  for (const r of results) {
    if (r.crash) out.push(`${r.repo}: crashed: ${r.crash.split('\n')[0]}`);
    for (const c of r.collateral) out.push(`${r.repo}: ${c.rule} changed ${c.file}:${c.line} outside its edit (${c.side} ${c.text.trim()})`);
    for (const f of r.failed) out.push(`${r.repo}: ${f.rule} fix failed verification at ${f.file}:${f.line}: ${f.reason}`);
    for (const d of r.broken)
      out.push(`${r.repo}: kubectl kustomize ${d} built before the fixes and fails after: ${r.kustomize.find((k) => k.dir === d)?.error ?? ''}`);
    for (const n of r.notIdempotent) out.push(`${r.repo}: ${n.rule} is not idempotent: a second run changes ${n.files.join(', ')}`);
    for (const b of r.reintroduced) out.push(`${r.repo}: ${b.rule} fix at ${b.file}:${b.line} undone by a later rule`);
  }
  return out;
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(rows[0]!), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.slice(1).map(line)].join('\n');
}

export function formatResults(results: readonly RepoResult[]): string {
  const rows = [
    [
      'repository',
      'files',
      'docs',
      'skipped',
      'findings',
      'fixes',
      'files changed+new',
      'refused',
      'failed',
      'collateral',
      'kustomize builds after',
      'idempotent',
      'time',
    ],
  ];
  for (const r of results) {
    if (r.crash) {
      rows.push([r.repo, 'CRASH', '', '', '', '', '', '', '', '', '', '', `${(r.ms.total / 1000).toFixed(1)} s`]);
      continue;
    }
    const skipped =
      Object.entries(r.skipped)
        .map(([k, n]) => `${n} ${k}`)
        .join(', ') || '0';
    const kOk = r.kustomize.filter((k) => k.after === 'ok').length;
    rows.push([
      r.repo,
      String(r.files),
      String(r.documents),
      skipped,
      String(r.findings),
      String(r.fixes),
      `${r.filesChanged}+${r.filesCreated}`,
      String(r.refused.length),
      String(r.failed.length),
      String(r.collateral.length),
      r.kustomize.length ? `${kOk}/${r.kustomize.length}${r.broken.length ? ` (${r.broken.length} broken)` : ''}` : '-',
      r.notIdempotent.length || r.reintroduced.length ? 'NO' : 'yes',
      `${(r.ms.total / 1000).toFixed(1)} s`,
    ]);
  }
  const parts = [table(rows)];
  const byRule = new Map<string, number[]>();
  results.forEach((r, i) => {
    for (const [id, n] of Object.entries(r.findingsByRule)) {
      const row = byRule.get(id) ?? results.map(() => 0);
      row[i] = n;
      byRule.set(id, row);
    }
  });
  if (byRule.size) {
    parts.push('', 'Findings per rule', '');
    parts.push(table([['rule', ...results.map((_, i) => `#${i + 1}`)], ...[...byRule].sort().map(([id, ns]) => [id, ...ns.map(String)])]));
    parts.push('', results.map((r, i) => `#${i + 1} ${r.repo}`).join('  '));
  }
  const refused = results.flatMap((r) => r.refused.map((f) => `  ${r.repo}: ${f.rule} ${f.file}:${f.line}: ${f.reason}`));
  if (refused.length) parts.push('', 'Refused fixes (declined with a reason, nothing written)', ...refused);
  const bad = failures(results);
  parts.push(
    '',
    bad.length
      ? `PROBLEMS (${bad.length})\n${bad.map((b) => `  ${b}`).join('\n')}`
      : 'No crash, collateral line, failed verification, broken kustomize build or non-idempotent fix.',
  );
  return parts.join('\n');
}

async function cli(argv: string[]): Promise<number> {
  const json = argv.includes('--json');
  const dirs = argv.filter((a) => !a.startsWith('--'));
  const targets = dirs.length ? dirs : corpusRepos();
  if (!targets.length) {
    process.stderr.write('corpus: no repositories (pass directories, or put repositories in ../shared/corpus/)\n');
    return 2;
  }
  const results: RepoResult[] = [];
  for (const d of targets) {
    if (!json) process.stderr.write(`corpus: ${basename(resolve(d))} ...\n`);
    results.push(await runRepo(d));
  }
  process.stdout.write(json ? `${JSON.stringify(results, null, 2)}\n` : `${formatResults(results)}\n`);
  return failures(results).length ? 1 : 0;
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(new URL(import.meta.url).pathname)) {
  process.exitCode = await cli(process.argv.slice(2));
}
