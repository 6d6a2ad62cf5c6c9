import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileDiff, unifiedDiff } from '../engine/diff.js';
import { promptsFor } from '../engine/fix/ask.js';
import { originalFindingLines } from '../engine/fix/original-lines.js';
import type { PickChoice, PickOffer } from '../engine/fix/types.js';
import { objectName } from '../engine/messages.js';
import { REPOSITORY } from '../engine/digest.js';
import { findingKey, type RulePlan } from '../engine/plan.js';
import type { Finding } from '../engine/scan.js';
import type { Paint } from './colors.js';
import { colorDiff } from './fix-format.js';
import { pageView, pickView, type PickEntry, type PickGroup, type PickState } from './picker-view.js';

export interface PickerIO {
  /** Where prompts and diffs are written (stdout; stderr with --format json). */
  readonly output: NodeJS.WriteStream;
  readonly paint: Paint;
  /** Aborting it closes the open prompt (SIGTERM, SIGHUP) and stops the pager. */
  readonly signal?: AbortSignal;
  /** The environment the pager is chosen from (PAGER, PATH); the process's when absent. */
  readonly env?: NodeJS.ProcessEnv;
}

/** A fix is pre-checked when its rule was selected (or required) and its fix is safe. */
function preChecked(rp: RulePlan, selected: ReadonlySet<string>): boolean {
  return selected.has(rp.rule.meta.id) && rp.rule.fix?.safe !== false;
}

/** As many entries as the terminal shows, leaving room for the question, the explanation and the help line. */
function pageSize(out: NodeJS.WriteStream): number {
  return Math.max(5, (out.rows ?? 24) - 7);
}

function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

/** Key of a picker entry for a fix that needs an answer first (`ask:` + the finding key). */
const ASK = 'ask:';

/** The rules with something to offer, in plan order (phase, then severity), one group each. */
export function groupsOf(offer: PickOffer): PickGroup[] {
  const lines = originalFindingLines(offer.plan);
  const at = (f: Finding) => (f.file === REPOSITORY ? '(repository)' : `${f.file}:${lines.get(f) ?? f.line}`);
  const out: PickGroup[] = [];
  for (const rp of offer.plan.rules) {
    const m = rp.rule.meta;
    const entries: PickEntry[] = rp.fixed.map((x) => ({
      key: findingKey(x.finding),
      where: at(x.finding),
      object: objectName(x.finding),
      summary: oneLine(x.summary),
    }));
    let asking = 0;
    for (const d of rp.skipped) {
      const asks = promptsFor(rp, d.reason, offer.askable);
      if (!d.finding || !asks.length) continue;
      asking++;
      entries.push({
        key: ASK + findingKey(d.finding),
        where: at(d.finding),
        object: objectName(d.finding),
        summary: oneLine(d.finding.message),
        note: `asks for ${asks.map((a) => a.option).join(', ')}`,
      });
    }
    if (!entries.length) continue;
    const leftUnfixed = rp.skipped.length - asking + rp.dropped.length;
    out.push({ id: m.id, title: m.title, severity: m.severity, phase: m.phase, review: rp.rule.fix?.safe === false, entries, leftUnfixed });
  }
  return out;
}

/** The diff of one fix, or of every fix of a rule, coloured when the output is. */
function diffText(offer: PickOffer, group: string, entry: string | undefined, paint: Paint): string {
  const rp = offer.plan.rules.find((r) => r.rule.meta.id === group);
  if (!rp) return '';
  const x = entry ? rp.fixed.find((f) => findingKey(f.finding) === entry) : undefined;
  if (entry && !x) {
    const d = rp.skipped.find((s) => s.finding && ASK + findingKey(s.finding) === entry);
    return d?.finding
      ? `${d.finding.file}:${d.finding.line}: ${d.finding.message}\n\nThis fix is made once its question is answered (after the picker); there is no diff before that.\n`
      : '';
  }
  const diff = x ? x.files.map((f) => fileDiff(f)).join('') : unifiedDiff(rp.files);
  const head = x ? `# fix(${rp.rule.meta.id}) ${x.finding.file}: ${oneLine(x.summary)}\n` : `# fix(${rp.rule.meta.id}): ${rp.rule.meta.title}\n`;
  return colorDiff(head + diff, paint);
}

/** Is `name` an executable file on PATH? */
function onPath(name: string, env: NodeJS.ProcessEnv): boolean {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    try {
      accessSync(join(dir, name), constants.X_OK);
      return true;
    } catch {
      // not here
    }
  }
  return false;
}

/**
 * The pager command: $PAGER (unless empty or `cat`), else `less -R` when less is installed, else none (the diff is
 * paged in the picker itself).
 */
export function pagerCommand(env: NodeJS.ProcessEnv): string | undefined {
  const pager = env.PAGER?.trim();
  if (pager && pager !== 'cat') return pager;
  if (pager === 'cat') return undefined;
  return onPath('less', env) ? 'less -R' : undefined;
}

/**
 * Show `text` in the pager (a shell command, as git runs $PAGER), on the picker's output, reading keys from the
 * terminal. Resolves false when no pager could run (the command was not found), so the caller pages it itself.
 */
function runPager(command: string, text: string, io: PickerIO, env: NodeJS.ProcessEnv): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn(command, { shell: true, stdio: ['pipe', io.output, 'inherit'], env: { ...env, LESS: env.LESS ?? 'R' } });
    const stop = () => child.kill('SIGTERM');
    io.signal?.addEventListener('abort', stop, { once: true });
    child.stdin.on('error', () => undefined); // the pager quit before reading everything (q)
    child.stdin.end(text);
    child.on('error', () => {
      io.signal?.removeEventListener('abort', stop);
      resolve(false);
    });
    child.on('close', (code) => {
      io.signal?.removeEventListener('abort', stop);
      resolve(code !== 127 && code !== 126);
    });
  });
}

async function showDiff(text: string, title: string, io: PickerIO): Promise<void> {
  const env = io.env ?? process.env;
  const command = pagerCommand(env);
  if (command && (await runPager(command, text, io, env))) return;
  const ctx = { output: io.output, ...(io.signal ? { signal: io.signal } : {}) };
  await pageView({ title, lines: text.replace(/\n$/, '').split('\n'), pageSize: Math.max(5, (io.output.rows ?? 24) - 3), paint: io.paint }, ctx);
}

/** The pre-selection, explained on screen. */
const EXPLAIN = [
  'Checked: the safe fixes of the selected rules (mechanical edits, verified before writing).',
  'Not checked: [review] fixes (not mechanical) and fixes that ask for an option: read the diff (tab), then check them.',
];

/**
 * The interactive selection: the planned fixes of the selected rules, one line per rule (phase, then severity
 * order) with a toggle for all its fixes, expanding to one line per fix with the line of the file on disk; typing
 * filters; Tab shows the diff of the fix (or rule) under the cursor in the pager. Safe fixes are pre-checked, review
 * fixes and fixes that wait for an option are not; checking one of the latter means answering its question
 * afterwards. Returns the chosen fixes and the findings to answer for, or undefined when the user cancels.
 */
export async function pickFixes(offer: PickOffer, io: PickerIO): Promise<PickChoice | undefined> {
  const { select } = await import('@inquirer/prompts');
  const ctx = { output: io.output, ...(io.signal ? { signal: io.signal } : {}) };
  const groups = groupsOf(offer);
  const safe = new Set(offer.plan.rules.filter((rp) => preChecked(rp, offer.selected)).map((rp) => rp.rule.meta.id));
  const total = groups.reduce((n, g) => n + g.entries.length, 0);
  const rows = pageSize(io.output);
  let state: PickState = {
    checked: new Set(groups.flatMap((g) => (safe.has(g.id) ? g.entries.filter((e) => !e.key.startsWith(ASK)).map((e) => e.key) : []))),
    // Everything open when it fits on one page; one line per rule otherwise.
    expanded: new Set(groups.length + total <= rows ? groups.map((g) => g.id) : []),
    filter: '',
    cursor: groups[0] ? `rule:${groups[0].id}` : '',
  };
  for (;;) {
    const r = await pickView(
      { message: 'Fixes to apply', explain: EXPLAIN, groups, state, columns: io.output.columns ?? 80, pageSize: rows, paint: io.paint },
      ctx,
    );
    state = r.state;
    if (r.action === 'diff') {
      await showDiff(diffText(offer, r.group, r.entry, io.paint), r.entry ? `diff of one fix of ${r.group}` : `diff of ${r.group}`, io);
      continue;
    }
    const chosen = state.checked;
    const n = chosen.size;
    const action = await select<string>(
      {
        message: `${n} fix${n === 1 ? '' : 'es'} selected`,
        choices: [
          { value: 'apply', name: 'Apply the selected fixes', disabled: n === 0 ? 'nothing selected' : false },
          { value: 'change', name: 'Change the selection' },
          { value: 'cancel', name: 'Cancel' },
        ],
      },
      ctx,
    );
    if (action === 'cancel') return undefined;
    if (action === 'apply') {
      const keys = [...chosen];
      return { fixes: new Set(keys.filter((k) => !k.startsWith(ASK))), answer: new Set(keys.filter((k) => k.startsWith(ASK)).map((k) => k.slice(ASK.length))) };
    }
  }
}

/** One value, validated as it is typed. */
export async function inputPrompt(message: string, validate: (value: string) => true | string, io: PickerIO): Promise<string> {
  const { input } = await import('@inquirer/prompts');
  return input({ message, validate }, { output: io.output, ...(io.signal ? { signal: io.signal } : {}) });
}

/** A yes/no question, yes by default. */
export async function confirmPrompt(message: string, io: PickerIO): Promise<boolean> {
  const { confirm } = await import('@inquirer/prompts');
  return confirm({ message, default: true }, { output: io.output, ...(io.signal ? { signal: io.signal } : {}) });
}
