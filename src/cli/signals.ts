import { CancelledError } from '../engine/cancel.js';
import { INTERRUPTED } from './exit-codes.js';

/** 128 + the signal number, as shells report a process stopped by it. */
export const SIGNAL_EXIT_CODES: Readonly<Record<string, number>> = { SIGHUP: 129, SIGINT: 130, SIGTERM: 143 };

export const TRAPPED_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** The exit code of a run stopped by `reason` (a signal name; 130 otherwise). */
export function exitCodeFor(reason: string | undefined): number {
  return (reason && SIGNAL_EXIT_CODES[reason]) || INTERRUPTED;
}

export interface SignalTrap {
  /** Aborted by the first SIGINT, SIGTERM or SIGHUP; its reason is a CancelledError naming the signal. */
  readonly signal: AbortSignal;
  /** The signal received, if any. */
  readonly received: string | undefined;
  /** Remove the handlers. */
  dispose(): void;
}

/**
 * Trap SIGINT, SIGTERM and SIGHUP for one run. The first signal aborts `signal`: the engine stops at its next
 * checkpoint (between files, rules and fixes) and the command cleans up and returns the signal's exit code. A
 * second signal does not wait: `onForce` runs (synchronous clean-up), then the process exits.
 */
export function trapSignals(onForce: (signal: string) => void): SignalTrap {
  const controller = new AbortController();
  let received: string | undefined;
  const handler = (sig: NodeJS.Signals) => {
    if (!controller.signal.aborted) {
      received = sig;
      controller.abort(new CancelledError(sig));
      return;
    }
    onForce(sig);
    process.exit(exitCodeFor(received ?? sig));
  };
  for (const s of TRAPPED_SIGNALS) process.on(s, handler);
  return {
    signal: controller.signal,
    get received() {
      return received;
    },
    dispose() {
      for (const s of TRAPPED_SIGNALS) process.removeListener(s, handler);
    },
  };
}
