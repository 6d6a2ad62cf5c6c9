import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { progressLine } from '../../src/cli/progress.js';
import type { Progress } from '../../src/engine/progress.js';
import { openSession, runScan } from '../../src/engine/session.js';
import { ROOT } from '../support/tree.js';

/** A stream that records what is written to it; a terminal when `tty`. */
function stream(tty: boolean): NodeJS.WriteStream & { text: string } {
  const s = {
    isTTY: tty,
    columns: 60,
    text: '',
    write(chunk: string) {
      s.text += chunk;
      return true;
    },
  };
  return s as unknown as NodeJS.WriteStream & { text: string };
}

const load = (done: number): Progress => ({ stage: 'load', done, total: 200 });

describe('scan progress on a terminal', () => {
  it('draws nothing when stderr is not a terminal, however long the run', () => {
    let t = 0;
    const err = stream(false);
    const p = progressLine(err, { now: () => t });
    for (let i = 1; i <= 200; i++) {
      t += 50;
      p.report(load(i));
    }
    p.end();
    expect(err.text).toBe('');
  });

  it('stays quiet for the first second, then redraws one line at most every 100 ms and erases it at the end', () => {
    let t = 0;
    const err = stream(true);
    const p = progressLine(err, { now: () => t });
    t = 900;
    p.report(load(10));
    expect(err.text).toBe('');
    t = 1000;
    p.report(load(20));
    expect(err.text).toBe('\r\x1b[KReading 20/200 files (10%)');
    t = 1050;
    p.report(load(21));
    expect(err.text).toBe('\r\x1b[KReading 20/200 files (10%)');
    t = 1100;
    p.report({ stage: 'scan', done: 3, total: 25, current: 'vault-tls-disabled' });
    expect(err.text.endsWith('\r\x1b[KScanning: 3/25 rules (vault-tls-disabled)')).toBe(true);
    p.end();
    expect(err.text.endsWith('\r\x1b[K')).toBe(true);
    expect(err.text).not.toContain('\n');
  });

  it('a run that ends within the first second leaves the terminal untouched', () => {
    let t = 0;
    const err = stream(true);
    const p = progressLine(err, { now: () => t });
    t = 500;
    p.report(load(200));
    p.end();
    expect(err.text).toBe('');
  });
});

describe('the engine reports progress through a callback', () => {
  it('every file loaded, then each rule before and after it runs', () => {
    const events: Progress[] = [];
    const session = openSession(join(ROOT, 'fixtures', 'example-repo'), undefined, undefined, (p) => events.push(p));
    const loads = events.filter((e) => e.stage === 'load');
    expect(loads.map((e) => e.done)).toEqual(loads.map((_, i) => i + 1));
    expect(loads.at(-1)!.total).toBe(loads.length);
    expect(loads.length).toBeGreaterThan(10);
    events.length = 0;
    const report = runScan(session, {}, (p) => events.push(p));
    expect(events.every((e) => e.stage === 'scan' && e.total === report.rules.length)).toBe(true);
    expect(events.filter((e) => e.current).map((e) => e.current)).toEqual(report.rules.map((r) => r.meta.id));
    expect(events.at(-1)!.done).toBe(report.rules.length);
  });
});
