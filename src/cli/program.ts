/** The commands and options of the command line (commander); each command module is imported when it runs. */
import { Command } from 'commander';
import type { CliIO } from './io.js';
// Types only (erased): the commands themselves are imported when they run.
import type { FixFlags } from './commands/fix.js';
import type { ScanFlags } from './commands/scan.js';

/** The command names, for `gitops-fix --phase 1` (shorthand for `gitops-fix fix --phase 1`). */
export const COMMANDS = ['scan', 'fix', 'demo', 'rules', 'explain', 'init', 'help'];

/** Sets the exit code of the command that ran. */
type Done = (code: number) => void;

const collect = (v: string, prev: string[]) => [...prev, v];

function addScan(program: Command, io: CliIO, done: Done): void {
  program
    .command('scan')
    .description('report findings')
    .argument('[dir]', 'repository directory', '.')
    .option('-f, --format <format>', 'text | json | sarif | junit | markdown | github', 'text')
    .option('-p, --phase <phase>', 'only rules of this phase (1-4, all; repeatable or 1,2)', collect, [])
    .option('-r, --rule <id>', 'only this rule (repeatable)', collect, [])
    .option('--fail-on <severity>', 'exit 1 when a finding at or above: critical | high | medium | low | none', 'low')
    .option('-c, --config <file>', 'configuration file (default: <dir>/.gitops-fix.yaml)')
    .option('-v, --verbose', 'list every finding (by default many alike findings of a medium or low rule take one line)')
    .option('--debug', 'print stack traces of unexpected errors')
    .action(async (dir: string, flags: ScanFlags) => {
      const { scanCommand } = await import('./commands/scan.js');
      done(await scanCommand(dir, flags, io));
    });
}

function addFix(program: Command, io: CliIO, done: Done): void {
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
    .option('--force', 'replace an existing review branch of that name (a review branch gitops-fix made is rebuilt in place without it)')
    .option('-y, --yes', 'apply every safe fix of the selection without asking (no terminal needed)')
    .option('--include-review', 'with --yes or --dry-run: also the fixes marked review (not mechanical: read the diff)')
    .option('--dry-run', 'print the diffs and the summary; change nothing')
    .option('--write', 'change the files in the working tree instead of making a branch')
    .option('--allow-dirty', 'with --write: also change files that have uncommitted changes')
    .option('--patch-dir <dir>', 'also write one git format-patch file per rule into this directory')
    .option('--pr-body <file>', 'also write a Markdown pull-request description to this file')
    .option('--push', "push the review branch (to the remote of the current branch's upstream, else origin); never pushed without it")
    .option('--remote <name>', 'with --push: the remote to push to')
    .option('--open-pr', 'with --push: open or update the pull request with gh (GitHub) or glab (GitLab), with the --pr-body description')
    .option('--no-gpg-sign', 'make the review commits unsigned, whatever the git configuration says (commit.gpgsign)')
    .option('-f, --format <format>', 'text | json', 'text')
    .option('-v, --verbose', 'list every fix and finding in the summary (by default the first few per rule)')
    .option('--charts <dir>', 'render touched HelmReleases with the charts in this directory (<name>-<version>/ or .tgz; repeatable)', collect, [])
    .option('--helm <path>', 'the helm binary that renders them (default: helm on PATH)')
    .option('--debug', 'print stack traces of unexpected errors')
    .action(async (dir: string, flags: FixFlags) => {
      const { fixCommand } = await import('./commands/fix.js');
      done(await fixCommand(dir, flags, io));
    });
}

function addOthers(program: Command, io: CliIO, done: Done): void {
  program
    .command('demo')
    .description('run phase 1 on a temporary git copy of the bundled example repository and show the branch it made')
    .option('--charts <dir>', 'render the Vault and External Secrets releases with the charts in this directory (repeatable)', collect, [])
    .option('--helm <path>', 'the helm binary that renders them (default: helm on PATH)')
    .option('--debug', 'print stack traces of unexpected errors')
    .action(async (flags: { charts: string[]; helm?: string }) => done(await (await import('./commands/demo.js')).demoCommand(io, flags)));
  program
    .command('rules')
    .description('list the rules')
    .option('-f, --format <format>', 'table | json | markdown', 'table')
    .action(async (flags: { format: string }) => done(await (await import('./commands/rules.js')).rulesCommand(flags, io)));
  program
    .command('explain')
    .description("show a rule's documentation")
    .argument('<rule-id>', 'rule id (see `gitops-fix rules`)')
    .action(async (id: string) => done(await (await import('./commands/explain.js')).explainCommand(id, io)));
  program
    .command('init')
    .description('write a commented starter .gitops-fix.yaml for the repository (never overwrites one)')
    .argument('[dir]', 'repository directory', '.')
    .option('--debug', 'print stack traces of unexpected errors')
    .action(async (dir: string) => done(await (await import('./commands/init.js')).initCommand(dir, io)));
}

/** The program: its output goes to `io`; errors and `--help` throw (exitOverride) instead of exiting. */
export function buildProgram(io: CliIO, version: string, done: Done): Command {
  const program = new Command()
    .name('gitops-fix')
    .description('Find and fix security and reliability problems in Flux GitOps repositories.')
    .version(version)
    .option('--debug', 'print stack traces of unexpected errors')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) });
  addScan(program, io, done);
  addFix(program, io, done);
  addOthers(program, io, done);
  return program;
}
