import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CONFIG_FILE, DEFAULT_PRODUCTION_CLUSTERS } from '../../engine/config.js';
import { GitopsFixError } from '../../engine/errors.js';
import { starterConfig } from '../../engine/init.js';
import { loadRepo } from '../../engine/repo/load.js';
import { rules as allRules } from '../../engine/registry.js';
import { OK } from '../exit-codes.js';
import { lineWriter, type CliIO } from '../io.js';

/** `gitops-fix init [DIR]`: write a commented starter `.gitops-fix.yaml`; never overwrite one. */
export async function initCommand(dir: string, io: CliIO): Promise<number> {
  const out = lineWriter(io.stdout);
  const root = resolve(io.cwd, dir);
  const file = join(root, CONFIG_FILE);
  const repo = loadRepo(root, {
    settings: { mainBranch: 'main', production: { clusters: DEFAULT_PRODUCTION_CLUSTERS, namespaces: ['production', 'prod'] }, docsDir: 'docs' },
  });
  const text = starterConfig(repo, allRules);
  try {
    writeFileSync(file, text, { flag: 'wx' });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new GitopsFixError('write-failed', `${file} already exists; not overwritten (edit it, or move it away and run init again)`);
    }
    throw new GitopsFixError('write-failed', `cannot write ${file}: ${(e as Error).message}`);
  }
  out(`wrote ${file}\nReview it, then run: gitops-fix scan ${dir === '.' ? '' : dir}`.trimEnd());
  return OK;
}
