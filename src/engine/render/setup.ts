/** A Renderer from the command line and `.gitops-fix.yaml` (`render:`). */
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { LoadedConfig } from '../config.js';
import { Renderer } from './helm.js';

export interface RenderFlags {
  /** `--charts DIR` (repeatable), relative to the current directory. */
  readonly charts?: readonly string[];
  /** `--helm PATH`. */
  readonly helm?: string;
}

/** Where pulled charts and render results are kept: $XDG_CACHE_HOME/gitops-fix, else ~/.cache/gitops-fix. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'gitops-fix');
}

export interface RenderSetup {
  readonly renderer: Renderer;
  readonly external: readonly string[];
}

/** Flags first, then the configuration (its paths relative to the configuration file, or to `dir` without one). */
export function renderSetup(loaded: LoadedConfig, dir: string, flags: RenderFlags, cacheDir: string = defaultCacheDir()): RenderSetup {
  const r = loaded.config.render ?? {};
  const base = loaded.file ? dirname(loaded.file) : resolve(dir);
  const configured = r.charts === undefined ? [] : Array.isArray(r.charts) ? r.charts : [r.charts];
  const chartDirs = [...(flags.charts ?? []).map((c) => resolve(c)), ...configured.map((c) => resolve(base, c))];
  const helm = flags.helm ?? (r.helm ? (r.helm.includes('/') ? resolve(base, r.helm) : r.helm) : undefined);
  const renderer = new Renderer({
    chartDirs,
    cacheDir,
    pull: r.pull ?? true,
    ...(helm ? { helm } : {}),
    ...(r.apiVersions ? { apiVersions: r.apiVersions } : {}),
    ...(r.kubeVersion ? { kubeVersion: r.kubeVersion } : {}),
  });
  return { renderer, external: r.external ?? [] };
}
