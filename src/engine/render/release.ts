/**
 * What Flux's helm-controller hands to Helm for a HelmRelease: the release name, namespaces, the chart, and the values
 * merged as Flux merges them (`valuesFrom` in order, then `spec.values`), with every input file recorded so that a
 * change to any of them is known to change the render.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { GROUPS, type Repo, type Resource } from '../../kit/index.js';
import { asArray, asRecord, deepMerge, dirOf, isKustomizeFileName, joinPath, nonEmptyString } from '../../kit/data.js';
import { chartRequest, type ChartRequest } from './charts.js';

export interface PostRenderer {
  /** The `kustomize` block of one `spec.postRenderers` entry (patches, images, ...). */
  readonly kustomize: Record<string, unknown>;
}

export interface ReleaseInputs {
  /** `namespace/name` of the HelmRelease. */
  readonly id: string;
  /** Unique in the repository (`file#doc`): clusters of one repository often have a release of the same name. */
  readonly key: string;
  readonly resource: Resource;
  /** Helm release name (spec.releaseName, else [targetNamespace-]name, shortened as Flux does past 53 characters). */
  readonly releaseName: string;
  /** Where the release installs (spec.targetNamespace, else the HelmRelease's namespace). */
  readonly namespace: string;
  /** Where Helm keeps the release record (spec.storageNamespace, else the HelmRelease's namespace). */
  readonly storageNamespace: string;
  readonly chart: ChartRequest;
  /** The merged values. */
  readonly values: Record<string, unknown>;
  /** Why the values may not be what the cluster sees (SOPS, external Secrets, sources outside the repository). */
  readonly partial: readonly string[];
  /** Repository files whose content the render depends on. */
  readonly inputFiles: readonly string[];
  /** Repository directories whose every file the render depends on (a chart kept in this repository). */
  readonly inputDirs: readonly string[];
  readonly postRenderers: readonly PostRenderer[];
  /** `helm template --include-crds` (install.crds is not Skip). */
  readonly includeCrds: boolean;
  /** Render test hooks only when spec.test.enable. */
  readonly skipTests: boolean;
  /** install.disableHooks. */
  readonly noHooks: boolean;
}

/** Flux's release name: spec.releaseName, else `[targetNamespace-]name`; longer than 53 characters: 40 + `-` + 12 of its sha256. */
export function fluxReleaseName(name: string, targetNamespace: string | undefined, releaseName: string | undefined): string {
  const n = releaseName || (targetNamespace ? `${targetNamespace}-${name}` : name);
  if (n.length <= 53) return n;
  return `${n.slice(0, 40)}-${createHash('sha256').update(n).digest('hex').slice(0, 12)}`;
}

/** Set a value at a Helm `--set` path (`a.b[0].c`, `\.` escapes a dot) in a copy of `values`. */
export function setPath(values: Record<string, unknown>, path: string, value: unknown): Record<string, unknown> {
  const segs: (string | number)[] = [];
  let cur = '';
  for (let i = 0; i < path.length; i++) {
    const ch = path[i]!;
    if (ch === '\\' && i + 1 < path.length) cur += path[++i];
    else if (ch === '.') {
      segs.push(cur);
      cur = '';
    } else if (ch === '[') {
      if (cur) segs.push(cur);
      cur = '';
      const end = path.indexOf(']', i);
      segs.push(Number(path.slice(i + 1, end)));
      i = end;
      if (path[i + 1] === '.') i++;
    } else cur += ch;
  }
  if (cur) segs.push(cur);
  const root: Record<string, unknown> = structuredClone(values);
  let node: Record<string | number, unknown> | unknown[] = root;
  segs.forEach((seg, idx) => {
    const last = idx === segs.length - 1;
    const next = segs[idx + 1];
    const container = node as Record<string | number, unknown>;
    if (last) container[seg] = value;
    else {
      const existing = container[seg];
      const fresh = typeof next === 'number' ? [] : {};
      if (existing === null || typeof existing !== 'object') container[seg] = fresh;
      node = container[seg] as Record<string | number, unknown>;
    }
  });
  return root;
}

/** Helm's `--set` typing of a value (what `targetPath` without `literal` does): booleans, integers, null; else a string. */
export function setValueType(v: string): unknown {
  if (v === 'true') return true;
  if (v === 'false') return false;
  if (v === 'null') return null;
  if (/^-?(0|[1-9]\d*)$/.test(v) && Number.isSafeInteger(Number(v))) return Number(v);
  return v;
}

const SOPS_VALUE = /^ENC\[[A-Z0-9_]+,data:/;

/** Data of a declared ConfigMap or Secret (`stringData` over base64 `data`). */
function objectData(res: Resource): Map<string, string> {
  const out = new Map<string, string>();
  const data = asRecord(res.get(['data'])) ?? {};
  for (const [k, v] of Object.entries(data)) {
    if (typeof v !== 'string') continue;
    out.set(k, res.kind === 'Secret' && !SOPS_VALUE.test(v) ? Buffer.from(v, 'base64').toString('utf8') : v);
  }
  if (res.kind === 'Secret') for (const [k, v] of Object.entries(asRecord(res.get(['stringData'])) ?? {})) if (typeof v === 'string') out.set(k, v);
  return out;
}

/** A file's text: from the loaded repository (planned changes included), else from disk. */
function fileText(repo: Repo, path: string): { text?: string; sops?: boolean } {
  const f = repo.file(path);
  if (f) return f.skipReason === 'sops-encrypted' ? { sops: true } : { text: f.text };
  try {
    const text = readFileSync(join(repo.root, path), 'utf8');
    return /^sops:\s*$/m.test(text) && /\bmac:\s*ENC\[/.test(text) ? { sops: true } : { text };
  } catch {
    return {};
  }
}

interface Found {
  readonly data?: Map<string, string>;
  /** Why the data cannot be read. */
  readonly partial?: string;
  readonly files: readonly string[];
}

/** The kustomization.yaml document of every kustomize directory. */
const kustomizationMemo = new WeakMap<Repo, Resource[]>();
function kustomizationFiles(repo: Repo): Resource[] {
  let m = kustomizationMemo.get(repo);
  if (!m) kustomizationMemo.set(repo, (m = kustomizationFilesOf(repo)));
  return m;
}

function kustomizationFilesOf(repo: Repo): Resource[] {
  return repo.files.filter((f) => isKustomizeFileName(f.path) && f.resources[0]).map((f) => f.resources[0]!);
}

/** SOPS-encrypted manifests the loader skipped: their kind and name are in clear text. */
const sopsMemo = new WeakMap<Repo, { file: string; kind: string; name: string; namespace: string | undefined }[]>();
function sopsObjects(repo: Repo): { file: string; kind: string; name: string; namespace: string | undefined }[] {
  let m = sopsMemo.get(repo);
  if (!m) sopsMemo.set(repo, (m = sopsObjectsOf(repo)));
  return m;
}

function sopsObjectsOf(repo: Repo): { file: string; kind: string; name: string; namespace: string | undefined }[] {
  const out: { file: string; kind: string; name: string; namespace: string | undefined }[] = [];
  for (const f of repo.files) {
    if (f.skipReason !== 'sops-encrypted') continue;
    let text = f.text;
    if (!text) {
      try {
        text = readFileSync(join(repo.root, f.path), 'utf8');
      } catch {
        continue;
      }
    }
    try {
      const d = asRecord(parse(text));
      const meta = asRecord(d?.metadata);
      if (typeof d?.kind === 'string' && typeof meta?.name === 'string')
        out.push({ file: f.path, kind: d.kind, name: meta.name, namespace: nonEmptyString(meta.namespace) });
    } catch {
      // not a single YAML document: nothing to learn
    }
  }
  return out;
}

/** Key/value pairs of a kustomize generator (files, literals, envs); `sops` when a source file is encrypted. */
function generatorData(repo: Repo, dir: string, gen: Record<string, unknown>): { data: Map<string, string>; files: string[]; sops?: string } {
  const data = new Map<string, string>();
  const files: string[] = [];
  let sops: string | undefined;
  for (const f of Array.isArray(gen.files) ? gen.files : []) {
    if (typeof f !== 'string') continue;
    const eq = f.indexOf('=');
    const key = eq >= 0 ? f.slice(0, eq) : f.slice(f.lastIndexOf('/') + 1);
    const path = joinPath(dir, eq >= 0 ? f.slice(eq + 1) : f);
    files.push(path);
    const t = fileText(repo, path);
    if (t.sops) sops = path;
    else if (t.text !== undefined) data.set(key, t.text);
  }
  for (const l of Array.isArray(gen.literals) ? gen.literals : []) {
    if (typeof l !== 'string' || !l.includes('=')) continue;
    data.set(l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1).replace(/^(["'])(.*)\1$/, '$2'));
  }
  const envs = [...asArray(gen.envs), ...(typeof gen.env === 'string' ? [gen.env] : [])];
  for (const e of envs) {
    if (typeof e !== 'string') continue;
    const path = joinPath(dir, e);
    files.push(path);
    const t = fileText(repo, path);
    if (t.sops) sops = path;
    for (const line of (t.text ?? '').split('\n')) {
      const m = /^\s*([^#=\s][^=]*)=(.*)$/.exec(line);
      if (m) data.set(m[1]!.trim(), m[2]!);
    }
  }
  return { data, files, ...(sops ? { sops } : {}) };
}

/** Where a ConfigMap or Secret named `name` in `namespace` comes from in the repository, and its data. */
function findValuesObject(repo: Repo, kind: 'ConfigMap' | 'Secret', name: string, namespace: string | undefined): Found | undefined {
  const declared = repo.ofKind(kind, '').filter((r) => r.name === name && (repo.flux.namespaceOf(r) ?? r.namespace) === namespace);
  const d = declared[0] ?? repo.ofKind(kind, '').find((r) => r.name === name && r.namespace === undefined && repo.flux.namespaceOf(r) === undefined);
  if (d) {
    const data = objectData(d);
    const encrypted = [...data.values()].some((v) => SOPS_VALUE.test(v)) || d.get(['sops']) !== undefined;
    return encrypted ? { partial: `${kind} ${name} (${d.file}) is SOPS-encrypted`, files: [d.file] } : { data, files: [d.file] };
  }
  const genKey = kind === 'ConfigMap' ? 'configMapGenerator' : 'secretGenerator';
  for (const k of kustomizationFiles(repo)) {
    const gens = k.get([genKey]);
    if (!Array.isArray(gens)) continue;
    for (const g of gens) {
      const gen = asRecord(g);
      if (!gen || gen.name !== name) continue;
      const genNs = nonEmptyString(gen.namespace) ?? nonEmptyString(k.get(['namespace'])) ?? repo.flux.namespaceOf(k);
      if (genNs !== undefined && namespace !== undefined && genNs !== namespace) continue;
      const dir = dirOf(k.file);
      const got = generatorData(repo, dir, gen);
      const files = [k.file, ...got.files];
      if (got.sops) return { partial: `${kind} ${name} is generated from the SOPS-encrypted ${got.sops}`, files };
      return { data: got.data, files };
    }
  }
  const sops = sopsObjects(repo).find((o) => o.kind === kind && o.name === name && (o.namespace === undefined || o.namespace === namespace));
  if (sops) return { partial: `${kind} ${name} (${sops.file}) is SOPS-encrypted`, files: [sops.file] };
  if (kind === 'Secret') {
    for (const es of repo.ofKind('ExternalSecret', GROUPS.eso)) {
      const target = nonEmptyString(es.get(['spec', 'target', 'name'])) ?? es.name;
      if (target === name && (repo.flux.namespaceOf(es) ?? es.namespace) === namespace) {
        return { partial: `Secret ${name} is made by ExternalSecret ${es.name} (${es.file}) from an external store`, files: [es.file] };
      }
    }
  }
  return undefined;
}

/** `${var}` substitution of a Flux Kustomization's postBuild (inline `substitute` and repository ConfigMaps/Secrets). */
function substitutions(repo: Repo, hr: Resource): { vars: Map<string, string>; files: string[]; partial: string[] } | undefined {
  const vars = new Map<string, string>();
  const files: string[] = [];
  const partial: string[] = [];
  let any = false;
  for (const ks of repo.flux.fluxKustomizationsFor(hr.file)) {
    const post = asRecord(ks.get(['spec', 'postBuild']));
    if (!post) continue;
    any = true;
    files.push(ks.file);
    const ns = repo.flux.namespaceOf(ks) ?? ks.namespace;
    for (const ref of Array.isArray(post.substituteFrom) ? post.substituteFrom : []) {
      const r = asRecord(ref);
      const kind = r?.kind === 'Secret' ? 'Secret' : 'ConfigMap';
      const name = nonEmptyString(r?.name);
      if (!name) continue;
      const found = findValuesObject(repo, kind, name, ns);
      if (found?.data) for (const [k, v] of found.data) vars.set(k, v);
      if (found) files.push(...found.files);
      if (found?.partial) partial.push(`postBuild variables: ${found.partial}`);
      else if (!found && r?.optional !== true) partial.push(`postBuild variables: ${kind} ${name} is not in this repository`);
    }
    for (const [k, v] of Object.entries(asRecord(post.substitute) ?? {})) vars.set(k, String(v));
  }
  return any ? { vars, files, partial } : undefined;
}

/** Flux's envsubst: `${var}`, `${var:=default}`, `${var:-default}`; unset variables become empty; `$${var}` escapes. */
export function substitute(text: string, vars: ReadonlyMap<string, string>): string {
  return text.replace(/(\$?)\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?[=-]([^}]*))?\}/g, (m, esc: string, name: string, def: string | undefined) => {
    if (esc) return m.slice(1);
    return vars.get(name) ?? def ?? '';
  });
}

function substituteDeep(v: unknown, vars: ReadonlyMap<string, string>): unknown {
  if (typeof v === 'string') return v.includes('${') ? substitute(v, vars) : v;
  if (Array.isArray(v)) return v.map((x) => substituteDeep(x, vars));
  const r = asRecord(v);
  if (r) return Object.fromEntries(Object.entries(r).map(([k, x]) => [k, substituteDeep(x, vars)]));
  return v;
}

/** Where the inputs of a release are collected: the files read and what the repository cannot tell. */
interface Collected {
  readonly files: Set<string>;
  readonly partial: string[];
}

/** The values one `valuesFrom` item adds to `values` (`hrNs`: where Flux looks for the ConfigMap or Secret). */
function valuesFromItem(repo: Repo, item: unknown, hrNs: string, values: Record<string, unknown>, out: Collected): Record<string, unknown> {
  const ref = asRecord(item);
  const kind = ref?.kind === 'Secret' ? 'Secret' : ref?.kind === 'ConfigMap' ? 'ConfigMap' : undefined;
  const refName = nonEmptyString(ref?.name);
  if (!ref || !kind || !refName) return values;
  const key = nonEmptyString(ref.valuesKey) ?? 'values.yaml';
  const optional = ref.optional === true;
  const found = findValuesObject(repo, kind, refName, hrNs);
  found?.files.forEach((f) => out.files.add(f));
  if (!found) {
    if (!optional) out.partial.push(`valuesFrom ${kind} ${refName} is not in this repository`);
    return values;
  }
  if (found.partial) {
    out.partial.push(`valuesFrom ${found.partial}`);
    return values;
  }
  const text = found.data?.get(key);
  if (text === undefined) {
    if (!optional) out.partial.push(`valuesFrom ${kind} ${refName} has no key ${key}`);
    return values;
  }
  const targetPath = nonEmptyString(ref.targetPath);
  if (targetPath) return setPath(values, targetPath, ref.literal === true ? text : setValueType(text.replace(/^(["'])(.*)\1$/s, '$2')));
  let parsed: unknown;
  try {
    parsed = parse(text);
  } catch (e) {
    out.partial.push(`valuesFrom ${kind} ${refName} key ${key} is not YAML (${(e as Error).message.split('\n')[0]})`);
    return values;
  }
  const map = asRecord(parsed);
  if (map) return deepMerge(values, map);
  if (parsed != null) out.partial.push(`valuesFrom ${kind} ${refName} key ${key} is not a map of values`);
  return values;
}

/** The values Helm sees: `valuesFrom` in order, then the inline `values`. */
function releaseValues(repo: Repo, spec: Record<string, unknown>, hrNs: string, out: Collected): Record<string, unknown> {
  let values: Record<string, unknown> = {};
  for (const item of Array.isArray(spec.valuesFrom) ? spec.valuesFrom : []) values = valuesFromItem(repo, item, hrNs, values, out);
  const inline = asRecord(spec.values);
  return inline ? deepMerge(values, inline) : values;
}

/**
 * How the HelmRelease itself reaches the cluster: the kustomizations that include it (namespace, patches) and the
 * Flux Kustomizations that apply it (targetNamespace, patches, postBuild).
 */
function applyingFiles(repo: Repo, hr: Resource, files: Set<string>): void {
  for (let d = dirOf(hr.file); ; d = dirOf(d)) {
    const k = repo.flux.kustomizeFile(d);
    if (k && repo.flux.kustomizeFiles(d).includes(hr.file)) files.add(k.file);
    if (d === '') break;
  }
  for (const ks of repo.flux.fluxKustomizationsFor(hr.file)) files.add(ks.file);
}

/** Everything Flux would pass to Helm for this HelmRelease, from the repository alone. */
export function releaseInputs(repo: Repo, hr: Resource): ReleaseInputs {
  const subst = substitutions(repo, hr);
  const spec = asRecord(subst ? substituteDeep(hr.get(['spec']), subst.vars) : hr.get(['spec'])) ?? {};
  const hrNs = repo.flux.namespaceOf(hr) ?? hr.namespace ?? 'default';
  const target = nonEmptyString(spec.targetNamespace);
  const name = hr.name ?? 'release';
  const out: Collected = { files: new Set<string>([hr.file, ...(subst?.files ?? [])]), partial: [...(subst?.partial ?? [])] };
  const values = releaseValues(repo, spec, hrNs, out);
  applyingFiles(repo, hr, out.files);

  const chart = chartRequest(repo, hr);
  chart.sources.forEach((s) => out.files.add(s.file));
  const dirs: string[] = [];
  if (chart.localPath) dirs.push(joinPath('', chart.localPath.slice(repo.root.length + 1)));
  const postRenderers: PostRenderer[] = [];
  for (const p of Array.isArray(spec.postRenderers) ? spec.postRenderers : []) {
    const k = asRecord(asRecord(p)?.kustomize);
    if (k) postRenderers.push({ kustomize: k });
  }
  const install = asRecord(spec.install) ?? {};
  return {
    id: `${hrNs}/${name}`,
    key: hr.id,
    resource: hr,
    releaseName: fluxReleaseName(name, target, nonEmptyString(spec.releaseName)),
    namespace: target ?? hrNs,
    storageNamespace: nonEmptyString(spec.storageNamespace) ?? hrNs,
    chart,
    values,
    partial: out.partial,
    inputFiles: [...out.files].sort(),
    inputDirs: dirs,
    postRenderers,
    includeCrds: install.crds !== 'Skip' && install.skipCRDs !== true,
    skipTests: asRecord(spec.test)?.enable !== true,
    noHooks: install.disableHooks === true,
  };
}

/** Does changing `file` change this release's render? */
export function touches(inputs: ReleaseInputs, file: string): boolean {
  return inputs.inputFiles.includes(file) || inputs.inputDirs.some((d) => file === d || file.startsWith(`${d}/`));
}
