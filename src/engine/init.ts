import { execFileSync } from 'node:child_process';
import picomatch from 'picomatch';
import { stringify } from 'yaml';
import { GROUPS, helmReleases, isExternalSecrets, isVaultServer, releaseNamespace, type Repo, type Resource, type Rule } from '../kit/index.js';
import { DEFAULT_PRODUCTION_CLUSTERS } from './config.js';
import { ruleOptionsJsonSchema, schemaReference } from './config-schema.js';
import { gitEnv } from './git-env.js';

/** What `init` found in a repository. */
export interface Detected {
  readonly clusters: readonly string[];
  readonly productionClusters: readonly string[];
  readonly mainBranch: string;
  /** `branch (file:line)` of the GitRepositories production clusters use. */
  readonly productionBranches: readonly string[];
  readonly vaultReleases: readonly string[];
  readonly externalSecretsReleases: readonly string[];
  readonly secretStores: readonly string[];
}

function where(r: Resource, path: readonly (string | number)[] = []): string {
  return `${r.file}:${r.position(path).line}`;
}

/** The default branch of the repository's origin, else the checked-out branch when it is main or master, else main. */
export function detectMainBranch(root: string): string {
  const git = (...args: string[]) => {
    try {
      return execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], env: gitEnv() }).trim();
    } catch {
      return '';
    }
  };
  const origin = git('symbolic-ref', '--quiet', '--short', 'refs/remotes/origin/HEAD');
  if (origin.includes('/')) return origin.slice(origin.indexOf('/') + 1);
  const head = git('rev-parse', '--abbrev-ref', 'HEAD');
  return head === 'master' ? 'master' : 'main';
}

export function detect(repo: Repo): Detected {
  const clusters = [...new Set(repo.files.flatMap((f) => repo.flux.clustersOf(f.path)))].sort();
  const prod = picomatch(DEFAULT_PRODUCTION_CLUSTERS, { dot: true });
  const productionClusters = clusters.filter((c) => prod(c));
  const productionBranches = repo
    .ofKind('GitRepository', GROUPS.fluxSource)
    .filter((r) => repo.flux.clustersOf(r.file).some((c) => productionClusters.includes(c)))
    .flatMap((r) => {
      const b = r.get(['spec', 'ref', 'branch']);
      return typeof b === 'string' ? [`${b} (GitRepository ${r.name}, ${where(r, ['spec', 'ref', 'branch'])})`] : [];
    });
  const release = (hr: Resource) => `${releaseNamespace(repo, hr) ?? '?'}/${hr.name} (${where(hr)})`;
  const hrs = helmReleases(repo);
  return {
    clusters,
    productionClusters,
    mainBranch: detectMainBranch(repo.root),
    productionBranches,
    vaultReleases: hrs.filter((hr) => isVaultServer(repo, hr)).map(release),
    externalSecretsReleases: hrs.filter((hr) => isExternalSecrets(repo, hr)).map(release),
    secretStores: [...repo.ofKind('ClusterSecretStore', GROUPS.eso), ...repo.ofKind('SecretStore', GROUPS.eso)].map(
      (s) => `${s.kind} ${s.namespace ? `${s.namespace}/` : ''}${s.name} (${where(s)})`,
    ),
  };
}

const inline = (v: unknown) => stringify(v, { collectionStyle: 'flow', lineWidth: 0 }).trim();

function ruleBlock(rule: Rule): string[] {
  const schema = ruleOptionsJsonSchema(rule);
  const props = (schema?.properties ?? {}) as Record<string, { description?: string }>;
  const parsed = rule.options?.safeParse({});
  const defaults = (parsed?.success ? parsed.data : {}) as Record<string, unknown>;
  const lines: string[] = [];
  for (const [key, prop] of Object.entries(props)) {
    const prompt = rule.meta.prompts?.find((p) => p.option === key);
    const value = defaults[key];
    const note = prompt
      ? `${prompt.message} (no default: the fix asks, or skips)`
      : `${prop.description ?? ''}${value === undefined ? ' (no default)' : ''}`.trim();
    lines.push(`#     ${key}: ${value === undefined ? '' : inline(value)}${note ? `  # ${note.replace(/\s+/g, ' ')}` : ''}`);
  }
  return lines.length ? [`#   ${rule.meta.id}:`, ...lines] : [];
}

/** A commented starter `.gitops-fix.yaml` for this repository: detected values set, everything else as comments. */
export function starterConfig(repo: Repo, rules: readonly Rule[], schema: string = schemaReference(repo.root)): string {
  const d = detect(repo);
  const out: string[] = [
    `# yaml-language-server: $schema=${schema}`,
    '# gitops-fix configuration, written by `gitops-fix init`. Every key is optional; the values set below were',
    '# detected in this repository, the commented ones are the defaults. Reference: the Configuration section of the',
    '# README in the gitops-fix package, and `gitops-fix explain <rule-id>` for the options of a rule.',
    '',
    '# The branch production clusters must track (GitRepository spec.ref.branch).',
  ];
  if (d.productionBranches.length) out.push(`# Production clusters track now: ${d.productionBranches.join('; ')}`);
  out.push(`mainBranch: ${inline(d.mainBranch)}`, '');
  if (d.productionClusters.length) {
    out.push('production:', '  # Cluster directories (flux bootstrap --path) that deploy to production.', '  clusters:');
    for (const c of d.productionClusters) out.push(`    - ${inline(c)}`);
    const others = d.clusters.filter((c) => !d.productionClusters.includes(c));
    if (others.length) out.push(`  # Other cluster directories found (not production): ${others.join(', ')}`);
    out.push('  # Namespaces that are production wherever they appear.', `  namespaces: ${inline(['production', 'prod'])}`);
  } else {
    out.push(
      d.clusters.length
        ? `# No cluster directory matches the default production patterns; found: ${d.clusters.join(', ')}. List the production ones:`
        : '# No clusters/<name> directory found. List the production cluster directories (flux bootstrap --path):',
      '# production:',
      '#   clusters:',
      ...(d.clusters.length ? d.clusters.map((c) => `#     - ${inline(c)}`) : ['#     - clusters/production']),
      `#   namespaces: ${inline(['production', 'prod'])}`,
    );
  }
  out.push('', '# Where generated documentation (runbooks, policies) goes.', '# docsDir: docs', '');
  const found = [
    ['Vault server releases', d.vaultReleases],
    ['External Secrets releases', d.externalSecretsReleases],
    ['Secret stores', d.secretStores],
  ] as const;
  if (found.some(([, list]) => list.length)) {
    out.push('# Found in this repository:');
    for (const [label, list] of found) if (list.length) out.push(`#   ${label}: ${list.join('; ')}`);
    out.push('');
  }
  const blocks = [...rules]
    .sort((a, b) => a.meta.id.localeCompare(b.meta.id))
    .map(ruleBlock)
    .filter((b) => b.length);
  out.push('# Rule options (defaults shown); `gitops-fix explain <rule-id>` describes each rule.', '# rules:');
  for (const b of blocks) out.push(...b);
  out.push(
    '',
    '# Accepted findings: a rule id (or *), optional path globs, and why. A single line or object can also be',
    '# exempted in place: `# gitops-fix-ignore <rule-id>: <reason>`, or the annotations gitops-fix.io/ignore and',
    '# gitops-fix.io/ignore-reason.',
    '# ignore:',
    '#   - rule: helmrepository-slow-interval',
    '#     paths: ["infrastructure/sources/vendor-*.yaml"]',
    '#     reason: the vendor publishes its chart index weekly',
    '',
  );
  return out.join('\n');
}
