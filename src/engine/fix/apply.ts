/** The end of a fix run: commit to the review branch or write the files, then the patches and the pull-request description. */
import { basename, resolve } from 'node:path';
import { checkpoint } from '../cancel.js';
import { GitopsFixError } from '../errors.js';
import type { FixOutcome } from '../fix-report.js';
import type { BranchResult, ReviewBranch } from '../git/review-branch.js';
import { commitMessage, prBody } from '../messages.js';
import { fullDetailPath, patchAuthor, removeStalePatches, writePatches, writeTextFile } from '../outputs.js';
import type { Plan } from '../plan.js';
import type { RenderProof } from '../render/proof.js';
import { commitRenderSection, prRenderSection } from '../render/report.js';
import type { Session } from '../session.js';
import { writePlan, type WrittenFile } from '../write.js';
import type { Prepared } from './prepare.js';
import type { FixRequest, Stage } from './types.js';

/** What the apply stages made. */
export interface Applied {
  branch?: BranchResult;
  written?: WrittenFile[];
}

export interface ApplyContext {
  readonly req: FixRequest;
  readonly prep: Prepared;
  readonly rb: ReviewBranch | undefined;
  readonly session: Session;
  readonly plan: Plan;
  readonly render: RenderProof | undefined;
  readonly signal: AbortSignal;
}

/** One commit per rule on the review branch, then the branch itself. */
function branchStages(c: ApplyContext, rb: ReviewBranch, name: string, applied: Applied): Stage[] {
  const { plan, render, signal } = c;
  return [
    {
      title: `Commit to ${name}`,
      steps: () =>
        plan.rules
          .filter((rp) => rp.files.length)
          .map((rp) => ({
            title: `fix(${rp.rule.meta.id})`,
            run: async () => {
              const section = render ? commitRenderSection(render, rp.rule.meta.id) : undefined;
              await rb.commit(rp.rule.meta.id, rp.files, commitMessage(rp, section ? { render: section } : {}), { signal });
            },
          })),
    },
    {
      title: `Create branch ${name}`,
      run: async () => {
        await checkpoint(signal);
        applied.branch = rb.finish(signal);
      },
    },
  ];
}

/** The stages that apply the plan: commits and the branch, or the files written in place (none for --dry-run). */
export function applyStages(c: ApplyContext, applied: Applied): Stage[] {
  const target = c.prep.branch?.target;
  if (c.req.mode === 'branch' && c.rb && target) return branchStages(c, c.rb, target.name, applied);
  if (c.req.mode !== 'write') return [];
  return [
    {
      title: 'Write the files',
      run: async () => {
        await checkpoint(c.signal);
        applied.written = writePlan(c.plan, c.session.root, { allowDirty: c.req.allowDirty, signal: c.signal });
      },
    },
  ];
}

/**
 * --patch-dir and --pr-body. When they fail after the branch was created (or the files were written), the failure is
 * returned with what was made, to be reported with the outcome; before that, it is thrown.
 */
export function writeOutputs(
  req: FixRequest,
  prep: Prepared,
  plan: Plan,
  render: RenderProof | undefined,
  outcome: { -readonly [K in keyof FixOutcome]: FixOutcome[K] },
  note: (text: string) => void,
): GitopsFixError | undefined {
  const { branch, written } = outcome;
  try {
    if (req.patchDir) {
      const removed = removeStalePatches(prep.outputs.stalePatches);
      if (removed.length) note(`removed ${removed.length} patch file${removed.length === 1 ? '' : 's'} of an earlier run from ${req.patchDir}`);
      const info = prep.info;
      outcome.patches = writePatches(resolve(req.cwd, req.patchDir), plan, {
        ...(branch ? { branch } : {}),
        author: patchAuthor(info),
        prefix: info?.prefix ?? '',
      });
    }
    if (req.prBody) {
      const sections = { ...(branch ? { branch: branch.branch, commits: branch.commits } : {}), ...(render ? { render: prRenderSection(render) } : {}) };
      const file = resolve(req.cwd, req.prBody);
      const full = fullDetailPath(file);
      outcome.prBody = writeTextFile(file, prBody(plan, { ...sections, fullFile: basename(full) }));
      outcome.prBodyFull = writeTextFile(full, prBody(plan, { ...sections, full: true }));
    }
    return undefined;
  } catch (e) {
    if (!branch && !written) throw e;
    const made = branch ? `the branch ${branch.branch} was created (above)` : 'the files were written (above)';
    return new GitopsFixError(e instanceof GitopsFixError ? e.code : 'write-failed', `${(e as Error).message}; ${made}`);
  }
}
