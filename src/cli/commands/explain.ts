import { GitopsFixError } from '../../engine/errors.js';
import { ruleById, unknownRule } from '../../engine/registry.js';
import { fixLabel, PSEUDO_RULES, pseudoRule, readmeSectionUrl, readRuleReadme, ruleReadmePath } from '../../engine/rule-docs.js';
import { colorEnabled, painter, type Paint } from '../colors.js';
import { OK } from '../exit-codes.js';
import { lineWriter, type CliIO } from '../io.js';

/** Markdown for a terminal: headings bold, code blocks and `code` cyan, HTML comments dropped. */
export function renderMarkdown(md: string, paint: Paint): string {
  let fence = false;
  const out: string[] = [];
  for (const line of md.replace(/\r\n/g, '\n').split('\n')) {
    if (/^<!--.*-->$/.test(line.trim())) continue;
    if (/^\s*(```|~~~)/.test(line)) {
      fence = !fence;
      out.push(paint('dim', line));
      continue;
    }
    if (fence) out.push(paint('cyan', line));
    else if (/^#{1,6} /.test(line)) out.push(paint('bold', line));
    else out.push(line.replace(/`([^`]+)`/g, (_, c: string) => paint('cyan', `\`${c}\``)).replace(/\*\*([^*]+)\*\*/g, (_, c: string) => paint('bold', c)));
  }
  return out.join('\n').replace(/\n{3,}/g, '\n\n');
}

/** `gitops-fix explain <rule-id>`: the rule's README (shipped with the package) in the terminal. */
export async function explainCommand(id: string, io: CliIO): Promise<number> {
  const out = lineWriter(io.stdout);
  const paint = painter(colorEnabled(io.stdout, io.env));
  const pseudo = pseudoRule(id);
  if (pseudo) {
    out(
      renderMarkdown(
        `# ${pseudo.id}\n\n${pseudo.title}\n\nSeverity **${pseudo.severity}** · reported by gitops-fix itself (not a review item) · fix: **report only**\n\n${pseudo.description}\n\nMore: ${readmeSectionUrl(pseudo.readmeSection) ?? `the README, section ${pseudo.readmeSection}`}\n`,
        paint,
      ),
    );
    return OK;
  }
  const rule = ruleById(id);
  if (!rule)
    throw unknownRule(
      id,
      undefined,
      PSEUDO_RULES.map((p) => p.id),
    );
  const readme = readRuleReadme(id);
  if (!readme) throw new GitopsFixError('unknown-rule', `rule "${id}" has no README at ${ruleReadmePath(id)}: the package is incomplete; reinstall it`);
  out(renderMarkdown(readme, paint).trimEnd() + `\n\n${paint('dim', `fix: ${fixLabel(rule)} · gitops-fix scan --rule ${id} · gitops-fix fix --rule ${id}`)}`);
  return OK;
}
