import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { isDir, ROOT } from './tree.js';

export const FIXTURES = join(ROOT, 'fixtures');

export interface FixtureCase {
  readonly name: string;
  readonly valid: boolean;
  readonly dir: string;
  readonly beforeDir: string;
  readonly afterDir: string | undefined;
  readonly findingsFile: string;
}

/** fixtures/<rule-id>/<valid-*|invalid-*>/{before,after}/ */
export function listCases(ruleId: string): FixtureCase[] {
  const base = join(FIXTURES, ruleId);
  if (!isDir(base)) return [];
  return readdirSync(base)
    .filter((n) => /^(valid|invalid)-/.test(n) && isDir(join(base, n)))
    .sort()
    .map((name) => {
      const dir = join(base, name);
      return {
        name,
        valid: name.startsWith('valid-'),
        dir,
        beforeDir: join(dir, 'before'),
        afterDir: existsSync(join(dir, 'after')) ? join(dir, 'after') : undefined,
        findingsFile: join(dir, 'findings.txt'),
      };
    });
}
