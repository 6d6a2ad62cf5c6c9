export type ErrorCode =
  | 'usage'
  | 'not-a-directory'
  | 'invalid-config'
  | 'unknown-rule'
  | 'not-a-git-repo'
  | 'detached-head'
  | 'branch-exists'
  | 'invalid-branch-name'
  | 'dirty-worktree'
  | 'needs-terminal'
  | 'file-changed'
  | 'write-failed'
  | 'template-missing'
  | 'template-var-unbound'
  | 'template-var-unused'
  | 'git-failed'
  | 'rule-crashed';

/** An expected failure: the CLI prints only the message and exits 2. Messages say what happened and what to do. */
export class GitopsFixError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'GitopsFixError';
  }
}
