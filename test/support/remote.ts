/** A remote for the review branch: a bare repository on disk behind a GitHub URL, and a stand-in gh on PATH. */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { EXAMPLE_REPO, git, gitRepoFrom } from './git-repo.js';
import { tempDir } from './tree.js';

export const URL = 'https://github.com/acme/flux.git';

/** A repository whose origin is a GitHub URL that git rewrites (url.<base>.insteadOf) to a bare repository on disk. */
export function withRemote(url = URL): { dir: string; bare: string } {
  const dir = gitRepoFrom(EXAMPLE_REPO);
  const bare = join(tempDir('gitops-fix-remote-'), 'flux.git');
  execFileSync('git', ['init', '-q', '--bare', bare]);
  git(dir, 'remote', 'add', 'origin', url);
  git(dir, 'config', `url.${bare}.insteadOf`, url);
  git(dir, 'push', '-q', 'origin', 'main');
  return { dir, bare };
}

export function remoteSha(bare: string, branch: string): string | undefined {
  const out = execFileSync('git', ['ls-remote', bare, `refs/heads/${branch}`], { encoding: 'utf8' }).trim();
  return out ? out.split(/\s+/)[0] : undefined;
}

/**
 * A stand-in gh on PATH: records its arguments (one JSON array a line) and the --body-file it was given; `pr list`
 * answers with the pull requests `pr create` made.
 */
export function standInGh(): { path: string; calls: () => string[][]; bodies: () => string } {
  const bin = tempDir('gitops-fix-gh-');
  const log = join(bin, 'calls.jsonl');
  const state = join(bin, 'prs.json');
  const bodies = join(bin, 'bodies.md');
  const script = `#!${process.execPath}
const fs = require('node:fs');
const args = process.argv.slice(2);
fs.appendFileSync(${JSON.stringify(log)}, JSON.stringify(args) + '\\n');
const at = args.indexOf('--body-file');
if (at >= 0) fs.appendFileSync(${JSON.stringify(bodies)}, fs.readFileSync(args[at + 1], 'utf8') + '\\n<!-- end -->\\n');
if (args[0] === '--version') console.log('gh version 2.0.0 (stand-in)');
else if (args[0] === 'pr' && args[1] === 'list') console.log(fs.existsSync(${JSON.stringify(state)}) ? fs.readFileSync(${JSON.stringify(state)}, 'utf8') : '[]');
else if (args[0] === 'pr' && args[1] === 'create') {
  fs.writeFileSync(${JSON.stringify(state)}, JSON.stringify([{ number: 7, url: 'https://github.com/acme/flux/pull/7' }]));
  console.log('https://github.com/acme/flux/pull/7');
}
`;
  writeFileSync(join(bin, 'gh'), script, { mode: 0o755 });
  return {
    path: `${bin}${delimiter}${process.env.PATH ?? ''}`,
    calls: () =>
      existsSync(log)
        ? readFileSync(log, 'utf8')
            .trim()
            .split('\n')
            .filter(Boolean)
            .map((l) => JSON.parse(l) as string[])
        : [],
    bodies: () => (existsSync(bodies) ? readFileSync(bodies, 'utf8') : ''),
  };
}
