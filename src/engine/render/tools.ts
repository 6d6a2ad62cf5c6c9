/** The external programs rendering needs (helm, kubectl), found on PATH or at an explicit path, and run without a shell. */
import { execFile } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';

export interface ToolFound {
  readonly ok: true;
  /** Absolute path (or the explicit path as given, resolved). */
  readonly path: string;
  /** First line of `<tool> version` output. */
  readonly version: string;
}

export interface ToolMissing {
  readonly ok: false;
  /** Why the tool cannot be used, for a "not render-verified" notice. */
  readonly reason: string;
}

export type Tool = ToolFound | ToolMissing;

export interface RunResult {
  readonly stdout: string;
  readonly stderr: string;
}

export class ToolError extends Error {
  constructor(
    message: string,
    readonly stderr: string,
  ) {
    super(message);
    this.name = 'ToolError';
  }
}

/** Run a program (no shell); rejects with its stderr on a non-zero exit or a timeout. */
export function run(file: string, args: readonly string[], opts: { cwd?: string; timeoutMs?: number; input?: string } = {}): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = execFile(
      file,
      [...args],
      { cwd: opts.cwd, timeout: opts.timeoutMs ?? 120_000, maxBuffer: 256 * 1024 * 1024, env: { ...process.env, HELM_NO_PLUGINS: '1' } },
      (err, stdout, stderr) => {
        if (err) {
          const e = err as NodeJS.ErrnoException & { killed?: boolean };
          const why = e.killed
            ? `timed out after ${Math.round((opts.timeoutMs ?? 120_000) / 1000)}s`
            : e.code === 'ENOENT'
              ? 'not found'
              : firstLines(stderr || e.message);
          reject(new ToolError(`${file} ${args[0] ?? ''}: ${why}`, stderr));
          return;
        }
        resolvePromise({ stdout, stderr });
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

/** The first lines of a tool's error output, trimmed (helm prints one `Error: ...` line; kustomize may print more). */
export function firstLines(text: string, max = 3): string {
  const lines = text.split('\n');
  // helm prints warnings (`level=WARN msg=...`) before the error: the `Error:` line is what went wrong.
  const error = lines.findIndex((l) => /^\s*Error:/.test(l));
  return (error >= 0 ? lines.slice(error) : lines.filter((l) => !/\blevel=(INFO|WARN|DEBUG)\b/.test(l)))
    .map((l) => l.trim())
    .filter(Boolean)
    .slice(0, max)
    .join(' ')
    .slice(0, 600);
}

function executable(p: string): boolean {
  try {
    accessSync(p, constants.X_OK);
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

/** Where `name` is on PATH, or undefined. */
export function onPath(name: string, path = process.env.PATH ?? ''): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, name);
    if (executable(p)) return p;
  }
  return undefined;
}

const found = new Map<string, Promise<Tool>>();

/**
 * Find a tool: the explicit path when given (it must run), else `name` on PATH. The answer is remembered per
 * process (the version check runs once).
 */
export function findTool(name: 'helm' | 'kubectl', explicit?: string): Promise<Tool> {
  const key = `${name}\0${explicit ?? ''}`;
  let p = found.get(key);
  if (!p) {
    p = probe(name, explicit);
    found.set(key, p);
  }
  return p;
}

async function probe(name: 'helm' | 'kubectl', explicit?: string): Promise<Tool> {
  let path: string | undefined;
  if (explicit) {
    path = isAbsolute(explicit) || explicit.includes('/') ? resolve(explicit) : (onPath(explicit) ?? resolve(explicit));
    if (!executable(path)) return { ok: false, reason: `${name} ${explicit}: not an executable file` };
  } else {
    path = onPath(name);
    if (!path) return { ok: false, reason: `${name} is not on PATH` };
  }
  try {
    const args = name === 'helm' ? ['version', '--short'] : ['version', '--client'];
    const { stdout } = await run(path, args, { timeoutMs: 20_000 });
    return { ok: true, path, version: stdout.split('\n')[0]!.trim() };
  } catch (e) {
    return { ok: false, reason: `${path} does not run: ${(e as Error).message}` };
  }
}
