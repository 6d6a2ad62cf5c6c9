/** The end of a `fix` run's text report: a review branch rebuilt in place, the push, the pull request. */
import type { FixOutcome } from '../engine/fix-report.js';
import type { Paint } from './colors.js';

const n = (k: number, one: string, many = `${one}s`) => `${k} ${k === 1 ? one : many}`;

export function publishedText(o: FixOutcome, paint: Paint): string {
  const out: string[] = [];
  const b = o.branch;
  const u = b?.updated;
  if (b && u && !u.kept) {
    const how = u.rebased ? `rebuilt from ${b.base.slice(0, 12)} (the new HEAD)` : `rebuilt from ${b.base.slice(0, 12)}`;
    out.push(
      '',
      `Updated ${paint('bold', b.branch)} in place, ${how}: ${n(u.added.length, 'fix', 'fixes')} added, ${n(u.removed.length, 'fix', 'fixes')} removed, ${u.unchanged} unchanged`,
    );
    for (const f of u.added) out.push(`  ${paint('green', '+')} ${f}`);
    for (const f of u.removed) out.push(`  ${paint('red', '-')} ${f}`);
  }
  const p = o.published;
  if (p?.push) {
    const was = p.push.previous ? (p.push.previous === p.push.sha ? ' (already there)' : ` (it was at ${p.push.previous.slice(0, 12)})`) : ' (new branch)';
    out.push('', `Pushed ${paint('bold', p.push.branch)} to ${p.push.remote}${was}.`);
  }
  const pr = p?.pullRequest;
  if (pr) {
    const kind = pr.tool === 'gh' ? 'pull request' : 'merge request';
    out.push(`${pr.action === 'created' ? 'Opened the' : 'Updated the open'} ${kind} with ${pr.tool}${pr.url ? `: ${pr.url}` : ''}`);
  }
  return out.join('\n');
}
