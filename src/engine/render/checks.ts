/**
 * Checks on everything a repository applies (rendered releases plus kustomize builds), per cluster: objects applied
 * twice, Secrets and ConfigMaps that pods use but nobody makes, PodDisruptionBudgets that select no pod, and the
 * Vault checks (vault-checks.ts).
 */
import { asArray, asRecord, nonEmptyString } from '../../kit/data.js';
import { podSpecOf } from '../../kit/kinds.js';
import { objectKey, objectLabel, type K8sObject } from './objects.js';
import { podTemplate, type PodTemplate, type ScopedObject, type Universe, type Violation } from './universe.js';
import { vaultChecks } from './vault-checks.js';

function where(o: ScopedObject): string {
  return o.scope ? ` in ${o.scope}` : '';
}

interface Reference {
  readonly kind: 'Secret' | 'ConfigMap';
  readonly name: string;
  readonly how: string;
}

/** Secrets and ConfigMaps a pod needs to start (optional references left out). */
export function podReferences(podSpec: Record<string, unknown>): Reference[] {
  const spec = podSpecOf(podSpec);
  const out: Reference[] = [];
  const add = (kind: Reference['kind'], ref: { readonly name?: string; readonly optional?: boolean } | undefined, how: string) => {
    if (ref && ref.optional !== true && ref.name) out.push({ kind, name: ref.name, how });
  };
  for (const v of spec?.volumes ?? []) {
    if (!v) continue;
    const vol = v.name || '?';
    add('Secret', v.secret && { name: v.secret.secretName, optional: v.secret.optional }, `volume ${vol}`);
    add('ConfigMap', v.configMap, `volume ${vol}`);
    for (const src of v.projected?.sources ?? []) {
      add('Secret', src?.secret, `projected volume ${vol}`);
      add('ConfigMap', src?.configMap, `projected volume ${vol}`);
    }
  }
  for (const c of [...(spec?.initContainers ?? []), ...(spec?.containers ?? [])]) {
    if (!c) continue;
    const cn = c.name || '?';
    for (const e of c.env ?? []) {
      const how = `env ${e?.name || '?'} of container ${cn}`;
      add('Secret', e?.valueFrom?.secretKeyRef, how);
      add('ConfigMap', e?.valueFrom?.configMapKeyRef, how);
    }
    for (const e of c.envFrom ?? []) {
      add('Secret', e?.secretRef, `envFrom of container ${cn}`);
      add('ConfigMap', e?.configMapRef, `envFrom of container ${cn}`);
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
  const spec = asRecord(o.data.spec) ?? {};
  const label = objectLabel(o);
  const certSecret = nonEmptyString(spec.secretName);
  if (o.kind === 'Certificate' && o.group === 'cert-manager.io' && certSecret) return [{ namespace: o.namespace, name: certSecret, what: label }];
  if (o.kind === 'ExternalSecret' && o.group === 'external-secrets.io')
    return [{ namespace: o.namespace, name: nonEmptyString(asRecord(spec.target)?.name) ?? o.name, what: label }];
  if (o.kind === 'ClusterExternalSecret' && o.group === 'external-secrets.io') {
    const name = nonEmptyString(spec.externalSecretName) ?? nonEmptyString(asRecord(asRecord(spec.externalSecretSpec)?.target)?.name) ?? o.name;
    return [{ namespace: undefined, name, what: label }];
  }
  if (o.kind === 'SealedSecret')
    return [{ namespace: o.namespace, name: nonEmptyString(asRecord(asRecord(spec.template)?.metadata)?.name) ?? o.name, what: label }];
  const destination = nonEmptyString(asRecord(spec.destination)?.name);
  if (o.group === 'secrets.hashicorp.com' && destination) return [{ namespace: o.namespace, name: destination, what: label }];
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
  for (const [k, v] of Object.entries(asRecord(sel.matchLabels) ?? {})) if (labels[k] !== String(v)) return false;
  for (const e of asArray(sel.matchExpressions).map(asRecord)) {
    const key = nonEmptyString(e?.key) ?? '';
    const values = asArray(e?.values).map(String);
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
    const sel = asRecord(asRecord(o.data.spec)?.selector);
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
