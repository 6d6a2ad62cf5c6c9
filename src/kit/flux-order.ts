/** In which order Flux applies two files of a repository: through which Kustomizations, and whether one waits for the other. */
import { fluxKustomizationView } from './kinds.js';
import { GROUPS, type Repo, type Resource } from './repo.js';
import { scalarText } from './scalar.js';

export type ApplyOrder =
  /** One of the files is not applied by a Flux Kustomization of this repository. */
  | { readonly kind: 'unknown' }
  /** One Kustomization applies both. */
  | { readonly kind: 'same'; readonly kustomization: Resource }
  /** `later`'s Kustomization does not depend (directly or through others) on `first`'s. */
  | { readonly kind: 'unordered'; readonly kustomization: Resource; readonly first: readonly Resource[] }
  /** It depends on it, but that Kustomization is ready before its HelmRelease is (no `wait`, no health check for it). */
  | { readonly kind: 'not-waited'; readonly kustomization: Resource; readonly first: Resource }
  | { readonly kind: 'ordered' };

function key(name: unknown, namespace: unknown): string {
  return `${scalarText(namespace)}/${scalarText(name)}`;
}

/** The Kustomizations `ks` depends on, directly or through others (dependsOn namespaces default to the dependent's). */
export function fluxDependencies(repo: Repo, ks: Resource): Resource[] {
  const all = repo.ofKind('Kustomization', GROUPS.fluxKustomize);
  const byKey = new Map(all.map((k) => [key(k.name, k.namespace), k]));
  const out: Resource[] = [];
  const seen = new Set([key(ks.name, ks.namespace)]);
  const queue = [ks];
  while (queue.length) {
    const k = queue.shift()!;
    for (const d of fluxKustomizationView(k)?.spec.dependsOn ?? []) {
      if (!d) continue;
      const dk = key(d.name, d.namespace ?? k.namespace);
      if (seen.has(dk)) continue;
      seen.add(dk);
      const dep = byKey.get(dk);
      if (dep) {
        out.push(dep);
        queue.push(dep);
      }
    }
  }
  return out;
}

/** Does the Kustomization become ready only once the HelmRelease is (`wait: true`, or a health check naming it)? */
export function waitsForRelease(ks: Resource, hr: Resource): boolean {
  const spec = fluxKustomizationView(ks)?.spec;
  if (spec?.wait === true) return true;
  return (spec?.healthChecks ?? []).some((c) => c?.kind === 'HelmRelease' && c.name === hr.name);
}

/** How Flux orders applying `laterFile` after the HelmRelease `first` has become ready; the worst case over its Kustomizations. */
export function applyOrder(repo: Repo, first: Resource, laterFile: string): ApplyOrder {
  const firstKs = repo.flux.fluxKustomizationsFor(first.file);
  const laterKs = repo.flux.fluxKustomizationsFor(laterFile);
  if (!firstKs.length || !laterKs.length) return { kind: 'unknown' };
  let notWaited: ApplyOrder | undefined;
  for (const k of laterKs) {
    if (firstKs.some((f) => f.id === k.id)) return { kind: 'same', kustomization: k };
    const deps = fluxDependencies(repo, k);
    const reached = firstKs.filter((f) => deps.some((d) => d.id === f.id));
    if (!reached.length) return { kind: 'unordered', kustomization: k, first: firstKs };
    if (!reached.some((f) => waitsForRelease(f, first))) notWaited ??= { kind: 'not-waited', kustomization: k, first: reached[0]! };
  }
  return notWaited ?? { kind: 'ordered' };
}
