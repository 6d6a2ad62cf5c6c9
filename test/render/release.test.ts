import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ChartStore, chartRequest, listCharts } from '../../src/engine/render/charts.js';
import { fluxReleaseName, releaseInputs, setPath, substitute, touches } from '../../src/engine/render/release.js';
import { CHARTS, hasCharts } from '../support/helm.js';
import { HELM_REPOS, helmRelease, repoFrom } from '../support/render.js';
import { tempDir } from '../support/tree.js';

function only(repo: ReturnType<typeof repoFrom>) {
  return releaseInputs(repo, repo.ofKind('HelmRelease')[0]!);
}

describe('release name and namespaces, as Flux sets them', () => {
  it('releaseName, else [targetNamespace-]name, shortened past 53 characters with a hash', () => {
    expect(fluxReleaseName('vault', undefined, undefined)).toBe('vault');
    expect(fluxReleaseName('vault', 'security', undefined)).toBe('security-vault');
    expect(fluxReleaseName('vault', 'security', 'v')).toBe('v');
    const long = fluxReleaseName('a'.repeat(30), 'b'.repeat(30), undefined);
    expect(long).toHaveLength(53);
    expect(long).toMatch(/^b{30}-a{9}-[0-9a-f]{12}$/);
  });

  it('targetNamespace is where objects go; storageNamespace defaults to the HelmRelease namespace', () => {
    const repo = repoFrom({
      'sources.yaml': HELM_REPOS,
      'hr.yaml': helmRelease('vault', 'flux-system', 'vault', '0.34.1', 'server:\n  dev:\n    enabled: true\n', '  targetNamespace: vault\n'),
    });
    const i = only(repo);
    expect([i.id, i.releaseName, i.namespace, i.storageNamespace]).toEqual(['flux-system/vault', 'vault-vault', 'vault', 'flux-system']);
  });
});

describe('values, merged as Flux merges them', () => {
  const hr = (valuesFrom: string, values = 'server:\n  ha:\n    replicas: 5\n') =>
    helmRelease('vault', 'vault', 'vault', '0.34.1', values, `  valuesFrom:\n${valuesFrom}`);

  it('valuesFrom in order (a declared ConfigMap, a kustomize-generated one, a targetPath), then spec.values', () => {
    const repo = repoFrom({
      'sources.yaml': HELM_REPOS,
      'vault/kustomization.yaml': `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: vault\nresources:\n  - hr.yaml\n  - cm.yaml\nconfigMapGenerator:\n  - name: generated\n    files:\n      - values.yaml=gen-values.yaml\n    literals:\n      - replicas=7\n`,
      'vault/gen-values.yaml': 'server:\n  ha:\n    enabled: true\n    replicas: 3\n',
      'vault/cm.yaml':
        'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: declared\ndata:\n  values.yaml: |\n    injector:\n      enabled: false\n    server:\n      ha:\n        replicas: 2\n',
      'vault/hr.yaml': hr(
        '    - kind: ConfigMap\n      name: declared\n    - kind: ConfigMap\n      name: generated\n    - kind: ConfigMap\n      name: generated\n      valuesKey: replicas\n      targetPath: server.ha.raft.replicas\n',
      ),
    });
    const i = only(repo);
    expect(i.values).toEqual({ injector: { enabled: false }, server: { ha: { enabled: true, replicas: 5, raft: { replicas: 7 } } } });
    expect(i.partial).toEqual([]);
    expect(i.inputFiles).toEqual(['sources.yaml', 'vault/cm.yaml', 'vault/gen-values.yaml', 'vault/hr.yaml', 'vault/kustomization.yaml']);
    expect(touches(i, 'vault/gen-values.yaml')).toBe(true);
    expect(touches(i, 'elsewhere.yaml')).toBe(false);
  });

  it('a SOPS-encrypted Secret, an ExternalSecret target or a source outside the repository make the render partial, and say so', () => {
    const repo = repoFrom({
      'sources.yaml': HELM_REPOS,
      'vault/secret.sops.yaml':
        'apiVersion: v1\nkind: Secret\nmetadata:\n  name: sealed\n  namespace: vault\nstringData:\n  values.yaml: ENC[AES256_GCM,data:abc=,iv:x,tag:y,type:str]\nsops:\n  mac: ENC[AES256_GCM,data:m,iv:i,tag:t,type:str]\n  version: 3.8.1\n',
      'vault/es.yaml':
        'apiVersion: external-secrets.io/v1\nkind: ExternalSecret\nmetadata:\n  name: from-vault\n  namespace: vault\nspec:\n  target:\n    name: external-values\n',
      'vault/hr.yaml': hr(
        '    - kind: Secret\n      name: sealed\n    - kind: Secret\n      name: external-values\n    - kind: ConfigMap\n      name: nowhere\n    - kind: ConfigMap\n      name: optional-one\n      optional: true\n',
      ),
    });
    const i = only(repo);
    expect(i.partial).toEqual([
      'valuesFrom Secret sealed (vault/secret.sops.yaml) is SOPS-encrypted',
      'valuesFrom Secret external-values is made by ExternalSecret from-vault (vault/es.yaml) from an external store',
      'valuesFrom ConfigMap nowhere is not in this repository',
    ]);
    expect(i.values).toEqual({ server: { ha: { replicas: 5 } } });
  });

  it('postBuild substitution of the Flux Kustomization that applies the release', () => {
    expect(substitute('a ${X} ${Y:=dflt} $${Z} ${UNSET}.', new Map([['X', '1']]))).toBe('a 1 dflt ${Z} .');
    expect(setPath({}, 'a.b\\.c[1].d', 5)).toEqual({ a: { 'b.c': [undefined, { d: 5 }] } });
  });

  it('postRenderers, CRD and test policies are read from the release', () => {
    const repo = repoFrom({
      'sources.yaml': HELM_REPOS,
      'hr.yaml': helmRelease(
        'vault',
        'vault',
        'vault',
        '0.34.1',
        'ui:\n  enabled: true\n',
        '  install:\n    crds: Skip\n  test:\n    enable: true\n  postRenderers:\n    - kustomize:\n        images:\n          - name: hashicorp/vault\n            newTag: "1.2.3"\n',
      ),
    });
    const i = only(repo);
    expect([i.includeCrds, i.skipTests, i.postRenderers]).toEqual([false, false, [{ kustomize: { images: [{ name: 'hashicorp/vault', newTag: '1.2.3' }] } }]]);
  });
});

describe('chart resolution, as Flux resolves it', () => {
  it('chart.spec with a HelmRepository (https and OCI), chartRef to an OCIRepository and to a HelmChart, a path in this repository', () => {
    const repo = repoFrom({
      'sources.yaml': `${HELM_REPOS}---\napiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmRepository\nmetadata:\n  name: oci-charts\n  namespace: flux-system\nspec:\n  type: oci\n  url: oci://ghcr.io/acme/charts\n---\napiVersion: source.toolkit.fluxcd.io/v1\nkind: OCIRepository\nmetadata:\n  name: eso\n  namespace: security\nspec:\n  url: oci://ghcr.io/external-secrets/charts/external-secrets\n  ref:\n    semver: ">= 1.2, < 3.0"\n---\napiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmChart\nmetadata:\n  name: vault-chart\n  namespace: security\nspec:\n  chart: vault\n  version: 0.27.x\n  sourceRef:\n    kind: HelmRepository\n    name: hashicorp\n    namespace: flux-system\n`,
      'a.yaml': helmRelease('a', 'vault', 'vault', '0.27.x', 'x: 1\n'),
      'b.yaml':
        'apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: b\n  namespace: security\nspec:\n  chartRef:\n    kind: OCIRepository\n    name: eso\n',
      'c.yaml':
        'apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: c\n  namespace: security\nspec:\n  chartRef:\n    kind: HelmChart\n    name: vault-chart\n',
      'd.yaml':
        'apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: d\n  namespace: apps\nspec:\n  chart:\n    spec:\n      chart: web\n      sourceRef:\n        kind: HelmRepository\n        name: oci-charts\n        namespace: flux-system\n',
      'e.yaml':
        'apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: e\n  namespace: apps\nspec:\n  chart:\n    spec:\n      chart: ./charts/local\n      sourceRef:\n        kind: GitRepository\n        name: other\n        namespace: flux-system\n',
      'charts/local/Chart.yaml': 'apiVersion: v2\nname: local\nversion: 1.0.0\n',
    });
    const req = (name: string) => chartRequest(repo, repo.find('HelmRelease', name)!);
    expect(req('a')).toMatchObject({
      name: 'vault',
      version: '0.27.x',
      via: 'helm-repository',
      pull: { ref: 'vault', repo: 'https://helm.releases.hashicorp.com' },
    });
    expect(req('b')).toMatchObject({
      name: 'external-secrets',
      version: '>= 1.2, < 3.0',
      via: 'oci',
      pull: { ref: 'oci://ghcr.io/external-secrets/charts/external-secrets' },
    });
    expect(req('c')).toMatchObject({ name: 'vault', version: '0.27.x', via: 'helm-repository' });
    expect(req('c').sources.map((s) => s.name)).toEqual(['vault-chart', 'hashicorp']);
    expect(req('d')).toMatchObject({ name: 'web', version: '*', via: 'oci', pull: { ref: 'oci://ghcr.io/acme/charts/web' } });
    expect(req('e')).toMatchObject({ name: 'local', via: 'path', localPath: join(repo.root, 'charts/local') });
  });

  it('a local chart directory holds <name>-<version>/ and .tgz; the highest version matching wins; a missing one is reported, never guessed', async () => {
    const dir = tempDir();
    for (const v of ['0.27.0', '0.28.1']) {
      mkdirSync(join(dir, `vault-${v}`));
      writeFileSync(join(dir, `vault-${v}`, 'Chart.yaml'), `apiVersion: v2\nname: vault\nversion: ${v}\n`);
    }
    writeFileSync(join(dir, 'vault-0.27.9.tgz'), '');
    expect(listCharts(dir).map((c) => `${c.name}@${c.version}`)).toEqual(['vault@0.27.0', 'vault@0.27.9', 'vault@0.28.1']);
    const store = new ChartStore({ chartDirs: [dir], pull: false });
    const base = {
      name: 'vault',
      via: 'helm-repository' as const,
      sources: [],
      valuesFiles: [],
      description: 'vault',
      pull: { ref: 'vault', repo: 'https://helm.releases.hashicorp.com' },
    };
    expect(await store.resolve({ ...base, version: '0.27.x' })).toMatchObject({ ok: true, chart: { version: '0.27.9', path: join(dir, 'vault-0.27.9.tgz') } });
    expect(await store.resolve({ ...base, version: '*' })).toMatchObject({ ok: true, chart: { version: '0.28.1', from: 'charts-dir' } });
    expect(await store.resolve({ ...base, version: '0.34.1' })).toEqual({
      ok: false,
      reason: `no version of vault matching "0.34.1" in ${dir} (have 0.27.0, 0.27.9, 0.28.1); pulling is off (render.pull: false)`,
    });
  });

  const title = `the real charts directory lists every Vault and External Secrets version${hasCharts ? '' : ' (skipped: ../shared/charts is absent)'}`;
  it.skipIf(!hasCharts)(title, () => {
    expect(listCharts(CHARTS).map((c) => `${c.name}-${c.version}`)).toEqual([
      'external-secrets-0.10.4',
      'external-secrets-0.11.0',
      'external-secrets-0.9.11',
      'external-secrets-1.2.1',
      'external-secrets-2.9.0',
      'vault-0.27.0',
      'vault-0.28.1',
      'vault-0.29.1',
      'vault-0.33.0',
      'vault-0.34.1',
    ]);
  });
});
