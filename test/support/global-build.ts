/**
 * Global set-up of the integration tests: dist/ built from the sources, so that the tests that run the built CLI as
 * a process (the bin, the terminal picker, git hooks, signals, start-up, the packed package) never run code older
 * than the sources beside it.
 *
 * The build is keyed by content: dist/.sources holds a hash of every input of the build (bin, src, transforms, the
 * tsconfig files, package-lock.json), written when the build succeeds. When it matches the sources, dist/ is theirs
 * and is not built again; any other dist/ (none, an older one, one left by a failed build) is removed and built
 * afresh. The build runs beside the tests: most of them run the sources in process and do not wait for it; those
 * that run dist/ wait for it with `builtDist()` (test/support/git-repo.ts does for its helpers). A failed build
 * writes tsc's output to dist/.build-failed, and every test that waits fails with it.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './tree.js';

const INPUTS = ['bin', 'src', 'transforms', 'tsconfig.json', 'tsconfig.build.json', 'package-lock.json'];
const DIST = join(ROOT, 'dist');
const STAMP = join(DIST, '.sources');
const FAILED = join(DIST, '.build-failed');

/** sha256 over the paths and contents of the build's inputs. */
export function sourcesHash(): string {
  const hash = createHash('sha256');
  const add = (rel: string) => {
    const abs = join(ROOT, rel);
    if (!existsSync(abs)) return;
    let entries;
    try {
      entries = readdirSync(abs, { withFileTypes: true });
    } catch {
      hash.update(`${rel}\0`).update(readFileSync(abs)).update('\0'); // a file
      return;
    }
    for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) add(`${rel}/${e.name}`);
  };
  for (const input of INPUTS) add(input);
  return hash.digest('hex');
}

/**
 * Resolves when dist/ is built from the sources; rejects with tsc's output when the build failed, or when no
 * build finishes within `timeoutMs` (the global set-up of the integration tests starts it).
 */
export async function builtDist(timeoutMs = 600_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (existsSync(STAMP)) return;
    if (existsSync(FAILED)) throw new Error(`the build of dist/ failed (npm run build):\n${readFileSync(FAILED, 'utf8')}`);
    if (Date.now() > until) throw new Error(`dist/ was not built within ${timeoutMs / 1000} s (the integration tests' global set-up builds it)`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Start the build unless dist/ is from these sources; the teardown waits for it to end. */
export default function setup(): (() => Promise<void>) | undefined {
  const hash = sourcesHash();
  if (existsSync(STAMP) && readFileSync(STAMP, 'utf8') === hash) return undefined;
  rmSync(DIST, { recursive: true, force: true });
  mkdirSync(DIST);
  const child = spawn(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (output += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (output += d));
  const done = new Promise<void>((resolve) => {
    const end = (problem: string | undefined) => {
      if (problem === undefined) writeFileSync(STAMP, hash);
      else {
        writeFileSync(FAILED, problem);
        process.stderr.write(`the build of dist/ failed (npm run build):\n${problem}\n`);
      }
      resolve();
    };
    child.on('error', (e) => end(String(e)));
    child.on('close', (code, signal) => end(code === 0 ? undefined : `${output}\ntsc exited with ${code ?? signal}`));
  });
  return () => done;
}
