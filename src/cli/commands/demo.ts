import { branchExists } from '../../engine/git/branch.js';
import { branchReport, createDemoRepo } from '../../engine/demo.js';
import { selectRules } from '../../engine/registry.js';
import { colorEnabled, painter } from '../colors.js';
import { OK } from '../exit-codes.js';
import { lineWriter, type CliIO } from '../io.js';
import { fixCommand } from './fix.js';

const DEMO_BRANCH = 'gitops-fix/phase-1';

/**
 * `gitops-fix demo`: copy the bundled example repository into a temporary git repository, run phase 1 on it and show
 * the branch it made. What is applied follows the picker's rule: on a terminal the picker itself; otherwise `--yes`,
 * the safe fixes the picker pre-checks, followed by a preview (--dry-run, with the rendered diff) of the review fixes
 * it leaves unchecked.
 */
export async function demoCommand(io: CliIO, render: { charts?: string[]; helm?: string } = {}): Promise<number> {
  const out = lineWriter(io.stdout);
  const paint = painter(colorEnabled(io.stdout, io.env));
  const dir = createDemoRepo();
  const interactive = io.stdinIsTTY && !!io.stdout.isTTY;
  out(paint('bold', `Demo repository: ${dir}`));
  out(
    interactive
      ? '(a git copy of fixtures/example-repo; running `gitops-fix fix --phase 1` on it: safe fixes are checked, review fixes are not)\n'
      : '(a git copy of fixtures/example-repo; running `gitops-fix fix --phase 1 --yes` on it: the safe fixes, the ones the picker checks)\n',
  );
  const code = await fixCommand(
    dir,
    {
      phase: ['1'],
      rule: [],
      excludeRule: [],
      yes: !interactive,
      renderDiff: true,
      format: 'text',
      charts: render.charts ?? [],
      ...(render.helm ? { helm: render.helm } : {}),
    },
    io,
  );
  if (code !== OK || !branchExists(dir, DEMO_BRANCH)) return code;
  const { log, stat } = branchReport(dir, 'main', DEMO_BRANCH);
  out(`\n${paint('bold', `git log --stat main..${DEMO_BRANCH}`)}\n${log.trimEnd()}`);
  out(`\n${paint('bold', `git diff --stat main...${DEMO_BRANCH}`)}\n${stat.trimEnd()}`);
  out(`\nInspect it: cd ${dir} && git log -p main..${DEMO_BRANCH}`);
  if (interactive) return OK;
  // The review fixes the picker leaves unchecked: shown, not applied.
  const review = selectRules({ phases: [1] })
    .filter((r) => r.fix && !r.fix.safe)
    .map((r) => r.meta.id);
  if (!review.length) return OK;
  out(`\n${paint('bold', 'The review fixes of phase 1, not applied (the picker leaves them unchecked; --include-review applies them):')}`);
  out(`(running \`gitops-fix fix --dry-run ${review.map((id) => `--rule ${id}`).join(' ')}\`)\n`);
  return fixCommand(
    dir,
    { phase: [], rule: review, excludeRule: [], dryRun: true, format: 'text', charts: render.charts ?? [], ...(render.helm ? { helm: render.helm } : {}) },
    io,
  );
}
