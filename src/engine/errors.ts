export type ErrorCode =
  | 'usage'
  | 'not-a-directory'
  | 'no-objects'
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
  | 'git-missing'
  | 'branch-conflict'
  | 'branch-checked-out'
  | 'branch-not-ours'
  | 'no-remote'
  | 'remote-branch-not-ours'
  | 'unknown-forge'
  | 'forge-tool-missing'
  | 'forge-tool-failed'
  | 'not-committed'
  | 'signing-failed'
  | 'temp-dir'
  | 'output-path'
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

/** A file-system error in plain words ("permission denied", "not a directory"...), with its code. */
export function ioReason(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  const plain: Record<string, string> = {
    ENOENT: 'it does not exist',
    EACCES: 'permission denied',
    EPERM: 'permission denied',
    ENOTDIR: 'a part of the path is a file, not a directory',
    EISDIR: 'it is a directory',
    EEXIST: 'it exists already',
    EROFS: 'read-only file system',
    ENOSPC: 'no space left on the device',
    EDQUOT: 'disk quota exceeded',
    ENAMETOOLONG: 'the name is too long',
    ELOOP: 'too many symbolic links',
  };
  const text = err?.code ? plain[err.code] : undefined;
  return text ? `${text}, ${err.code}` : ((err as Error)?.message ?? String(e));
}
