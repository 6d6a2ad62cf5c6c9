import {
  clean,
  defineRule,
  fluxKustomizationView,
  gitRepositoryView,
  GROUPS,
  notApplicable,
  type Repo,
  type Resource,
  scalarText,
} from '../../src/kit/index.js';

/**
 * GitRepositories that a Flux Kustomization applies THIS repository from: the cluster's own sync source. A
 * Kustomization whose path does not exist here reads another repository (a tenant's, an app team's), whose
 * branches this repository's `mainBranch` says nothing about.
 */
function syncSources(repo: Repo): Set<Resource> {
  const out = new Set<Resource>();
  for (const ks of repo.ofKind('Kustomization', GROUPS.fluxKustomize)) {
    const ref = fluxKustomizationView(ks)?.spec.sourceRef;
    if (!ref || ref.kind !== 'GitRepository' || ref.name === undefined) continue;
    if (repo.flux.kustomizationDir(ks) === undefined) continue;
    const ns = ref.namespace ?? ks.namespace;
    const src = repo.find('GitRepository', ref.name, ns, GROUPS.fluxSource);
    if (src) out.add(src);
  }
  return out;
}

export const rule = defineRule({
  meta: {
    id: 'gitrepository-dev-branch',
    title: 'Require production clusters to sync from the main branch',
    reviewItem: 9,
    severity: 'high',
    phase: 1,
    messages: {
      wrongBranch: 'GitRepository {name} of a production cluster tracks branch "{branch}", not "{main}": untested changes reach production',
      defaultBranch: 'GitRepository {name} of a production cluster sets no ref, so Flux tracks "master", not "{main}"',
    },
  },
  *detect({ repo }) {
    const main = repo.settings.mainBranch;
    for (const src of syncSources(repo)) {
      if (!repo.flux.isProduction(src)) continue;
      const ref = gitRepositoryView(src)?.spec.ref;
      // tag, semver, name and commit take precedence over branch: a pinned production source is fine.
      if (ref && [ref.tag, ref.semver, ref.name, ref.commit].some((v) => v !== undefined && v !== null)) continue;
      const branch = ref?.branch;
      const data = { name: src.name ?? '(unnamed)', main };
      if (branch === undefined || branch === null) {
        if (main !== 'master') yield { messageId: 'defaultBranch', resource: src, path: ['spec', 'ref'], data };
      } else if (scalarText(branch) !== main) {
        yield { messageId: 'wrongBranch', resource: src, path: ['spec', 'ref', 'branch'], data: { ...data, branch: scalarText(branch) } };
      }
    }
  },
  checklist({ repo }) {
    if (!syncSources(repo).size) return notApplicable('no Flux Kustomization syncs from a GitRepository here');
    if (![...syncSources(repo)].some((s) => repo.flux.isProduction(s)))
      return notApplicable('no production cluster syncs from a GitRepository here (no directory matches production.clusters, no production namespace)');
    return clean(`production syncs from ${repo.settings.mainBranch} (or a pinned tag or commit)`);
  },
  fix: {
    kind: 'edit',
    safe: true,
    apply({ resource }, { repo }) {
      const main = repo.settings.mainBranch;
      const notes = [`Make sure "${main}" contains everything production needs before merging: the cluster reconciles it within the GitRepository interval.`];
      if (/gotk-sync\.ya?ml$/.test(resource.file)) {
        notes.push(`This file is written by \`flux bootstrap\`: pass \`--branch=${main}\` the next time you bootstrap so it is not reverted.`);
      }
      return { changes: [{ op: 'set', resource, path: ['spec', 'ref', 'branch'], value: main }], notes, summary: `ref.branch → ${main}` };
    },
  },
});
