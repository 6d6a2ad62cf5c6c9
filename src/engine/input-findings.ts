/**
 * Findings about input that Flux cannot use, found by the loader rather than by a rule (like `yaml-syntax`):
 * a kustomization.yaml that lists files that do not exist, and a HelmRelease whose `spec.values` is not a map.
 * They have no automatic fix; the message says what to do.
 */
import { GROUPS, type Repo, type Resource } from '../kit/index.js';
import { dirOf, joinPath } from './flux-graph.js';
import type { Finding } from './scan.js';

export const MISSING_FILE_RULE_ID = 'kustomize-missing-file';
export const VALUES_NOT_MAP_RULE_ID = 'helmrelease-values-not-map';

const KUSTOMIZE_NAMES = new Set(['kustomization.yaml', 'kustomization.yml', 'Kustomization']);

function finding(ruleId: string, messageId: string, res: Resource, path: readonly (string | number)[], message: string): Finding {
  const pos = res.position(path);
  return { ruleId, reviewItem: null, severity: 'high', phase: 1, file: res.file, line: pos.line, column: pos.column, message, fixable: false, messageId };
}

/** Remote bases and git URLs are fetched by kustomize, not read from the repository. */
const isRemote = (entry: string) =>
  /^[a-z][a-z0-9+.-]*:\/\//i.test(entry) || /^(git@|github\.com\/|gitlab\.com\/|bitbucket\.org\/)/.test(entry) || entry.includes('?ref=');

/** `key=path` in generator `files` lists. */
const generatorPath = (entry: string) => (entry.includes('=') ? entry.slice(entry.indexOf('=') + 1) : entry);

function listedFiles(k: Resource): { path: (string | number)[]; entry: string; field: string }[] {
  const out: { path: (string | number)[]; entry: string; field: string }[] = [];
  const list = (field: string, map: (s: string) => string = (s) => s) => {
    const v = k.get([field]);
    if (Array.isArray(v)) v.forEach((e, i) => typeof e === 'string' && out.push({ path: [field, i], entry: map(e), field }));
  };
  for (const field of ['resources', 'components', 'bases', 'crds']) list(field);
  // Inline strategic-merge patches are YAML documents, not paths.
  const psm = k.get(['patchesStrategicMerge']);
  if (Array.isArray(psm))
    psm.forEach(
      (e, i) => typeof e === 'string' && !/[\n:]/.test(e) && out.push({ path: ['patchesStrategicMerge', i], entry: e, field: 'patchesStrategicMerge' }),
    );
  const patches = k.get(['patches']);
  if (Array.isArray(patches)) {
    patches.forEach((p, i) => {
      const path = p && typeof p === 'object' ? (p as { path?: unknown }).path : undefined;
      if (typeof path === 'string') out.push({ path: ['patches', i, 'path'], entry: path, field: 'patches' });
    });
  }
  for (const gen of ['configMapGenerator', 'secretGenerator']) {
    const gens = k.get([gen]);
    if (!Array.isArray(gens)) continue;
    gens.forEach((g, gi) => {
      if (!g || typeof g !== 'object') return;
      const files = (g as { files?: unknown }).files;
      if (Array.isArray(files))
        files.forEach((f, fi) => typeof f === 'string' && out.push({ path: [gen, gi, 'files', fi], entry: generatorPath(f), field: `${gen} files` }));
      const envs = (g as { envs?: unknown }).envs;
      if (Array.isArray(envs)) envs.forEach((f, fi) => typeof f === 'string' && out.push({ path: [gen, gi, 'envs', fi], entry: f, field: `${gen} envs` }));
    });
  }
  return out.filter((x) => x.entry && !isRemote(x.entry));
}

export function missingKustomizeFiles(repo: Repo): Finding[] {
  const out: Finding[] = [];
  for (const f of repo.files) {
    if (f.status !== 'parsed' || !KUSTOMIZE_NAMES.has(f.path.slice(f.path.lastIndexOf('/') + 1))) continue;
    const k = f.resources[0];
    if (!k || !k.data || typeof k.data !== 'object' || Array.isArray(k.data)) continue;
    if (k.group !== '' && k.group !== GROUPS.kustomizeConfig) continue; // a Flux Kustomization named kustomization.yaml
    const dir = dirOf(f.path);
    for (const x of listedFiles(k)) {
      const target = joinPath(dir, x.entry);
      if (target.startsWith('../') || target === '..' || repo.exists(target)) continue;
      out.push(
        finding(
          MISSING_FILE_RULE_ID,
          'missingFile',
          k,
          x.path,
          `${f.path.slice(f.path.lastIndexOf('/') + 1)} lists "${x.entry}" (${x.field}), which does not exist: kustomize build fails for this directory, and Flux with it. Create the file or remove the entry.`,
        ),
      );
    }
  }
  return out;
}

export function valuesNotMap(repo: Repo): Finding[] {
  const out: Finding[] = [];
  for (const hr of repo.ofKind('HelmRelease', GROUPS.fluxHelm)) {
    const v = hr.get(['spec', 'values']);
    if (v === undefined || v === null || (typeof v === 'object' && !Array.isArray(v))) continue;
    const what = Array.isArray(v) ? 'a list' : `a ${typeof v}`;
    out.push(
      finding(
        VALUES_NOT_MAP_RULE_ID,
        'valuesNotMap',
        hr,
        ['spec', 'values'],
        `HelmRelease ${hr.name ?? '(unnamed)'}: spec.values is ${what}, but Flux requires a map of chart values (the API server rejects this HelmRelease); write the values as a YAML map. Fixes of its values are refused until then.`,
      ),
    );
  }
  return out;
}

export function inputFindings(repo: Repo): Finding[] {
  return [...missingKustomizeFiles(repo), ...valuesNotMap(repo)];
}
