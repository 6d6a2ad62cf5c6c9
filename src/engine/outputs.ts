import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { BranchResult, GitRepoInfo } from './git.js';
import { FALLBACK_IDENTITY, gitSync } from './git.js';
import { formatPatch, patchFileName, type PatchAuthor } from './messages.js';
import { packageVersion } from './package-root.js';
import type { Plan } from './plan.js';
import { atomicWrite } from './write.js';

/** The committer git would use in the repository, or gitops-fix's fallback identity. */
export function patchAuthor(info: GitRepoInfo | undefined): PatchAuthor {
  const get = (key: string) => {
    if (!info || info.identity.length) return undefined;
    try {
      return gitSync(info.topLevel, ['config', '--get', key]).trim() || undefined;
    } catch {
      return undefined;
    }
  };
  const fallback = { name: FALLBACK_IDENTITY[1].slice('user.name='.length), email: FALLBACK_IDENTITY[3].slice('user.email='.length) };
  return {
    name: process.env.GIT_AUTHOR_NAME || get('user.name') || fallback.name,
    email: process.env.GIT_AUTHOR_EMAIL || get('user.email') || fallback.email,
  };
}

/**
 * Write one `git format-patch`-style file per rule with changes into `dir` (created when missing), numbered in
 * commit order. Returns the absolute paths.
 */
export function writePatches(dir: string, plan: Plan, opts: { branch?: BranchResult; author: PatchAuthor; date?: Date }): string[] {
  const applied = plan.rules.filter((r) => r.files.length);
  if (!applied.length) return [];
  const out = resolve(dir);
  mkdirSync(out, { recursive: true });
  const version = packageVersion();
  return applied.map((rp, i) => {
    const sha = opts.branch?.commits.find((c) => c.ruleId === rp.rule.meta.id)?.sha;
    const file = join(out, patchFileName(i + 1, rp));
    atomicWrite(file, formatPatch(rp, i + 1, applied.length, { ...(sha ? { sha } : {}), author: opts.author, date: opts.date ?? new Date(), version }));
    return file;
  });
}

export function writeTextFile(file: string, text: string): string {
  const abs = resolve(file);
  atomicWrite(abs, text);
  return abs;
}
