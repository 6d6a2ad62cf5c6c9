import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { FIXTURES } from './support/fixtures.js';
import { missing, skipTitle } from './support/needs.js';
import { HAND_WRITTEN_KINDS, KNOWN_KINDS, validateResource } from './support/schema.js';
import { CORPUS } from './support/tree.js';

const pdb = {
  apiVersion: 'policy/v1',
  kind: 'PodDisruptionBudget',
  metadata: { name: 'api', namespace: 'production', labels: { 'app.kubernetes.io/name': 'api' } },
  spec: { maxUnavailable: 1, selector: { matchLabels: { 'app.kubernetes.io/name': 'api' } } },
};

describe('validateResource', () => {
  it('knows the kinds generated resources use', () => {
    for (const k of [
      'v1/ServiceAccount',
      'policy/v1/PodDisruptionBudget',
      'networking.k8s.io/v1/NetworkPolicy',
      'v1/ResourceQuota',
      'v1/LimitRange',
      'batch/v1/CronJob',
      'velero.io/v1/Schedule',
      'monitoring.coreos.com/v1/PodMonitor',
      'monitoring.coreos.com/v1/ServiceMonitor',
      'cert-manager.io/v1/Certificate',
      'external-secrets.io/v1/ClusterSecretStore',
      'external-secrets.io/v1/SecretStore',
      'external-secrets.io/v1/ExternalSecret',
      'external-secrets.io/v1/ClusterExternalSecret',
      'external-secrets.io/v1alpha1/PushSecret',
      'helm.toolkit.fluxcd.io/v2/HelmRelease',
      'kustomize.toolkit.fluxcd.io/v1/Kustomization',
      'source.toolkit.fluxcd.io/v1/GitRepository',
      'source.toolkit.fluxcd.io/v1/HelmRepository',
      'source.toolkit.fluxcd.io/v1/OCIRepository',
    ]) {
      expect(KNOWN_KINDS).toContain(k);
    }
  });

  it('accepts a valid object', () => {
    expect(validateResource(pdb)).toEqual([]);
  });

  it('reports type errors, enum errors and unknown fields', () => {
    expect(validateResource({ ...pdb, spec: { maxUnavailable: [1], selector: {} } }).join('\n')).toMatch(/\/spec\/maxUnavailable/);
    expect(validateResource({ ...pdb, spec: { maxUnavailable: 1, selectr: {} } })).toEqual(['/spec: unknown field "selectr"']);
    expect(
      validateResource({
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: { name: 'x', namespace: 'y' },
        spec: { podSelector: {}, policyTypes: ['Ingres'] },
      }).join('\n'),
    ).toMatch(/policyTypes\/0: must be one of/);
    expect(
      validateResource({
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: { name: 'x', namespace: 'y' },
        spec: { podSelector: {}, ingress: [{ from: [{ podSelectr: {} }] }] },
      }),
    ).toEqual(['/spec/ingress/0/from/0: unknown field "podSelectr"']);
  });

  it('leaves free-form maps alone', () => {
    const hr = {
      apiVersion: 'helm.toolkit.fluxcd.io/v2',
      kind: 'HelmRelease',
      metadata: { name: 'vault', namespace: 'vault', annotations: { 'any.example/key': 'v' } },
      spec: {
        interval: '30m',
        chart: { spec: { chart: 'vault', sourceRef: { kind: 'HelmRepository', name: 'hashicorp' } } },
        values: { server: { anything: { goes: true } } },
      },
    };
    expect(validateResource(hr)).toEqual([]);
  });

  it('checks metadata', () => {
    expect(validateResource({ ...pdb, metadata: { name: 'Bad_Name' } })).toEqual(['/metadata/name: "Bad_Name" is not a DNS subdomain name']);
    expect(validateResource({ ...pdb, metadata: { name: 'x', labels: { a: 'b c' } } })).toEqual(['/metadata/labels/a: "b c" is not a valid label value']);
    expect(validateResource({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'x', namespace: 'y' } })).toEqual([
      '/metadata/namespace: Namespace is cluster-scoped',
    ]);
  });

  it('validates Velero Schedules against the shipped schema', () => {
    const schedule = {
      apiVersion: 'velero.io/v1',
      kind: 'Schedule',
      metadata: { name: 'vault-daily', namespace: 'velero' },
      spec: { schedule: '0 2 * * *', template: { includedNamespaces: ['vault'], ttl: '720h0m0s', storageLocation: 'default', snapshotVolumes: true } },
    };
    expect(validateResource(schedule)).toEqual([]);
    expect(validateResource({ ...schedule, spec: { template: { ttl: '30 days', includedNamespace: ['vault'] } } })).toEqual([
      '/spec: missing required field "schedule"',
      '/spec/template: unknown field "includedNamespace"',
      '/spec/template/ttl: must match ^([0-9]+(\\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$',
    ]);
  });

  it('names kinds it has no schema for', () => {
    expect(validateResource({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } })).toEqual([
      'no schema for example.com/v1 Widget: add it to test/support/schema.ts',
    ]);
  });
});

/** Every Kubernetes object (with apiVersion and kind) of the YAML files below dir, with its file relative to dir. */
function objectsBelow(dir: string, keep: (key: string) => boolean): { file: string; obj: Record<string, unknown> }[] {
  const out: { file: string; obj: Record<string, unknown> }[] = [];
  for (const rel of (readdirSync(dir, { recursive: true }) as string[]).sort()) {
    if (!/\.ya?ml$/.test(rel) || rel.split('/').includes('.git')) continue;
    const text = readFileSync(join(dir, rel), 'utf8');
    // Go templates ({{ .fluxns }} as a key) read as maps with map keys: yaml would warn on the process; they are not objects.
    for (const doc of parseAllDocuments(text, { logLevel: 'error' })) {
      if (doc.errors.length) continue;
      const obj = doc.toJS({ mapAsMap: false }) as unknown;
      if (!obj || typeof obj !== 'object' || Array.isArray(obj)) continue;
      const { apiVersion, kind } = obj as Record<string, unknown>;
      if (typeof apiVersion === 'string' && typeof kind === 'string' && keep(`${apiVersion}/${kind}`))
        out.push({ file: rel, obj: obj as Record<string, unknown> });
    }
  }
  return out;
}

describe('hand-written schemas (Flux and External Secrets kinds)', () => {
  const meta = (name: string, namespace?: string) => (namespace ? { name, namespace } : { name });
  const es = {
    apiVersion: 'external-secrets.io/v1',
    kind: 'ExternalSecret',
    metadata: meta('app', 'apps'),
    spec: {
      refreshInterval: '1h0m0s',
      refreshPolicy: 'Periodic',
      secretStoreRef: { name: 'vault-backend', kind: 'ClusterSecretStore' },
      target: { name: 'app-secret', creationPolicy: 'Owner', template: { engineVersion: 'v2', data: { URL: 'postgres://{{ .password }}@db' } } },
      data: [{ secretKey: 'password', remoteRef: { key: 'app/db', property: 'password' } }],
      dataFrom: [{ extract: { key: 'app/config' } }],
    },
  };
  const vaultProvider = {
    server: 'https://vault.vault.svc:8200',
    path: 'secret',
    version: 'v2',
    caProvider: { type: 'Secret', name: 'vault-server-tls', key: 'ca.crt', namespace: 'vault' },
    auth: { kubernetes: { mountPath: 'kubernetes', role: 'eso', serviceAccountRef: { name: 'external-secrets', namespace: 'external-secrets' } } },
  };
  const css = {
    apiVersion: 'external-secrets.io/v1',
    kind: 'ClusterSecretStore',
    metadata: meta('vault-backend'),
    spec: { provider: { vault: vaultProvider } },
  };
  const ss = {
    apiVersion: 'external-secrets.io/v1',
    kind: 'SecretStore',
    metadata: meta('vault', 'apps'),
    spec: { refreshInterval: 300, provider: { vault: { server: 'https://vault:8200', auth: { tokenSecretRef: { name: 'vault-token', key: 'token' } } } } },
  };
  const ces = {
    apiVersion: 'external-secrets.io/v1',
    kind: 'ClusterExternalSecret',
    metadata: meta('registry-credentials'),
    spec: { externalSecretName: 'registry', namespaceSelectors: [{ matchLabels: { registry: 'true' } }], refreshTime: '1m', externalSecretSpec: es.spec },
  };
  const hr = {
    apiVersion: 'helm.toolkit.fluxcd.io/v2',
    kind: 'HelmRelease',
    metadata: meta('vault', 'vault'),
    spec: {
      interval: '30m',
      chart: { spec: { chart: 'vault', version: '0.34.1', sourceRef: { kind: 'HelmRepository', name: 'hashicorp', namespace: 'flux-system' } } },
      install: { crds: 'Create', remediation: { retries: 3 } },
      upgrade: { cleanupOnFail: true, remediation: { retries: 3, strategy: 'rollback' } },
      valuesFrom: [{ kind: 'ConfigMap', name: 'vault-values', valuesKey: 'values.yaml' }],
      values: { server: { ha: { enabled: true } } },
    },
  };
  const helmRepo = {
    apiVersion: 'source.toolkit.fluxcd.io/v1',
    kind: 'HelmRepository',
    metadata: meta('hashicorp', 'flux-system'),
    spec: { url: 'https://helm.releases.hashicorp.com', interval: '1h', timeout: '60s' },
  };
  const ociRepo = {
    apiVersion: 'source.toolkit.fluxcd.io/v1',
    kind: 'OCIRepository',
    metadata: meta('podinfo', 'flux-system'),
    spec: {
      url: 'oci://ghcr.io/stefanprodan/charts/podinfo',
      interval: '10m',
      ref: { semver: '>=6.0.0' },
      layerSelector: { mediaType: 'application/vnd.cncf.helm.chart.content.v1.tar+gzip', operation: 'copy' },
      verify: {
        provider: 'cosign',
        matchOIDCIdentity: [{ issuer: '^https://token.actions.githubusercontent.com$', subject: '^https://github.com/stefanprodan/podinfo.*$' }],
      },
    },
  };
  const pushSecret = {
    apiVersion: 'external-secrets.io/v1alpha1',
    kind: 'PushSecret',
    metadata: meta('db-credentials-to-vault', 'apps'),
    spec: {
      refreshInterval: '1h',
      updatePolicy: 'Replace',
      deletionPolicy: 'Delete',
      secretStoreRefs: [{ name: 'vault-backend', kind: 'ClusterSecretStore' }],
      selector: { secret: { name: 'db-credentials' } },
      data: [{ match: { secretKey: 'password', remoteRef: { remoteKey: 'apps/db', property: 'password' } } }],
    },
  };
  const ks = {
    apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
    kind: 'Kustomization',
    metadata: meta('infra-configs', 'flux-system'),
    spec: {
      interval: '10m',
      retryInterval: '2m',
      timeout: '5m',
      prune: true,
      wait: true,
      deletionPolicy: 'MirrorPrune',
      dependsOn: [{ name: 'infra-controllers' }],
      healthCheckExprs: [
        { apiVersion: 'cert-manager.io/v1', kind: 'ClusterIssuer', current: "status.conditions.filter(e, e.type == 'Ready').all(e, e.status == 'True')" },
      ],
      sourceRef: { kind: 'GitRepository', name: 'flux-system' },
      path: './infrastructure/configs',
      postBuild: { substitute: { cluster_name: 'prod' }, substituteFrom: [{ kind: 'ConfigMap', name: 'cluster-vars' }] },
      decryption: { provider: 'sops', secretRef: { name: 'sops-age' } },
    },
  };
  const gitRepo = {
    apiVersion: 'source.toolkit.fluxcd.io/v1',
    kind: 'GitRepository',
    metadata: meta('flux-system', 'flux-system'),
    spec: { url: 'ssh://git@github.com/org/repo', interval: '1m0s', ref: { branch: 'main' }, secretRef: { name: 'flux-system' }, provider: 'generic' },
  };
  const valid = { es, css, ss, ces, pushSecret, hr, ks, gitRepo, helmRepo, ociRepo };
  /** A copy of o with the value at path (keys and array indices) replaced, or removed when value is undefined. */
  const set = (o: object, path: readonly (string | number)[], value: unknown): Record<string, unknown> => {
    const copy = structuredClone(o) as Record<string, unknown>;
    let cur = copy as Record<string | number, unknown>;
    for (const k of path.slice(0, -1)) cur = cur[k] as Record<string | number, unknown>;
    const last = path[path.length - 1]!;
    if (value === undefined) delete cur[last];
    else cur[last] = value;
    return copy;
  };
  /** o with the key at path renamed. */
  const rename = (o: object, path: readonly (string | number)[], to: string) => {
    const copy = structuredClone(o) as Record<string, unknown>;
    let cur = copy as Record<string | number, unknown>;
    for (const k of path.slice(0, -1)) cur = cur[k] as Record<string | number, unknown>;
    const last = path[path.length - 1]!;
    cur[to] = cur[last];
    delete cur[last];
    return copy;
  };

  it('covers exactly the kinds below', () => {
    expect(
      Object.values(valid)
        .map((o) => `${o.apiVersion}/${o.kind}`)
        .concat('velero.io/v1/Schedule')
        .sort(),
    ).toEqual([...HAND_WRITTEN_KINDS]);
  });

  it.each(Object.entries(valid))('%s: a valid object passes', (_, obj) => {
    expect(validateResource(obj)).toEqual([]);
  });

  it('ExternalSecret: misspelt fields, wrong types and enums fail', () => {
    expect(validateResource(rename(es, ['spec', 'data', 0, 'remoteRef', 'property'], 'propery'))).toEqual(['/spec/data/0/remoteRef: unknown field "propery"']);
    expect(validateResource(rename(es, ['spec', 'refreshInterval'], 'refreshIntervall'))).toEqual(['/spec: unknown field "refreshIntervall"']);
    expect(validateResource(set(es, ['spec', 'refreshInterval'], 3600))).toEqual(['/spec/refreshInterval: must be string']);
    expect(validateResource(set(es, ['spec', 'refreshInterval'], '1 hour'))).toEqual([
      '/spec/refreshInterval: must match ^(0|([0-9]+(\\.[0-9]+)?(ns|us|µs|ms|s|m|h))+)$',
    ]);
    expect(validateResource(set(es, ['spec', 'target', 'template', 'engineVersion'], 'v1'))).toEqual([
      '/spec/target/template/engineVersion: must be one of ["v2"]',
    ]);
    expect(validateResource(set(es, ['spec', 'secretStoreRef', 'kind'], 'Store'))).toEqual([
      '/spec/secretStoreRef/kind: must be one of ["SecretStore","ClusterSecretStore"]',
    ]);
    expect(validateResource(set(es, ['spec', 'data', 0, 'remoteRef'], undefined))).toEqual(['/spec/data/0: missing required field "remoteRef"']);
  });

  it('SecretStore and ClusterSecretStore: misspelt fields, wrong types, one provider', () => {
    expect(validateResource(rename(css, ['spec', 'provider', 'vault', 'auth', 'kubernetes', 'role'], 'roel'))).toEqual([
      '/spec/provider/vault/auth/kubernetes: missing required field "role"',
      '/spec/provider/vault/auth/kubernetes: unknown field "roel"',
    ]);
    expect(validateResource(rename(css, ['spec', 'provider', 'vault', 'caProvider'], 'caProviders'))).toEqual([
      '/spec/provider/vault: unknown field "caProviders"',
    ]);
    expect(validateResource(set(css, ['spec', 'provider', 'vault', 'version'], 2))).toEqual([
      '/spec/provider/vault/version: must be string',
      '/spec/provider/vault/version: must be one of ["v1","v2"]',
    ]);
    expect(validateResource(set(ss, ['spec', 'refreshInterval'], true)).join('\n')).toMatch(/\/spec\/refreshInterval: must be integer/);
    expect(validateResource(rename(ss, ['spec', 'provider', 'vault', 'auth', 'tokenSecretRef'], 'tokenSecretRefs'))).toEqual([
      '/spec/provider/vault/auth: unknown field "tokenSecretRefs"',
    ]);
    expect(validateResource(set(ss, ['spec', 'provider', 'fake'], { data: [] }))).toEqual(['/spec/provider: must NOT have more than 1 properties']);
    expect(validateResource(set(ss, ['spec', 'provider'], { gcpsm: { projectID: 'p', auth: { workloadIdentity: {} } } }))).toEqual([]);
    expect(validateResource(set(css, ['metadata', 'namespace'], 'external-secrets'))).toEqual(['/metadata/namespace: ClusterSecretStore is cluster-scoped']);
  });

  it('ClusterExternalSecret: its externalSecretSpec is an ExternalSecret spec', () => {
    expect(validateResource(rename(ces, ['spec', 'externalSecretSpec', 'target', 'name'], 'nam'))).toEqual([
      '/spec/externalSecretSpec/target: unknown field "nam"',
    ]);
    expect(validateResource(set(ces, ['spec', 'namespaceSelectors'], { matchLabels: {} }))).toEqual(['/spec/namespaceSelectors: must be array']);
    expect(validateResource(set(ces, ['metadata', 'namespace'], 'default'))).toEqual(['/metadata/namespace: ClusterExternalSecret is cluster-scoped']);
  });

  it('HelmRelease: misspelt fields, wrong types, exactly one of chart and chartRef', () => {
    expect(validateResource(rename(hr, ['spec', 'upgrade', 'cleanupOnFail'], 'cleanUpOnFail'))).toEqual(['/spec/upgrade: unknown field "cleanUpOnFail"']);
    expect(validateResource(rename(hr, ['spec', 'valuesFrom', 0, 'valuesKey'], 'valueKey'))).toEqual(['/spec/valuesFrom/0: unknown field "valueKey"']);
    expect(validateResource(set(hr, ['spec', 'install', 'remediation', 'retries'], '3'))).toEqual(['/spec/install/remediation/retries: must be integer']);
    expect(validateResource(set(hr, ['spec', 'interval'], '30 minutes'))).toEqual(['/spec/interval: must match ^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$']);
    expect(validateResource(set(hr, ['spec', 'chartRef'], { kind: 'OCIRepository', name: 'vault' }))).toEqual([
      '/spec: must match exactly one schema in oneOf',
    ]);
    expect(validateResource(set(set(hr, ['spec', 'chart'], undefined), ['spec', 'chartRef'], { kind: 'OCIRepository', name: 'vault' }))).toEqual([]);
  });

  it('PushSecret: misspelt fields, wrong types and enums fail', () => {
    expect(validateResource(rename(pushSecret, ['spec', 'data', 0, 'match', 'remoteRef', 'remoteKey'], 'key'))).toEqual([
      '/spec/data/0/match/remoteRef: missing required field "remoteKey"',
      '/spec/data/0/match/remoteRef: unknown field "key"',
    ]);
    expect(validateResource(set(pushSecret, ['spec', 'secretStoreRefs'], { name: 'vault-backend' }))).toEqual(['/spec/secretStoreRefs: must be array']);
    expect(validateResource(set(pushSecret, ['spec', 'updatePolicy'], 'Always'))).toEqual(['/spec/updatePolicy: must be one of ["Replace","IfNotExists"]']);
  });

  it('Kustomization and GitRepository: misspelt fields, wrong types, enums and patterns', () => {
    expect(validateResource(rename(ks, ['spec', 'retryInterval'], 'retryIntervall'))).toEqual(['/spec: unknown field "retryIntervall"']);
    expect(validateResource(set(ks, ['spec', 'prune'], 'true'))).toEqual(['/spec/prune: must be boolean']);
    expect(validateResource(set(ks, ['spec', 'sourceRef', 'kind'], 'HelmRepository'))).toEqual([
      '/spec/sourceRef/kind: must be one of ["OCIRepository","GitRepository","Bucket","ExternalArtifact"]',
    ]);
    expect(validateResource(set(ks, ['spec', 'prune'], undefined))).toEqual(['/spec: missing required field "prune"']);
    expect(validateResource(rename(gitRepo, ['spec', 'ref', 'branch'], 'brnach'))).toEqual(['/spec/ref: unknown field "brnach"']);
    expect(validateResource(set(gitRepo, ['spec', 'ref'], 'main'))).toEqual(['/spec/ref: must be object']);
    expect(validateResource(set(gitRepo, ['spec', 'url'], 'git@github.com:org/repo'))).toEqual(['/spec/url: must match ^(http|https|ssh)://.*$']);
    expect(validateResource(set(gitRepo, ['spec', 'serviceAccountName'], 'flux')).join('\n')).toMatch(/\/spec\/provider: must be one of \["aws","azure"\]/);
    expect(validateResource(set(set(gitRepo, ['spec', 'serviceAccountName'], 'flux'), ['spec', 'provider'], 'azure'))).toEqual([]);
  });

  it('HelmRepository and OCIRepository: misspelt fields, wrong types and patterns', () => {
    expect(validateResource(rename(helmRepo, ['spec', 'interval'], 'intervall'))).toEqual(['/spec: unknown field "intervall"']);
    expect(validateResource(set(helmRepo, ['spec', 'interval'], 60))).toEqual(['/spec/interval: must be string']);
    expect(validateResource(set(helmRepo, ['spec', 'url'], 'helm.releases.hashicorp.com'))).toEqual(['/spec/url: must match ^(http|https|oci)://.*$']);
    expect(validateResource(set(helmRepo, ['spec', 'timeout'], '1h'))).toEqual(['/spec/timeout: must match ^([0-9]+(\\.[0-9]+)?(ms|s|m))+$']);
    expect(validateResource(rename(ociRepo, ['spec', 'layerSelector', 'mediaType'], 'mediatype'))).toEqual(['/spec/layerSelector: unknown field "mediatype"']);
    expect(validateResource(set(ociRepo, ['spec', 'ref'], 'v6.0.0'))).toEqual(['/spec/ref: must be object']);
    expect(validateResource(set(ociRepo, ['spec', 'interval'], undefined))).toEqual(['/spec: missing required field "interval"']);
  });

  it('every object of these kinds in the fixtures, once fixed (after/) or left alone (valid-*), passes', () => {
    const keep = (key: string) => HAND_WRITTEN_KINDS.includes(key);
    const objects = objectsBelow(FIXTURES, keep).filter(({ file }) => /(^|\/)(after|valid-[^/]+\/before)\//.test(file));
    expect(objects.length).toBeGreaterThan(20);
    expect(objects.flatMap(({ file, obj }) => validateResource(obj).map((e) => `${file}: ${e}`))).toEqual([]);
  });

  const noCorpus = missing('corpus');
  it.skipIf(noCorpus)(
    skipTitle('the objects of these kinds in the corpus pass, but for a mis-indented key, four kustomize patches and a template', noCorpus),
    () => {
      const keep = (key: string) => HAND_WRITTEN_KINDS.includes(key);
      // The flux CLI's test data are Go templates ({{ .fluxns }}), not manifests.
      const objects = objectsBelow(CORPUS, keep).filter(({ file }) => !file.includes('/cmd/flux/testdata/'));
      expect(objects.length).toBeGreaterThan(400);
      const rejected = objects.flatMap(({ file, obj }) => validateResource(obj).map((e) => `${file}: ${e}`));
      expect(rejected).toEqual([
        // Kustomize strategic-merge patches of a HelmRelease and of a Kustomization, not whole objects.
        'fluxcd__flux2-kustomize-helm-example/apps/production/podinfo-values.yaml: /spec: missing required field "interval"',
        'fluxcd__flux2-kustomize-helm-example/apps/production/podinfo-values.yaml: /spec/chart/spec: missing required field "chart"',
        'fluxcd__flux2-kustomize-helm-example/apps/production/podinfo-values.yaml: /spec/chart/spec: missing required field "sourceRef"',
        'fluxcd__flux2-kustomize-helm-example/apps/staging/podinfo-values.yaml: /spec: missing required field "interval"',
        'fluxcd__flux2-kustomize-helm-example/apps/staging/podinfo-values.yaml: /spec/chart/spec: missing required field "chart"',
        'fluxcd__flux2-kustomize-helm-example/apps/staging/podinfo-values.yaml: /spec/chart/spec: missing required field "sourceRef"',
        'fluxcd__flux2-multi-tenancy/tenants/production/dev-team-patch.yaml: /spec: missing required field "interval"',
        'fluxcd__flux2-multi-tenancy/tenants/production/dev-team-patch.yaml: /spec: missing required field "prune"',
        'fluxcd__flux2-multi-tenancy/tenants/production/dev-team-patch.yaml: /spec: missing required field "sourceRef"',
        'fluxcd__flux2-multi-tenancy/tenants/staging/dev-team-patch.yaml: /spec: missing required field "interval"',
        'fluxcd__flux2-multi-tenancy/tenants/staging/dev-team-patch.yaml: /spec: missing required field "prune"',
        'fluxcd__flux2-multi-tenancy/tenants/staging/dev-team-patch.yaml: /spec: missing required field "sourceRef"',
        // A template: its url is ${BOOTSTRAP_GIT_REPOSITORY} until the repository is bootstrapped.
        'onedr0p__cluster-template/tmpl/kubernetes/flux/cluster.yaml: /spec/url: must match ^(http|https|ssh)://.*$',
        // `key:` is indented as a sibling of `extract:`, which is left empty: a defect of that repository.
        'webgrip__homelab-cluster/kubernetes/apps/backstage/backstage/app/secret-externalsecret.yaml: /spec/dataFrom/0: unknown field "key"',
        'webgrip__homelab-cluster/kubernetes/apps/backstage/backstage/app/secret-externalsecret.yaml: /spec/dataFrom/0/extract: must be object',
      ]);
    },
  );
});
