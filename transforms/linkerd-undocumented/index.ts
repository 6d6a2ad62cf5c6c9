import {
  clean,
  code,
  decide,
  defineRule,
  docPath,
  existingDocument,
  generatedDocHeader,
  GROUPS,
  helmReleases,
  injectionNamespaces,
  isExternalSecrets,
  linkerdEvidence,
  linkerdReleases,
  mdDocument,
  mdTable,
  meshedPods,
  notApplicable,
  releaseNamespace,
  vaultListenerState,
  vaultServers,
  vaultTcpListeners,
  workloads,
  type Repo,
  type DocumentDetail,
  type Report,
} from '../../src/kit/index.js';

const ID = 'linkerd-undocumented';
const NAMES = ['linkerd.md', 'Linkerd.md', 'LINKERD.md', 'service-mesh.md', 'SERVICE-MESH.md', 'mesh.md', 'linkerd/README.md', 'service-mesh/README.md'];
const AGENT_INJECT = 'vault.hashicorp.com/agent-inject';

function installation(repo: Repo): string {
  const rels = linkerdReleases(repo);
  const rows = rels.map((r) => [r.release.name, r.chart, r.version, r.namespace, r.release.file]);
  const edge = rels.some((r) => /\/edge\/?$/.test(r.url ?? '') || /^\d{4}\.\d+\.\d+$/.test(r.version ?? ''));
  const secrets = [...new Set(rels.flatMap((r) => r.secrets))];
  return mdDocument([
    '## Installation',
    mdTable(
      ['HelmRelease', 'chart', 'version', 'namespace', 'file'],
      rows,
      '_No Linkerd release in this repository: the control plane is installed elsewhere; only the injection annotations below are managed here._',
    ),
    edge && 'These are **edge** releases (weekly builds, no stable support window): every upgrade is a new version to test.',
    secrets.length > 0 &&
      `The control plane reads its identity trust anchor and issuer from the Secrets ${secrets.map(code).join(', ')} (\`valuesFrom\`), which are not in Git. The issuer certificate expires; when it does, proxies can no longer get certificates and meshed traffic stops.`,
    secrets.length > 0 &&
      decide(
        'who provisions the trust anchor and identity issuer Secrets, when they expire, and who rotates them (see Linkerd\'s "Rotating the identity issuer certificate").',
      ),
  ]).trimEnd();
}

function meshed(repo: Repo): string {
  const ns = injectionNamespaces(repo);
  const pods = meshedPods(repo);
  const nsWithPods = new Set(
    [...workloads(repo).map((w) => w.namespace), ...helmReleases(repo).map((h) => releaseNamespace(repo, h))].filter((n): n is string => !!n),
  );
  const annotated = new Set(ns.map((n) => n.name));
  const unmeshed = [...nsWithPods].filter((n) => !annotated.has(n) && !pods.some((p) => p.namespace === n && p.inject === 'enabled')).sort();
  return mdDocument([
    '## What is meshed',
    "Linkerd injects its proxy into pods created in a namespace annotated `linkerd.io/inject: enabled`, or into pods that carry the annotation themselves (a pod annotation wins over the namespace's). Pods created before the annotation was set are meshed only after a restart.",
    '### Namespaces',
    mdTable(
      ['namespace', '`linkerd.io/inject`', 'declared in'],
      ns.map((n) => [n.name, n.inject, n.object.file]),
    ),
    '### Workloads and chart pods',
    mdTable(
      ['pods', 'injection', 'from', 'file'],
      pods.map((p) => [p.what, p.inject, p.via, p.file]),
    ),
    unmeshed.length > 0 && `Namespaces with workloads and no injection (their pods talk to meshed pods without mTLS): ${unmeshed.map(code).join(', ')}.`,
  ]).trimEnd();
}

function vault(repo: Repo): string | undefined {
  const servers = vaultServers(repo).filter((s) => s.mode !== 'external' && s.mode !== 'none');
  if (!servers.length) return undefined;
  const pods = meshedPods(repo);
  const blocks: string[] = ['## Vault'];
  for (const s of servers) {
    const listeners = s.config?.doc ? vaultTcpListeners(s.config.doc).map(vaultListenerState) : [];
    const plain = listeners.some((l) => l.tlsDisabled);
    const serverMesh = pods.find((p) => p.resource.id === s.release.id && p.what.includes('Vault server'));
    const ports = listeners.length
      ? listeners.map((l) => `${code(l.address)} (API, ${l.tlsDisabled ? '**TLS disabled**' : 'TLS'})`).join(', ')
      : '`8200` (API)';
    blocks.push(
      `Vault ${code(s.releaseName)} (namespace ${code(s.namespace)}, ${s.mode} mode) listens on ${ports} and on \`8201\` for request forwarding and Raft between servers (Vault's own mutual TLS). Its server pods are ${serverMesh?.inject === 'enabled' ? `meshed (${serverMesh.via})` : 'not meshed'}.`,
    );
    const clients = [
      ...helmReleases(repo)
        .filter((h) => isExternalSecrets(repo, h))
        .map((h) => {
          const m = pods.find((p) => p.resource.id === h.id);
          return [`External Secrets (HelmRelease ${h.name})`, releaseNamespace(repo, h), m?.inject === 'enabled' ? 'yes' : 'no'];
        }),
      ...workloads(repo)
        .filter((w) => w.podAnnotations[AGENT_INJECT] === 'true')
        .map((w) => [
          `${w.kind} ${w.name} (Vault Agent)`,
          w.namespace,
          pods.some((p) => p.resource.id === w.resource.id && p.inject === 'enabled') ? 'yes' : 'no',
        ]),
    ];
    const stores = [...repo.ofKind('ClusterSecretStore', GROUPS.eso), ...repo.ofKind('SecretStore', GROUPS.eso)].flatMap((st) => {
      const url = st.get(['spec', 'provider', 'vault', 'server']);
      return typeof url === 'string' ? [`${st.kind} ${code(st.name)} → ${code(url)}`] : [];
    });
    blocks.push(mdTable(['client', 'namespace', 'meshed'], clients, '_No Vault client in this repository._'));
    if (stores.length) blocks.push(`External Secrets reaches Vault through ${stores.join(', ')}.`);
    if (plain) {
      blocks.push(
        serverMesh?.inject === 'enabled'
          ? 'Linkerd encrypts a connection only when **both** ends are meshed. While the listener has `tls_disable`, every client above that is not meshed sends tokens and secrets to Vault in plain text. Enabling TLS on the listener protects every client whether or not it is meshed.'
          : 'The listener has `tls_disable` and the server pods are not meshed: every client sends tokens and secrets to Vault in plain text. Enabling TLS on the listener protects every client whether or not it is meshed.',
      );
    }
    blocks.push(
      [
        plain
          ? 'While the API is plain HTTP, Linkerd detects HTTP on 8200 and proxies it (with mTLS between meshed pods). Once the listener uses TLS, Vault\'s traffic is TLS the client starts ("client speaks first"): Linkerd cannot read it and forwards it as opaque TCP, and nothing needs configuring for that to work.'
          : 'Vault\'s API traffic is TLS the client starts ("client speaks first"): Linkerd cannot read it and forwards it as opaque TCP, and nothing needs configuring for that to work.',
        'Marking the ports opaque (`config.linkerd.io/opaque-ports: "8200,8201"` on the server pods) only skips protocol detection. `config.linkerd.io/skip-inbound-ports: "8201"` is a common workaround, not a requirement: Vault already encrypts 8201 itself.',
      ].join(' '),
    );
  }
  return blocks.join('\n\n');
}

function agentOrdering(repo: Repo): string | undefined {
  const injector = vaultServers(repo).some(
    (s) =>
      String(s.value(['injector', 'enabled'])) === 'true' ||
      (String(s.value(['injector', 'enabled'])) === '-' && String(s.value(['global', 'enabled'])) === 'true'),
  );
  const users = workloads(repo).filter((w) => w.podAnnotations[AGENT_INJECT] === 'true');
  if (!injector && !users.length) return undefined;
  const rows = users.map((w) => {
    const a = w.podAnnotations;
    const fixed =
      a['vault.hashicorp.com/agent-init-first'] === 'true'
        ? 'agent-init-first'
        : (a['config.linkerd.io/skip-outbound-ports'] ?? '').split(',').includes('8200')
          ? 'skip-outbound-ports 8200'
          : 'none';
    return [`${w.kind} ${w.namespace ?? ''}/${w.name}`, fixed, w.file];
  });
  return mdDocument([
    '## Vault Agent injection and the proxy start order',
    'The Vault Agent Injector adds an init container, `vault-agent-init`, that logs in to Vault and writes the secrets before the application starts. In a meshed pod it runs **before** the Linkerd proxy is up, so its connection to Vault is refused and the pod never starts (linkerd/linkerd2 #4758, #11124; with the Linkerd CNI plugin, #8100). Workarounds, one per pod:',
    [
      '- `config.linkerd.io/skip-outbound-ports: "8200"`: the init container reaches Vault around the proxy (that traffic is then not meshed);',
      '- `vault.hashicorp.com/agent-init-first: "true"`: the agent init container runs first of all init containers;',
      "- Linkerd's native sidecar mode (the proxy starts as a Kubernetes native sidecar, before other init containers).",
    ].join('\n'),
    'External Secrets reads Vault from its own controller, not from an init container: it is not affected.',
    mdTable(
      ['pod with `vault.hashicorp.com/agent-inject`', 'workaround set', 'file'],
      rows,
      '_No workload in this repository asks for Vault Agent injection yet; this applies to the first one that does in a meshed namespace._',
    ),
  ]).trimEnd();
}

export const rule = defineRule({
  meta: {
    id: ID,
    title: "Add documentation of the Linkerd service mesh's expectations",
    reviewItem: 22,
    severity: 'low',
    phase: 4,
    messages: {
      undocumented: 'Linkerd is used here ({evidence}) but nothing documents what it meshes or how Vault and its clients work with it; {doc} would',
    },
  },
  *detect({ repo }): Generator<Report<'undocumented', DocumentDetail>> {
    const evidence = linkerdEvidence(repo);
    if (!evidence || existingDocument(repo, NAMES)) return;
    const file = docPath(repo, 'linkerd.md');
    yield {
      messageId: 'undocumented',
      resource: evidence,
      path: ['metadata', 'name'],
      data: { evidence: `${evidence.kind} ${evidence.name}`, doc: file },
      detail: { file },
    };
  },
  checklist({ repo }) {
    const evidence = linkerdEvidence(repo);
    if (!evidence) return notApplicable('no Linkerd in this repository (no control plane release, no injected namespace or workload)');
    return clean(`the Linkerd expectations are documented in ${existingDocument(repo, NAMES) ?? 'the repository'}`);
  },
  fix: {
    kind: 'generate',
    safe: true,
    apply({ detail: { file } }, { repo }) {
      const text = mdDocument([
        generatedDocHeader(ID),
        '# Linkerd service mesh',
        'What this repository expects from Linkerd: what it installs, which pods are meshed, and how Vault and its clients behave in the mesh. Derived from the manifests; the places marked TODO(gitops-fix) need a person.',
        installation(repo),
        meshed(repo),
        vault(repo),
        agentOrdering(repo),
        '## Pod Security\n\nThe proxy injector adds a `linkerd-init` container that needs `NET_ADMIN` and `NET_RAW` to set up iptables. Those capabilities are outside the Pod Security "restricted" (and "baseline") profile: enforcing either on a meshed namespace requires the Linkerd CNI plugin, which removes `linkerd-init`.' +
          (linkerdReleases(repo).some((r) => /cni/.test(r.chart))
            ? ' The CNI plugin is installed by this repository.'
            : ' This repository does not install it.'),
        '## Decisions for the team',
        [
          decide('who owns the mesh (upgrades, certificates, incidents).'),
          decide('whether Vault itself should be meshed, or reached only over its own TLS.'),
          decide('the default inbound policy (`all-unauthenticated` unless configured) and whether meshed namespaces should only accept mTLS traffic.'),
        ].join('\n\n'),
        '## References\n\n- Linkerd automatic proxy injection: https://linkerd.io/2/features/proxy-injection/\n- Protocol detection and opaque ports: https://linkerd.io/2/features/protocol-detection/\n- Rotating the identity issuer certificate: https://linkerd.io/2/tasks/manually-rotating-control-plane-tls-credentials/\n- Linkerd CNI plugin: https://linkerd.io/2/features/cni/',
      ]);
      return {
        changes: [{ op: 'createText', file, text }],
        summary: `document Linkerd in ${file}`,
        notes: [`Review ${file}: fill in the places marked TODO(gitops-fix).`],
      };
    },
  },
});
