/** The checks a fix run makes before any work: the repository, the review branch, the outputs, the temporary directory. */
import { GitopsFixError } from '../errors.js';
import { checkReviewBranch, checkTempDir, defaultBranchName, type BranchTarget } from '../git/branch.js';
import { checkCommitted, findGitRepo, uncommittedPaths, type GitRepoInfo, type UncommittedPath } from '../git/repository.js';
import { checkForgeTool, forgeOf, pushRemote, type Forge, type RemoteTarget } from '../git/publish.js';
import { ReviewBranch } from '../git/review-branch.js';
import { checkOutputs, type OutputPlan } from '../outputs.js';
import type { FixRequest } from './types.js';

export interface Prepared {
  /** The git repository around DIR (none is needed by --write and --dry-run). */
  readonly info: GitRepoInfo | undefined;
  /** The review branch to make (branch mode). */
  readonly branch: { readonly info: GitRepoInfo; readonly target: BranchTarget } | undefined;
  readonly outputs: OutputPlan;
  /** --push (and --open-pr): the remote, and the forge whose tool opens the pull request. */
  readonly publish?: { readonly remote: RemoteTarget; readonly forge?: Forge | undefined; readonly base?: string | undefined } | undefined;
}

/** `a (modified), b (untracked)`, at most 10, then how many more. */
function listPaths(paths: readonly UncommittedPath[]): string {
  const shown = paths.slice(0, 10).map((p) => `${p.path} (${p.state})`);
  return shown.join(', ') + (paths.length > 10 ? `, and ${paths.length - 10} more` : '');
}

/** The git repository around DIR; a review branch needs one (and git), --write and --dry-run do not. */
function repositoryFor(req: FixRequest): GitRepoInfo | undefined {
  let info: GitRepoInfo | undefined;
  try {
    info = findGitRepo(req.root);
  } catch (e) {
    if (!(e instanceof GitopsFixError) || e.code !== 'git-missing') throw e;
    if (req.mode !== 'branch') return undefined;
    throw new GitopsFixError(
      'git-missing',
      `git is not installed (or not on PATH), and the review branch needs it: install git, or pass --write to change the files in place, or --dry-run to see the changes`,
    );
  }
  if (!info && req.mode === 'branch') {
    throw new GitopsFixError(
      'not-a-git-repo',
      `${req.dir} is not inside a git repository: pass --write to change the files in place, or --dry-run to see the changes`,
    );
  }
  return info;
}

/** The review branch can be made: HEAD has a commit and DIR, the name is free (or ours, with --force), TMPDIR works. */
function reviewBranchTarget(req: FixRequest, info: GitRepoInfo, note: (text: string) => void): BranchTarget {
  const branchName = req.branch ?? defaultBranchName({ phases: req.phases, ruleIds: req.ruleIds, quickWins: req.quickWins });
  if (!info.head) {
    throw new GitopsFixError('not-a-git-repo', `${info.topLevel} has no commits yet: commit the repository first (the review branch starts from HEAD)`);
  }
  const target = checkReviewBranch(info, branchName, req.force);
  checkCommitted(info, req.dir);
  checkTempDir();
  if (!info.headRef) note(`HEAD is detached at ${info.head.slice(0, 12)}; ${branchName} starts from that commit`);
  for (const p of ReviewBranch.pruneStale(info)) note(`removed the review worktree ${p}, left by an earlier run that was stopped`);
  const dirty = uncommittedPaths(info);
  if (dirty.length) {
    note(`the review branch starts from HEAD and does not see uncommitted changes: ${listPaths(dirty)}. Commit them to include them, or use --write`);
  }
  return target;
}

/** Before any work: the repository, the branch, the output paths and the temporary directory. */
export function prepareFix(req: FixRequest, note: (text: string) => void): Prepared {
  const info = repositoryFor(req);
  let branch: Prepared['branch'];
  if (req.mode === 'branch' && info) {
    branch = { info, target: reviewBranchTarget(req, info, note) };
  } else if (req.mode === 'dry-run' && info) {
    const dirty = uncommittedPaths(info);
    if (dirty.length) {
      note(
        `--dry-run plans on the files as they are, including uncommitted changes (${listPaths(dirty)}); a review branch starts from HEAD and would not see them`,
      );
    }
  }
  const outputs = checkOutputs({ patchDir: req.patchDir, prBody: req.prBody }, req.cwd);
  const publish = branch && req.push ? publishTarget(req, branch.info) : undefined;
  return { info, branch, outputs, ...(publish ? { publish } : {}) };
}

/** --push and --open-pr, checked before any work: the remote exists, the forge is known and its tool installed. */
function publishTarget(req: FixRequest, info: GitRepoInfo): NonNullable<Prepared['publish']> {
  const remote = pushRemote(info, req.remote);
  if (!req.openPr) return { remote };
  const forge = forgeOf(remote);
  checkForgeTool(forge, remote);
  if (!info.headRef) {
    throw new GitopsFixError(
      'detached-head',
      `--open-pr: HEAD is detached, so there is no branch for the pull request to merge into: check out the base branch (e.g. main) and run again. Nothing was done`,
    );
  }
  return { remote, forge, base: info.headRef };
}
