/** Loading a directory into a Repo: list, read, classify, turn documents into resources, index. */
import { statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Repo, RepoFile, Settings } from '../../kit/index.js';
import { runAsync, runSync, type Steps } from '../cancel.js';
import type { OnProgress } from '../progress.js';
import { GitopsFixError } from '../errors.js';
import { classifyFile, skipped, type Classified } from './classify.js';
import { makeRepo } from './indexes.js';
import { listedJsonFiles, listFiles, YAML_FILE } from './list.js';
import { readAndClassify } from './read.js';
import { withResources } from './resources.js';

export interface LoadOptions {
  readonly settings: Settings;
  /** Override the file list (tests); otherwise git ls-files or a directory walk. */
  readonly files?: readonly string[];
  /** In-memory overrides of file contents (planning applies changes this way). */
  readonly overrides?: ReadonlyMap<string, string>;
  /** A repository loaded before: files without an override are reused from it instead of being read again. */
  readonly base?: Repo;
  /**
   * With `base`: the only files parsed again (from their override). Every other file of `base` is reused as it was
   * parsed, override or not: planning passes the files one rule changed, with every planned text as `overrides`.
   */
  readonly reparse?: ReadonlySet<string>;
  /** Told after each file read and parsed (stage `load`). */
  readonly onProgress?: OnProgress;
}

/** Load a directory into a Repo: every YAML file parsed or skipped with a reason. Never throws for file content. */
export function loadRepo(rootArg: string, opts: LoadOptions): Repo {
  return runSync(loadRepoSteps(rootArg, opts));
}

/** loadRepo that gives the event loop a turn between files and stops with a CancelledError when `signal` is aborted. */
export function loadRepoAsync(rootArg: string, opts: LoadOptions, signal?: AbortSignal): Promise<Repo> {
  return runAsync(loadRepoSteps(rootArg, opts), signal);
}

/** loadRepo as steps: one per file. */
export function* loadRepoSteps(rootArg: string, opts: LoadOptions): Steps<Repo> {
  const root = resolve(rootArg);
  let st;
  try {
    st = statSync(root);
  } catch {
    throw new GitopsFixError('not-a-directory', `${rootArg}: no such directory`);
  }
  if (!st.isDirectory()) throw new GitopsFixError('not-a-directory', `${rootArg}: not a directory`);
  const listing = opts.base || opts.files ? undefined : listFiles(root);
  const paths = [...(opts.base ? opts.base.files.map((f) => f.path) : (opts.files ?? listing!.yaml))];
  const known = new Set(paths);
  if (opts.overrides) for (const p of opts.overrides.keys()) if (YAML_FILE.test(p) && !known.has(p)) paths.push(p);
  const submodules = new Set(listing?.submodules ?? []);
  for (const p of submodules) if (!known.has(p)) paths.push(p);
  paths.sort();
  const files: RepoFile[] = [];
  const seen = new Set<string>();
  const add = (path: string): void => {
    seen.add(path);
    const override = opts.overrides?.get(path);
    const reuse = override === undefined || (opts.reparse !== undefined && !opts.reparse.has(path));
    const reused = reuse ? opts.base?.file(path) : undefined;
    if (reused) {
      files.push(reused);
      return;
    }
    if (submodules.has(path)) {
      files.push(skipped(path, 0, 'submodule', 'a git submodule: its files belong to another repository and are not read here; run gitops-fix in it').file);
      return;
    }
    let c: Classified;
    if (override !== undefined) {
      c = classifyFile(path, undefined, Buffer.byteLength(override), undefined, override);
    } else {
      const read = readAndClassify(root, join(root, path), path);
      if (!read) return;
      c = read;
    }
    files.push(withResources(path, c).file);
  };
  const { onProgress } = opts;
  let done = 0;
  for (const path of paths) {
    yield;
    add(path);
    onProgress?.({ stage: 'load', done: ++done, total: paths.length });
  }
  // JSON manifests that a kustomization.yaml lists as resources are manifests too (kustomize reads JSON).
  for (const path of listedJsonFiles(files)) {
    if (seen.has(path) || submodules.has(path) || [...submodules].some((s) => path.startsWith(`${s}/`))) continue;
    yield;
    add(path);
  }
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const resources = files.flatMap((f) => f.resources.filter((r) => r.data !== null && r.data !== undefined));
  return makeRepo(root, files, resources, opts.settings, opts.overrides);
}
