/** What a secret-rotation document needs to know: ExternalSecrets, their stores and consumers, certificates. */
import { asRecord } from './data.js';
import { formatDuration, parseDuration } from './duration.js';
import { storeRefsOf, type StoreRef } from './external-secrets.js';
import { clusterExternalSecretView, externalSecretSpecOf, podSpecOf, type ExternalSecretSpec } from './kinds.js';
import { GROUPS, type Repo, type Resource } from './repo.js';
import { workloads, type Workload } from './workloads.js';
import { scalarText } from './scalar.js';

export interface ExternalSecretInfo {
  readonly resource: Resource;
  readonly namespace: string | undefined;
  readonly stores: readonly StoreRef[];
  /** "5m", "1h (default)", "once (CreatedOnce)", "on change (OnChange)", "never (0)". */
  readonly refresh: string;
  /** Longest time a rotated value takes to reach the Secret (ms), when periodic. */
  readonly refreshMs: number | undefined;
  /** Name of the Kubernetes Secret it writes. */
  readonly target: string;
  /** Remote keys read: `key#property`, `extract key`, `find …`. */
  readonly keys: readonly string[];
}

function remoteKeys(spec: ExternalSecretSpec): string[] {
  const out: string[] = [];
  for (const d of spec.data ?? []) {
    const ref = d?.remoteRef;
    if (ref?.key !== undefined) out.push(ref.property !== undefined ? `${ref.key}#${ref.property}` : ref.key);
  }
  for (const x of spec.dataFrom ?? []) {
    const regexp = x?.find?.name?.regexp;
    if (x?.extract?.key !== undefined) out.push(`${x.extract.key} (all properties)`);
    else if (x?.find) out.push(`find ${x.find.path ?? ''}${regexp ? ` /${scalarText(regexp)}/` : ''}`.trim());
    else if (x?.sourceRef?.generatorRef) out.push(`generator ${scalarText(x.sourceRef.generatorRef.name)}`);
  }
  return [...new Set(out)];
}

/** Every ExternalSecret and ClusterExternalSecret of the repository. */
export function externalSecretInventory(repo: Repo): ExternalSecretInfo[] {
  const out: ExternalSecretInfo[] = [];
  for (const r of [...repo.ofKind('ExternalSecret', GROUPS.eso), ...repo.ofKind('ClusterExternalSecret', GROUPS.eso)]) {
    const spec = externalSecretSpecOf(r);
    if (!spec) continue;
    const policy = spec.refreshPolicy;
    const raw = spec.refreshInterval;
    const ms = raw === undefined || raw === null ? 3_600_000 : parseDuration(scalarText(raw));
    let refresh: string;
    if (policy === 'CreatedOnce') refresh = 'once (CreatedOnce)';
    else if (policy === 'OnChange') refresh = 'when the ExternalSecret changes (OnChange)';
    else if (raw === undefined || raw === null) refresh = '1h (default)';
    else if (ms === 0) refresh = 'never (0: fetched once)';
    else refresh = ms === undefined ? scalarText(raw) : formatDuration(ms);
    const target = spec.target?.name;
    const templateName = clusterExternalSecretView(r)?.spec.externalSecretName;
    out.push({
      resource: r,
      namespace: r.kind === 'ClusterExternalSecret' ? undefined : repo.flux.namespaceOf(r),
      stores: storeRefsOf(r),
      refresh,
      refreshMs: policy === 'CreatedOnce' || policy === 'OnChange' || !ms ? undefined : ms,
      target: target ?? templateName ?? r.name ?? '',
      keys: remoteKeys(spec),
    });
  }
  return out.sort((a, b) => `${a.namespace}/${a.resource.name}`.localeCompare(`${b.namespace}/${b.resource.name}`));
}

export interface SecretConsumer {
  readonly workload: Workload;
  readonly container: string;
  /** env (secretKeyRef), envFrom, or volume. */
  readonly how: 'env' | 'envFrom' | 'volume';
  /** Stakater Reloader (or a similar controller) restarts the workload when the Secret changes. */
  readonly reloads: boolean;
}

const RELOADER = /^(reloader\.stakater\.com\/(auto|search)|secret\.reloader\.stakater\.com\/reload)$/;

function reloads(w: Workload, secret: string): boolean {
  const ann = { ...(asRecord(w.resource.get(['metadata', 'annotations'])) ?? {}), ...w.podAnnotations };
  return Object.entries(ann).some(
    ([k, v]) =>
      RELOADER.test(k) &&
      (k.startsWith('secret.')
        ? String(v)
            .split(',')
            .map((s) => s.trim())
            .includes(secret)
        : String(v) === 'true'),
  );
}

/** Workloads of `namespace` that read Secret `secret`: through env, envFrom or a volume. */
export function secretConsumers(repo: Repo, namespace: string | undefined, secret: string): SecretConsumer[] {
  const out: SecretConsumer[] = [];
  for (const w of workloads(repo)) {
    if (namespace !== undefined && w.namespace !== namespace) continue;
    const spec = podSpecOf(w.resource.get(w.podSpecPath));
    const volumes = (spec?.volumes ?? [])
      .filter((v) => v && (v.secret?.secretName === secret || (v.projected?.sources ?? []).some((s) => s?.secret?.name === secret)))
      .map((v) => v?.name);
    for (const cr of [...(spec?.initContainers ?? []), ...(spec?.containers ?? [])]) {
      if (!cr) continue;
      const name = cr.name ?? '';
      const env = (cr.env ?? []).some((e) => e?.valueFrom?.secretKeyRef?.name === secret);
      const envFrom = (cr.envFrom ?? []).some((e) => e?.secretRef?.name === secret);
      const mounted = (cr.volumeMounts ?? []).some((m) => volumes.includes(m?.name));
      const r = reloads(w, secret);
      if (env) out.push({ workload: w, container: name, how: 'env', reloads: r });
      if (envFrom) out.push({ workload: w, container: name, how: 'envFrom', reloads: r });
      if (mounted) out.push({ workload: w, container: name, how: 'volume', reloads: r });
    }
  }
  return out;
}

export interface CertificateInfo {
  readonly resource: Resource;
  readonly namespace: string | undefined;
  readonly secretName: string;
  /** As written, or "2160h (default)". */
  readonly duration: string;
  readonly renewBefore: string;
  readonly issuer: string;
}

/** cert-manager Certificates of the repository. */
export function certificateInventory(repo: Repo): CertificateInfo[] {
  return repo.ofKind('Certificate', GROUPS.certManager).map((c) => {
    const spec = asRecord(c.get(['spec'])) ?? {};
    const issuer = asRecord(spec.issuerRef);
    const duration = typeof spec.duration === 'string' ? spec.duration : '2160h (default, 90 days)';
    const renewBefore =
      typeof spec.renewBefore === 'string'
        ? spec.renewBefore
        : spec.renewBeforePercentage !== undefined
          ? `${scalarText(spec.renewBeforePercentage)}% of the duration`
          : 'a third of the duration (default)';
    return {
      resource: c,
      namespace: repo.flux.namespaceOf(c),
      secretName: scalarText(spec.secretName),
      duration,
      renewBefore,
      issuer: issuer ? `${scalarText(issuer.kind, 'Issuer')} ${scalarText(issuer.name)}` : '–',
    };
  });
}
