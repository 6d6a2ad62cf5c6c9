import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Phase, Rule, Severity } from '../kit/index.js';
import { packageRoot } from './package-root.js';
import { SYNTAX_RULE_ID } from './scan.js';
import { DUPLICATE_OBJECT_RULE_ID, MISSING_FILE_RULE_ID, VALUES_NOT_MAP_RULE_ID } from './input-findings.js';

/**
 * The web address of a package's source repository, from its package.json `repository` (a string or `{ url }`;
 * `git+https://…/x.git` becomes `https://…/x`), or undefined when it declares none or one that is not a web address.
 */
export function repositoryUrlOf(pkg: { repository?: unknown }): string | undefined {
  const r = pkg.repository;
  const raw =
    typeof r === 'string' ? r : r && typeof r === 'object' && typeof (r as { url?: unknown }).url === 'string' ? (r as { url: string }).url : undefined;
  const url = raw?.replace(/^git\+/, '').replace(/\.git$/, '');
  return url && /^https:\/\/[^/\s]+\/\S+$/.test(url) ? url : undefined;
}

let repository: { url: string | undefined } | undefined;

/**
 * The project's home, where documentation links point: the repository the installed package declares. Without one,
 * reports link nowhere and name `gitops-fix explain <id>` instead (an address that does not exist helps nobody).
 */
export function repositoryUrl(): string | undefined {
  repository ??= { url: repositoryUrlOf(JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { repository?: unknown }) };
  return repository.url;
}

/** The README headings every rule has, in order. */
export const RULE_README_HEADINGS = ['Why', 'Example', 'Fix', 'Options', 'References'] as const;
export type RuleReadmeSection = (typeof RULE_README_HEADINGS)[number];

export const EXAMPLE_START = '<!-- example:start -->';
export const EXAMPLE_END = '<!-- example:end -->';

/** Web address of a rule's README, when the package declares its repository. */
export function ruleDocsUrl(ruleId: string): string | undefined {
  const home = repositoryUrl();
  return home && `${home}/blob/main/transforms/${ruleId}/README.md`;
}

/** Web address of a README section (`usage`, `suppressions`), when the package declares its repository. */
export function readmeSectionUrl(anchor: string): string | undefined {
  const home = repositoryUrl();
  return home && `${home}#${anchor}`;
}

/** Where a rule or built-in finding is documented: its web address, or the command that prints it. */
export function docsReference(id: string, url: string | undefined): string {
  return url ?? `gitops-fix explain ${id}`;
}

/** Path of a rule's README in the installed package (shipped as `transforms/<id>/README.md`). */
export function ruleReadmePath(ruleId: string): string {
  return join(packageRoot(), 'transforms', ruleId, 'README.md');
}

export function readRuleReadme(ruleId: string): string | undefined {
  const p = ruleReadmePath(ruleId);
  return existsSync(p) ? readFileSync(p, 'utf8') : undefined;
}

/** The body of a `## <heading>` section (without the heading line), trimmed; undefined when absent. */
export function readmeSection(readme: string, heading: string): string | undefined {
  const lines = readme.replace(/\r\n/g, '\n').split('\n');
  const start = lines.findIndex((l) => l.trim() === `## ${heading}`);
  if (start < 0) return undefined;
  let end = lines.length;
  let fence = false;
  for (let i = start + 1; i < lines.length; i++) {
    if (/^\s*(```|~~~)/.test(lines[i]!)) fence = !fence;
    if (!fence && /^##? /.test(lines[i]!)) {
      end = i;
      break;
    }
  }
  return lines
    .slice(start + 1, end)
    .join('\n')
    .replace(/<!-- example:(start|end) -->\n?/g, '')
    .trim();
}

/**
 * Findings that come from gitops-fix itself rather than from a rule: they have a severity and a location like rule
 * findings, no review item, and are described here (and in the README) instead of in a transforms/ folder.
 */
export interface PseudoRule {
  readonly id: string;
  readonly title: string;
  readonly severity: Severity;
  readonly phase: Phase;
  readonly description: string;
  /** Anchor of the README section that documents it. */
  readonly readmeSection: string;
}

export const SUPPRESSION_RULE_ID = 'suppression-without-reason';

export const PSEUDO_RULES: readonly PseudoRule[] = [
  {
    id: SYNTAX_RULE_ID,
    title: 'Report YAML files that do not parse',
    severity: 'high',
    phase: 1,
    description:
      'A YAML file with a syntax error cannot be applied by Flux, and gitops-fix cannot check or fix it. The finding points at the ' +
      'line and column of the first error; fix the YAML and run again.',
    readmeSection: 'usage',
  },
  {
    id: MISSING_FILE_RULE_ID,
    title: 'Report kustomization.yaml entries that name missing files',
    severity: 'high',
    phase: 1,
    description:
      'A kustomization.yaml that lists a resource, component, patch or generator file that does not exist fails `kustomize build`, ' +
      'and the Flux Kustomization that builds the directory fails with it. The finding points at the entry; create the file or ' +
      'remove the entry. Remote bases (URLs) are not checked.',
    readmeSection: 'usage',
  },
  {
    id: VALUES_NOT_MAP_RULE_ID,
    title: 'Report HelmRelease values that are not a map',
    severity: 'high',
    phase: 1,
    description:
      'spec.values of a HelmRelease must be a map of chart values: a string or a list is rejected by the API server, so the ' +
      'release never applies. Rules read such a release as if it had no values, and every fix of its values is refused; write ' +
      'the values as a YAML map and run again.',
    readmeSection: 'usage',
  },
  {
    id: DUPLICATE_OBJECT_RULE_ID,
    title: 'Report objects defined twice in one kustomize build',
    severity: 'high',
    phase: 1,
    description:
      'Two documents with the same API group, kind, namespace and name in one build (a kustomization.yaml and what it lists, or ' +
      'the directory a Flux Kustomization applies) make `kustomize build` fail ("may not add resource with an already ' +
      'registered id"), and the Flux Kustomization with it. Each copy is reported, pointing at the other; no fix changes either ' +
      'copy, since a fix of one would leave the build as broken and the copies different. Remove one copy.',
    readmeSection: 'usage',
  },
  {
    id: SUPPRESSION_RULE_ID,
    title: 'Require a reason on every suppression',
    severity: 'low',
    phase: 4,
    description:
      'A `# gitops-fix-ignore <rule-id>` comment or a `gitops-fix.io/ignore` annotation hides findings; without a reason the next ' +
      'reader cannot tell an accepted risk from a forgotten one. The suppression still applies; this finding takes the severity ' +
      'and phase of the most severe finding it hides (low and phase 4 when it hides none), so a severity gate (`--fail-on`) ' +
      'still fails until a reason is written: `# gitops-fix-ignore <rule-id>: <reason>`, or the annotation ' +
      '`gitops-fix.io/ignore-reason`.',
    readmeSection: 'suppressions',
  },
];

export function pseudoRule(id: string): PseudoRule | undefined {
  return PSEUDO_RULES.find((p) => p.id === id);
}

/** How a rule fixes: `edit`, `generate`, or `report only`. */
export function fixLabel(rule: Rule): string {
  if (!rule.fix) return 'report only';
  return `${rule.fix.kind}${rule.fix.safe ? '' : ' (review)'}`;
}
