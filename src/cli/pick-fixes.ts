import { PHASE_TITLES, PHASES, SEVERITIES, type Rule } from '../kit/index.js';
import { fileDiff } from '../engine/diff.js';
import { objectName } from '../engine/messages.js';
import { findingKey, type FixRecord, type Plan, type RulePlan } from '../engine/plan.js';
import { checkRuleOption, withRuleOption, type Session } from '../engine/session.js';
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
export const ASK = 'ask:';

/**
 * The interactive selection: a checkbox of every planned fix grouped by phase then severity, pre-checked for the
 * selected rules (unsafe fixes unchecked, marked "review"), then a menu to show the diff of any fix before
 * applying. Fixes that wait for an option with no safe default are offered unchecked, marked "asks for"; checking
 * one means answering the question afterwards. Returns the chosen keys (`ASK`-prefixed for those), or undefined
 * when the user cancels.
 */
export async function pickFixes(
  plan: Plan,
  selected: ReadonlySet<string>,
  askable: ReadonlyMap<string, readonly MissingPrompt[]>,
  io: PickerIO,
): Promise<Set<string> | undefined> {
  const { checkbox, select, Separator } = await import('@inquirer/prompts');
  const ctx = { output: io.output, ...(io.signal ? { signal: io.signal } : {}) };
  const all = new Map<string, { rp: RulePlan; x: FixRecord }>();
  for (const rp of plan.rules) for (const x of rp.fixed) all.set(findingKey(x.finding), { rp, x });
  let chosen = new Set([...all].filter(([, v]) => preChecked(v.rp, selected)).map(([k]) => k));

  const choices = () => {
    const out: (InstanceType<typeof Separator> | { value: string; name: string; checked?: boolean; disabled?: string | boolean; description?: string })[] = [];
    for (const phase of PHASES) {
      const inPhase = plan.rules.filter((r) => r.rule.meta.phase === phase && (r.fixed.length || r.skipped.length || r.dropped.length));
      if (!inPhase.length) continue;
      out.push(new Separator(io.paint('bold', `── Phase ${phase}: ${PHASE_TITLES[phase]}`)));
      for (const sev of SEVERITIES) {
        const group = inPhase.filter((r) => r.rule.meta.severity === sev);
        if (!group.length) continue;
        out.push(new Separator(`   ${sev}`));
        for (const rp of group) {
          for (const x of rp.fixed) {
            const key = findingKey(x.finding);
            out.push({
              value: key,
              name: label(rp, x),
              checked: chosen.has(key),
              description: `${rp.rule.meta.id} (item ${rp.rule.meta.reviewItem}): ${x.finding.message}`,
            });
          }
          const asksFor = (reason: string) => (askable.get(rp.rule.meta.id) ?? []).filter((a) => named(rp.rule, reason, a.option));
          for (const d of rp.skipped) {
            const asks = asksFor(d.reason);
            if (!d.finding || !asks.length) continue;
            const key = ASK + findingKey(d.finding);
            const obj = objectName(d.finding);
            out.push({
              value: key,
              name: `${rp.rule.meta.title} [asks for ${asks.map((a) => a.option).join(', ')}] — ${obj ? `${obj} ` : ''}(${d.finding.file}:${d.finding.line})`,
              checked: chosen.has(key),
              description: `${rp.rule.meta.id} (item ${rp.rule.meta.reviewItem}): ${d.finding.message}. Check it to answer: ${asks[0]!.message}`,
            });
          }
          for (const d of [...rp.skipped, ...rp.dropped]) {
            if (!d.finding || (rp.skipped.includes(d) && asksFor(d.reason).length)) continue;
            out.push({
              value: `left:${findingKey(d.finding)}`,
              name: `${rp.rule.meta.title} (${d.finding.file}:${d.finding.line})`,
              disabled: oneLine(d.reason, 60),
            });
          }
        }
      }
    }
    return out;
  };

  for (;;) {
    const picked = await checkbox<string>(
      {
        message: 'Fixes to apply (space toggles, a toggles all, enter confirms)',
        choices: choices(),
        pageSize: pageSize(io.output),
        loop: false,
        required: false,
      },
      ctx,
    );
    chosen = new Set(picked);
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
      if (action === 'apply') return chosen;
      if (action === 'cancel') return undefined;
      if (action === 'change') break;
      const key = await select<string>(
        {
          message: 'Show the diff of',
          choices: [...all].map(([k, v]) => ({ value: k, name: `${chosen.has(k) ? '◉' : '◯'} ${label(v.rp, v.x)}` })),
          pageSize: pageSize(io.output),
          loop: false,
        },
        ctx,
      );
      const entry = all.get(key)!;
      io.output.write(`\n${entry.x.files.map((f) => colorDiff(fileDiff(f), io.paint)).join('')}\n`);
    }
  }
}

export interface PromptAnswer {
  readonly ruleId: string;
  readonly option: string;
  readonly value: string;
}

export interface MissingPrompt {
  readonly rule: Rule;
  readonly option: string;
  readonly message: string;
  readonly validate?: (v: string) => true | string;
}

function named(rule: Rule, reason: string, option: string): boolean {
  return reason.includes(`rules.${rule.meta.id}.${option}`);
}

/**
 * Per rule whose fix was skipped for want of an option: the prompts (`meta.prompts`) whose option the skip reason
 * names as `rules.<id>.<option>`.
 */
export function missingPrompts(plan: Plan): Map<string, MissingPrompt[]> {
  const out = new Map<string, MissingPrompt[]>();
  for (const rp of plan.rules) {
    const prompts = (rp.rule.meta.prompts ?? []).filter((p) => rp.skipped.some((d) => named(rp.rule, d.reason, p.option)));
    if (prompts.length)
      out.set(
        rp.rule.meta.id,
        prompts.map((p) => ({ rule: rp.rule, ...p })),
      );
  }
  return out;
}

/**
 * Ask for the options a rule's fix is waiting for, one at a time: after each answer the fix is tried again
 * (`skipReason`) and the next question is the option its skip reason names, until it no longer skips. Answers are
 * validated by the prompt and by the rule's option schema; then one question whether to save them to the config.
 */
export async function askOptions(
  rule: Rule,
  start: Session,
  skipReason: (s: Session) => string | undefined,
  configFile: string,
  io: PickerIO,
): Promise<{ session: Session; answers: PromptAnswer[]; save: boolean }> {
  const { input, confirm } = await import('@inquirer/prompts');
  const ctx = { output: io.output, ...(io.signal ? { signal: io.signal } : {}) };
  const id = rule.meta.id;
  const prompts = rule.meta.prompts ?? [];
  let session = start;
  const answers: PromptAnswer[] = [];
  for (let i = 0; i < prompts.length; i++) {
    const reason = skipReason(session);
    const p = reason === undefined ? undefined : prompts.find((x) => named(rule, reason, x.option) && !answers.some((a) => a.option === x.option));
    if (!p) break;
    const current = session;
    const value = (
      await input(
        {
          message: `${id}: ${p.message}`,
          validate: (v: string) => {
            const own = p.validate ? p.validate(v.trim()) : true;
            return own !== true ? own : checkRuleOption(current, id, p.option, v.trim());
          },
        },
        ctx,
      )
    ).trim();
    session = withRuleOption(session, id, p.option, value);
    answers.push({ ruleId: id, option: p.option, value });
  }
  const save = answers.length
    ? await confirm({ message: `Save ${answers.map((a) => `rules.${id}.${a.option}`).join(', ')} to ${configFile}?`, default: true }, ctx)
    : false;
  return { session, answers, save };
}
