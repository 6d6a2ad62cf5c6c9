import { describe, expect, it } from 'vitest';
import { Renderer } from '../../src/engine/render/helm.js';
import { proveRender } from '../../src/engine/render/proof.js';
import { CHARTS, helmBinary, renderSkipReason } from '../support/helm.js';
import { HELM_REPOS, helmRelease, planOf, repoFrom } from '../support/render.js';

const title = (t: string) => (renderSkipReason ? `${t} (skipped: ${renderSkipReason})` : t);

describe.skipIf(!!renderSkipReason)(title('several clusters in one repository'), () => {
  const vault = (replicas: number) =>
    helmRelease('vault', 'vault', 'vault', '0.34.1', `server:\n  ha:\n    enabled: true\n    replicas: ${replicas}\n    raft:\n      enabled: true\n`);
  const files = { 'sources.yaml': HELM_REPOS, 'clusters/staging/vault.yaml': vault(3), 'clusters/production/vault.yaml': vault(3) };

  it('a release of the same name in each cluster is its own release; objects are compared per cluster, not across them', async () => {
    const before = repoFrom(files);
    const renderer = new Renderer({ helm: helmBinary!, chartDirs: [CHARTS], pull: false });
    const one = await proveRender(before, planOf(before, [{ id: 'prod-only', files: { 'clusters/production/vault.yaml': vault(5) } }]), { renderer });
    expect(one.releases.map((r) => [r.label, r.file, r.diff?.changed.map((c) => c.after.kind)])).toEqual([
      ['vault/vault', 'clusters/production/vault.yaml', ['PodDisruptionBudget', 'StatefulSet']],
    ]);
    expect([...one.violations.existing, ...one.violations.introduced].map((v) => v.message)).toEqual([]);
    const both = await proveRender(
      before,
      planOf(before, [{ id: 'both', files: { 'clusters/production/vault.yaml': vault(5), 'clusters/staging/vault.yaml': vault(4) } }]),
      { renderer },
    );
    expect(both.releases.map((r) => r.label)).toEqual(['vault/vault (clusters/production/vault.yaml)', 'vault/vault (clusters/staging/vault.yaml)']);
    // helm ran for production 3 → 5 replicas and staging 4; staging with 3 is production's render (same inputs),
    // and the second proof's renders of production come from the cache
    expect(Object.fromEntries(renderer.stats.perRelease)).toEqual({ 'clusters/production/vault.yaml#0': 2, 'clusters/staging/vault.yaml#0': 1 });
  });
});
