/** What the fix pipeline (pipeline.ts) is asked to do, and what it asks of its caller: progress, notes, prompts. */
import type { Phase, Rule } from '../../kit/index.js';
import type { FixMode, FixOutcome } from '../fix-report.js';
import type { GitopsFixError } from '../errors.js';
import type { Plan } from '../plan.js';

export interface FixRequest {
  /** DIR as the user gave it (named in messages). */
  readonly dir: string;
  /** DIR resolved. */
  readonly root: string;
  /** The directory relative output paths are resolved against. */
  readonly cwd: string;
  readonly mode: FixMode;
  readonly phases: readonly Phase[];
  readonly ruleIds: readonly string[];
  readonly quickWins: boolean;
  readonly excludeIds: readonly string[];
  /** The configuration file (resolved); default: DIR/.gitops-fix.yaml. */
  readonly configFile?: string | undefined;
  /** The review branch name; default: from the selection (defaultBranchName). */
  readonly branch?: string | undefined;
  /** Replace an existing review branch gitops-fix made. */
  readonly force: boolean;
  /** false: unsigned commits whatever the git configuration says. */
  readonly sign: boolean;
  /** Apply the selection without asking (safe fixes only, unless includeReview). */
  readonly yes: boolean;
  readonly includeReview: boolean;
  /** Whether the picker can be shown (a terminal on both ends); an interactive run needs it. */
  readonly terminal: boolean;
  /** --write: also change files with uncommitted changes. */
  readonly allowDirty: boolean;
  /** --patch-dir and --pr-body as given (resolved against `cwd`, named as given). */
  readonly patchDir?: string | undefined;
  readonly prBody?: string | undefined;
  /** Charts (resolved directories) and helm binary the render proof uses, over the configuration's. */
  readonly render: { readonly charts: readonly string[]; readonly helm?: string | undefined };
  /** The environment settings are read from (the render cache directory). */
  readonly env: NodeJS.ProcessEnv;
  /** --push: push the review branch (to `remote`, else the current branch's upstream remote, else origin). */
  readonly push?: boolean | undefined;
  readonly remote?: string | undefined;
  /** --open-pr: open or update the pull request (gh) or merge request (glab) once pushed. */
  readonly openPr?: boolean | undefined;
}

/** A stage's title, which its work may change (a summary once it is done). */
export interface StageTitle {
  title: string;
}

/** One stage of the run, shown with progress by the caller. */
export interface Stage {
  readonly title: string;
  /** The work of the stage. */
  readonly run?: (stage: StageTitle) => Promise<void>;
  /** Or: steps made when the stage starts (one per rule), run one after the other. */
  readonly steps?: () => readonly Stage[];
}

/** Runs stages in order, with whatever progress display the caller has; a failing stage stops the rest. */
export type RunStages = (stages: readonly Stage[]) => Promise<void>;

/** A prompt a rule's fix waits for: an option with no safe default that a skip reason names. */
export interface MissingPrompt {
  readonly rule: Rule;
  readonly option: string;
  readonly message: string;
  readonly validate?: (v: string) => true | string;
}

/** What the picker offers: every planned fix, pre-checked for the selected rules, and the fixes waiting for answers. */
export interface PickOffer {
  readonly plan: Plan;
  /** Ids of the selected rules (and those they require): their safe fixes are pre-checked. */
  readonly selected: ReadonlySet<string>;
  /** Per rule id: the prompts its skipped fixes wait for. */
  readonly askable: ReadonlyMap<string, readonly MissingPrompt[]>;
}

/** The user's choice: keys (findingKey) of the fixes to apply, and of the skipped findings to answer the prompts of. */
export interface PickChoice {
  readonly fixes: ReadonlySet<string>;
  readonly answer: ReadonlySet<string>;
}

/** The interactive part of a run (the CLI: the picker and prompts on the terminal); `signal` aborted closes the prompt. */
export interface FixPrompts {
  /** Let the user choose among the planned fixes; undefined when they cancel. */
  pick(offer: PickOffer, signal: AbortSignal): Promise<PickChoice | undefined>;
  /** Ask for one value; `validate` returns true or what is wrong with it. */
  input(message: string, validate: (value: string) => true | string, signal: AbortSignal): Promise<string>;
  /** A yes/no question (default yes). */
  confirm(message: string, signal: AbortSignal): Promise<boolean>;
}

export interface FixUI {
  readonly run: RunStages;
  /** A note for the user (the CLI writes `note: …` to stderr). */
  readonly note: (text: string) => void;
  /** Needed by an interactive run. */
  readonly prompts?: FixPrompts | undefined;
}

/**
 * cancelled: the user cancelled in the picker, nothing was changed. done: the outcome; `failure` when writing the
 * patches or the pull-request description failed after the branch or the files were made (the outcome says what).
 */
export type FixResult = { readonly status: 'cancelled' } | { readonly status: 'done'; readonly outcome: FixOutcome; readonly failure?: GitopsFixError };
