/** Fixes that wait for an option with no safe default: which prompts they wait for, and asking them. */
import type { Rule } from '../../kit/index.js';
import type { Plan, RulePlan } from '../plan.js';
import { checkRuleOption, withRuleOption, type Session } from '../session.js';
import type { FixPrompts, MissingPrompt } from './types.js';

export interface PromptAnswer {
  readonly ruleId: string;
  readonly option: string;
  readonly value: string;
}

/** Does a skip reason of `rule` name `option` (as `rules.<id>.<option>`)? */
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

/** The prompts a skipped fix of `rp` waits for: those of `askable` its skip reason names. */
export function promptsFor(rp: RulePlan, reason: string, askable: ReadonlyMap<string, readonly MissingPrompt[]>): MissingPrompt[] {
  return (askable.get(rp.rule.meta.id) ?? []).filter((a) => named(rp.rule, reason, a.option));
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
  prompts: FixPrompts,
  signal: AbortSignal,
): Promise<{ session: Session; answers: PromptAnswer[]; save: boolean }> {
  const id = rule.meta.id;
  const own = rule.meta.prompts ?? [];
  let session = start;
  const answers: PromptAnswer[] = [];
  for (let i = 0; i < own.length; i++) {
    const reason = skipReason(session);
    const p = reason === undefined ? undefined : own.find((x) => named(rule, reason, x.option) && !answers.some((a) => a.option === x.option));
    if (!p) break;
    const current = session;
    const value = (
      await prompts.input(
        `${id}: ${p.message}`,
        (v: string) => {
          const valid = p.validate ? p.validate(v.trim()) : true;
          return valid !== true ? valid : checkRuleOption(current, id, p.option, v.trim());
        },
        signal,
      )
    ).trim();
    session = withRuleOption(session, id, p.option, value);
    answers.push({ ruleId: id, option: p.option, value });
  }
  const save = answers.length ? await prompts.confirm(`Save ${answers.map((a) => `rules.${id}.${a.option}`).join(', ')} to ${configFile}?`, signal) : false;
  return { session, answers, save };
}
