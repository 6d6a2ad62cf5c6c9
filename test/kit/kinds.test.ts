import { describe, expect, it } from 'vitest';
import {
  containerSpecOf,
  externalSecretSpecOf,
  fluxKustomizationView,
  gitRepositoryView,
  helmReleaseView,
  itemsOf,
  kustomizeFileView,
  namespaceView,
  ObjectRef,
  podSpecOf,
  vaultProviderOf,
} from '../../src/kit/index.js';
import { repoFrom } from '../support/render.js';

const repo = repoFrom({
  'flux.yaml': `apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: apps
  namespace: flux-system
spec:
  interval: 10m
  retryInterval: null
  sourceRef: {kind: GitRepository, name: flux-system}
  dependsOn:
    - name: infra
    - just-a-string
    - {name: 7}
  healthChecks: not-a-list
---
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: flux-system
  namespace: flux-system
spec:
  url: https://example.com/repo
  ref: {branch: 1.0}
---
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: vault
spec: not-a-map
---
apiVersion: helm.fluxcd.io/v1
kind: HelmRelease
metadata:
  name: old
spec:
  chart: {repository: https://example.com, name: x}
---
apiVersion: v1
kind: Namespace
metadata:
  name: prod
  labels: {env: production}
`,
  'eso.yaml': `apiVersion: external-secrets.io/v1
kind: ClusterExternalSecret
metadata:
  name: shared
spec:
  externalSecretSpec:
    refreshInterval: 1h
    secretStoreRef: {kind: ClusterSecretStore, name: vault}
    data:
      - {secretKey: a, remoteRef: {key: app/a, property: [odd]}}
---
apiVersion: external-secrets.io/v1
kind: ClusterSecretStore
metadata:
  name: vault
spec:
  provider:
    vault:
      server: https://vault.vault.svc:8200
      auth: {kubernetes: {role: eso, serviceAccountRef: {name: default}}}
`,
  'kustomization.yaml': `resources: [flux.yaml, 3, eso.yaml]
configMapGenerator:
  - name: values
    files: [values.yaml]
`,
});

const one = (kind: string) => repo.resources.find((r) => r.kind === kind)!;

describe('typed views of the kinds rules read', () => {
  it('reads the fields of a Flux Kustomization, an odd field reading as absent and list items keeping their index', () => {
    const ks = fluxKustomizationView(one('Kustomization'));
    expect(ks?.spec.interval).toBe('10m');
    expect(ks?.spec.sourceRef).toEqual({ kind: 'GitRepository', name: 'flux-system' });
    expect(ks?.spec.retryInterval).toBeNull();
    expect(ks?.spec.dependsOn).toEqual([{ name: 'infra' }, undefined, { name: undefined }]);
    expect(ks?.spec.healthChecks).toBeUndefined();
  });

  it('keeps a scalar as the user wrote it where the rule decides what it means', () => {
    expect(gitRepositoryView(one('GitRepository'))?.spec.ref?.branch).toBe(1);
  });

  it('gives a spec that is not a map as an empty spec, and no view to another group or kind', () => {
    const [v2, v1] = repo.resources.filter((r) => r.kind === 'HelmRelease');
    expect(helmReleaseView(v2!)?.spec.chart).toBeUndefined();
    expect(helmReleaseView(v1!)).toBeUndefined();
    expect(helmReleaseView(one('Namespace'))).toBeUndefined();
  });

  it('reads Namespace labels, ExternalSecret specs (also of a ClusterExternalSecret) and the Vault provider of a store', () => {
    expect(namespaceView(one('Namespace'))?.metadata.labels).toEqual({ env: 'production' });
    const spec = externalSecretSpecOf(one('ClusterExternalSecret'));
    expect(spec?.secretStoreRef?.name).toBe('vault');
    expect(spec?.data?.[0]?.remoteRef).toEqual({ key: 'app/a', property: undefined });
    const vault = vaultProviderOf(one('ClusterSecretStore'));
    expect(vault?.server).toBe('https://vault.vault.svc:8200');
    expect(vault?.auth?.kubernetes?.serviceAccountRef?.name).toBe('default');
  });

  it('reads a kustomization file whatever its apiVersion and kind', () => {
    const k = kustomizeFileView(repo.file('kustomization.yaml')!.resources[0]!);
    expect(k?.resources).toEqual(['flux.yaml', undefined, 'eso.yaml']);
    expect(k?.configMapGenerator?.[0]?.files).toEqual(['values.yaml']);
  });

  it('reads pod specs, containers and lists from plain data', () => {
    const pod = podSpecOf({
      containers: [{ name: 'app', ports: [{ containerPort: 80 }], env: 'odd' }, 'x'],
      volumes: [{ name: 'v', secret: { secretName: 's' } }],
    });
    expect(pod?.containers?.[0]?.ports?.[0]?.containerPort).toBe(80);
    expect(pod?.containers?.[0]?.env).toBeUndefined();
    expect(pod?.containers?.[1]).toBeUndefined();
    expect(pod?.volumes?.[0]?.secret?.secretName).toBe('s');
    expect(containerSpecOf('not a container')).toBeUndefined();
    expect(itemsOf(ObjectRef, [{ name: 'a' }, 1])).toEqual([{ name: 'a' }, undefined]);
    expect(itemsOf(ObjectRef, 'not a list')).toEqual([]);
  });
});
