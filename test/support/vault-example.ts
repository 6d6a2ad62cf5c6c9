/** The example repository with its Vault HelmRelease changed, for the tests of rules that require each other. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EXAMPLE_REPO } from './git-repo.js';
import { copyTree, tempDir, writeTree } from './tree.js';
export const VAULT_HR = 'infra/kubernetes/flux/infrastructure/vault/helmrelease.yaml';

/** A copy of the example repository (not a git repository) with its Vault HelmRelease text changed by `edit`. */
export function vaultExample(edit: (text: string) => string): string {
  const dir = join(tempDir(), 'repo');
  copyTree(EXAMPLE_REPO, dir);
  const file = join(dir, VAULT_HR);
  writeTree(dir, new Map([[VAULT_HR, edit(readFileSync(file, 'utf8'))]]));
  return dir;
}

/** The Vault configuration anchored, and the anchor reused elsewhere: the listener's HCL edit is refused. */
export const anchoredConfig = (t: string) =>
  t
    .replace('        config: |\n', '        config: &vaultconfig |\n')
    .replace('    ui:\n      enabled: true\n', '    ui:\n      enabled: true\n      annotations:\n        config-copy: *vaultconfig\n');
