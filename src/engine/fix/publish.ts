/** After the review branch is made: --push, then --open-pr (stages of the run, shown with progress). */
import { GitopsFixError } from '../errors.js';
import type { Published } from '../fix-report.js';
import { openPullRequest, pushBranch } from '../git/publish.js';
import type { BranchResult } from '../git/review-branch.js';
import { prBody } from '../messages.js';
import type { Plan } from '../plan.js';
import type { RenderProof } from '../render/proof.js';
import { prRenderSection } from '../render/report.js';
import type { Prepared } from './prepare.js';
import type { FixUI } from './types.js';

/** The pull request's title: the description's heading, or what the branch holds. */
function prTitle(body: string, branch: BranchResult): string {
  const heading = /^# (.+)$/m.exec(body)?.[1]?.trim();
  if (heading) return heading;
  return `gitops-fix: ${branch.commits.length} rule${branch.commits.length === 1 ? '' : 's'} fixed (${branch.branch})`;
}

/**
 * Push the review branch (--push) and open or update its pull request (--open-pr), with the same description as
 * --pr-body writes. Nothing is pushed without --push, nor when no branch was made.
 */
export async function publishBranch(
  prep: Prepared,
  plan: Plan,
  render: RenderProof | undefined,
  branch: BranchResult | undefined,
  ui: FixUI,
  signal: AbortSignal,
): Promise<{ published: Published; failure?: GitopsFixError } | undefined> {
  const target = prep.publish;
  const info = prep.branch?.info;
  if (!target || !info || !branch?.commits.length) return undefined;
  const out: { -readonly [K in keyof Published]: Published[K] } = {};
  const stages = [
    {
      title: `Push ${branch.branch} to ${target.remote.name}`,
      run: async (t: { title: string }) => {
        out.push = await pushBranch(info, target.remote, branch.branch, signal);
        t.title = `Pushed ${branch.branch} to ${target.remote.name}`;
      },
    },
  ];
  const { forge, base } = target;
  if (forge && base) {
    const kind = forge.kind === 'github' ? 'pull request' : 'merge request';
    stages.push({
      title: `Open the ${kind} (${forge.tool})`,
      run: async (t) => {
        const body = prBody(plan, { branch: branch.branch, commits: branch.commits, ...(render ? { render: prRenderSection(render) } : {}) });
        out.pullRequest = await openPullRequest(info, forge, { branch: branch.branch, base, title: prTitle(body, branch), body }, signal);
        t.title = `${out.pullRequest.action === 'created' ? 'Opened' : 'Updated'} the ${kind} (${forge.tool})`;
      },
    });
  }
  try {
    await ui.run(stages);
  } catch (e) {
    if (!(e instanceof GitopsFixError)) throw e;
    // The branch exists (and is reported); say what did not happen and why.
    return { published: out, failure: new GitopsFixError(e.code, `${e.message}; the branch ${branch.branch} was created (above)`) };
  }
  return { published: out };
}
