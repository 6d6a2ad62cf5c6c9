import { resolve } from 'node:path';
import { CancelledError } from '../../engine/cancel.js';
import { GitopsFixError } from '../../engine/errors.js';
import { FixRun } from '../../engine/fix/pipeline.js';
import type { FixPrompts, FixRequest, FixResult, Stage } from '../../engine/fix/types.js';
import { fixReportJson, type FixMode } from '../../engine/fix-report.js';
import { parsePhases } from '../../engine/registry.js';
import { colorEnabled, painter, type Paint } from '../colors.js';
import { INTERRUPTED, OK } from '../exit-codes.js';
import { fixText } from '../fix-format.js';
import { publishedText } from '../publish-text.js';
import { lineWriter, type CliIO } from '../io.js';
import { exitCodeFor, trapSignals, type SignalTrap } from '../signals.js';
import { runStages } from '../tasks.js';

export const FIX_FORMATS = ['text', 'json'] as const;

export interface FixFlags {
  phase: string[];
  rule: string[];
  quickWins?: boolean;
  excludeRule: string[];
  config?: string;
  branch?: string;
  force?: boolean;
  yes?: boolean;
  includeReview?: boolean;
  dryRun?: boolean;
  write?: boolean;
  allowDirty?: boolean;
  patchDir?: string;
  prBody?: string;
  /** --push, --remote NAME, --open-pr. */
  push?: boolean;
  remote?: string;
  openPr?: boolean;
  /** false with --no-gpg-sign: unsigned commits whatever the git configuration says. */
  gpgSign?: boolean;
  format: string;
  /** `--verbose`: every fix, release and file in the summary. */
  verbose?: boolean;
  /** `--charts DIR` (repeatable): local charts to render touched HelmReleases with. */
  charts?: string[];
  /** Print the rendered diff of the touched releases in every mode, not only with --dry-run (the demo). */
  renderDiff?: boolean;
  /** `--helm PATH`. */
  helm?: string;
}

function usage(message: string): GitopsFixError {
  return new GitopsFixError('usage', message);
}

function checkFlags(flags: FixFlags): FixMode {
  if (!(FIX_FORMATS as readonly string[]).includes(flags.format)) throw usage(`--format ${flags.format}: expected one of ${FIX_FORMATS.join(', ')}`);
  if (flags.dryRun && flags.write) throw usage('--dry-run and --write exclude each other');
  if (flags.write && flags.branch) throw usage('--branch names the review branch; --write changes the working tree instead');
  if (flags.allowDirty && !flags.write) throw usage('--allow-dirty applies to --write only (a review branch never touches your working tree)');
  if ((flags.push || flags.openPr || flags.remote) && (flags.write || flags.dryRun)) {
    throw usage(
      `${flags.push ? '--push' : flags.openPr ? '--open-pr' : '--remote'} publishes the review branch; it does not go with ${flags.write ? '--write' : '--dry-run'}`,
    );
  }
  if (flags.openPr && !flags.push) throw usage('--open-pr opens the pull request of the pushed branch: pass --push too');
  if (flags.remote && !flags.push) throw usage('--remote names the remote --push pushes to: pass --push too');
  return flags.dryRun ? 'dry-run' : flags.write ? 'write' : 'branch';
}

/** The flags as a request to the engine; relative paths are the caller's (the process's working directory, or a test's). */
function fixRequest(dir: string, flags: FixFlags, io: CliIO, mode: FixMode, promptStream: NodeJS.WriteStream): FixRequest {
  const at = (p: string) => resolve(io.cwd, p);
  const helm = flags.helm ? (flags.helm.includes('/') ? at(flags.helm) : flags.helm) : undefined;
  return {
    dir,
    root: at(dir),
    cwd: io.cwd,
    mode,
    phases: parsePhases(flags.phase),
    ruleIds: flags.rule,
    quickWins: !!flags.quickWins,
    excludeIds: flags.excludeRule,
    configFile: flags.config === undefined ? undefined : at(flags.config),
    branch: flags.branch,
    force: !!flags.force,
    sign: flags.gpgSign !== false,
    yes: !!flags.yes,
    includeReview: !!flags.includeReview,
    terminal: io.stdinIsTTY && !!promptStream.isTTY,
    allowDirty: !!flags.allowDirty,
    patchDir: flags.patchDir,
    prBody: flags.prBody,
    render: { charts: (flags.charts ?? []).map(at), helm },
    env: io.env,
    push: !!flags.push,
    remote: flags.remote,
    openPr: !!flags.openPr,
  };
}

/** The picker and prompts on the terminal (`output`), loaded when first asked for. */
function terminalPrompts(output: NodeJS.WriteStream, paint: Paint, env: NodeJS.ProcessEnv): FixPrompts {
  const picker = () => import('../pick-fixes.js');
  return {
    pick: async (offer, signal) => (await picker()).pickFixes(offer, { output, paint, signal, env }),
    input: async (message, validate, signal) => (await picker()).inputPrompt(message, validate, { output, paint, signal }),
    confirm: async (message, signal) => (await picker()).confirmPrompt(message, { output, paint, signal }),
  };
}

/** A run stopped by a signal, or a prompt closed by one (or by Ctrl-C or Ctrl-D in it): say so, and the exit code. */
function interrupted(e: unknown, trap: SignalTrap, mode: FixMode, io: CliIO): number | undefined {
  const name = (e as Error)?.name;
  if (e instanceof CancelledError || (trap.signal.aborted && (name === 'AbortPromptError' || name === 'ExitPromptError'))) {
    const reason = trap.received ?? (e instanceof CancelledError ? e.reason : undefined);
    const untouched =
      mode === 'branch' ? 'no branch was created and your working tree is untouched' : mode === 'write' ? 'no file was written' : 'nothing was written';
    io.stderr.write(`\ngitops-fix: interrupted${reason && reason !== 'cancelled' ? ` (${reason})` : ''}; ${untouched}\n`);
    return exitCodeFor(reason);
  }
  if (name === 'ExitPromptError') {
    io.stderr.write('gitops-fix: cancelled; nothing was changed\n');
    return INTERRUPTED;
  }
  return undefined;
}

function report(result: FixResult, json: boolean, paint: Paint, out: (s: string) => void, opts: { renderDiff?: boolean; verbose?: boolean }): number {
  if (result.status === 'cancelled') {
    out('Cancelled: nothing was changed.');
    return OK;
  }
  out(json ? JSON.stringify(fixReportJson(result.outcome), null, 2) : fixText(result.outcome, paint, opts));
  const published = json ? '' : publishedText(result.outcome, paint);
  if (published) out(published);
  if (result.failure) throw result.failure;
  return OK;
}

/**
 * `gitops-fix fix [DIR]`: select rules, plan their fixes, let the user pick (on a terminal), then commit them to a
 * review branch made in a temporary worktree (default), write them in place (--write) or show them (--dry-run).
 * The engine's fix pipeline does the work; this draws its progress and prompts and maps the result to an exit code.
 */
export async function fixCommand(dir: string, flags: FixFlags, io: CliIO): Promise<number> {
  const mode = checkFlags(flags);
  const json = flags.format === 'json';
  const promptStream = json ? io.stderr : io.stdout;
  const paint = painter(colorEnabled(promptStream, io.env));
  const note = (s: string) => {
    if (!json) io.stderr.write(`note: ${s}\n`);
  };
  const req = fixRequest(dir, flags, io, mode, promptStream);
  const ui = {
    run: (stages: readonly Stage[]) => runStages(stages, { silent: json, stderr: io.stderr }),
    note,
    prompts: terminalPrompts(promptStream, paint, io.env),
  };
  const fix = FixRun.prepare(req, ui);
  const trap = trapSignals(() => fix.cleanup());
  try {
    return report(await fix.run(trap.signal), json, paint, lineWriter(io.stdout), { renderDiff: !!flags.renderDiff, verbose: !!flags.verbose });
  } catch (e) {
    const code = interrupted(e, trap, mode, io);
    if (code === undefined) throw e;
    return code;
  } finally {
    trap.dispose();
  }
}
