/**
 * Checks on everything a repository applies (rendered releases plus kustomize builds), per cluster: objects applied
 * twice, Secrets and ConfigMaps that pods use but nobody makes, a Vault configuration that does not parse or is not
 * the one the repository wrote, listener certificates outside any mounted volume, probes whose scheme does not match
 * the listener, PodDisruptionBudgets that select no pod.
 */
import { parseHcl, type HclDoc } from '../../kit/hcl/parse.js';
import { findBlocks, getAttribute, isTruthyHcl } from '../../kit/hcl/query.js';
import { objectKey, objectLabel, type K8sObject } from './objects.js';

/** An object of one cluster's desired state. `scope` is the cluster directory ('' when the repository has none). */
export interface ScopedObject extends K8sObject {
  readonly scope: string;
  /** What applies it: `HelmRelease ns/name` or `Kustomization ns/name` (or a directory). */
  readonly unit: string;
}

/** Secret and ConfigMap names made by something other than a manifest (SOPS files, generators, config). */
export interface Producer {
  readonly kind: 'Secret' | 'ConfigMap';
  /** undefined: any namespace. */
  readonly namespace: string | undefined;
  readonly name: string;
  readonly what: string;
}

/** A release, for the checks that compare the rendered output with the values the repository wrote. */
export interface ReleaseView {
  readonly id: string;
  /** The unit its objects carry (`HelmRelease <file#doc>`). */
  readonly unit: string;
  readonly scope: string;
  readonly values: Record<string, unknown>;
  readonly objects: readonly K8sObject[];
}

export interface Universe {
  readonly objects: readonly ScopedObject[];
  readonly releases: readonly ReleaseView[];
  readonly producers: readonly Producer[];
  /** `scope|namespace` where something is applied that could not be seen (a release not rendered, a build that failed). */
  readonly opaque: ReadonlySet<string>;
  /** Config `render.external`: `Kind/namespace/name` patterns (`*` matches any segment) made outside the repository. */
  readonly external: readonly string[];
}

export type CheckId =
  'release-renders' | 'duplicate-object' | 'missing-reference' | 'vault-config' | 'listener-cert-path' | 'probe-scheme' | 'pdb-selects-nothing';

export const CHECK_TITLES: Record<CheckId, string> = {
  'release-renders': 'the chart still renders',
  'duplicate-object': 'no object is applied twice',
  'missing-reference': 'every Secret and ConfigMap a pod uses exists',
  'vault-config': 'the Vault configuration parses and is the one the repository wrote',
  'listener-cert-path': 'listener certificates sit under a mounted volume',
  'probe-scheme': 'probe scheme matches listener TLS',
  'pdb-selects-nothing': 'every PodDisruptionBudget selects pods',
};

export interface Violation {
  readonly check: CheckId;
  /** Stable identity, to compare before and after. */
  readonly key: string;
  readonly message: string;
  readonly scope: string;
  /** False when something applied in that namespace could not be seen: reported, never a reason to refuse a fix. */
  readonly certain: boolean;
  /** Units (releases, builds) involved. */
  readonly units: readonly string[];
}

function rec(v: unknown): Record<string, unknown> | undefined {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

function arr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v ? v : undefined;
}

function where(o: ScopedObject): string {
  return o.scope ? ` in ${o.scope}` : '';
}

export interface PodTemplate {
  readonly object: ScopedObject;
  readonly labels: Record<string, string>;
  readonly spec: Record<string, unknown>;
}

/** The pod template of a workload (Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob). */
export function podTemplate(o: ScopedObject): PodTemplate | undefined {
  const d = o.data;
  let tpl: Record<string, unknown> | undefined;
  if (o.kind === 'Pod' && o.group === '') tpl = { metadata: d.metadata, spec: d.spec };
  else if (['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet'].includes(o.kind) && o.group === 'apps') tpl = rec(rec(d.spec)?.template);
  else if (o.kind === 'Job' && o.group === 'batch') tpl = rec(rec(d.spec)?.template);
  else if (o.kind === 'CronJob' && o.group === 'batch') tpl = rec(rec(rec(rec(d.spec)?.jobTemplate)?.spec)?.template);
  const spec = rec(tpl?.spec);
  if (!tpl || !spec) return undefined;
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(rec(rec(tpl.metadata)?.labels) ?? {})) labels[k] = String(v);
  return { object: o, labels, spec };
}

function containersOf(spec: Record<string, unknown>): Record<string, unknown>[] {
  return [...arr(spec.initContainers), ...arr(spec.containers)].map(rec).filter((c): c is Record<string, unknown> => !!c);
}

interface Reference {
  readonly kind: 'Secret' | 'ConfigMap';
  readonly name: string;
  readonly how: string;
}

/** Secrets and ConfigMaps a pod needs to start (optional references left out). */
export function podReferences(spec: Record<string, unknown>): Reference[] {
  const out: Reference[] = [];
  for (const v of arr(spec.volumes).map(rec)) {
    if (!v) continue;
    const vol = str(v.name) ?? '?';
    const s = rec(v.secret);
    if (s && s.optional !== true && str(s.secretName)) out.push({ kind: 'Secret', name: str(s.secretName)!, how: `volume ${vol}` });
    const c = rec(v.configMap);
    if (c && c.optional !== true && str(c.name)) out.push({ kind: 'ConfigMap', name: str(c.name)!, how: `volume ${vol}` });
    for (const src of arr(rec(v.projected)?.sources).map(rec)) {
      const ps = rec(src?.secret);
      if (ps && ps.optional !== true && str(ps.name)) out.push({ kind: 'Secret', name: str(ps.name)!, how: `projected volume ${vol}` });
      const pc = rec(src?.configMap);
      if (pc && pc.optional !== true && str(pc.name)) out.push({ kind: 'ConfigMap', name: str(pc.name)!, how: `projected volume ${vol}` });
    }
  }
  for (const c of containersOf(spec)) {
    const cn = str(c.name) ?? '?';
    for (const e of arr(c.env).map(rec)) {
      const from = rec(e?.valueFrom);
      const sk = rec(from?.secretKeyRef);
      if (sk && sk.optional !== true && str(sk.name)) out.push({ kind: 'Secret', name: str(sk.name)!, how: `env ${str(e?.name) ?? '?'} of container ${cn}` });
      const ck = rec(from?.configMapKeyRef);
      if (ck && ck.optional !== true && str(ck.name))
        out.push({ kind: 'ConfigMap', name: str(ck.name)!, how: `env ${str(e?.name) ?? '?'} of container ${cn}` });
    }
    for (const e of arr(c.envFrom).map(rec)) {
      const sr = rec(e?.secretRef);
      if (sr && sr.optional !== true && str(sr.name)) out.push({ kind: 'Secret', name: str(sr.name)!, how: `envFrom of container ${cn}` });
      const cr = rec(e?.configMapRef);
      if (cr && cr.optional !== true && str(cr.name)) out.push({ kind: 'ConfigMap', name: str(cr.name)!, how: `envFrom of container ${cn}` });
    }
  }
  return out;
}

/** `Kind/namespace/name` matches a `render.external` pattern (`*` matches one whole segment). */
export function externalMatch(patterns: readonly string[], kind: string, namespace: string, name: string): boolean {
  return patterns.some((p) => {
    const parts = p.split('/');
    const [k, ns, n] = parts.length === 3 ? parts : parts.length === 2 ? [kind, parts[0], parts[1]] : [kind, '*', parts[0]];
    return (k === '*' || k === kind) && (ns === '*' || ns === namespace) && (n === '*' || n === name);
  });
}

/** Names of Secrets that objects make at run time (cert-manager, External Secrets, Sealed Secrets, Vault Secrets Operator). */
function madeSecrets(o: ScopedObject): { namespace: string | undefined; name: string; what: string }[] {
  const spec = rec(o.data.spec) ?? {};
  const label = objectLabel(o);
  if (o.kind === 'Certificate' && o.group === 'cert-manager.io' && str(spec.secretName))
    return [{ namespace: o.namespace, name: str(spec.secretName)!, what: label }];
  if (o.kind === 'ExternalSecret' && o.group === 'external-secrets.io')
    return [{ namespace: o.namespace, name: str(rec(spec.target)?.name) ?? o.name, what: label }];
  if (o.kind === 'ClusterExternalSecret' && o.group === 'external-secrets.io') {
    const name = str(spec.externalSecretName) ?? str(rec(rec(spec.externalSecretSpec)?.target)?.name) ?? o.name;
    return [{ namespace: undefined, name, what: label }];
  }
  if (o.kind === 'SealedSecret') return [{ namespace: o.namespace, name: str(rec(rec(spec.template)?.metadata)?.name) ?? o.name, what: label }];
  if (o.group === 'secrets.hashicorp.com' && str(rec(spec.destination)?.name))
    return [{ namespace: o.namespace, name: str(rec(spec.destination)?.name)!, what: label }];
  return [];
}

function duplicates(u: Universe): Violation[] {
  const groups = new Map<string, ScopedObject[]>();
  for (const o of u.objects) {
    const k = `${o.scope}\0${objectKey(o)}`;
    const list = groups.get(k);
    if (list) list.push(o);
    else groups.set(k, [o]);
  }
  const out: Violation[] = [];
  for (const [k, list] of groups) {
    if (list.length < 2) continue;
    const o = list[0]!;
    out.push({
      check: 'duplicate-object',
      key: `duplicate-object|${k.replace('\0', '|')}|${list.length}`,
      message: `${objectLabel(o)} is applied ${list.length} times${where(o)}: ${list.map((x) => x.origin).join('; ')}`,
      scope: o.scope,
      certain: true,
      units: [...new Set(list.map((x) => x.unit))],
    });
  }
  return out;
}

function missingReferences(u: Universe): Violation[] {
  const have = new Set<string>();
  const add = (scope: string, kind: string, ns: string | undefined, name: string) => have.add(`${scope}|${kind}|${ns ?? '*'}|${name}`);
  for (const o of u.objects) {
    if ((o.kind === 'Secret' || o.kind === 'ConfigMap') && o.group === '') add(o.scope, o.kind, o.namespace, o.name);
    for (const m of madeSecrets(o)) add(o.scope, 'Secret', m.namespace, m.name);
  }
  const exists = (scope: string, kind: string, ns: string, name: string) =>
    have.has(`${scope}|${kind}|${ns}|${name}`) ||
    have.has(`${scope}|${kind}|*|${name}`) ||
    u.producers.some((p) => p.kind === kind && p.name === name && (p.namespace === undefined || p.namespace === ns)) ||
    externalMatch(u.external, kind, ns, name);
  const out: Violation[] = [];
  for (const o of u.objects) {
    const pod = podTemplate(o);
    if (!pod) continue;
    const seen = new Set<string>();
    for (const r of podReferences(pod.spec)) {
      if (seen.has(`${r.kind}/${r.name}`) || exists(o.scope, r.kind, o.namespace, r.name)) continue;
      seen.add(`${r.kind}/${r.name}`);
      out.push({
        check: 'missing-reference',
        key: `missing-reference|${o.scope}|${objectKey(o)}|${r.kind}|${r.name}`,
        message: `${objectLabel(o)} uses ${r.kind} ${r.name} (${r.how}), which nothing in the repository makes${where(o)}; if it is made outside the repository, list it under render.external`,
        scope: o.scope,
        certain: !u.opaque.has(`${o.scope}|${o.namespace}`),
        units: [o.unit],
      });
    }
  }
  return out;
}

function selectorMatches(sel: Record<string, unknown> | undefined, labels: Record<string, string>): boolean {
  if (!sel) return false;
  for (const [k, v] of Object.entries(rec(sel.matchLabels) ?? {})) if (labels[k] !== String(v)) return false;
  for (const e of arr(sel.matchExpressions).map(rec)) {
    const key = str(e?.key) ?? '';
    const values = arr(e?.values).map(String);
    const has = key in labels;
    switch (e?.operator) {
      case 'In':
        if (!has || !values.includes(labels[key]!)) return false;
        break;
      case 'NotIn':
        if (has && values.includes(labels[key]!)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

function pdbs(u: Universe): Violation[] {
  const pods = u.objects.map(podTemplate).filter((p): p is PodTemplate => !!p);
  const out: Violation[] = [];
  for (const o of u.objects) {
    if (o.kind !== 'PodDisruptionBudget' || o.group !== 'policy') continue;
    const sel = rec(rec(o.data.spec)?.selector);
    const match = pods.some((p) => p.object.scope === o.scope && p.object.namespace === o.namespace && selectorMatches(sel ?? {}, p.labels));
    if (match) continue;
    out.push({
      check: 'pdb-selects-nothing',
      key: `pdb-selects-nothing|${o.scope}|${objectKey(o)}`,
      message: `${objectLabel(o)} selects no pod${where(o)} (selector ${JSON.stringify(sel ?? {})}): it protects nothing`,
      scope: o.scope,
      certain: !u.opaque.has(`${o.scope}|${o.namespace}`),
      units: [o.unit],
    });
  }
  return out;
}

/** Collapse whitespace; `{{ ... }}` (evaluated by the chart's `tpl`) matches anything. */
function configPattern(text: string): RegExp {
  const parts = text.split(/\{\{[\s\S]*?\}\}/).map((p) =>
    p
      .replace(/\s+/g, ' ')
      .trim()
      .replace(/[.*+?^${}()|[\]\\]/g, '\\$&'),
  );
  return new RegExp(`^${parts.join('[\\s\\S]*?')}$`);
}

/** The chart adds `disable_mlock = true` when the configuration lacks it (appended; before chart 0.32.0 prepended): compare without it. */
function normalisedConfig(text: string): string {
  return text
    .replace(/\n\s*disable_mlock\s*=\s*true\s*$/, '')
    .replace(/^\s*disable_mlock\s*=\s*true\s*\n/, '')
    .replace(/\s+/g, ' ')
    .trim();
}

/** `server.standalone.config`-like values: strings under a `config` key that hold a Vault listener or storage. */
function writtenConfigs(values: unknown, path: string[] = []): { path: string; text: string }[] {
  const r = rec(values);
  if (!r) return [];
  const out: { path: string; text: string }[] = [];
  for (const [k, v] of Object.entries(r)) {
    if (k === 'config' && typeof v === 'string' && /\b(listener|storage)\b/.test(v)) out.push({ path: [...path, k].join('.'), text: v });
    else if (rec(v)) out.push(...writtenConfigs(v, [...path, k]));
  }
  return out;
}

interface VaultPod {
  readonly object: ScopedObject;
  readonly container: Record<string, unknown>;
  readonly configMap: K8sObject;
  readonly key: string;
  readonly text: string;
}

/** Containers that run from an HCL file of a ConfigMap they mount (the Vault chart's `extraconfig-from-values.hcl`). */
function vaultPods(u: Universe): VaultPod[] {
  const cms = new Map<string, K8sObject>();
  for (const o of u.objects) if (o.kind === 'ConfigMap' && o.group === '') cms.set(`${o.scope}|${o.namespace}|${o.name}`, o);
  const out: VaultPod[] = [];
  for (const o of u.objects) {
    const pod = podTemplate(o);
    if (!pod) continue;
    for (const v of arr(pod.spec.volumes).map(rec)) {
      const cmName = str(rec(v?.configMap)?.name);
      const cm = cmName ? cms.get(`${o.scope}|${o.namespace}|${cmName}`) : undefined;
      if (!cm) continue;
      for (const [key, text] of Object.entries(rec(cm.data.data) ?? {})) {
        if (!key.endsWith('.hcl') || typeof text !== 'string') continue;
        for (const c of arr(pod.spec.containers).map(rec)) {
          if (!c || !arr(c.volumeMounts).some((m) => rec(m)?.name === v!.name)) continue;
          const cmd = JSON.stringify([c.command ?? [], c.args ?? []]);
          if (cmd.includes(key)) out.push({ object: o, container: c, configMap: cm, key, text });
        }
      }
    }
  }
  return out;
}

/** `-config` files of a container that runs Vault, and the listeners of the HCL it reads. */
function parseConfig(text: string): { doc?: HclDoc; json?: Record<string, unknown>; error?: string } {
  const t = text.trim();
  if (t.startsWith('{')) {
    try {
      return { json: JSON.parse(t) as Record<string, unknown> };
    } catch {
      // fall through: HCL may also start with a brace-less object
    }
  }
  try {
    return { doc: parseHcl(text) };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

interface Listener {
  readonly port: number | undefined;
  readonly tls: boolean;
  readonly files: { attr: string; path: string }[];
}

function listeners(doc: HclDoc): Listener[] {
  return findBlocks(doc, 'listener', 'tcp').map((b) => {
    const address = getAttribute(b, 'address')?.value;
    const port = typeof address === 'string' ? Number(/:(\d+)$/.exec(address)?.[1] ?? 8200) : 8200;
    const disabled = isTruthyHcl(getAttribute(b, 'tls_disable')?.value);
    const files = ['tls_cert_file', 'tls_key_file', 'tls_client_ca_file']
      .map((attr) => ({ attr, path: getAttribute(b, attr)?.value }))
      .filter((f): f is { attr: string; path: string } => typeof f.path === 'string' && f.path !== '');
    return { port, tls: !disabled, files };
  });
}

function vaultChecks(u: Universe): Violation[] {
  const out: Violation[] = [];
  const pods = vaultPods(u);
  // The rendered ConfigMap must be the configuration the repository wrote, and must be read by a pod.
  for (const rel of u.releases) {
    const written = writtenConfigs(rel.values);
    for (const cm of rel.objects) {
      if (cm.kind !== 'ConfigMap' || cm.group !== '') continue;
      for (const [key, text] of Object.entries(rec(cm.data.data) ?? {})) {
        if (!key.endsWith('.hcl') || typeof text !== 'string') continue;
        const base = `vault-config|${rel.scope}|${objectKey(cm)}|${key}`;
        if (!pods.some((p) => p.configMap === cm || (p.object.scope === rel.scope && objectKey(p.configMap) === objectKey(cm) && p.key === key))) {
          out.push({
            check: 'vault-config',
            key: `${base}|unused`,
            message: `${objectLabel(cm)} key ${key} (HelmRelease ${rel.id}) is read by no container: the configuration is not used`,
            scope: rel.scope,
            certain: true,
            units: [rel.unit],
          });
        }
        if (written.length && !written.some((w) => configPattern(normalisedConfig(w.text)).test(normalisedConfig(text)))) {
          out.push({
            check: 'vault-config',
            key: `${base}|not-written`,
            message: `${objectLabel(cm)} (HelmRelease ${rel.id}) does not hold the configuration the repository writes in ${written.map((w) => w.path).join(', ')}: the chart renders another one in this mode`,
            scope: rel.scope,
            certain: true,
            units: [rel.unit],
          });
        }
      }
    }
  }
  for (const p of pods) {
    const o = p.object;
    const label = `${objectLabel(o)} container ${str(p.container.name) ?? '?'}`;
    const base = `${o.scope}|${objectKey(o)}|${str(p.container.name) ?? ''}`;
    const parsed = parseConfig(p.text);
    if (parsed.error) {
      out.push({
        check: 'vault-config',
        key: `vault-config|${base}|parse`,
        message: `${objectLabel(p.configMap)} key ${p.key}, read by ${label}, does not parse: ${parsed.error}`,
        scope: o.scope,
        certain: true,
        units: [o.unit],
      });
      continue;
    }
    if (!parsed.doc) continue;
    const ls = listeners(parsed.doc);
    const mounts = arr(p.container.volumeMounts)
      .map((m) => str(rec(m)?.mountPath))
      .filter((m): m is string => !!m)
      .map((m) => m.replace(/\/+$/, ''));
    for (const l of ls) {
      if (!l.tls) continue;
      for (const f of l.files) {
        if (mounts.some((m) => f.path.startsWith(`${m}/`))) continue;
        out.push({
          check: 'listener-cert-path',
          key: `listener-cert-path|${base}|${f.attr}|${f.path}`,
          message: `${label}: listener ${f.attr} = "${f.path}" is not under any mounted volume (${mounts.join(', ') || 'none'}); Vault cannot read it`,
          scope: o.scope,
          certain: true,
          units: [o.unit],
        });
      }
    }
    const ports = new Map<string, number>();
    for (const cp of arr(p.container.ports).map(rec)) if (str(cp?.name) && typeof cp?.containerPort === 'number') ports.set(str(cp.name)!, cp.containerPort);
    for (const probeName of ['readinessProbe', 'livenessProbe', 'startupProbe']) {
      const http = rec(rec(p.container[probeName])?.httpGet);
      if (!http) continue;
      const port = typeof http.port === 'number' ? http.port : (ports.get(String(http.port)) ?? Number(http.port));
      const listener = ls.find((l) => l.port === port);
      if (!listener) continue;
      const scheme = (typeof http.scheme === 'string' ? http.scheme : 'HTTP').toUpperCase();
      if ((scheme === 'HTTPS') === listener.tls) continue;
      out.push({
        check: 'probe-scheme',
        key: `probe-scheme|${base}|${probeName}`,
        message: `${label}: ${probeName} uses ${scheme} on port ${port}, but the listener there ${listener.tls ? 'serves TLS' : 'has TLS disabled'}; the probe fails`,
        scope: o.scope,
        certain: true,
        units: [o.unit],
      });
    }
    for (const e of arr(p.container.env).map(rec)) {
      if (e?.name !== 'VAULT_ADDR' || typeof e.value !== 'string') continue;
      const m = /^(https?):\/\/[^/]*?:(\d+)/.exec(e.value);
      const listener = m ? ls.find((l) => l.port === Number(m[2])) : undefined;
      if (!m || !listener || (m[1] === 'https') === listener.tls) continue;
      out.push({
        check: 'probe-scheme',
        key: `probe-scheme|${base}|VAULT_ADDR`,
        message: `${label}: VAULT_ADDR is ${e.value}, but the listener on port ${m[2]} ${listener.tls ? 'serves TLS' : 'has TLS disabled'}; \`vault status\` probes and the CLI in the pod fail`,
        scope: o.scope,
        certain: true,
        units: [o.unit],
      });
    }
  }
  return out;
}

/** Every check on one desired state. */
export function runChecks(u: Universe): Violation[] {
  return [...duplicates(u), ...missingReferences(u), ...vaultChecks(u), ...pdbs(u)].sort((a, b) => a.key.localeCompare(b.key));
}

export interface ComparedViolations {
  /** In the after state only: caused by the change. */
  readonly introduced: readonly Violation[];
  /** In both states: reported, not blamed on the change. */
  readonly existing: readonly Violation[];
  /** In the before state only: the change removed them. */
  readonly resolved: readonly Violation[];
}

export function compareViolations(before: readonly Violation[], after: readonly Violation[]): ComparedViolations {
  const b = new Set(before.map((v) => v.key));
  const a = new Set(after.map((v) => v.key));
  return {
    introduced: after.filter((v) => !b.has(v.key)),
    existing: after.filter((v) => b.has(v.key)),
    resolved: before.filter((v) => !a.has(v.key)),
  };
}

/**
 * The checks on one render alone (a chart rendered with `Renderer.renderChart`, say): every object in one cluster,
 * made by `unit`, with the values it was rendered from for the Vault configuration check.
 */
export function checkRendered(
  objects: readonly K8sObject[],
  opts: { unit?: string; values?: Record<string, unknown>; external?: readonly string[] } = {},
): Violation[] {
  const unit = opts.unit ?? 'render';
  return runChecks({
    objects: objects.map((o) => ({ ...o, scope: '', unit })),
    releases: opts.values ? [{ id: unit, unit, scope: '', values: opts.values, objects }] : [],
    producers: [],
    opaque: new Set(),
    external: opts.external ?? [],
  });
}
