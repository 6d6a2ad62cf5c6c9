/**
 * A one-line progress indicator on a terminal: drawn on stderr only when it is a TTY and only once the run has
 * taken longer than `delayMs` (a quick scan stays quiet), redrawn at most every `intervalMs`, erased at the end.
 */
import type { OnProgress, Progress } from '../engine/progress.js';

export interface ProgressLine {
  readonly report: OnProgress;
  /** Erase the line (when one was drawn). */
  readonly end: () => void;
}

export interface ProgressOptions {
  readonly delayMs?: number;
  readonly intervalMs?: number;
  /** The clock (tests). */
  readonly now?: () => number;
}

function describe(p: Progress): string {
  const pct = p.total ? Math.floor((100 * p.done) / p.total) : 100;
  if (p.stage === 'load') return `Reading ${p.done}/${p.total} files (${pct}%)`;
  return `Scanning: ${p.done}/${p.total} rules${p.current ? ` (${p.current})` : ''}`;
}

export function progressLine(stream: NodeJS.WriteStream, opts: ProgressOptions = {}): ProgressLine {
  if (!stream.isTTY) return { report: () => {}, end: () => {} };
  const now = opts.now ?? (() => performance.now());
  const delay = opts.delayMs ?? 1000;
  const interval = opts.intervalMs ?? 100;
  const start = now();
  let drawn = false;
  let last = -Infinity;
  return {
    report: (p) => {
      const t = now();
      if (t - start < delay || t - last < interval) return;
      last = t;
      const width = Math.max(20, (stream.columns || 80) - 1);
      stream.write(`\r\x1b[K${describe(p).slice(0, width)}`);
      drawn = true;
    },
    end: () => {
      if (drawn) stream.write('\r\x1b[K');
      drawn = false;
    },
  };
}
