import { existsSync, readFileSync } from 'node:fs';
import { FAILURE, OK } from './exit-codes.js';
import { processIO, type CliIO } from './io.js';

/** The package's version: package.json two folders up from the sources (src/cli/), three from the build (dist/src/cli/). */
function version(): string {
  const file = [new URL('../../package.json', import.meta.url), new URL('../../../package.json', import.meta.url)].find((u) => existsSync(u));
  if (!file) throw new Error(`package.json not found above ${import.meta.url}`);
  const pkg = JSON.parse(readFileSync(file, 'utf8')) as { version: string };
  return pkg.version;
}

/** An error that escaped a command, as a message and the exit code. */
async function failure(e: unknown, debug: boolean, io: CliIO): Promise<number> {
  // Imported here, not at start-up: `--version` and `--help` load nothing of the engine.
  const { GitopsFixError } = await import('../engine/errors.js');
  if (e instanceof GitopsFixError) {
    io.stderr.write(`gitops-fix: ${e.message}\n`);
    if (debug && e.cause) io.stderr.write(`${(e.cause as Error).stack}\n`);
    return FAILURE;
  }
  io.stderr.write(`gitops-fix: unexpected error: ${(e as Error).message}\n`);
  io.stderr.write(debug ? `${(e as Error).stack}\n` : 'Run again with --debug for the stack trace, and report it.\n');
  return FAILURE;
}

/**
 * Parse argv, run a command, map errors to exit codes. Returns the exit code; never exits the process, except that
 * `fix` exits at once on a second SIGINT, SIGTERM or SIGHUP (src/cli/signals.ts).
 */
export async function main(argv: string[], io: CliIO = processIO()): Promise<number> {
  const debug = argv.includes('--debug');
  if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
    io.stdout.write(`${version()}\n`);
    return OK;
  }
  const [{ CommanderError }, { buildProgram, COMMANDS }] = await Promise.all([import('commander'), import('./program.js')]);
  // `gitops-fix --phase 1` is shorthand for `gitops-fix fix --phase 1`.
  // Only when no command is named anywhere (`gitops-fix --debug scan` stays a scan).
  if (argv[0]?.startsWith('-') && !['--help', '-h', '--version', '-V'].includes(argv[0]) && !argv.some((a) => COMMANDS.includes(a))) argv = ['fix', ...argv];
  let code = OK;
  try {
    await buildProgram(io, version(), (c) => (code = c)).parseAsync(argv, { from: 'user' });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? OK : FAILURE;
    return failure(e, debug, io);
  }
}
