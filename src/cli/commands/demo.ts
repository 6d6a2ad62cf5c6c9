import { branchExists } from '../../engine/git/branch.js';
import { branchReport, createDemoRepo } from '../../engine/demo.js';
import { colorEnabled, painter } from '../colors.js';
import { OK } from '../exit-codes.js';
import { lineWriter, type CliIO } from '../io.js';
import { fixCommand } from './fix.js';

const DEMO_BRANCH = 'gitops-fix/phase-1';

/**
 * `gitops-fix demo`: copy the bundled example repository into a temporary git repository, run phase 1 on it
 * (the picker on a terminal, `--yes --include-review` otherwise: the demo shows every phase-1 fix) and show the branch it made.
 */
export async function demoCommand(io: CliIO, render: { charts?: string[]; helm?: string } = {}): Promise<number> {
  const out = lineWriter(io.stdout);
  const paint = painter(colorEnabled(io.stdout, io.env));
  const dir = createDemoRepo();
  const interactive = io.stdinIsTTY && !!io.stdout.isTTY;
  out(paint('bold', `Demo repository: ${dir}`));
  out(`(a git copy of fixtures/example-repo; running \`gitops-fix fix --phase 1${interactive ? '' : ' --yes --include-review'}\` on it)\n`);
  const code = await fixCommand(
    dir,
    {
      phase: ['1'],
      rule: [],
      excludeRule: [],
      yes: !interactive,
      includeReview: !interactive,
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
  return OK;
}
