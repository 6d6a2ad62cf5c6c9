import { PHASE_TITLES, PHASES, SEVERITIES } from '../kit/index.js';
import { fileDiff } from '../engine/diff.js';
import { promptsFor } from '../engine/fix/ask.js';
import type { PickChoice, PickOffer } from '../engine/fix/types.js';
import { objectName } from '../engine/messages.js';
import { findingKey, type FixRecord, type RulePlan } from '../engine/plan.js';
import type { Paint } from './colors.js';
import { colorDiff } from './fix-format.js';

export interface PickerIO {
  /** Where prompts and diffs are written (stdout; stderr with --format json). */
  readonly output: NodeJS.WriteStream;
  readonly paint: Paint;
  /** Aborting it closes the open prompt (SIGTERM, SIGHUP). */
  readonly signal?: AbortSignal;
}

/** A fix is pre-checked when its rule was selected (or required) and its fix is safe. */
function preChecked(rp: RulePlan, selected: ReadonlySet<string>): boolean {
  return selected.has(rp.rule.meta.id) && rp.rule.fix?.safe !== false;
}

/** As many entries as the terminal shows, leaving room for the question and the help line. */
function pageSize(out: NodeJS.WriteStream): number {
  return Math.max(10, (out.rows ?? 24) - 8);
}

function oneLine(s: string, max = 70): string {
  const t = s.replace(/\s+/g, ' ').trim();
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}

function label(rp: RulePlan, x: FixRecord): string {
  const obj = objectName(x.finding);
  const review = rp.rule.fix?.safe === false ? ' [review]' : '';
  return `${rp.rule.meta.title}${review} — ${obj ? `${obj} ` : ''}(${x.finding.file}:${x.finding.line}) — ${oneLine(x.summary)}`;
}

/** Key of a picker entry for a fix that needs an answer first (`ask:` + the finding key). */
const ASK = 'ask:';

type Separator = InstanceType<typeof import('@inquirer/prompts').Separator>;
interface Choice {
  value: string;
  name: string;
  checked?: boolean;
  disabled?: string | boolean;
  description?: string;
}

/** The entries of one rule: its fixes, the fixes that ask for an option first, and what is left unfixed (disabled). */
function ruleChoices(rp: RulePlan, offer: PickOffer, chosen: ReadonlySet<string>): Choice[] {
  const out: Choice[] = [];
  const m = rp.rule.meta;
  for (const x of rp.fixed) {
    const key = findingKey(x.finding);
    out.push({ value: key, name: label(rp, x), checked: chosen.has(key), description: `${m.id} (item ${m.reviewItem}): ${x.finding.message}` });
  }
  for (const d of rp.skipped) {
    const asks = promptsFor(rp, d.reason, offer.askable);
    const first = asks[0];
    if (!d.finding || !first) continue;
    const key = ASK + findingKey(d.finding);
    const obj = objectName(d.finding);
    out.push({
      value: key,
      name: `${m.title} [asks for ${asks.map((a) => a.option).join(', ')}] — ${obj ? `${obj} ` : ''}(${d.finding.file}:${d.finding.line})`,
      checked: chosen.has(key),
      description: `${m.id} (item ${m.reviewItem}): ${d.finding.message}. Check it to answer: ${first.message}`,
    });
  }
  for (const d of [...rp.skipped, ...rp.dropped]) {
    if (!d.finding || (rp.skipped.includes(d) && promptsFor(rp, d.reason, offer.askable).length)) continue;
    out.push({ value: `left:${findingKey(d.finding)}`, name: `${m.title} (${d.finding.file}:${d.finding.line})`, disabled: oneLine(d.reason, 60) });
  }
  return out;
}

/** Every entry, grouped by phase then severity. */
function choices(offer: PickOffer, chosen: ReadonlySet<string>, separator: (text: string) => Separator, paint: Paint): (Separator | Choice)[] {
  const out: (Separator | Choice)[] = [];
  for (const phase of PHASES) {
    const inPhase = offer.plan.rules.filter((r) => r.rule.meta.phase === phase && (r.fixed.length || r.skipped.length || r.dropped.length));
    if (!inPhase.length) continue;
    out.push(separator(paint('bold', `── Phase ${phase}: ${PHASE_TITLES[phase]}`)));
    for (const sev of SEVERITIES) {
      const group = inPhase.filter((r) => r.rule.meta.severity === sev);
      if (!group.length) continue;
      out.push(separator(`   ${sev}`));
      for (const rp of group) out.push(...ruleChoices(rp, offer, chosen));
    }
  }
  return out;
}

/**
 * The interactive selection: a checkbox of every planned fix grouped by phase then severity, pre-checked for the
 * selected rules (unsafe fixes unchecked, marked "review"), then a menu to show the diff of any fix before
 * applying. Fixes that wait for an option with no safe default are offered unchecked, marked "asks for"; checking
 * one means answering the question afterwards. Returns the chosen fixes and the findings to answer for, or undefined
 * when the user cancels.
 */
export async function pickFixes(offer: PickOffer, io: PickerIO): Promise<PickChoice | undefined> {
  const { checkbox, select, Separator } = await import('@inquirer/prompts');
  const ctx = { output: io.output, ...(io.signal ? { signal: io.signal } : {}) };
  const all = new Map<string, { rp: RulePlan; x: FixRecord }>();
  for (const rp of offer.plan.rules) for (const x of rp.fixed) all.set(findingKey(x.finding), { rp, x });
  let chosen = new Set([...all].filter(([, v]) => preChecked(v.rp, offer.selected)).map(([k]) => k));
  for (;;) {
    const picked = await checkbox<string>(
      {
        message: 'Fixes to apply (space toggles, a toggles all, enter confirms)',
        choices: choices(offer, chosen, (text) => new Separator(text), io.paint),
        pageSize: pageSize(io.output),
        loop: false,
        required: false,
      },
      ctx,
    );
    chosen = new Set(picked);
    const action = await confirmSelection(chosen, all, io, ctx, select);
    if (action === 'apply') {
      const keys = [...chosen];
      return { fixes: new Set(keys.filter((k) => !k.startsWith(ASK))), answer: new Set(keys.filter((k) => k.startsWith(ASK)).map((k) => k.slice(ASK.length))) };
    }
    if (action === 'cancel') return undefined;
  }
}

/** The menu after the checkbox: apply, show the diff of a fix (and come back), change the selection, or cancel. */
async function confirmSelection(
  chosen: ReadonlySet<string>,
  all: ReadonlyMap<string, { rp: RulePlan; x: FixRecord }>,
  io: PickerIO,
  ctx: { output: NodeJS.WriteStream; signal?: AbortSignal },
  select: typeof import('@inquirer/prompts').select,
): Promise<'apply' | 'change' | 'cancel'> {
  for (;;) {
    const action = await select<string>(
      {
        message: `${chosen.size} fix${chosen.size === 1 ? '' : 'es'} selected`,
        choices: [
          { value: 'apply', name: `Apply the selected fixes`, disabled: chosen.size === 0 ? 'nothing selected' : false },
          { value: 'diff', name: 'Show the diff of a fix…' },
          { value: 'change', name: 'Change the selection' },
          { value: 'cancel', name: 'Cancel' },
        ],
      },
      ctx,
    );
    if (action === 'apply' || action === 'cancel' || action === 'change') return action;
    const key = await select<string>(
      {
        message: 'Show the diff of',
        choices: [...all].map(([k, v]) => ({ value: k, name: `${chosen.has(k) ? '◉' : '◯'} ${label(v.rp, v.x)}` })),
        pageSize: pageSize(io.output),
        loop: false,
      },
      ctx,
    );
    const entry = all.get(key);
    if (entry) io.output.write(`\n${entry.x.files.map((f) => colorDiff(fileDiff(f), io.paint)).join('')}\n`);
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
