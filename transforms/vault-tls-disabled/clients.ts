/**
 * The server certificate's names, and the clients of a Vault that turns TLS on: every in-repository user of its
 * Services (the consumer index) moves to https in the same change, with the CA where it needs one, or the change
 * is refused with the list of those that cannot.
 */
import {
  configuredVaultServers,
  containerSpecOf,
  describeConsumer,
  findBlocks,
  getAttribute,
  helmTrue,
  itemsOf,
  ObjectRef,
  isReachable,
  parseHcl,
  podSpecOf,
  serviceConsumers,
  setAttribute,
  vaultAppend,
  vaultCertDir,
  vaultInternalService,
  vaultMountSecret,
  vaultSecretDir,
  vaultServiceTarget,
  vaultSetConfig,
  Volume,
  scalarText,
  withScheme,
  type Change,
  type Repo,
  type ServiceConsumer,
  type VaultConfig,
  type VaultServer,
} from '../../src/kit/index.js';

/** DNS names and IPs the server certificate needs (domain.md §3): every Service the chart gives the server, every pod. */
export function vaultCertificateNames(server: VaultServer, clusterDomain: string): { dnsNames: string[]; ipAddresses: string[] } {
  const fn = server.fullname;
  const ns = server.namespace;
  const svc = (s: string) => [s, `${s}.${ns}`, `${s}.${ns}.svc`, `${s}.${ns}.svc.${clusterDomain}`];
  const internal = vaultInternalService(server);
  return {
    dnsNames: [
      ...svc(fn),
      ...svc(`${fn}-active`),
      ...svc(`${fn}-standby`),
      ...svc(internal),
      ...[`*.${internal}`].flatMap((w) => [w, `${w}.${ns}.svc`, `${w}.${ns}.svc.${clusterDomain}`]),
      ...(helmTrue(server.value(['ui', 'enabled'])) ? svc(`${fn}-ui`) : []),
    ],
    ipAddresses: ['127.0.0.1'],
  };
}

/** Where clients outside the Vault namespace find its CA (a Secret or ConfigMap present in each of their namespaces). */
export interface ClientCa {
  readonly kind: 'Secret' | 'ConfigMap';
  readonly name: string;
  readonly key: string;
}

export interface ClientMoves {
  readonly changes: Change[];
  /** What was moved, for the summary and notes. */
  readonly moved: string[];
  readonly notes: string[];
  /** Clients that cannot move in this change: the TLS fix is refused with this list. */
  readonly unresolved: string[];
}

interface Ctx {
  readonly repo: Repo;
  readonly server: VaultServer;
  /** The Secret (in the Vault namespace) holding the server certificate and ca.crt. */
  readonly secret: string | undefined;
  readonly clientCa: ClientCa | undefined;
  readonly clusterDomain: string;
}

/** A CA reference usable from `namespace`: the server's Secret in its own namespace, else the configured client CA. */
function caFor(ctx: Ctx, namespace: string | undefined): ClientCa | undefined {
  if (namespace === ctx.server.namespace && ctx.secret) return { kind: 'Secret', name: ctx.secret, key: 'ca.crt' };
  return ctx.clientCa;
}

function noCa(ctx: Ctx, c: ServiceConsumer): string {
  return `${describeConsumer(ctx.repo, c)}: needs this Vault's CA outside namespace ${ctx.server.namespace} (set rules.vault-tls-disabled.clientCa to a Secret or ConfigMap with it in that namespace, e.g. distributed by trust-manager)`;
}

function isOwnValues(repo: Repo, server: VaultServer, c: ServiceConsumer): boolean {
  return repo.flux.valuesSources(server.release).some((s) => s.resource.id === c.resource.id && s.path.every((seg, i) => String(c.path[i]) === String(seg)));
}

function store(ctx: Ctx, c: ServiceConsumer): Change[] | string {
  const { repo, server } = ctx;
  const vault = ['spec', 'provider', 'vault'];
  const url = String(c.resource.get(c.path));
  const cluster = c.resource.kind === 'ClusterSecretStore';
  const hasCa = c.resource.get([...vault, 'caBundle']) !== undefined || c.resource.get([...vault, 'caProvider']) !== undefined;
  const changes: Change[] = [{ op: 'set', resource: c.resource, path: c.path, value: withScheme(c, url, 'https') }];
  if (hasCa) return changes;
  if (cluster && ctx.secret) {
    changes.push({
      op: 'set',
      resource: c.resource,
      path: [...vault, 'caProvider'],
      value: { type: 'Secret', name: ctx.secret, key: 'ca.crt', namespace: server.namespace },
    });
    return changes;
  }
  const ca = caFor(ctx, repo.flux.namespaceOf(c.resource));
  if (!ca) return noCa(ctx, c);
  changes.push({ op: 'set', resource: c.resource, path: [...vault, 'caProvider'], value: { type: ca.kind, name: ca.name, key: ca.key } });
  return changes;
}

/** A Secret or ConfigMap mounted into a Vault server, and the file of `key` in it. */
function mountInVault(repo: Repo, r: VaultServer, ca: ClientCa): { changes: Change[]; file: string } {
  if (ca.kind === 'Secret') {
    const dir = vaultSecretDir(r, ca.name) ?? vaultCertDir(ca.name);
    return { changes: vaultMountSecret(repo, r, ca.name), file: `${dir}/${ca.key}` };
  }
  const name = `userconfig-${ca.name}`.slice(0, 63).replace(/-+$/, '');
  const dir = vaultCertDir(ca.name);
  const mounted = itemsOf(Volume, r.value(['server', 'volumes'])).some((v) => v?.configMap?.name === ca.name);
  return {
    changes: mounted
      ? []
      : [
          vaultAppend(repo, r, ['server', 'volumes'], { name, configMap: { name: ca.name } }),
          vaultAppend(repo, r, ['server', 'volumeMounts'], { name, mountPath: dir, readOnly: true }),
        ],
    file: `${dir}/${ca.key}`,
  };
}

/** References inside another Vault's configuration: only a transit seal's address can move (with tls_ca_cert). */
function vaultConfigs(
  ctx: Ctx,
  refs: ServiceConsumer[],
  r: VaultServer & { config: VaultConfig },
): { changes: Change[]; moved: string[]; unresolved: string[] } {
  const { repo } = ctx;
  const unresolved: string[] = [];
  const doc = r.config.doc;
  const seals = doc ? findBlocks(doc, 'seal', 'transit') : [];
  let text = r.config.text;
  const changes: Change[] = [];
  const moved: string[] = [];
  for (const c of refs) {
    const seal = seals.find((b) => scalarText(getAttribute(b, 'address')?.value).includes(c.ref ?? '\0'));
    if (!seal) {
      unresolved.push(`${describeConsumer(repo, c)}: a reference in Vault ${r.namespace}/${r.release.name}'s configuration other than a transit seal address`);
      continue;
    }
    const address = String(getAttribute(seal, 'address')!.value);
    const own = getAttribute(seal, 'tls_ca_cert');
    const sel = { block: { type: 'seal', label: 'transit' } };
    text = setAttribute(text, sel, 'address', `https://${address.slice(address.indexOf('://') + 3)}`);
    if (!own) {
      const ca = caFor(ctx, r.namespace);
      if (!ca) {
        unresolved.push(
          `Vault ${r.namespace}/${r.release.name} unseals through this Vault's transit engine at ${address}: its seal must move to https with this Vault's CA, which is not available in namespace ${r.namespace} (set rules.vault-tls-disabled.clientCa to a Secret or ConfigMap holding it there)`,
        );
        continue;
      }
      const m = mountInVault(repo, r, ca);
      changes.push(...m.changes);
      text = setAttribute(text, sel, 'tls_ca_cert', m.file);
    }
    moved.push(`the transit seal of Vault ${r.namespace}/${r.release.name} (${address} → https, with this Vault's CA)`);
  }
  if (text !== r.config.text) {
    parseHcl(text);
    changes.unshift(vaultSetConfig(r, text));
  }
  return { changes, moved, unresolved };
}

function freeName(taken: readonly ({ readonly name?: string } | undefined)[], base: string): string {
  const names = new Set(taken.map((v) => v?.name));
  for (let i = 1; ; i++) if (!names.has(i === 1 ? base : `${base}-${i}`)) return i === 1 ? base : `${base}-${i}`;
}

/** A container's VAULT_ADDR: https, and VAULT_CACERT from a mounted CA. */
function vaultAddr(ctx: Ctx, c: ServiceConsumer): Change[] | string {
  const { repo } = ctx;
  const r = c.resource;
  const ct = c.container!;
  const changes: Change[] = [{ op: 'set', resource: r, path: c.path, value: withScheme(c, String(r.get(c.path)), 'https') }];
  const container = containerSpecOf(r.get(ct.path));
  if (container?.env?.some((e) => e?.name === 'VAULT_CACERT')) return changes;
  const ca = caFor(ctx, repo.flux.namespaceOf(r));
  if (!ca) return noCa(ctx, c);
  const volumes = podSpecOf(r.get(ct.podSpec))?.volumes ?? [];
  const existing = volumes.find((v) => (ca.kind === 'Secret' ? v?.secret?.secretName === ca.name : v?.configMap?.name === ca.name));
  const mounts = container?.volumeMounts ?? [];
  const mounted = existing && mounts.find((m) => m?.name === existing.name);
  let dir = mounted?.mountPath?.replace(/\/+$/, '');
  if (!dir) {
    const name = existing?.name ?? freeName(volumes, 'vault-ca');
    const taken = new Set(mounts.map((m) => m?.mountPath));
    dir = taken.has('/vault/tls') ? '/vault/tls-ca' : '/vault/tls';
    if (!existing) {
      const source = ca.kind === 'Secret' ? { secret: { secretName: ca.name } } : { configMap: { name: ca.name } };
      changes.push({ op: 'append', resource: r, path: [...ct.podSpec, 'volumes'], value: { name, ...source } });
    }
    changes.push({ op: 'append', resource: r, path: [...ct.path, 'volumeMounts'], value: { name, mountPath: dir, readOnly: true } });
  }
  changes.push({ op: 'append', resource: r, path: [...ct.path, 'env'], value: { name: 'VAULT_CACERT', value: `${dir}/${ca.key}` } });
  return changes;
}

/** A ServiceMonitor or PodMonitor endpoint: the port the chart renames (http → https), scheme https, the CA. */
function monitor(ctx: Ctx, c: ServiceConsumer): { changes: Change[]; note?: string } {
  const { repo, server } = ctx;
  const r = c.resource;
  const changes: Change[] = [];
  if (c.targetPort === 'http') changes.push({ op: 'set', resource: r, path: [...c.path, 'port'], value: 'https' });
  if (c.scheme !== 'https') changes.push({ op: 'set', resource: r, path: [...c.path, 'scheme'], value: 'https' });
  if (r.get([...c.path, 'tlsConfig']) === undefined) {
    const ca = caFor(ctx, repo.flux.namespaceOf(r));
    const serverName = `${server.fullname}.${server.namespace}.svc`;
    if (ca) {
      const ref = ca.kind === 'Secret' ? { secret: { name: ca.name, key: ca.key } } : { configMap: { name: ca.name, key: ca.key } };
      changes.push({ op: 'set', resource: r, path: [...c.path, 'tlsConfig'], value: { ca: ref, serverName } });
    } else {
      changes.push({ op: 'set', resource: r, path: [...c.path, 'tlsConfig'], value: { insecureSkipVerify: true } });
      return {
        changes,
        note: `${r.kind} ${r.name} scrapes Vault over https without checking its certificate (insecureSkipVerify, as the chart's own ServiceMonitor does): give it the CA (tlsConfig.ca) and serverName ${serverName} to verify it.`,
      };
    }
  }
  return { changes };
}

function ingress(ctx: Ctx, c: ServiceConsumer): Change[] | string {
  const r = c.resource;
  const cls = scalarText(r.get(['spec', 'ingressClassName'])) || scalarText(r.get(['metadata', 'annotations', 'kubernetes.io/ingress.class']));
  if (!/nginx/i.test(cls))
    return `${describeConsumer(ctx.repo, c)}: its ingress controller (class "${cls || 'default'}") must send https to Vault; this fix knows only ingress-nginx's backend-protocol annotation`;
  const changes: Change[] = [];
  if (r.get(['metadata', 'annotations', 'nginx.ingress.kubernetes.io/backend-protocol']) === undefined)
    changes.push({ op: 'set', resource: r, path: ['metadata', 'annotations', 'nginx.ingress.kubernetes.io/backend-protocol'], value: 'HTTPS' });
  if (c.targetPort === 'http') changes.push({ op: 'set', resource: r, path: [...c.path, 'service', 'port', 'name'], value: 'https' });
  return changes;
}

function route(ctx: Ctx, c: ServiceConsumer): Change[] | string {
  const ns = ctx.server.namespace;
  const covered = ctx.repo.ofKind('BackendTLSPolicy', 'gateway.networking.k8s.io').some((p) => {
    if (ctx.repo.flux.namespaceOf(p) !== ns) return false;
    const refs = p.get(['spec', 'targetRefs']) ?? (p.get(['spec', 'targetRef']) ? [p.get(['spec', 'targetRef'])] : []);
    return itemsOf(ObjectRef, refs).some((t) => t?.name === c.service);
  });
  if (covered) return [];
  return `${describeConsumer(ctx.repo, c)}: the gateway must originate TLS to Service ${ns}/${c.service}: add a BackendTLSPolicy for it (validation.caCertificateRefs: a ConfigMap with this Vault's CA, hostname ${c.service}.${ns}.svc)`;
}

/**
 * Move every in-repository client of the server to https. References without a scheme are listed in the notes;
 * https ones need nothing; the server's own values are the listener rule's (vault-listener-insecure).
 */
export function moveClients(ctx: Ctx): ClientMoves {
  const { repo, server } = ctx;
  const all = serviceConsumers(repo, vaultServiceTarget(server, ctx.clusterDomain)).filter(
    (c) => !isOwnValues(repo, server, c) && isReachable(repo, c.resource.file),
  );
  const changes: Change[] = [];
  const moved: string[] = [];
  const notes: string[] = [];
  const unresolved: string[] = [];
  const others = configuredVaultServers(repo).filter((r) => r.release.id !== server.release.id);
  const inConfig = new Map<string, ServiceConsumer[]>();
  const done = new Set<string>();
  const add = (c: ServiceConsumer, out: Change[] | string, what: string) => {
    if (typeof out === 'string') unresolved.push(out);
    else {
      changes.push(...out);
      if (out.length) moved.push(what);
    }
  };
  for (const c of all) {
    const key = `${c.resource.id} ${c.path.join('.')}`;
    const structural = c.kind === 'service-monitor' || c.kind === 'pod-monitor' || c.kind === 'route' || c.kind === 'ingress';
    if (!structural) {
      if (c.scheme === 'https') continue;
      if (c.scheme === undefined) {
        notes.push(`${describeConsumer(repo, c)} names this Vault without a scheme: check that it now speaks https.`);
        continue;
      }
      if (c.scheme !== 'http') continue;
    }
    if (done.has(key) && c.kind !== 'helm-values') continue;
    done.add(key);
    const name = describeConsumer(repo, c);
    const vaultOwner =
      c.kind === 'helm-values' ? others.find((r) => r.config.resource.id === c.resource.id && r.config.path.join('.') === c.path.join('.')) : undefined;
    if (vaultOwner) inConfig.set(vaultOwner.release.id, [...(inConfig.get(vaultOwner.release.id) ?? []), c]);
    else if (c.kind === 'secret-store') add(c, store(ctx, c), name);
    else if (c.kind === 'env' && c.container?.env === 'VAULT_ADDR') add(c, vaultAddr(ctx, c), name);
    else if (c.kind === 'service-monitor' || c.kind === 'pod-monitor') {
      const m = monitor(ctx, c);
      add(c, m.changes, name);
      if (m.note) notes.push(m.note);
    } else if (c.kind === 'ingress') add(c, ingress(ctx, c), name);
    else if (c.kind === 'route') add(c, route(ctx, c), name);
    else
      unresolved.push(
        `${name}: no safe automatic edit (${c.kind === 'env' ? `env ${c.container?.env}` : c.kind}); move it to https with this Vault's CA by hand`,
      );
  }
  for (const [id, refs] of inConfig) {
    const r = others.find((x) => x.release.id === id)!;
    const v = vaultConfigs(ctx, refs, r);
    changes.push(...v.changes);
    moved.push(...v.moved);
    unresolved.push(...v.unresolved);
  }
  return { changes, moved, notes, unresolved: [...new Set(unresolved)] };
}
