/**
 * The environment for every git process gitops-fix runs.
 *
 * Git exports repository-scoped variables to the hooks it runs (`GIT_DIR`, `GIT_INDEX_FILE`, ...). Inherited by our
 * own git calls, they would point them at the user's repository, index or object store instead of the worktree we
 * ask for: `gitops-fix fix` run from a pre-commit hook would rewrite the commit being made. Git clears the same list
 * (`git rev-parse --local-env-vars`) before it runs a command in a submodule; we do so for every git we run.
 */
export const REPOSITORY_GIT_VARIABLES: readonly string[] = [
  // git rev-parse --local-env-vars (git 2.39)
  'GIT_ALTERNATE_OBJECT_DIRECTORIES',
  'GIT_CONFIG',
  'GIT_CONFIG_PARAMETERS',
  'GIT_CONFIG_COUNT',
  'GIT_OBJECT_DIRECTORY',
  'GIT_DIR',
  'GIT_WORK_TREE',
  'GIT_IMPLICIT_WORK_TREE',
  'GIT_GRAFT_FILE',
  'GIT_INDEX_FILE',
  'GIT_NO_REPLACE_OBJECTS',
  'GIT_REPLACE_REF_BASE',
  'GIT_PREFIX',
  'GIT_INTERNAL_SUPER_PREFIX',
  'GIT_SHALLOW_FILE',
  'GIT_COMMON_DIR',
  // also scoped to one repository or one invocation
  'GIT_NAMESPACE',
  'GIT_INDEX_VERSION',
  'GIT_QUARANTINE_PATH',
  'GIT_REFLOG_ACTION',
  'GIT_EXEC_PATH_OVERRIDE',
];

const CLEARED = new Set(REPOSITORY_GIT_VARIABLES);

/** process.env without the repository-scoped git variables (and any `GIT_CONFIG_KEY_n`/`GIT_CONFIG_VALUE_n`), plus `extra`. */
export function gitEnv(extra: Readonly<Record<string, string>> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (CLEARED.has(k) || /^GIT_CONFIG_(KEY|VALUE)_\d+$/.test(k)) continue;
    env[k] = v;
  }
  return { ...env, ...extra };
}
