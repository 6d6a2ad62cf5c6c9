import { join, resolve } from 'node:path';
import type { Rule } from '../../kit/index.js';
import { CONFIG_FILE, saveRuleOption } from '../../engine/config.js';
import { GitopsFixError } from '../../engine/errors.js';
import { fixReportJson, nothingToFix, type FixMode, type FixOutcome } from '../../engine/fix-report.js';
import { CancelledError, checkpoint } from '../../engine/cancel.js';
import { checkedOutHereError, checkReviewBranch, checkTempDir, defaultBranchName, type BranchTarget } from '../../engine/git/branch.js';
import { checkCommitted, findGitRepo, uncommittedPaths, type GitRepoInfo, type UncommittedPath } from '../../engine/git/repository.js';
import { ReviewBranch, type BranchResult } from '../../engine/git/review-branch.js';
import { commitMessage } from '../../engine/messages.js';
import { checkOutputs, patchAuthor, removeStalePatches, writePatches, writeTextFile } from '../../engine/outputs.js';
import { findingKey, planFixes, Planner, reintroducedAsync, withRequired, type Plan, type PlanOptions } from '../../engine/plan.js';
import { prBody } from '../../engine/messages.js';
import { parsePhases, QUICK_WIN_ITEMS, rules as allRules, selectRules } from '../../engine/registry.js';
import { scanAsync, type Finding } from '../../engine/scan.js';
import { openSessionAsync, type Session } from '../../engine/session.js';
import { excludeSuppressed } from '../../engine/suppress.js';
import { writePlan, type WrittenFile } from '../../engine/write.js';
import { colorEnabled, painter } from '../colors.js';
import { INTERRUPTED, OK } from '../exit-codes.js';
import { fixText } from '../fix-format.js';
import { lineWriter, type CliIO } from '../io.js';
import { exitCodeFor, trapSignals } from '../signals.js';
import { runTasks, type Task } from '../tasks.js';
import type { RenderProof } from '../../engine/render/proof.js';
import { commitRenderSection, prRenderSection } from '../../engine/render/report.js';

export const NEEDS_TERMINAL = 'interactive selection needs a terminal; pass --yes to apply the selected phase non-interactively';
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
  /** false with --no-gpg-sign: unsigned commits whatever the git configuration says. */
  gpgSign?: boolean;
  format: string;
  /** `--charts DIR` (repeatable): local charts to render touched HelmReleases with. */
  charts?: string[];
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
  return flags.dryRun ? 'dry-run' : flags.write ? 'write' : 'branch';
}

/** Plan `rules` with listr2 progress: one task per rule. */
function planTasks(
  session: () => Session,
  opts: Omit<PlanOptions, 'options'>,
  done: (p: Planner) => void,
  signal: AbortSignal,
  scanned?: () => readonly Finding[] | undefined,
): Task {
  return {
    title: 'Plan fixes',
    task: (_, task) => {
      const s = session();
      const planner = new Planner(s.repo, { ...opts, exclude: excludeSuppressed(s, opts.exclude, scanned?.()), options: s.options });
      done(planner);
      return task.newListr(
        planner.rules.map((rule) => ({
          title: rule.meta.id,
          task: async (_c: object, t: { title: string }) => {
            const rp = await planner.planNextAsync(signal);
            const parts = [
              rp.fixed.length && `${rp.fixed.length} fixed`,
              rp.dropped.length && `${rp.dropped.length} dropped`,
              rp.skipped.length && `${rp.skipped.length} skipped`,
            ].filter(Boolean);
            t.title = `${rule.meta.id}: ${parts.join(', ') || 'nothing to fix'}`;
          },
        })),
        { concurrent: false },
      );
    },
  };
}

/**
 * `gitops-fix fix [DIR]`: select rules, plan their fixes, let the user pick (on a terminal), then commit them to a
 * review branch made in a temporary worktree (default), write them in place (--write) or show them (--dry-run).
 */
export async function fixCommand(dir: string, flags: FixFlags, io: CliIO): Promise<number> {
  const mode = checkFlags(flags);
  const out = lineWriter(io.stdout);
  const json = flags.format === 'json';
  const promptStream = json ? io.stderr : io.stdout;
  const paint = painter(colorEnabled(promptStream, io.env));
  const note = (s: string) => {
    if (!json) io.stderr.write(`${s}\n`);
  };
  // Relative paths are the caller's (the process's working directory, or the one a test passes).
  const at = (p: string) => resolve(io.cwd, p);
  const config = flags.config === undefined ? undefined : at(flags.config);

  // Selection: phases, rule ids and quick wins add up; `requires` pulls in more rules.
  const phases = parsePhases(flags.phase);
  const selected = selectRules({ phases, ruleIds: flags.rule, reviewItems: flags.quickWins ? QUICK_WIN_ITEMS : [], excludeIds: flags.excludeRule });
  const { rules: closed, requiredBy } = withRequired(selected);
  for (const r of closed) {
    if (flags.excludeRule.includes(r.meta.id)) {
      throw usage(`--exclude-rule ${r.meta.id}: ${requiredBy.get(r.meta.id)} requires it; exclude ${requiredBy.get(r.meta.id)} too, or keep ${r.meta.id}`);
    }
  }
  const selectedIds = new Set(closed.map((r) => r.meta.id));

  const interactive = !flags.yes && mode !== 'dry-run';
  if (interactive && !(io.stdinIsTTY && promptStream.isTTY)) throw new GitopsFixError('needs-terminal', NEEDS_TERMINAL);
  if (flags.includeReview && interactive) throw usage('--include-review applies to --yes and --dry-run (the picker offers review fixes unchecked)');
  // --yes applies only safe fixes, unless --include-review; a rule that requires a held rule waits with it. A --dry-run
  // without --yes previews every selected fix, review fixes marked as such (with --yes it previews what --yes applies).
  const held = new Set(flags.yes && !flags.includeReview ? closed.filter((r) => r.fix && !r.fix.safe).map((r) => r.meta.id) : []);
  for (let more = true; more;) {
    more = false;
    for (const r of closed) if (!held.has(r.meta.id) && (r.meta.requires ?? []).some((id) => held.has(id))) more = !!held.add(r.meta.id);
  }

  // Before any work: the repository, the branch, the output paths and the temporary directory.
  const info = repositoryFor(dir, at(dir), mode);
  let target: BranchTarget | undefined;
  if (mode === 'branch') {
    const branchName = flags.branch ?? defaultBranchName({ phases, ruleIds: flags.rule, quickWins: !!flags.quickWins });
    if (!info!.head) {
      throw new GitopsFixError('not-a-git-repo', `${info!.topLevel} has no commits yet: commit the repository first (the review branch starts from HEAD)`);
    }
    target = checkReviewBranch(info!, branchName, !!flags.force);
    checkCommitted(info!, dir);
    checkTempDir();
    if (info!.head && !info!.headRef) note(`note: HEAD is detached at ${info!.head.slice(0, 12)}; ${branchName} starts from that commit`);
    for (const p of ReviewBranch.pruneStale(info!)) note(`note: removed the review worktree ${p}, left by an earlier run that was stopped`);
    const dirty = uncommittedPaths(info!);
    if (dirty.length) {
      note(`note: the review branch starts from HEAD and does not see uncommitted changes: ${listPaths(dirty)}. Commit them to include them, or use --write`);
    }
  } else if (mode === 'dry-run' && info) {
    const dirty = uncommittedPaths(info);
    if (dirty.length) {
      note(
        `note: --dry-run plans on the files as they are, including uncommitted changes (${listPaths(dirty)}); a review branch starts from HEAD and would not see them`,
      );
    }
  }
  const outputs = checkOutputs({ patchDir: flags.patchDir, prBody: flags.prBody }, io.cwd);

  let rb: ReviewBranch | undefined;
  const trap = trapSignals(() => rb?.cleanup());
  const { signal } = trap;
  let branch: BranchResult | undefined;
  try {
    let session!: Session;
    let planner!: Planner;
    let heldNote: string | undefined;
    let scanned: { session: Session; findings: readonly Finding[] } | undefined;
    // The selection and exclusions of the last planning, to plan again without fixes the render checks refuse.
    let planned: Omit<PlanOptions, 'options'> = { rules: [] };
    // The picker offers every rule's fixes (the selection pre-checked) unless rules were named (--rule, --quick-wins).
    const narrowed = !!flags.rule.length || !!flags.quickWins;
    const universe: Rule[] =
      interactive && !narrowed ? [...new Set([...closed, ...selectRules({ excludeIds: flags.excludeRule })])] : closed.filter((r) => !held.has(r.meta.id));
    const scannedFindings = () => (scanned?.session === session ? scanned.findings : undefined);
    await runTasks(
      [
        {
          title: mode === 'branch' ? 'Load the repository (HEAD, in a temporary worktree)' : 'Load the repository',
          task: async () => {
            if (mode === 'branch') rb = await ReviewBranch.open(info!, target!, { sign: flags.gpgSign !== false, signal });
            session = await openSessionAsync(rb ? rb.dir : at(dir), config, at(dir), signal);
          },
        },
        {
          title: 'Scan',
          task: async (_, t) => {
            const findings = await scanAsync(session.repo, allRules, session.options, { syntax: false }, signal);
            scanned = { session, findings };
            const suppressed = excludeSuppressed(session, undefined, findings);
            const ids = new Set(universe.map((r) => r.meta.id));
            const n = findings.filter((f) => ids.has(f.ruleId) && !suppressed(f)).length;
            t.title = `Scan: ${n} finding${n === 1 ? '' : 's'} of ${universe.length} rule${universe.length === 1 ? '' : 's'}`;
            // The held rules were scanned with the others: their findings are what waits for --include-review.
            const review = findings.filter((f) => held.has(f.ruleId) && !suppressed(f));
            const byRule = [...new Set(review.map((f) => f.ruleId))].map((id) => `${id} (${review.filter((f) => f.ruleId === id).length})`);
            if (byRule.length) heldNote = `note: review fixes not applied without --include-review (or the picker): ${byRule.join(', ')}`;
          },
        },
        planTasks(
          () => session,
          (planned = { rules: universe }),
          (p) => (planner = p),
          signal,
          scannedFindings,
        ),
      ],
      { silent: json, stderr: io.stderr },
    );
    if (heldNote) note(heldNote);
    let plan: Plan = planner.result();

    const askable = interactive ? (await import('../pick-fixes.js')).missingPrompts(plan) : new Map();
    const something = !nothingToFix(plan) || askable.size > 0;
    // A second run on the branch it made is fine while there is nothing to fix; the checked-out branch is never replaced.
    if (something && target?.checkedOutHere) throw checkedOutHereError(target.name);
    if (interactive && something) {
      const { ASK, askOptions, pickFixes } = await import('../pick-fixes.js');
      const pickerIO = { output: promptStream, paint, signal };
      const chosen = await pickFixes(plan, selectedIds, askable, pickerIO);
      if (!chosen) {
        out('Cancelled: nothing was changed.');
        return OK;
      }
      // Fixes that wait for an answer: ask now (validated), optionally save to the config file.
      const asked = new Set([...chosen].filter((k) => k.startsWith(ASK)).map((k) => k.slice(ASK.length)));
      const askRules = new Set(plan.rules.filter((rp) => rp.skipped.some((d) => d.finding && asked.has(findingKey(d.finding)))).map((rp) => rp.rule.meta.id));
      const configFile = config ?? join(at(dir), CONFIG_FILE);
      for (const id of askRules) {
        const rule = universe.find((r) => r.meta.id === id)!;
        const skipReason = (s: Session) =>
          planFixes(s.repo, { rules: [rule], options: s.options, exclude: excludeSuppressed(s) }).rules.find((rp) => rp.rule === rule)?.skipped[0]?.reason;
        const asked = await askOptions(rule, session, skipReason, configFile, pickerIO);
        session = asked.session;
        if (asked.save) for (const a of asked.answers) saveRuleOption(configFile, a.ruleId, a.option, a.value);
      }
      const offered = new Set(plan.rules.flatMap((rp) => rp.fixed.map((x) => findingKey(x.finding))));
      const keep = new Set([...chosen].map((k) => (k.startsWith(ASK) ? k.slice(ASK.length) : k)));
      const chosenRules = new Set(
        plan.rules.filter((rp) => askRules.has(rp.rule.meta.id) || rp.fixed.some((x) => keep.has(findingKey(x.finding)))).map((rp) => rp.rule.meta.id),
      );
      const rules = universe.filter((r) => selectedIds.has(r.meta.id) || chosenRules.has(r.meta.id));
      // Leave out every offered fix that was not chosen; skipped findings stay (fixed now if answered, else left unfixed).
      const exclude = (f: Finding) => offered.has(findingKey(f)) && !keep.has(findingKey(f));
      await runTasks(
        [
          planTasks(
            () => session,
            (planned = { rules, exclude }),
            (p) => (planner = p),
            signal,
            scannedFindings,
          ),
        ],
        { silent: json, stderr: io.stderr },
      );
      plan = planner.result();
    }

    // Render every HelmRelease the fixes touch, before and after, and check the rendered state; a fix that
    // introduces a violation is refused and the rest planned again without it.
    let render: RenderProof | undefined;
    if (!nothingToFix(plan)) {
      await runTasks(
        [
          {
            title: 'Render',
            task: async (_, t) => {
              const { defaultCacheDir, renderGate, renderSetup } = await import('../../engine/render/index.js');
              const helm = flags.helm ? (flags.helm.includes('/') ? at(flags.helm) : flags.helm) : undefined;
              const setup = renderSetup(session.loaded, at(dir), { charts: (flags.charts ?? []).map(at), ...(helm ? { helm } : {}) }, defaultCacheDir(io.env));
              const last = planned;
              const opts = { renderer: setup.renderer, external: setup.external, after: planner.repoAfter };
              const gate = await renderGate(session.repo, plan, opts, (extra) => {
                planner = new Planner(session.repo, {
                  ...last,
                  exclude: excludeSuppressed(session, (f) => !!last.exclude?.(f) || extra(f)),
                  options: session.options,
                });
                return { plan: planner.result(), after: planner.repoAfter };
              });
              plan = gate.plan;
              render = gate.proof;
              const n = gate.proof.releases.length;
              const unverified = gate.proof.releases.filter((r) => r.status === 'not-verified' || r.status === 'not-rendered').length;
              t.title = `Render: ${n} release${n === 1 ? '' : 's'} touched${unverified ? `, ${unverified} not render-verified` : ''}${gate.refusals.length ? `, ${gate.refusals.length} fix${gate.refusals.length === 1 ? '' : 'es'} refused by the render checks` : ''}`;
            },
          },
        ],
        { silent: json, stderr: io.stderr },
      );
      for (const n of render?.notices ?? []) note(`note: ${n}`);
    }

    const outcome: { -readonly [K in keyof FixOutcome]: FixOutcome[K] } = {
      mode,
      plan,
      required: new Map([...requiredBy].filter(([id]) => plan.rules.some((rp) => rp.rule.meta.id === id))),
      reintroduced: [],
      ...(render ? { render } : {}),
    };
    // Every rule was verified as it was planned; check the end result once more for fixes a later rule undid.
    await runTasks(
      [
        {
          title: 'Verify',
          task: async (_, t) => {
            outcome.reintroduced = await reintroducedAsync(plan, planner.repoAfter, session.options, signal);
            const fixed = plan.rules.reduce((n, rp) => n + rp.fixed.length, 0);
            const undone = outcome.reintroduced.length;
            t.title = `Verify: ${fixed} fix${fixed === 1 ? '' : 'es'} re-checked on the final result${undone ? `, ${undone} undone by a later rule` : ''}`;
          },
        },
      ],
      { silent: json, stderr: io.stderr },
    );
    if (nothingToFix(plan)) {
      out(json ? JSON.stringify(fixReportJson(outcome), null, 2) : fixText(outcome, paint));
      return OK;
    }

    let written: WrittenFile[] | undefined;
    const apply: Task[] = [];
    if (mode === 'branch') {
      apply.push({
        title: `Commit to ${target!.name}`,
        task: (_, task) =>
          task.newListr(
            plan.rules
              .filter((rp) => rp.files.length)
              .map((rp) => ({
                title: `fix(${rp.rule.meta.id})`,
                task: async () => {
                  const section = render ? commitRenderSection(render, rp.rule.meta.id) : undefined;
                  await rb!.commit(rp.rule.meta.id, rp.files, commitMessage(rp, section ? { render: section } : {}), { signal });
                },
              })),
            { concurrent: false },
          ),
      });
      apply.push({
        title: `Create branch ${target!.name}`,
        task: async () => {
          await checkpoint(signal);
          branch = rb!.finish(signal);
        },
      });
    } else if (mode === 'write') {
      apply.push({
        title: 'Write the files',
        task: async () => {
          await checkpoint(signal);
          written = writePlan(plan, session.root, { allowDirty: !!flags.allowDirty, signal });
        },
      });
    }
    if (apply.length) await runTasks(apply, { silent: json, stderr: io.stderr });
    if (branch) outcome.branch = branch;
    if (written) outcome.written = written;
    // The branch (or the written files) exist from here on: whatever fails next, say what was made.
    try {
      if (flags.patchDir) {
        const removed = removeStalePatches(outputs.stalePatches);
        if (removed.length) note(`note: removed ${removed.length} patch file${removed.length === 1 ? '' : 's'} of an earlier run from ${flags.patchDir}`);
        outcome.patches = writePatches(at(flags.patchDir), plan, { ...(branch ? { branch } : {}), author: patchAuthor(info), prefix: info?.prefix ?? '' });
      }
      if (flags.prBody) {
        outcome.prBody = writeTextFile(
          at(flags.prBody),
          prBody(plan, { ...(branch ? { branch: branch.branch, commits: branch.commits } : {}), ...(render ? { render: prRenderSection(render) } : {}) }),
        );
      }
    } catch (e) {
      if (!branch && !written) throw e;
      out(json ? JSON.stringify(fixReportJson(outcome), null, 2) : fixText(outcome, paint));
      const made = branch ? `the branch ${branch.branch} was created (above)` : 'the files were written (above)';
      throw new GitopsFixError(e instanceof GitopsFixError ? e.code : 'write-failed', `${(e as Error).message}; ${made}`);
    }
    out(json ? JSON.stringify(fixReportJson(outcome), null, 2) : fixText(outcome, paint));
    return OK;
  } catch (e) {
    const name = (e as Error)?.name;
    if (e instanceof CancelledError || (signal.aborted && !branch && (name === 'AbortPromptError' || name === 'ExitPromptError'))) {
      rb?.cleanup();
      const reason = trap.received ?? (e instanceof CancelledError ? e.reason : undefined);
      const untouched =
        mode === 'branch' ? 'no branch was created and your working tree is untouched' : mode === 'write' ? 'no file was written' : 'nothing was written';
      io.stderr.write(`\ngitops-fix: interrupted${reason && reason !== 'cancelled' ? ` (${reason})` : ''}; ${untouched}\n`);
      return exitCodeFor(reason);
    }
    if (name === 'ExitPromptError') {
      rb?.cleanup();
      io.stderr.write('gitops-fix: cancelled; nothing was changed\n');
      return INTERRUPTED;
    }
    throw e;
  } finally {
    trap.dispose();
    rb?.cleanup();
  }
}

/** `a (modified), b (untracked)`, at most 10, then how many more. */
function listPaths(paths: readonly UncommittedPath[]): string {
  const shown = paths.slice(0, 10).map((p) => `${p.path} (${p.state})`);
  return shown.join(', ') + (paths.length > 10 ? `, and ${paths.length - 10} more` : '');
}

/** The git repository around DIR (`abs`, resolved); a review branch needs one (and git), --write and --dry-run do not. */
function repositoryFor(dir: string, abs: string, mode: FixMode): GitRepoInfo | undefined {
  let info: GitRepoInfo | undefined;
  try {
    info = findGitRepo(abs);
  } catch (e) {
    if (!(e instanceof GitopsFixError) || e.code !== 'git-missing') throw e;
    if (mode !== 'branch') return undefined;
    throw new GitopsFixError(
      'git-missing',
      `git is not installed (or not on PATH), and the review branch needs it: install git, or pass --write to change the files in place, or --dry-run to see the changes`,
    );
  }
  if (!info && mode === 'branch') {
    throw new GitopsFixError(
      'not-a-git-repo',
      `${dir} is not inside a git repository: pass --write to change the files in place, or --dry-run to see the changes`,
    );
  }
  return info;
}
