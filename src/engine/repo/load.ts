/** Loading a directory into a Repo: list, read, classify, turn documents into resources, index. */
import { statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import type { Repo, RepoFile, Settings } from '../../kit/index.js';
import { runAsync, runSync, type Steps } from '../cancel.js';
import type { OnProgress } from '../progress.js';
import { GitopsFixError } from '../errors.js';
import { classifyFile, skipped, type Classified } from './classify.js';
import { makeRepo } from './indexes.js';
import { listedJsonFiles, listFiles, YAML_FILE } from './list.js';
import { readAndClassify } from './read.js';
import { materialise, withResources, type CompactFile } from './resources.js';

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
  /**
   * Threads that read and parse (loadRepoAsync only): 1 reads on the main thread; more start worker threads. By
   * default the number of cores for a repository of PARALLEL_MIN_FILES files or more on a machine of PARALLEL_MIN_CORES
   * cores or more, else 1; the environment
   * variable GITOPS_FIX_THREADS overrides the default.
   */
  readonly threads?: number;
}

/** Below this many files to read, worker threads cost more to start than they save (BENCHMARKS.md). */
export const PARALLEL_MIN_FILES = 1000;
/**
 * Worker threads by default only from this many cores: on 2 cores a second thread gained nothing in wall time on
 * the 9,960-file fleet, measured quiet, and cost about 1 s more CPU (BENCHMARKS.md, "Threads: where they pay").
 */
export const PARALLEL_MIN_CORES = 3;

/**
 * How many threads read `files` files: `threads`, else GITOPS_FIX_THREADS, else all cores from PARALLEL_MIN_FILES
 * files and PARALLEL_MIN_CORES cores on.
 */
export function threadsFor(files: number, threads?: number): number {
  if (threads !== undefined) return Math.max(1, Math.floor(threads));
  const env = process.env.GITOPS_FIX_THREADS;
  if (env !== undefined && env !== '') {
    const n = Number(env);
    if (!Number.isInteger(n) || n < 1) throw new GitopsFixError('usage', `GITOPS_FIX_THREADS=${env}: expected a whole number of threads, 1 or more`);
    return n;
  }
  const cores = availableParallelism();
  return files >= PARALLEL_MIN_FILES && cores >= PARALLEL_MIN_CORES ? cores : 1;
}

/** What a load reads: the root, the sorted paths, the submodules. */
interface Listing {
  readonly root: string;
  readonly paths: readonly string[];
  readonly submodules: ReadonlySet<string>;
}

function listing(rootArg: string, opts: LoadOptions): Listing {
  const root = resolve(rootArg);
  let st;
  try {
    st = statSync(root);
  } catch {
    throw new GitopsFixError('not-a-directory', `${rootArg}: no such directory`);
  }
  if (!st.isDirectory()) throw new GitopsFixError('not-a-directory', `${rootArg}: not a directory`);
  const listed = opts.base || opts.files ? undefined : listFiles(root);
  const paths = [...(opts.base ? opts.base.files.map((f) => f.path) : (opts.files ?? listed!.yaml))];
  const known = new Set(paths);
  if (opts.overrides) for (const p of opts.overrides.keys()) if (YAML_FILE.test(p) && !known.has(p)) paths.push(p);
  const submodules = new Set(listed?.submodules ?? []);
  for (const p of submodules) if (!known.has(p)) paths.push(p);
  paths.sort();
  return { root, paths, submodules };
}

/** Load a directory into a Repo: every YAML file parsed or skipped with a reason. Never throws for file content. */
export function loadRepo(rootArg: string, opts: LoadOptions): Repo {
  return runSync(loadRepoSteps(rootArg, opts));
}

/**
 * loadRepo that gives the event loop a turn between files and stops with a CancelledError when `signal` is aborted.
 * A large repository is read and parsed on worker threads (`threads`); the Repo is the same as loadRepo's.
 */
export async function loadRepoAsync(rootArg: string, opts: LoadOptions, signal?: AbortSignal): Promise<Repo> {
  const list = listing(rootArg, opts);
  const toRead = opts.base ? [] : list.paths.filter((p) => !list.submodules.has(p) && opts.overrides?.get(p) === undefined);
  const threads = toRead.length ? threadsFor(toRead.length, opts.threads) : 1;
  if (threads <= 1) return runAsync(loadRepoSteps(rootArg, opts, list), signal);
  const { readParallel } = await import('./parallel.js');
  const preloaded = await readParallel(list.root, toRead, threads, signal, opts.onProgress);
  const { onProgress: _, ...rest } = opts;
  return runAsync(loadRepoSteps(rootArg, rest, list, preloaded), signal);
}

/**
 * loadRepo as steps: one per file. `preloaded` holds files already read and parsed (by worker threads; null when
 * the file is gone): they are taken from there instead of being read again.
 */
export function* loadRepoSteps(
  rootArg: string,
  opts: LoadOptions,
  list: Listing = listing(rootArg, opts),
  preloaded?: ReadonlyMap<string, CompactFile | null>,
): Steps<Repo> {
  const { root, paths, submodules } = list;
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
    const pre = preloaded?.get(path);
    if (pre !== undefined) {
      if (pre) files.push(materialise(pre));
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
    // An edited file keeps its Documents: the next detection locates its findings in it.
    files.push(withResources(path, c, override !== undefined).file);
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
