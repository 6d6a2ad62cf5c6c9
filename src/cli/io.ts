/**
 * What a command reads from and writes to, instead of the process: its output streams, whether standard input is
 * a terminal, the directory relative paths are resolved against, and the environment it reads its switches from
 * (NO_COLOR, FORCE_COLOR). The bin passes the process's own; tests pass captured streams.
 */
export interface CliIO {
  readonly stdout: NodeJS.WriteStream;
  readonly stderr: NodeJS.WriteStream;
  readonly stdinIsTTY: boolean;
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
}

export function processIO(): CliIO {
  return { stdout: process.stdout, stderr: process.stderr, stdinIsTTY: !!process.stdin.isTTY, cwd: process.cwd(), env: process.env };
}

/** Write `s` to the stream as one or more whole lines. */
export function lineWriter(stream: NodeJS.WritableStream): (s: string) => void {
  return (s) => {
    stream.write(s.endsWith('\n') ? s : `${s}\n`);
  };
}
