import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkRendered } from '../../src/engine/render/checks.js';
import { Renderer } from '../../src/engine/render/helm.js';
import { objectLabel } from '../../src/engine/render/objects.js';
import { releaseInputs } from '../../src/engine/render/release.js';
import { CHARTS, helmBinary, renderSkipReason } from '../support/helm.js';
import { missing, skipTitle } from '../support/needs.js';
import { HELM_REPOS, helmRelease, repoFrom } from '../support/render.js';
import { tempDir } from '../support/tree.js';

const title = (t: string) => (renderSkipReason ? `${t} (skipped: ${renderSkipReason})` : t);

describe.skipIf(!!renderSkipReason)(title('helm template through the real charts'), () => {
  const renderer = () => new Renderer({ helm: helmBinary!, chartDirs: [CHARTS], pull: false });

  it('External Secrets 0.10.4 with serviceMonitor and metrics.service renders the metrics Service twice: the duplicate check catches it from the output alone', async () => {
    const objects = await renderer().renderChart({
      chart: join(CHARTS, 'external-secrets-0.10.4'),
      releaseName: 'external-secrets',
      namespace: 'external-secrets',
      values: { serviceMonitor: { enabled: true }, metrics: { service: { enabled: true } } },
      apiVersions: ['monitoring.coreos.com/v1'],
    });
    const services = objects.filter((o) => o.kind === 'Service').map(objectLabel);
    expect(services.filter((s) => s === 'Service/external-secrets/external-secrets-metrics')).toHaveLength(2);
    const dups = checkRendered(objects).filter((v) => v.check === 'duplicate-object');
    expect(dups.map((v) => v.message)).toEqual([
      expect.stringMatching(
        /^Service\/external-secrets\/external-secrets-metrics is applied 2 times: external-secrets \(external-secrets\/templates\/(service|servicemonitor)\.yaml\); external-secrets \(external-secrets\/templates\/(service|servicemonitor)\.yaml\)$/,
      ),
    ]);
  });

  it('the same chart without the ServiceMonitor capability, or with only one of the two, renders it once', async () => {
    const r = renderer();
    const base = { chart: join(CHARTS, 'external-secrets-0.10.4'), releaseName: 'external-secrets', namespace: 'external-secrets' };
    const count = (objs: readonly { kind: string; name: string }[]) => objs.filter((o) => o.kind === 'Service' && o.name === 'external-secrets-metrics').length;
    expect(count(await r.renderChart({ ...base, values: { serviceMonitor: { enabled: true }, metrics: { service: { enabled: true } } } }))).toBe(1);
    expect(count(await r.renderChart({ ...base, values: { serviceMonitor: { enabled: true } }, apiVersions: ['monitoring.coreos.com/v1'] }))).toBe(1);
  });

  it('a release is rendered once per (chart, version, values): the second render is a cache hit', async () => {
    const repo = repoFrom({ 'sources.yaml': HELM_REPOS, 'hr.yaml': helmRelease('vault', 'vault', 'vault', '0.34.x', 'server:\n  ha:\n    enabled: true\n') });
    const r = renderer();
    const i = releaseInputs(repo, repo.ofKind('HelmRelease')[0]!);
    const first = await r.renderRelease(i);
    const second = await r.renderRelease(i);
    expect([first.status, first.chart?.version, first.cached, second.cached]).toEqual(['rendered', '0.34.1', false, true]);
    expect(second.objects.map(objectLabel)).toEqual(first.objects.map(objectLabel));
    expect([r.stats.helmRuns, r.stats.cacheHits, r.stats.perRelease.get('hr.yaml#0')]).toEqual([1, 1, 1]);
    expect(first.objects.map(objectLabel)).toContain('PodDisruptionBudget/vault/vault');
  });

  it('a chart that cannot be had is "not rendered" with the reason; values from outside make it "partial"', async () => {
    const repo = repoFrom({
      'sources.yaml': HELM_REPOS,
      'a.yaml': helmRelease('old', 'vault', 'vault', '0.20.x', 'x: 1\n'),
      'b.yaml': helmRelease('vault', 'vault', 'vault', '0.34.1', 'x: 1\n', '  valuesFrom:\n    - kind: Secret\n      name: vault-values\n'),
    });
    const r = renderer();
    const old = await r.renderRelease(releaseInputs(repo, repo.find('HelmRelease', 'old')!));
    expect(old).toMatchObject({ status: 'not-rendered', objects: [] });
    expect(old.reason).toContain('no version of vault matching "0.20.x"');
    const partial = await r.renderRelease(releaseInputs(repo, repo.find('HelmRelease', 'vault')!));
    expect([partial.status, partial.partial]).toEqual(['partial', ['valuesFrom Secret vault-values is not in this repository']]);
  });

  it.skipIf(!!missing('kubectl'))(skipTitle('postRenderers patch the rendered objects', missing('kubectl')), async () => {
    const repo = repoFrom({
      'sources.yaml': HELM_REPOS,
      'hr.yaml': helmRelease(
        'vault',
        'vault',
        'vault',
        '0.34.1',
        'injector:\n  enabled: false\n',
        '  postRenderers:\n    - kustomize:\n        patches:\n          - target:\n              kind: StatefulSet\n            patch: |\n              - op: add\n                path: /metadata/labels/patched\n                value: "yes"\n        images:\n          - name: hashicorp/vault\n            newTag: "9.9.9"\n',
      ),
    });
    const res = await renderer().renderRelease(releaseInputs(repo, repo.ofKind('HelmRelease')[0]!));
    const sts = res.objects.find((o) => o.kind === 'StatefulSet')!;
    expect((sts.data.metadata as { labels: Record<string, string> }).labels.patched).toBe('yes');
    expect(JSON.stringify(sts.data)).toContain('hashicorp/vault:9.9.9');
  });
});

describe('without helm', () => {
  it('every release is "not render-verified" with the reason, never a silent pass', async () => {
    const repo = repoFrom({ 'sources.yaml': HELM_REPOS, 'hr.yaml': helmRelease('vault', 'vault', 'vault', '0.34.1', 'x: 1\n') });
    const missing = join(tempDir(), 'no-helm-here');
    const res = await new Renderer({ helm: missing, chartDirs: [CHARTS] }).renderRelease(releaseInputs(repo, repo.ofKind('HelmRelease')[0]!));
    expect(res).toMatchObject({ status: 'not-verified', reason: `helm ${missing}: not an executable file`, objects: [] });
    const onPath = await new Renderer({ chartDirs: [CHARTS] }).helm();
    if (!onPath.ok) expect(onPath.reason).toBe('helm is not on PATH');
  });
});
