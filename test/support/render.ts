/** Small repositories and hand-made plans for the render tests. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fromRaw } from '../../src/engine/config.js';
import { loadRepo } from '../../src/engine/repo/load.js';
import type { Plan, RulePlan } from '../../src/engine/plan.js';
import type { Finding } from '../../src/engine/scan.js';
import type { Repo, Rule } from '../../src/kit/index.js';
import { tempDir } from './tree.js';

/** A repository on disk from path → text, loaded. */
export function repoFrom(files: Record<string, string>): Repo {
  const dir = tempDir('gitops-fix-render-');
  for (const [p, t] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, p)), { recursive: true });
    writeFileSync(join(dir, p), t);
  }
  return loadRepo(dir, { settings: fromRaw({}).settings });
}

export const HELM_REPOS = `apiVersion: source.toolkit.fluxcd.io/v1
kind: HelmRepository
metadata:
  name: hashicorp
  namespace: flux-system
spec:
  interval: 1h
  url: https://helm.releases.hashicorp.com
---
apiVersion: source.toolkit.fluxcd.io/v1
kind: HelmRepository
metadata:
  name: external-secrets
  namespace: flux-system
spec:
  interval: 1h
  url: https://charts.external-secrets.io
`;

/** A HelmRelease of `chart` at `version` with inline values (YAML, indented by the caller's two spaces). */
export function helmRelease(name: string, namespace: string, chart: 'vault' | 'external-secrets', version: string, values: string, extra = ''): string {
  const source = chart === 'vault' ? 'hashicorp' : 'external-secrets';
  return `apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: ${name}
  namespace: ${namespace}
spec:
  interval: 30m
  chart:
    spec:
      chart: ${chart}
      version: "${version}"
      sourceRef:
        kind: HelmRepository
        name: ${source}
        namespace: flux-system
${extra}  values:
${values
  .split('\n')
  .map((l) => (l ? `    ${l}` : l))
  .join('\n')}
`;
}

/** A plan whose rules change files as given, as the fix pipeline would hand it over (one fix per rule). */
export function planOf(before: Repo, rules: { id: string; files: Record<string, string> }[]): Plan {
  const finalFiles = new Map<string, string>();
  const originalFiles = new Map<string, string | null>();
  const plans: RulePlan[] = rules.map(({ id, files }) => {
    const changes = Object.entries(files).map(([path, after]) => {
      const before0 = finalFiles.get(path) ?? before.file(path)?.text ?? null;
      if (!originalFiles.has(path)) originalFiles.set(path, before.file(path)?.text ?? null);
      finalFiles.set(path, after);
      return { path, before: before0, after };
    });
    const finding: Finding = {
      ruleId: id,
      reviewItem: 1,
      severity: 'high',
      phase: 1,
      file: changes[0]!.path,
      line: 1,
      column: 1,
      message: `${id} finding`,
      fixable: true,
      messageId: 'test',
    };
    const rule = { meta: { id, title: id, reviewItem: 1, severity: 'high', phase: 1, messages: {} } } as unknown as Rule;
    return {
      rule,
      findings: [finding],
      fixed: [{ finding, summary: `${id} fix`, files: changes }],
      dropped: [],
      skipped: [],
      files: changes,
      notes: [],
      warnings: [],
    };
  });
  return { root: before.root, rules: plans, finalFiles, originalFiles };
}
