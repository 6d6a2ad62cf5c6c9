import { existsSync, readFileSync } from 'node:fs';
import { FAILURE, OK } from './exit-codes.js';
import { processIO, type CliIO } from './io.js';
// Types only (erased): the commands themselves are imported when they run.
import type { FixFlags } from './commands/fix.js';
import type { ScanFlags } from './commands/scan.js';

/** The package's version: package.json two folders up from the sources (src/cli/), three from the build (dist/src/cli/). */
function version(): string {
  const file = [new URL('../../package.json', import.meta.url), new URL('../../../package.json', import.meta.url)].find((u) => existsSync(u));
  if (!file) throw new Error(`package.json not found above ${import.meta.url}`);
  const pkg = JSON.parse(readFileSync(file, 'utf8')) as { version: string };
  return pkg.version;
}

const collect = (v: string, prev: string[]) => [...prev, v];

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
  // `gitops-fix --phase 1` is shorthand for `gitops-fix fix --phase 1`.
  // Only when no command is named anywhere (`gitops-fix --debug scan` stays a scan).
  const COMMANDS = ['scan', 'fix', 'demo', 'rules', 'explain', 'init', 'help'];
  if (argv[0]?.startsWith('-') && !['--help', '-h', '--version', '-V'].includes(argv[0]) && !argv.some((a) => COMMANDS.includes(a))) argv = ['fix', ...argv];
  const { Command, CommanderError } = await import('commander');
  let code = OK;
  const program = new Command()
    .name('gitops-fix')
    .description('Find and fix security and reliability problems in Flux GitOps repositories.')
    .version(version())
    .option('--debug', 'print stack traces of unexpected errors')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) });

  program
    .command('scan')
    .description('report findings')
    .argument('[dir]', 'repository directory', '.')
    .option('-f, --format <format>', 'text | json | sarif | junit | markdown | github', 'text')
    .option('-p, --phase <phase>', 'only rules of this phase (1-4, all; repeatable or 1,2)', collect, [])
    .option('-r, --rule <id>', 'only this rule (repeatable)', collect, [])
    .option('--fail-on <severity>', 'exit 1 when a finding at or above: critical | high | medium | low | none', 'low')
    .option('-c, --config <file>', 'configuration file (default: <dir>/.gitops-fix.yaml)')
    .option('--debug', 'print stack traces of unexpected errors')
    .action(async (dir: string, flags: ScanFlags) => {
      const { scanCommand } = await import('./commands/scan.js');
      code = await scanCommand(dir, flags, io);
    });

  program
    .command('fix')
    .description('fix findings: one commit per rule on a review branch (default), or --write, or --dry-run')
    .argument('[dir]', 'repository directory', '.')
    .option('-p, --phase <phase>', 'rules of this phase (1-4, all; repeatable or 1,2)', collect, [])
    .option('-r, --rule <id>', 'this rule (repeatable)', collect, [])
    .option('--quick-wins', "the review's quick wins: small fixes with a large effect (the rules marked quickWin)")
    .option('-x, --exclude-rule <id>', 'leave this rule out (repeatable)', collect, [])
    .option('-c, --config <file>', 'configuration file (default: <dir>/.gitops-fix.yaml)')
    .option('-b, --branch <name>', 'review branch name (default: gitops-fix/phase-<n>)')
    .option('--force', 'replace an existing review branch of that name')
    .option('-y, --yes', 'apply every safe fix of the selection without asking (no terminal needed)')
    .option('--include-review', 'with --yes or --dry-run: also the fixes marked review (not mechanical: read the diff)')
    .option('--dry-run', 'print the diffs and the summary; change nothing')
    .option('--write', 'change the files in the working tree instead of making a branch')
    .option('--allow-dirty', 'with --write: also change files that have uncommitted changes')
    .option('--patch-dir <dir>', 'also write one git format-patch file per rule into this directory')
    .option('--pr-body <file>', 'also write a Markdown pull-request description to this file')
    .option('--no-gpg-sign', 'make the review commits unsigned, whatever the git configuration says (commit.gpgsign)')
    .option('-f, --format <format>', 'text | json', 'text')
    .option('--charts <dir>', 'render touched HelmReleases with the charts in this directory (<name>-<version>/ or .tgz; repeatable)', collect, [])
    .option('--helm <path>', 'the helm binary that renders them (default: helm on PATH)')
    .option('--debug', 'print stack traces of unexpected errors')
    .action(async (dir: string, flags: FixFlags) => {
      const { fixCommand } = await import('./commands/fix.js');
      code = await fixCommand(dir, flags, io);
    });

  program
    .command('demo')
    .description('run phase 1 on a temporary git copy of the bundled example repository and show the branch it made')
    .option('--charts <dir>', 'render the Vault and External Secrets releases with the charts in this directory (repeatable)', collect, [])
    .option('--helm <path>', 'the helm binary that renders them (default: helm on PATH)')
    .option('--debug', 'print stack traces of unexpected errors')
    .action(async (flags: { charts: string[]; helm?: string }) => {
      const { demoCommand } = await import('./commands/demo.js');
      code = await demoCommand(io, flags);
    });

  program
    .command('rules')
    .description('list the rules')
    .option('-f, --format <format>', 'table | json | markdown', 'table')
    .action(async (flags: { format: string }) => {
      const { rulesCommand } = await import('./commands/rules.js');
      code = await rulesCommand(flags, io);
    });

  program
    .command('explain')
    .description("show a rule's documentation")
    .argument('<rule-id>', 'rule id (see `gitops-fix rules`)')
    .action(async (id: string) => {
      const { explainCommand } = await import('./commands/explain.js');
      code = await explainCommand(id, io);
    });

  program
    .command('init')
    .description('write a commented starter .gitops-fix.yaml for the repository (never overwrites one)')
    .argument('[dir]', 'repository directory', '.')
    .option('--debug', 'print stack traces of unexpected errors')
    .action(async (dir: string) => {
      const { initCommand } = await import('./commands/init.js');
      code = await initCommand(dir, io);
    });

  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      return e.exitCode === 0 ? OK : FAILURE;
    }
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
}
