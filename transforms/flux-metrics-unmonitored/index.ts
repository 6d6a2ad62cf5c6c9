import {
  clean,
  defineRule,
  fluxKustomizationView,
  kustomizeFileView,
  dirOf,
  generateNear,
  GROUPS,
  helmReleases,
  isKustomizeFileName,
  monitorSelector,
  monitorsOf,
  notApplicable,
  prometheusNamespace,
  prometheusOperator,
  prometheusOperatorOption,
  releaseNamespace,
  z,
  type Repo,
  type Report,
  type Resource,
} from '../../src/kit/index.js';

const options = z.object({ prometheusOperator: prometheusOperatorOption() }).strict();

type M = 'unmonitored' | 'noOperator';

/** The official PodMonitor's labels (flux2-monitoring-example). */
const FLUX_LABELS = { 'app.kubernetes.io/part-of': 'flux', 'app.kubernetes.io/component': 'monitoring' };

interface Installation {
  readonly anchor: Resource;
  readonly namespace: string;
}

const GOTK_COMPONENTS = /(^|\/)gotk-components\.ya?ml$/;
const GOTK_SYNC = /(^|\/)gotk-sync\.ya?ml$/;

/**
 * Where Flux is installed: FluxInstance / flux-instance releases (Flux Operator), else the directories `flux bootstrap`
 * writes. Such a directory counts when its gotk-components.yaml has the controllers, and also when that file is a
 * placeholder without documents (example repositories ship one; bootstrap fills it on the cluster) while gotk-sync.yaml
 * has bootstrap's source and Kustomization `flux-system` in namespace `flux-system`, or the directory's
 * kustomization.yaml lists gotk-components.yaml.
 */
function fluxInstallations(repo: Repo): Installation[] {
  const out: Installation[] = [];
  for (const fi of repo.ofKind('FluxInstance'))
    if (fi.group === 'fluxcd.controlplane.io') out.push({ anchor: fi, namespace: repo.flux.namespaceOf(fi) ?? 'flux-system' });
  for (const hr of helmReleases(repo))
    if (repo.flux.helmChart(hr).chart === 'flux-instance') out.push({ anchor: hr, namespace: releaseNamespace(repo, hr) ?? 'flux-system' });
  if (out.length) return out;
  const dirs = new Set<string>();
  for (const f of repo.files) {
    if (!GOTK_COMPONENTS.test(f.path) || !f.resources.length) continue;
    const ns = f.resources.find((r) => r.kind === 'Namespace' && r.group === '');
    out.push({ anchor: ns ?? f.resources[0]!, namespace: ns?.name ?? 'flux-system' });
    dirs.add(dirOf(f.path));
  }
  const bootstrap = (r: Resource | undefined) => r?.name === 'flux-system' && r.namespace === 'flux-system';
  for (const ks of repo.ofKind('Kustomization', GROUPS.fluxKustomize)) {
    if (!GOTK_SYNC.test(ks.file) || !bootstrap(ks) || dirs.has(dirOf(ks.file))) continue;
    const sourceKind = ks.get(['spec', 'sourceRef', 'kind']);
    const source = repo.file(ks.file)?.resources.find((r) => r.group === GROUPS.fluxSource && r.kind === sourceKind && bootstrap(r));
    if (!source) continue;
    out.push({ anchor: ks, namespace: 'flux-system' });
    dirs.add(dirOf(ks.file));
  }
  for (const f of repo.files) {
    if (!isKustomizeFileName(f.path) || dirs.has(dirOf(f.path))) continue;
    const k = repo.flux.kustomizeFile(dirOf(f.path));
    const resources = k && kustomizeFileView(k)?.resources;
    if (!k || !resources?.some((e) => e !== undefined && GOTK_COMPONENTS.test(e.replace(/^\.\//, '')))) continue;
    out.push({ anchor: k, namespace: 'flux-system' });
    dirs.add(dirOf(f.path));
  }
  return out;
}

/** Flux Kustomizations that depend on one of `targets`, directly or through others. */
function dependents(repo: Repo, targets: readonly Resource[]): Resource[] {
  const all = repo.ofKind('Kustomization', GROUPS.fluxKustomize);
  const key = (name: unknown, ns: unknown) => `${String(ns)}/${String(name)}`;
  const reached = new Set(targets.map((t) => key(t.name, t.namespace)));
  const out: Resource[] = [];
  for (let changed = true; changed;) {
    changed = false;
    for (const k of all) {
      if (reached.has(key(k.name, k.namespace))) continue;
      const deps = fluxKustomizationView(k)?.spec.dependsOn ?? [];
      const hit = deps.some((d) => d !== undefined && reached.has(key(d.name, d.namespace ?? k.namespace)));
      if (hit) {
        reached.add(key(k.name, k.namespace));
        out.push(k);
        changed = true;
      }
    }
  }
  return out.sort((a, b) => (a.name ?? '').localeCompare(b.name ?? ''));
}

/**
 * Where the PodMonitor goes: next to Flux, unless the repository itself installs the monitoring CRDs and Flux's own
 * Kustomization does not wait for that; then in the first Kustomization that depends on the CRDs' one (a PodMonitor
 * applied before its CRD exists fails the whole Kustomization on a new cluster).
 */
function placement(repo: Repo, inst: Installation, installer: Resource | undefined): { near: Resource; namespace: string; warning?: string } {
  const here = { near: inst.anchor, namespace: inst.namespace };
  if (!installer) return here;
  const crdKs = repo.flux.fluxKustomizationsFor(installer.file);
  if (!crdKs.length) return here;
  const after = dependents(repo, crdKs);
  if (repo.flux.fluxKustomizationsFor(inst.anchor.file).some((k) => after.some((a) => a.id === k.id))) return here;
  for (const k of after) {
    const dir = repo.flux.kustomizationDir(k);
    if (dir === undefined) continue;
    const near = repo.flux.kustomizeFile(dir) ?? repo.flux.kustomizeFiles(dir).flatMap((f) => repo.file(f)?.resources ?? [])[0];
    if (near) return { near, namespace: repo.flux.namespaceOf(near) ?? prometheusNamespace(repo) ?? inst.namespace };
  }
  const ks = crdKs.map((k) => k.name).join(', ');
  return {
    ...here,
    warning: `The PodMonitor is applied with Flux's own objects, but the monitoring CRDs come from ${installer.kind} ${installer.name} (Kustomization ${ks}): on a new cluster the PodMonitor fails until they exist. Install the CRDs before Flux, or move the PodMonitor into a Kustomization that dependsOn ${ks}.`,
  };
}

export const rule = defineRule({
  meta: {
    id: 'flux-metrics-unmonitored',
    title: "Add a PodMonitor for the Flux controllers' metrics",
    reviewItem: 23,
    severity: 'low',
    phase: 3,
    messages: {
      unmonitored: 'Flux in namespace {namespace} ({where}) has no PodMonitor or ServiceMonitor: failing and stalled reconciliations are not scraped',
      noOperator:
        'Flux in namespace {namespace} ({where}) has no PodMonitor or ServiceMonitor, and the repository shows no Prometheus Operator to apply one: scrape port http-prom (8080) of the Flux controllers, or set rules.flux-metrics-unmonitored.prometheusOperator: true',
    },
  },
  options,
  *detect({ repo, options }): Generator<Report<M, Installation>> {
    const op = prometheusOperator(repo, options.prometheusOperator);
    const seen = new Set<string>();
    for (const inst of fluxInstallations(repo)) {
      const key = `${dirOf(inst.anchor.file)}|${inst.namespace}`;
      if (seen.has(key)) continue;
      seen.add(key);
      if (monitorsOf(repo, inst.namespace).length) continue;
      const data = { namespace: inst.namespace, where: dirOf(inst.anchor.file) || '.' };
      if (!op.present) yield { messageId: 'noOperator', resource: inst.anchor, path: ['metadata', 'name'], data, fixable: false };
      else yield { messageId: 'unmonitored', resource: inst.anchor, path: ['metadata', 'name'], data, detail: inst };
    }
  },
  checklist({ repo }) {
    const installations = fluxInstallations(repo);
    if (!installations.length)
      return notApplicable('no Flux installation in this repository (no gotk-components.yaml or gotk-sync.yaml of flux bootstrap, no FluxInstance)');
    return clean(`Flux's controllers are scraped (a PodMonitor or ServiceMonitor covers ${[...new Set(installations.map((i) => i.namespace))].join(', ')})`);
  },
  fix: {
    kind: 'generate',
    safe: true,
    apply({ detail: inst }, { repo, options }) {
      const op = prometheusOperator(repo, options.prometheusOperator);
      const where = placement(repo, inst, op.installer);
      const selector = monitorSelector(repo, 'podMonitor');
      const labels = { ...FLUX_LABELS, ...(selector?.labels ?? {}) };
      const g = generateNear(repo, {
        near: where.near,
        baseName: 'flux-podmonitor',
        namespace: where.namespace,
        templates: ['podmonitor'],
        vars: { name: 'flux-system', namespace: where.namespace, labels, fluxNamespace: inst.namespace },
        todo: selector ? [] : ['labels'],
      });
      if ('reason' in g) return { skipped: `cannot place the PodMonitor: ${g.reason}` };
      const notes = [
        selector
          ? `The PodMonitor carries ${
              Object.entries(selector.labels)
                .map(([k, v]) => `${k}: ${v}`)
                .join(', ') || 'no extra label'
            } so that the Prometheus of ${selector.source} selects it.`
          : `Make sure your Prometheus selects PodMonitors labelled ${Object.entries(FLUX_LABELS)
              .map(([k, v]) => `${k}: ${v}`)
              .join(', ')} in namespace ${where.namespace} (podMonitorSelector / podMonitorNamespaceSelector).`,
        'Dashboards and alerts built on these metrics: https://github.com/fluxcd/flux2-monitoring-example.',
      ];
      return {
        changes: g.changes,
        summary: `PodMonitor ${where.namespace}/flux-system in ${g.file}`,
        notes,
        ...(where.warning ? { warnings: [where.warning] } : {}),
      };
    },
  },
});
