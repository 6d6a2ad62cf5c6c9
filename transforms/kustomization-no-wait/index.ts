import {
  clean,
  defineRule,
  durationOption,
  fluxKustomizationView,
  GROUPS,
  notApplicable,
  z,
  type Change,
  type Repo,
  type Resource,
} from '../../src/kit/index.js';

const WORKLOADS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob', 'HelmRelease']);

const options = z
  .object({
    timeout: durationOption('5m', 'spec.timeout written when the Kustomization has none (how long Flux waits for health).'),
  })
  .strict();

function dependedOn(repo: Repo, ks: Resource): boolean {
  return repo.ofKind('Kustomization', GROUPS.fluxKustomize).some((other) => {
    const deps = fluxKustomizationView(other)?.spec.dependsOn ?? [];
    return deps.some((d) => d !== undefined && d.name === ks.name);
  });
}

function deploysWorkloads(repo: Repo, ks: Resource): boolean {
  const dir = repo.flux.kustomizationDir(ks);
  if (dir === undefined) return false;
  return repo.flux.kustomizeFiles(dir).some((f) => repo.file(f)?.resources.some((r) => r.kind !== undefined && WORKLOADS.has(r.kind)));
}

export const rule = defineRule({
  meta: {
    id: 'kustomization-no-wait',
    title: 'Require Flux Kustomizations to wait for their resources to become healthy',
    reviewItem: 17,
    quickWin: true,
    severity: 'medium',
    phase: 3,
    messages: {
      waitFalse: 'Kustomization {name} has wait: false and no healthChecks, so {why} before its resources are healthy',
      noHealth: 'Kustomization {name} neither waits nor has healthChecks, so {why} before its resources are healthy',
    },
  },
  options,
  *detect({ repo }) {
    for (const ks of repo.ofKind('Kustomization', GROUPS.fluxKustomize)) {
      // The bootstrap Kustomization applies the Flux controllers themselves; flux bootstrap owns it.
      if (ks.name === 'flux-system' && /gotk-sync\.ya?ml$/.test(ks.file)) continue;
      const wait = ks.get(['spec', 'wait']);
      const checks = ks.get(['spec', 'healthChecks']);
      if (wait === true || (Array.isArray(checks) && checks.length > 0)) continue;
      const depended = dependedOn(repo, ks);
      if (!depended && !deploysWorkloads(repo, ks)) continue;
      const why = depended ? 'the Kustomizations that depend on it start' : 'it reports Ready';
      yield {
        messageId: wait === false ? 'waitFalse' : 'noHealth',
        resource: ks,
        path: ['spec', 'wait'],
        data: { name: ks.name ?? '(unnamed)', why },
      };
    }
  },
  checklist({ repo }) {
    const all = repo.ofKind('Kustomization', GROUPS.fluxKustomize).filter((ks) => !(ks.name === 'flux-system' && /gotk-sync\.ya?ml$/.test(ks.file)));
    if (!all.length) return notApplicable("no Flux Kustomization besides flux bootstrap's");
    return clean('every Flux Kustomization that others depend on or that deploys workloads waits for its resources (wait or health checks)');
  },
  fix: {
    kind: 'edit',
    safe: true,
    apply({ resource }, { options }) {
      const changes: Change[] = [{ op: 'set', resource, path: ['spec', 'wait'], value: true }];
      if (resource.get(['spec', 'timeout']) === undefined) changes.push({ op: 'set', resource, path: ['spec', 'timeout'], value: options.timeout });
      return {
        changes,
        summary: changes.length > 1 ? `wait: true, timeout: ${options.timeout}` : 'wait: true',
        notes: [
          'With wait: true Flux health-checks every applied object and ignores spec.healthChecks; a workload that never becomes ready now fails the Kustomization (and blocks its dependants) after the timeout.',
        ],
      };
    },
  },
});
