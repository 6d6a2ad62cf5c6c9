/**
 * The review branch, published: the remote it is pushed to, the push itself (only review branches gitops-fix made
 * are ever overwritten, on the remote as locally), and the pull request (GitHub, with gh) or merge request (GitLab,
 * with glab) opened or updated with the description. Also what changed when a review branch is rebuilt in place.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { throwIfCancelled } from '../cancel.js';
import { GitopsFixError } from '../errors.js';
import { gitEnv } from '../git-env.js';
import { RULE_TRAILER } from '../messages.js';
import { git, gitProbe, gitSync } from './run.js';
import type { GitRepoInfo } from './repository.js';

/** The remote a review branch is pushed to. */
export interface RemoteTarget {
  readonly name: string;
  /** The URL as configured (before `url.<base>.insteadOf` rewriting): where the forge is read from. */
  readonly url: string;
  /** How it was chosen, for messages. */
  readonly why: 'given' | 'upstream' | 'default';
}

/**
 * The remote to push to: `--remote NAME`, else the remote of the current branch's upstream, else `origin`. It must
 * be configured in the repository.
 */
export function pushRemote(info: GitRepoInfo, given: string | undefined): RemoteTarget {
  const upstream = info.headRef ? gitProbe(info.topLevel, ['config', '--get', `branch.${info.headRef}.remote`])?.trim() : undefined;
  const name = given ?? (upstream && upstream !== '.' ? upstream : 'origin');
  const why = given ? 'given' : upstream && upstream !== '.' ? 'upstream' : 'default';
  const url = gitProbe(info.topLevel, ['config', '--get', `remote.${name}.url`])?.trim();
  if (!url) {
    const remotes = gitSync(info.topLevel, ['remote']).split('\n').filter(Boolean);
    const known = remotes.length ? `the remotes are: ${remotes.join(', ')}` : 'the repository has no remote';
    const how = given ? 'pass --remote with one of them' : `add it (git remote add origin URL) or pass --remote NAME`;
    throw new GitopsFixError('no-remote', `--push: there is no remote named ${name} (${known}): ${how}. Nothing was done`);
  }
  return { name, url, why };
}

/** The forge a remote URL is on, and its command-line tool. */
export interface Forge {
  readonly kind: 'github' | 'gitlab';
  readonly tool: 'gh' | 'glab';
  /** The repository as the tool takes it: `[HOST/]OWNER/REPO` for gh, the URL for glab. */
  readonly repo: string;
}

/** `host` and `path` (no `.git`) of a remote URL: https://host/a/b.git, ssh://git@host:22/a/b, git@host:a/b.git. */
export function parseRemoteUrl(url: string): { host: string; path: string } | undefined {
  const strip = (p: string) =>
    p
      .replace(/^\/+/, '')
      .replace(/\/+$/, '')
      .replace(/\.git$/, '');
  const m = /^[a-z][a-z0-9+.-]*:\/\/(?:[^@/]+@)?([^/:]+)(?::\d+)?(\/.*)$/i.exec(url);
  if (m) return { host: m[1]!.toLowerCase(), path: strip(m[2]!) };
  const scp = /^(?:[^@/]+@)?([^/:]+):(?!\/)(.+)$/.exec(url);
  if (scp) return { host: scp[1]!.toLowerCase(), path: strip(scp[2]!) };
  return undefined;
}

/** GitHub or GitLab, from the remote's URL (github.com or a host named github…, gitlab.com or a host named gitlab…). */
export function forgeOf(remote: RemoteTarget): Forge {
  const parsed = parseRemoteUrl(remote.url);
  const host = parsed?.host ?? '';
  if (parsed && /(^|\.)github\b|^github\./.test(host)) {
    return { kind: 'github', tool: 'gh', repo: host === 'github.com' ? parsed.path : `${host}/${parsed.path}` };
  }
  if (parsed && /(^|\.)gitlab\b|^gitlab\./.test(host)) return { kind: 'gitlab', tool: 'glab', repo: remote.url };
  throw new GitopsFixError(
    'unknown-forge',
    `--open-pr: cannot tell from the URL of the remote ${remote.name} (${remote.url}) whether it is on GitHub or GitLab (github.com, gitlab.com or a host named github… or gitlab…): open the pull request yourself, or leave out --open-pr. Nothing was done`,
  );
}

const TOOL_NAME = { gh: 'the GitHub CLI (gh, https://cli.github.com)', glab: 'the GitLab CLI (glab, https://gitlab.com/gitlab-org/cli)' } as const;

/** The forge's tool must be installed; checked before any work. */
export function checkForgeTool(forge: Forge, remote: RemoteTarget): void {
  const r = spawnSync(forge.tool, ['--version'], { stdio: 'ignore', env: gitEnv() });
  if (r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT') {
    throw new GitopsFixError(
      'forge-tool-missing',
      `--open-pr: the remote ${remote.name} (${remote.url}) is on ${forge.kind === 'github' ? 'GitHub' : 'GitLab'}, and opening the ${forge.kind === 'github' ? 'pull' : 'merge'} request needs ${TOOL_NAME[forge.tool]}, which is not installed (or not on PATH): install it and log in, or leave out --open-pr and open it yourself after --push. Nothing was done`,
    );
  }
}

/** Commits of `tip` that are not on `base`, with whether each carries the rule trailer. */
function commitsNotOn(cwd: string, tip: string, base: string): { sha: string; subject: string; ours: boolean }[] {
  const out = gitSync(cwd, ['log', `--format=%H%x1f%s%x1f%(trailers:key=${RULE_TRAILER},valueonly)%x1e`, tip, '--not', base]);
  return out
    .split('\x1e')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => {
      const [sha, subject, rule] = s.split('\x1f');
      return { sha: sha!, subject: subject ?? '', ours: !!rule?.trim() };
    });
}

/**
 * Did gitops-fix make this branch: its last commit carries the rule trailer, and so does every commit of it that is
 * not on `base`. Returns the first commit that is not ours, or undefined when the branch is ours.
 */
export function foreignCommit(cwd: string, tip: string, base: string): { sha: string; subject: string } | undefined {
  const last = lastCommit(cwd, tip);
  if (!last.ours) return last;
  return commitsNotOn(cwd, tip, base).find((c) => !c.ours);
}

/** The last commit of `tip`, with whether it carries the rule trailer (gitops-fix made it). */
export function lastCommit(cwd: string, tip: string): { sha: string; subject: string; ours: boolean } {
  const [sha, subject, rule] = gitSync(cwd, ['log', '-1', `--format=%H%x1f%s%x1f%(trailers:key=${RULE_TRAILER},valueonly)`, tip])
    .trim()
    .split('\x1f');
  return { sha: sha ?? tip, subject: subject ?? '', ours: !!rule?.trim() };
}

/** One fix listed in a review commit: rule, file and message (not the line, which moves when the base moves). */
function fixesOf(cwd: string, tip: string, base: string): Set<string> {
  const out = new Set<string>();
  const bodies = gitSync(cwd, ['log', `--format=%B%x1f%(trailers:key=${RULE_TRAILER},valueonly)%x1e`, tip, '--not', base]);
  for (const entry of bodies.split('\x1e')) {
    const [body, rule] = entry.split('\x1f');
    const id = rule?.trim();
    if (!body || !id) continue;
    const fixed = /\nFixed:\n((?:- .*\n?)+)/.exec(body)?.[1] ?? '';
    for (const line of fixed.split('\n')) {
      const m = /^- (.+?):\d+: (.*)$/.exec(line);
      if (m) out.add(`${id}: ${m[1]}: ${m[2]}`);
    }
  }
  return out;
}

/** What a rebuilt review branch changed: fixes (`rule: file: message`) added, removed, and how many stayed. */
export interface BranchChanges {
  readonly added: readonly string[];
  readonly removed: readonly string[];
  readonly unchanged: number;
  /** The previous branch did not start from the new base (main moved on since). */
  readonly rebased: boolean;
  /**
   * The previous branch already held the same commits (same trees, same messages) on the same base, so it was left
   * as it was: no new commits, nothing for --push to force.
   */
  readonly kept: boolean;
}

/** A review branch left as it was (`sameCommits`): every fix of it unchanged. */
export function keptBranch(cwd: string, previous: string, base: string): BranchChanges {
  return { added: [], removed: [], unchanged: fixesOf(cwd, previous, base).size, rebased: false, kept: true };
}

/**
 * The commits of `previous` after `base` when they make the same content as those of `next`: the same number of
 * commits, each with the same tree and the same message (commit and author dates may differ), and `previous`
 * starting from `base`. Otherwise undefined.
 */
export function sameCommits(cwd: string, base: string, previous: string, next: string): string[] | undefined {
  if (gitProbe(cwd, ['merge-base', '--is-ancestor', base, previous]) === undefined) return undefined;
  const chain = (tip: string) =>
    gitProbe(cwd, ['log', '--first-parent', '--reverse', '--format=%H%x1f%T%x1f%P%x1f%B%x1e', `${base}..${tip}`])
      ?.split('\x1e')
      .map((c) => c.replace(/^\n/, ''))
      .filter(Boolean)
      .map((c) => {
        const [sha = '', tree = '', parents = '', message = ''] = c.split('\x1f');
        return { sha, tree, merge: parents.includes(' '), message: message.trim() };
      });
  const a = chain(previous);
  const b = chain(next);
  if (!a || !b || a.length !== b.length || a.some((c) => c.merge)) return undefined;
  return a.every((c, i) => c.tree === b[i]?.tree && c.message === b[i]?.message) ? a.map((c) => c.sha) : undefined;
}

/** Compare the fixes of the previous review branch with those of the rebuilt one (both read from their commits). */
export function branchChanges(cwd: string, previous: string, next: string, base: string): BranchChanges {
  const before = fixesOf(cwd, previous, base);
  const after = fixesOf(cwd, next, base);
  const rebased = gitProbe(cwd, ['merge-base', '--is-ancestor', base, previous]) === undefined;
  return {
    added: [...after].filter((f) => !before.has(f)),
    removed: [...before].filter((f) => !after.has(f)),
    unchanged: [...after].filter((f) => before.has(f)).length,
    rebased,
    kept: false,
  };
}

export interface PushResult {
  readonly remote: string;
  readonly branch: string;
  /** What the remote branch pointed to before (undefined: it was created). */
  readonly previous?: string | undefined;
  readonly sha: string;
}

/**
 * Push the review branch to the remote. A remote branch of that name is overwritten only when gitops-fix made it
 * (every commit of it not on HEAD carries the rule trailer), and only if it still points where it was seen
 * (--force-with-lease), so a commit a reviewer pushed to it is never lost.
 */
export async function pushBranch(info: GitRepoInfo, remote: RemoteTarget, branch: string, signal?: AbortSignal): Promise<PushResult> {
  throwIfCancelled(signal);
  const ref = `refs/heads/${branch}`;
  const sha = gitSync(info.topLevel, ['rev-parse', '--verify', `${ref}^{commit}`]).trim();
  const listed = (await git(info.topLevel, ['ls-remote', remote.name, ref], signal)).trim();
  const previous = listed ? listed.split(/\s+/)[0] : undefined;
  if (previous && previous !== sha) {
    if (gitProbe(info.topLevel, ['cat-file', '-e', `${previous}^{commit}`]) === undefined) {
      await git(info.topLevel, ['fetch', '--quiet', '--no-tags', '--no-write-fetch-head', remote.name, ref], signal);
    }
    const foreign = foreignCommit(info.topLevel, previous, info.head ?? sha);
    if (foreign) {
      throw new GitopsFixError(
        'remote-branch-not-ours',
        `--push: ${branch} on ${remote.name} has a commit gitops-fix did not make (${foreign.sha.slice(0, 12)} "${foreign.subject}"); it is not overwritten. The local branch ${branch} is ready: look at the remote one, then push yourself, or pass --branch NAME`,
      );
    }
  }
  await git(info.topLevel, ['push', '--quiet', '--porcelain', `--force-with-lease=${ref}:${previous ?? ''}`, remote.name, `${ref}:${ref}`], signal);
  return { remote: remote.name, branch, previous, sha };
}

export interface PullRequestResult {
  readonly tool: 'gh' | 'glab';
  readonly action: 'created' | 'updated';
  /** What the tool printed: the URL of the pull request, when it says so. */
  readonly url?: string | undefined;
}

/** Run the forge's tool; its output, or a GitopsFixError with what it said. Aborting `signal` stops it. */
function runTool(tool: string, args: readonly string[], cwd: string, signal?: AbortSignal): Promise<string> {
  throwIfCancelled(signal);
  return new Promise((resolve, reject) => {
    const child = spawn(tool, [...args], {
      cwd,
      env: gitEnv({ GH_PROMPT_DISABLED: '1', NO_COLOR: '1', GIT_TERMINAL_PROMPT: '0' }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    const stop = () => child.kill('SIGTERM');
    signal?.addEventListener('abort', stop, { once: true });
    child.on('error', (e) => {
      signal?.removeEventListener('abort', stop);
      reject(new GitopsFixError('forge-tool-failed', `${tool} could not be run: ${e.message}`));
    });
    child.on('close', (code) => {
      signal?.removeEventListener('abort', stop);
      if (code === 0) return resolve(out);
      throwIfCancelled(signal);
      const said = (err || out).trim().split('\n').slice(-3).join(' / ');
      reject(new GitopsFixError('forge-tool-failed', `${tool} ${args.slice(0, 2).join(' ')} failed (exit ${code}): ${said}`));
    });
  });
}

/** The first URL in a tool's output. */
function firstUrl(s: string): string | undefined {
  return /https?:\/\/\S+/.exec(s)?.[0];
}

/**
 * Open the pull request of `branch` into `base` with gh (GitHub) or the merge request with glab (GitLab), or update
 * the title and description of the open one.
 */
export async function openPullRequest(
  info: GitRepoInfo,
  forge: Forge,
  req: { branch: string; base: string; title: string; body: string },
  signal?: AbortSignal,
): Promise<PullRequestResult> {
  const cwd = info.topLevel;
  const tmp = mkdtempSync(join(tmpdir(), 'gitops-fix-pr-'));
  try {
    const bodyFile = join(tmp, 'body.md');
    writeFileSync(bodyFile, req.body);
    if (forge.tool === 'gh') {
      const repo = ['--repo', forge.repo];
      const open = JSON.parse(
        (await runTool('gh', ['pr', 'list', ...repo, '--head', req.branch, '--state', 'open', '--json', 'number,url', '--limit', '1'], cwd, signal)) || '[]',
      ) as { number: number; url?: string }[];
      const pr = open[0];
      if (pr) {
        await runTool('gh', ['pr', 'edit', String(pr.number), ...repo, '--title', req.title, '--body-file', bodyFile], cwd, signal);
        return { tool: 'gh', action: 'updated', url: pr.url };
      }
      const out = await runTool(
        'gh',
        ['pr', 'create', ...repo, '--head', req.branch, '--base', req.base, '--title', req.title, '--body-file', bodyFile],
        cwd,
        signal,
      );
      return { tool: 'gh', action: 'created', url: firstUrl(out) };
    }
    const repo = ['--repo', forge.repo];
    const open = JSON.parse((await runTool('glab', ['mr', 'list', ...repo, '--source-branch', req.branch, '--output', 'json'], cwd, signal)) || '[]') as {
      iid: number;
      web_url?: string;
    }[];
    const mr = open[0];
    if (mr) {
      await runTool('glab', ['mr', 'update', String(mr.iid), ...repo, '--title', req.title, '--description', req.body], cwd, signal);
      return { tool: 'glab', action: 'updated', url: mr.web_url };
    }
    const out = await runTool(
      'glab',
      ['mr', 'create', ...repo, '--source-branch', req.branch, '--target-branch', req.base, '--title', req.title, '--description', req.body, '--yes'],
      cwd,
      signal,
    );
    return { tool: 'glab', action: 'created', url: firstUrl(out) };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
