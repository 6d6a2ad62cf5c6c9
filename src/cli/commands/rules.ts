import { severityRank, type Rule } from '../../kit/index.js';
import { ruleOptionsJsonSchema } from '../../engine/config-schema.js';
import { GitopsFixError } from '../../engine/errors.js';
import { rules as allRules } from '../../engine/registry.js';
import { fixLabel, ruleDocsUrl } from '../../engine/rule-docs.js';
import { colorEnabled, painter, type Paint } from '../colors.js';
import { OK } from '../exit-codes.js';
import { lineWriter, type CliIO } from '../io.js';
import { mdCell } from '../formats/markdown.js';

export const RULES_FORMATS = ['table', 'json', 'markdown'] as const;

/** Rules in the order they are applied: phase, then severity, then id. */
export function byPhase(rules: readonly Rule[]): Rule[] {
  return [...rules].sort(
    (a, b) => a.meta.phase - b.meta.phase || severityRank(a.meta.severity) - severityRank(b.meta.severity) || a.meta.id.localeCompare(b.meta.id),
  );
}

export function rulesTable(rules: readonly Rule[], paint: Paint): string {
  const rows = byPhase(rules).map((r) => [r.meta.id, r.meta.title, String(r.meta.reviewItem), r.meta.severity, String(r.meta.phase), fixLabel(r)]);
  const head = ['rule', 'title', 'item', 'severity', 'phase', 'fix'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  return [paint('bold', line(head)), ...rows.map(line), '', paint('dim', `${rules.length} rules; \`gitops-fix explain <rule>\` describes one.`)].join('\n');
}

export function rulesJson(rules: readonly Rule[]): string {
  return JSON.stringify(
    byPhase(rules).map((r) => ({
      id: r.meta.id,
      title: r.meta.title,
      reviewItem: r.meta.reviewItem,
      severity: r.meta.severity,
      phase: r.meta.phase,
      fix: r.fix ? { kind: r.fix.kind, safe: r.fix.safe } : null,
      requires: r.meta.requires ?? [],
      after: r.meta.after ?? [],
      options: ruleOptionsJsonSchema(r),
      docs: ruleDocsUrl(r.meta.id) ?? null,
    })),
    null,
    2,
  );
}

/** The table of the root README (links are relative to the repository root). */
export function rulesMarkdown(rules: readonly Rule[]): string {
  return [
    '| rule | title | item | severity | phase | fix |',
    '|---|---|---|---|---|---|',
    ...byPhase(rules).map(
      (r) =>
        `| [${r.meta.id}](transforms/${r.meta.id}/README.md) | ${mdCell(r.meta.title)} | ${r.meta.reviewItem} | ${r.meta.severity} | ${r.meta.phase} | ${fixLabel(r)} |`,
    ),
  ].join('\n');
}

export async function rulesCommand(flags: { format: string }, io: CliIO): Promise<number> {
  const out = lineWriter(io.stdout);
  const f = flags.format;
  if (!(RULES_FORMATS as readonly string[]).includes(f)) throw new GitopsFixError('usage', `--format ${f}: expected one of ${RULES_FORMATS.join(', ')}`);
  out(f === 'json' ? rulesJson(allRules) : f === 'markdown' ? rulesMarkdown(allRules) : rulesTable(allRules, painter(colorEnabled(io.stdout, io.env))));
  return OK;
}
