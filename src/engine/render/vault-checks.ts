/**
 * Checks of a rendered Vault: the configuration ConfigMap is read by a container and is the one the repository wrote,
 * it parses, listener certificates sit under a mounted volume, probes and VAULT_ADDR use the listener's scheme.
 */
import { asArray, asRecord, nonEmptyString } from '../../kit/data.js';
import { parseHcl, type HclDoc } from '../../kit/hcl/parse.js';
import { findBlocks, getAttribute, isTruthyHcl } from '../../kit/hcl/query.js';
import { objectKey, objectLabel, type K8sObject } from './objects.js';
import { podTemplate, type ScopedObject, type Universe, type Violation } from './universe.js';

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
  const r = asRecord(values);
  if (!r) return [];
  const out: { path: string; text: string }[] = [];
  for (const [k, v] of Object.entries(r)) {
    if (k === 'config' && typeof v === 'string' && /\b(listener|storage)\b/.test(v)) out.push({ path: [...path, k].join('.'), text: v });
    else if (asRecord(v)) out.push(...writtenConfigs(v, [...path, k]));
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
    for (const v of asArray(pod.spec.volumes).map(asRecord)) {
      const cmName = nonEmptyString(asRecord(v?.configMap)?.name);
      const cm = cmName ? cms.get(`${o.scope}|${o.namespace}|${cmName}`) : undefined;
      if (!cm) continue;
      for (const [key, text] of Object.entries(asRecord(cm.data.data) ?? {})) {
        if (!key.endsWith('.hcl') || typeof text !== 'string') continue;
        for (const c of asArray(pod.spec.containers).map(asRecord)) {
          if (!c || !asArray(c.volumeMounts).some((m) => asRecord(m)?.name === v!.name)) continue;
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

/** The rendered configuration ConfigMaps: each must be read by a pod and be the configuration the repository wrote. */
function configMapChecks(u: Universe, pods: readonly VaultPod[]): Violation[] {
  const out: Violation[] = [];
  for (const rel of u.releases) {
    const written = writtenConfigs(rel.values);
    for (const cm of rel.objects) {
      if (cm.kind !== 'ConfigMap' || cm.group !== '') continue;
      for (const [key, text] of Object.entries(asRecord(cm.data.data) ?? {})) {
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
  return out;
}

/** What the pod checks say about one container: its label, its key prefix, where its violations belong. */
interface PodContext {
  readonly pod: VaultPod;
  readonly label: string;
  readonly base: string;
  readonly listeners: readonly Listener[];
}

function podViolation(c: PodContext, check: Violation['check'], key: string, message: string): Violation {
  return { check, key, message, scope: c.pod.object.scope, certain: true, units: [c.pod.object.unit] };
}

/** Listener certificate files outside every mounted volume. */
function certPathChecks(c: PodContext): Violation[] {
  const mounts = asArray(c.pod.container.volumeMounts)
    .map((m) => nonEmptyString(asRecord(m)?.mountPath))
    .filter((m): m is string => !!m)
    .map((m) => m.replace(/\/+$/, ''));
  const out: Violation[] = [];
  for (const l of c.listeners) {
    if (!l.tls) continue;
    for (const f of l.files) {
      if (mounts.some((m) => f.path.startsWith(`${m}/`))) continue;
      const message = `${c.label}: listener ${f.attr} = "${f.path}" is not under any mounted volume (${mounts.join(', ') || 'none'}); Vault cannot read it`;
      out.push(podViolation(c, 'listener-cert-path', `listener-cert-path|${c.base}|${f.attr}|${f.path}`, message));
    }
  }
  return out;
}

/** HTTP probes whose scheme does not match the listener on their port. */
function probeChecks(c: PodContext): Violation[] {
  const container = c.pod.container;
  const ports = new Map<string, number>();
  for (const cp of asArray(container.ports).map(asRecord)) {
    const name = nonEmptyString(cp?.name);
    if (name && typeof cp?.containerPort === 'number') ports.set(name, cp.containerPort);
  }
  const out: Violation[] = [];
  for (const probeName of ['readinessProbe', 'livenessProbe', 'startupProbe']) {
    const http = asRecord(asRecord(container[probeName])?.httpGet);
    if (!http) continue;
    const port = typeof http.port === 'number' ? http.port : (ports.get(String(http.port)) ?? Number(http.port));
    const listener = c.listeners.find((l) => l.port === port);
    if (!listener) continue;
    const scheme = (typeof http.scheme === 'string' ? http.scheme : 'HTTP').toUpperCase();
    if ((scheme === 'HTTPS') === listener.tls) continue;
    const message = `${c.label}: ${probeName} uses ${scheme} on port ${port}, but the listener there ${listener.tls ? 'serves TLS' : 'has TLS disabled'}; the probe fails`;
    out.push(podViolation(c, 'probe-scheme', `probe-scheme|${c.base}|${probeName}`, message));
  }
  return out;
}

/** A VAULT_ADDR whose scheme does not match the listener on its port. */
function vaultAddrChecks(c: PodContext): Violation[] {
  const out: Violation[] = [];
  for (const e of asArray(c.pod.container.env).map(asRecord)) {
    if (e?.name !== 'VAULT_ADDR' || typeof e.value !== 'string') continue;
    const m = /^(https?):\/\/[^/]*?:(\d+)/.exec(e.value);
    const listener = m ? c.listeners.find((l) => l.port === Number(m[2])) : undefined;
    if (!m || !listener || (m[1] === 'https') === listener.tls) continue;
    const message = `${c.label}: VAULT_ADDR is ${e.value}, but the listener on port ${m[2]} ${listener.tls ? 'serves TLS' : 'has TLS disabled'}; \`vault status\` probes and the CLI in the pod fail`;
    out.push(podViolation(c, 'probe-scheme', `probe-scheme|${c.base}|VAULT_ADDR`, message));
  }
  return out;
}

/** The configuration a Vault container reads: it parses, and its files, probes and VAULT_ADDR fit its listeners. */
function podChecks(p: VaultPod): Violation[] {
  const o = p.object;
  const label = `${objectLabel(o)} container ${nonEmptyString(p.container.name) ?? '?'}`;
  const base = `${o.scope}|${objectKey(o)}|${nonEmptyString(p.container.name) ?? ''}`;
  const parsed = parseConfig(p.text);
  if (parsed.error) {
    const message = `${objectLabel(p.configMap)} key ${p.key}, read by ${label}, does not parse: ${parsed.error}`;
    return [{ check: 'vault-config', key: `vault-config|${base}|parse`, message, scope: o.scope, certain: true, units: [o.unit] }];
  }
  if (!parsed.doc) return [];
  const c: PodContext = { pod: p, label, base, listeners: listeners(parsed.doc) };
  return [...certPathChecks(c), ...probeChecks(c), ...vaultAddrChecks(c)];
}

export function vaultChecks(u: Universe): Violation[] {
  const pods = vaultPods(u);
  return [...configMapChecks(u, pods), ...pods.flatMap(podChecks)];
}
