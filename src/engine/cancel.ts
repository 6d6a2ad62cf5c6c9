/**
 * Cancellation of a long run (load, scan, plan, commit) by its caller.
 *
 * The engine never installs signal handlers: the CLI does, and passes an AbortSignal. Long loops are written as
 * generators that yield between files, rules and fixes; `runSync` drives them in one go, `runAsync` gives the
 * event loop a turn at those points (so the caller's signal handlers run) and stops with a `CancelledError` once
 * the signal is aborted. Nothing is written by a step that was cancelled.
 */

/** The run was stopped by its caller (e.g. on SIGINT); `reason` names why (the signal name, when there is one). */
export class CancelledError extends Error {
  constructor(readonly reason: string = 'cancelled') {
    super(`interrupted (${reason})`);
    this.name = 'CancelledError';
  }
}

/** The reason an AbortSignal carries, as text: a CancelledError's reason, a string, or 'cancelled'. */
function reasonOf(signal: AbortSignal): string {
  const r: unknown = signal.reason;
  if (r instanceof CancelledError) return r.reason;
  if (typeof r === 'string') return r;
  return 'cancelled';
}

export function throwIfCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new CancelledError(reasonOf(signal));
}

/** A step of a cancellable computation: the generator yields between units of work. */
export type Steps<T> = Generator<void, T, void>;

/** Run steps to the end without pausing. */
export function runSync<T>(steps: Steps<T>): T {
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

/** Longest stretch of synchronous work between two turns of the event loop. */
const SLICE_MS = 25;
let sliceStart = performance.now();

/**
 * Give the event loop a turn when the current slice of synchronous work is used up, then throw a CancelledError
 * when `signal` is aborted. Cheap to call between every file or fix.
 */
export async function checkpoint(signal: AbortSignal | undefined): Promise<void> {
  throwIfCancelled(signal);
  if (performance.now() - sliceStart < SLICE_MS) return;
  await new Promise<void>((resolve) => setImmediate(resolve));
  sliceStart = performance.now();
  throwIfCancelled(signal);
}

/** Run steps, pausing between them for the event loop and stopping when `signal` is aborted. */
export async function runAsync<T>(steps: Steps<T>, signal: AbortSignal | undefined): Promise<T> {
  await checkpoint(signal);
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
    try {
      await checkpoint(signal);
    } catch (e) {
      steps.return(undefined as never);
      throw e;
    }
  }
}
