import type { ZodType } from 'zod';
import type { Phase, Severity } from './phases.js';
import type { Repo, Resource, YamlPath } from './repo.js';

export type TemplateValue = string | number | boolean | null | readonly TemplateValue[] | { readonly [k: string]: TemplateValue };

export interface RuleMeta<M extends string> {
  /** kebab-case; equals the folder name transforms/<id>/. */
  readonly id: string;
  /** One imperative line (Require / Disallow / Replace / Add ...); equals README line 3. */
  readonly title: string;
  /** The review item (1-24) this rule answers. */
  readonly reviewItem: number;
  readonly severity: Severity;
  readonly phase: Phase;
  /** Message texts with {placeholders}. */
  readonly messages: Record<M, string>;
  /** One of the review's quick wins (small change, large effect): `fix --quick-wins` selects it. */
  readonly quickWin?: boolean;
  /** Rules that must be applied together with this one (selecting it selects them). */
  readonly requires?: readonly string[];
  /** Rules that must run before this one when both are selected (same phase or not). */
  readonly after?: readonly string[];
  /**
   * What the fix changes, as words a comment would use ("tls", "plain http", "file backend", "one replica"): a
   * comment on or next to an edited line that matches is listed under "Comments to review" in the commit message
   * and the pull-request body (the file keeps it).
   */
  readonly staleComments?: RegExp;
  /**
   * Options with no safe default. While one is needed and unset, the rule's fix returns `skipped` with a reason
   * that names it as `rules.<id>.<option>` (several may be named). An interactive `fix` offers such a fix
   * unchecked, marked "asks for"; when the user checks it, it asks for each option the skip reason names, one at a
   * time (trying the fix again after each answer), validates the answer with `validate` and the rule's option
   * schema, and can save the answers to `.gitops-fix.yaml`.
   */
  readonly prompts?: readonly RulePrompt[];
}

/** A question the interactive `fix` asks for an option that has no safe default. */
export interface RulePrompt {
  /** Key in the rule's options (`rules.<id>.<option>`); a string option. */
  readonly option: string;
  /** The question, e.g. 'Which ClusterIssuer signs the Vault server certificate?' */
  readonly message: string;
  /** Extra validation of the answer: true, or the reason it is refused. The option schema is always checked too. */
  readonly validate?: (value: string) => true | string;
}

/** A finding's `{placeholders}`. */
export type ReportData = Readonly<Record<string, string | number | undefined>>;

interface ReportBase<M extends string> {
  readonly messageId: M;
  readonly data?: ReportData;
  /**
   * What this finding's fix must agree on with the fixes of the rules it `requires`: e.g. the Vault release. When a
   * finding of a required rule with the same subject is not fixed (dropped, skipped, suppressed or not picked), this
   * fix is not applied: the rule is still asked, and when it makes no fix its own reason stands (skipped); a fix it
   * makes is dropped, with the reason. Without a subject the fix stands on its own (a rule whose fix checks for
   * itself what the required rule did, or that requires a rule only to run after it).
   */
  readonly subject?: string;
}

/** A finding about one object; the engine turns it (and `path`) into file:line:column. */
export interface ResourceReport<M extends string = string> extends ReportBase<M> {
  readonly resource: Resource;
  /** Narrows the location: the deepest existing node of this path is reported. */
  readonly path?: YamlPath;
  readonly file?: never;
}

/** A finding about a whole file (a repository-relative path) or the repository (`'.'`): reported at its line 1. */
export interface FileReport<M extends string = string> extends ReportBase<M> {
  readonly file: string;
  readonly resource?: never;
  readonly path?: never;
}

/** What a rule reports on: objects (the default), or files and the repository. */
export type ReportOn = 'resource' | 'file';

type ReportAt<On extends ReportOn, M extends string> = On extends 'file' ? FileReport<M> : ResourceReport<M>;

/** The rule's own data for its fix: required when the rule's Detail type needs a value. */
type DetailOf<D> = undefined extends D ? { readonly detail?: D } : { readonly detail: D };

/**
 * A finding as `detect` yields it. Either it has an automatic fix, and `detail` is what `detect` hands to the fix
 * (typed by the rule: the objects and values the fix needs, so that the fix never looks them up again), or it says
 * `fixable: false` and its message says what to do.
 */
export type Report<M extends string = string, D = undefined, On extends ReportOn = 'resource'> = ReportAt<On, M> &
  ({ readonly fixable: false; readonly detail?: D } | ({ readonly fixable?: true } & DetailOf<D>));

/** A finding that has an automatic fix, as the rule's `fix.apply` receives it. */
export type FixableReport<M extends string = string, D = undefined, On extends ReportOn = 'resource'> = ReportAt<On, M> & {
  readonly fixable?: true;
} & DetailOf<D>;

/** Changes are data: the engine applies, verifies, diffs, writes or commits them. */
export type Change =
  /** Make the value at `path` equal `value` (scalar or subtree); missing parents are created. On a `|` block scalar with a string value the text is edited in place. */
  | { readonly op: 'set'; readonly resource: Resource; readonly path: YamlPath; readonly value: unknown; readonly comment?: string }
  /** Deep-merge a map into the map at `path` (created when missing); scalars that differ are set. */
  | { readonly op: 'merge'; readonly resource: Resource; readonly path: YamlPath; readonly value: Readonly<Record<string, unknown>> }
  | { readonly op: 'delete'; readonly resource: Resource; readonly path: YamlPath }
  /** Append to the sequence at `path` (created when missing). */
  | { readonly op: 'append'; readonly resource: Resource; readonly path: YamlPath; readonly value: unknown }
  /** A new file from templates/<rule-id>/<template>.yaml (every `${var}` placeholder filled). Several templates may be listed: they become documents of one file. */
  | {
      readonly op: 'create';
      readonly file: string;
      readonly templates: readonly string[];
      readonly vars: Readonly<Record<string, TemplateValue>>;
      readonly todo?: readonly string[];
    }
  /**
   * A new non-YAML file (documentation, runbooks). `replace`: the file may be one that a fix earlier in the same plan
   * created (never a file on disk), which this text replaces (one runbook for two migrations, in order).
   */
  | { readonly op: 'createText'; readonly file: string; readonly text: string; readonly replace?: boolean }
  /** Add `entry` to the `resources:` list of the kustomization.yaml in `dir` (a no-op when it is there or the dir has none). */
  | { readonly op: 'addKustomizeResource'; readonly dir: string; readonly entry: string };

/** The changes a fix makes, with what the person must know. */
export interface FixChanges {
  readonly changes: readonly Change[];
  /** Manual steps the person must do after merging (shown in the commit body and PR description). */
  readonly notes?: readonly string[];
  /** Rollout risks (e.g. data migration). */
  readonly warnings?: readonly string[];
  /** One-line effect, shown in the picker. */
  readonly summary?: string;
  readonly skipped?: never;
}

/** A fix that declines: nothing is changed, and this says why (e.g. which options are missing). */
export interface FixSkipped {
  readonly skipped: string;
  readonly changes?: never;
}

/** What `fix.apply` returns: the changes, or `{ skipped: reason }` (the one way a fix declines). */
export type FixOutput = FixChanges | FixSkipped;

/**
 * What the review checklist says about a rule that reported nothing: `clean` when the rule checked what its review
 * item is about and found it in order, `not-applicable` when the repository has nothing the item is about (no Vault
 * release for a Vault item) or the item's advice does not fit it (mlock where HashiCorp recommends it off).
 */
export interface RuleStatus {
  readonly status: 'clean' | 'not-applicable';
  /** One line, e.g. 'no Vault release', 'every ExternalSecret refreshes at least every 5m'. */
  readonly reason: string;
}

export function clean(reason: string): RuleStatus {
  return { status: 'clean', reason };
}

export function notApplicable(reason: string): RuleStatus {
  return { status: 'not-applicable', reason };
}

export interface RuleContext<O> {
  readonly repo: Repo;
  readonly options: O;
}

/** A rule's automatic fix. */
export interface RuleFix<M extends string, O, D, On extends ReportOn> {
  readonly kind: 'edit' | 'generate';
  /** false: not pre-selected in the picker, labelled "review". */
  readonly safe: boolean;
  /** Called only for findings that are fixable, on the repository and options `detect` ran with. */
  apply(report: FixableReport<M, D, On>, ctx: RuleContext<O>): FixOutput;
}

/**
 * A rule: `M` its message ids, `O` its options (the zod schema's output), `D` the detail its findings hand to its
 * fix, `On` what it reports on (objects unless it says files).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the registry holds rules of every option and detail type; `unknown` would reject their detect/fix signatures
export interface Rule<M extends string = string, O = any, D = any, On extends ReportOn = ReportOn> {
  readonly meta: RuleMeta<M>;
  /** zod schema with defaults: type, default and validation from one declaration. */
  readonly options?: ZodType<O>;
  detect(ctx: RuleContext<O>): Iterable<Report<M, D, On>>;
  /**
   * The review checklist's line for this rule when `detect` reports nothing here (called only then). Every rule of
   * transforms/ has one (test/registry.test.ts).
   */
  checklist?(ctx: RuleContext<O>): RuleStatus;
  /** Absent: the rule reports only. */
  readonly fix?: RuleFix<M, O, D, On>;
}

/**
 * A rule, with its types inferred from its declaration: `M` from `meta.messages`, `O` from `options`, `D` and `On`
 * from the report type `detect` declares (`Generator<Report<M, Detail>>`); never from where the rule is used.
 */
export function defineRule<M extends string, O = undefined, D = undefined, On extends ReportOn = 'resource'>(
  rule: Rule<M, O, D, On>,
): Rule<M, O, NoInfer<D>, NoInfer<On>> {
  return rule;
}

/** Fill {placeholders} of a message. */
export function formatMessage(template: string, data: ReportData | undefined): string {
  return template.replace(/\{(\w+)\}/g, (m, k: string) => (data && data[k] !== undefined ? String(data[k]) : m));
}
