import { PHASE_TITLES, PHASES, SEVERITIES, type Rule } from '../kit/index.js';
import { fileDiff } from '../engine/diff.js';
import { objectName } from '../engine/messages.js';
import { findingKey, type FixRecord, type Plan, type RulePlan } from '../engine/plan.js';
import { checkRuleOption, type Session } from '../engine/session.js';
import type { Paint } from './colors.js';
import { colorDiff } from './fix-format.js';

export interface PickerIO {
  /** Where prompts and diffs are written (stdout; stderr with --format json). */
  readonly output: NodeJS.WriteStream;
  readonly paint: Paint;
}

/** A fix is pre-checked when its rule was selected (or required) and its fix is safe. */
function preChecked(rp: RulePlan, selected: ReadonlySet<string>): boolean {
  return selected.has(rp.rule.meta.id) && rp.rule.fix?.safe !== false;
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

/**
 * The interactive selection: a checkbox of every planned fix grouped by phase then severity, pre-checked for the
 * selected rules (unsafe fixes unchecked, marked "review"), then a menu to show the diff of any fix before
 * applying. Returns the chosen fixes' keys, or undefined when the user cancels.
 */
export async function pickFixes(plan: Plan, selected: ReadonlySet<string>, io: PickerIO): Promise<Set<string> | undefined> {
  const { checkbox, select, Separator } = await import('@inquirer/prompts');
  const ctx = { output: io.output };
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
            out.push({ value: key, name: label(rp, x), checked: chosen.has(key), description: `${rp.rule.meta.id} (item ${rp.rule.meta.reviewItem}): ${x.finding.message}` });
          }
          for (const d of [...rp.skipped, ...rp.dropped]) {
            if (!d.finding) continue;
            out.push({ value: `left:${findingKey(d.finding)}`, name: `${rp.rule.meta.title} (${d.finding.file}:${d.finding.line})`, disabled: oneLine(d.reason, 60) });
          }
        }
      }
    }
    return out;
  };

  for (;;) {
    const picked = await checkbox<string>(
      { message: 'Fixes to apply (space toggles, a toggles all, enter confirms)', choices: choices(), pageSize: 20, loop: false, required: false },
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
          pageSize: 20,
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
  readonly save: boolean;
}

/** Options the selected rules declare as prompts, unset now, for rules whose fix was skipped. */
export function missingPrompts(plan: Plan, session: Session, selected: ReadonlySet<string>): { rule: Rule; option: string; message: string; validate?: (v: string) => true | string }[] {
  const out: { rule: Rule; option: string; message: string; validate?: (v: string) => true | string }[] = [];
  for (const rp of plan.rules) {
    if (!selected.has(rp.rule.meta.id) || !rp.skipped.length) continue;
    const opts = session.options.get(rp.rule.meta.id) as Record<string, unknown> | undefined;
    for (const p of rp.rule.meta.prompts ?? []) {
      const v = opts?.[p.option];
      if (v === undefined || v === null || v === '') out.push({ rule: rp.rule, ...p });
    }
  }
  return out;
}

/** Ask for each missing option (validated by the prompt and the rule's schema) and whether to save it. */
export async function askOptions(
  missing: ReturnType<typeof missingPrompts>,
  session: Session,
  configFile: string,
  io: PickerIO,
): Promise<PromptAnswer[]> {
  if (!missing.length) return [];
  const { input, confirm } = await import('@inquirer/prompts');
  const ctx = { output: io.output };
  const answers: PromptAnswer[] = [];
  for (const m of missing) {
    const value = await input(
      {
        message: `${m.rule.meta.id}: ${m.message}`,
        validate: (v: string) => {
          const own = m.validate ? m.validate(v.trim()) : true;
          if (own !== true) return own;
          return checkRuleOption(session, m.rule.meta.id, m.option, v.trim());
        },
      },
      ctx,
    );
    const save = await confirm({ message: `Save rules.${m.rule.meta.id}.${m.option} to ${configFile}?`, default: true }, ctx);
    answers.push({ ruleId: m.rule.meta.id, option: m.option, value: value.trim(), save });
  }
  return answers;
}
