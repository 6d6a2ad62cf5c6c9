import { accessSync, closeSync, constants, mkdirSync, openSync, readdirSync, readSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { GitopsFixError, ioReason } from './errors.js';
import type { GitRepoInfo } from './git/repository.js';
import type { BranchResult } from './git/review-branch.js';
import { FALLBACK_IDENTITY, gitSync } from './git/run.js';
import { formatPatch, patchFileName, RULE_TRAILER, type PatchAuthor } from './messages.js';
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

export interface PatchOptions {
  readonly branch?: BranchResult;
  readonly author: PatchAuthor;
  readonly date?: Date;
  /** DIR relative to the repository's top level (POSIX, '' at the top): patch paths start there, as git's do. */
  readonly prefix?: string;
}

/**
 * Write one `git format-patch`-style file per rule with changes into `dir` (created when missing), numbered in
 * commit order, with paths relative to the repository's top level (`prefix`), so `git am` applies them from there.
 * Returns the absolute paths.
 */
export function writePatches(dir: string, plan: Plan, opts: PatchOptions): string[] {
  const applied = plan.rules.filter((r) => r.files.length);
  if (!applied.length) return [];
  const out = resolve(dir);
  mkdirSync(out, { recursive: true });
  const version = packageVersion();
  const prefix = opts.prefix ?? '';
  return applied.map((rp, i) => {
    const sha = opts.branch?.commits.find((c) => c.ruleId === rp.rule.meta.id)?.sha;
    const file = join(out, patchFileName(i + 1, rp));
    const top = prefix ? { ...rp, files: rp.files.map((f) => ({ ...f, path: `${prefix}/${f.path}` })) } : rp;
    atomicWrite(file, formatPatch(top, i + 1, applied.length, { ...(sha ? { sha } : {}), author: opts.author, date: opts.date ?? new Date(), version }));
    return file;
  });
}

/** `NNNN-*.patch`: what `git am DIR/*.patch` picks up. */
const PATCH_FILE = /^\d{4}-.*\.patch$/;

/** Did gitops-fix write this patch file? (its trailer and signature, within the first 1 MiB) */
function isOwnPatch(file: string): boolean {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const buf = Buffer.alloc(1024 * 1024);
    const text = buf.subarray(0, readSync(fd, buf, 0, buf.length, 0)).toString('utf8');
    return text.startsWith('From ') && text.includes(`\n${RULE_TRAILER}: `) && text.includes('\n-- \ngitops-fix ');
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** The deepest existing directory on the way to `path` (itself when it exists), or the error that stops the walk. */
function existingAncestor(path: string): string {
  let p = path;
  for (;;) {
    try {
      statSync(p);
      return p;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT' || dirname(p) === p) throw e;
      p = dirname(p);
    }
  }
}

function outputError(option: string, given: string, what: string): GitopsFixError {
  return new GitopsFixError('output-path', `${option} ${given}: ${what}`);
}

/**
 * A directory that exists (or can be created below its deepest existing ancestor) and that we may write in.
 * `named`: the option names this directory itself (--patch-dir), rather than the folder of a file (--pr-body).
 */
function checkWritableDir(option: string, given: string, dir: string, named: boolean): void {
  let base: string;
  try {
    base = existingAncestor(dir);
  } catch (e) {
    throw outputError(option, given, `cannot be created (${ioReason(e)})`);
  }
  if (!statSync(base).isDirectory()) {
    throw outputError(option, given, named && base === dir ? 'is a file, not a directory: pass a directory' : `${base} is a file, not a directory`);
  }
  try {
    accessSync(base, constants.W_OK | constants.X_OK);
  } catch (e) {
    throw outputError(option, given, `${named && base === dir ? 'the directory' : base} is not writable (${ioReason(e)})`);
  }
}

export interface OutputPlan {
  /** Patch files an earlier run wrote into --patch-dir: removed before the new ones are written. */
  readonly stalePatches: readonly string[];
}

/**
 * Check --patch-dir and --pr-body before any work, with plain messages: the patch directory must be (or become) a
 * writable directory that holds no patches of anyone else (`git am DIR/*.patch` would apply them too); the
 * description must go to a file name in a writable directory. Patches gitops-fix wrote before are listed, to be
 * removed (removeStalePatches) when the new ones are written. Relative paths are resolved against `cwd` and
 * named in messages as given.
 */
export function checkOutputs(o: { patchDir?: string | undefined; prBody?: string | undefined }, cwd: string): OutputPlan {
  const stalePatches: string[] = [];
  if (o.patchDir !== undefined) {
    const dir = resolve(cwd, o.patchDir);
    checkWritableDir('--patch-dir', o.patchDir, dir, true);
    let entries: string[] = [];
    try {
      entries = readdirSync(dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw outputError('--patch-dir', o.patchDir, `cannot be read (${ioReason(e)})`);
    }
    const patches = entries.filter((n) => PATCH_FILE.test(n)).sort();
    const foreign = patches.filter((n) => !isOwnPatch(join(dir, n)));
    if (foreign.length) {
      const list = foreign.slice(0, 5).join(', ') + (foreign.length > 5 ? `, and ${foreign.length - 5} more` : '');
      throw outputError(
        '--patch-dir',
        o.patchDir,
        `holds patches gitops-fix did not write (${list}); \`git am ${o.patchDir}/*.patch\` would apply them with the new ones. Use an empty directory, or move them away`,
      );
    }
    stalePatches.push(...patches.map((n) => join(dir, n)));
  }
  if (o.prBody !== undefined) {
    const file = resolve(cwd, o.prBody);
    let isDir = false;
    try {
      isDir = statSync(file).isDirectory();
    } catch {
      // does not exist yet: its directory is checked below
    }
    if (isDir) throw outputError('--pr-body', o.prBody, 'is a directory: pass a file name');
    checkWritableDir('--pr-body', o.prBody, dirname(file), false);
  }
  return { stalePatches };
}

/** Remove the patch files of an earlier run (listed by checkOutputs). Returns those removed. */
export function removeStalePatches(files: readonly string[]): string[] {
  const removed: string[] = [];
  for (const f of files) {
    try {
      rmSync(f);
      removed.push(f);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT')
        throw new GitopsFixError('write-failed', `${f}: cannot remove this patch of an earlier run (${ioReason(e)})`);
    }
  }
  return removed;
}

/** Where `--pr-body FILE` writes the full description: `FILE` with `.full.md` for `.md` (`pr.md` → `pr.full.md`). */
export function fullDetailPath(file: string): string {
  return file.endsWith('.md') ? `${file.slice(0, -3)}.full.md` : `${file}.full.md`;
}

export function writeTextFile(file: string, text: string): string {
  const abs = resolve(file);
  atomicWrite(abs, text);
  return abs;
}
