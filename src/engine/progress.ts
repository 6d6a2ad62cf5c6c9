/**
 * How far a long run has got, for the caller to show (the engine never prints). Reported after each unit of work:
 * each file loaded, each rule run. Cheap to call often; the caller decides what to draw and when.
 */
export interface Progress {
  readonly stage: 'load' | 'scan';
  /** Units done so far (files for `load`, rules for `scan`). */
  readonly done: number;
  readonly total: number;
  /** What is being worked on next (a rule id while scanning). */
  readonly current?: string;
}

export type OnProgress = (p: Progress) => void;
