/**
 * The CLI in process: `main(argv, io)` with captured output, the given working directory and standard input that
 * is not a terminal. Nothing is spawned and nothing is built, so a test runs the sources it imports. Tests that need
 * a real process (the bin, a terminal, signals, git hooks, another environment) use test/support/git-repo.ts.
 */
import { Writable } from 'node:stream';
import { main } from '../../src/cli/main.js';
import type { CliIO } from '../../src/cli/io.js';

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** A stream that keeps what is written to it (not a terminal). */
export function captureStream(): NodeJS.WriteStream & { readonly text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      text += String(chunk);
      done();
    },
  });
  return Object.assign(stream, { isTTY: false, text: () => text }) as unknown as NodeJS.WriteStream & { readonly text: () => string };
}

/** Captured streams, the environment without colour switches, and `cwd`. */
export function testIO(cwd: string = process.cwd()) {
  const stdout = captureStream();
  const stderr = captureStream();
  const env = { ...process.env, FORCE_COLOR: undefined, NO_COLOR: '1' };
  const io: CliIO = { stdout, stderr, stdinIsTTY: false, cwd, env };
  return { io, stdout: () => stdout.text(), stderr: () => stderr.text() };
}

/** `gitops-fix ...args` in `cwd`, in this process. */
export async function runCli(args: readonly string[], opts: { cwd: string }): Promise<CliResult> {
  const t = testIO(opts.cwd);
  const code = await main([...args], t.io);
  return { code, stdout: t.stdout(), stderr: t.stderr() };
}
