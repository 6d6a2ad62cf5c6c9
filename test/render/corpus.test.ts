/**
 * Every Vault and External Secrets release of the real repositories (../shared/corpus) and of the example repository
 * renders through its real chart, before and after every fix of every phase, and the fixes bring in no violation
 * of the render checks.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { planFixes } from '../../src/engine/plan.js';
import { rules } from '../../src/engine/registry.js';
import { Renderer } from '../../src/engine/render/helm.js';
import { proveRender } from '../../src/engine/render/proof.js';
import { releaseInputs } from '../../src/engine/render/release.js';
import { helmReleasesOf } from '../../src/engine/render/state.js';
import { openSession } from '../../src/engine/session.js';
import { isExternalSecrets, isVaultServer } from '../../src/kit/index.js';
import { CHARTS, helmBinary, renderSkipReason } from '../support/helm.js';
import { CORPUS, isDir, ROOT } from '../support/tree.js';

const skip = renderSkipReason ?? (isDir(CORPUS) ? undefined : 'needs ../shared/corpus (absent here)');
const REPOS = [join(ROOT, 'fixtures', 'example-repo'), ...(isDir(CORPUS) ? readdirSync(CORPUS).map((d) => join(CORPUS, d)) : [])];

/** Repositories with a Vault or External Secrets release, and those releases' ids. */
function targets(dir: string): string[] {
  const s = openSession(dir);
  return helmReleasesOf(s.repo)
    .filter((hr) => isVaultServer(s.repo, hr) || isExternalSecrets(s.repo, hr))
    .map((hr) => releaseInputs(s.repo, hr).id)
    .sort();
}

const title = (t: string) => (skip ? `${t} (skipped: ${skip})` : t);

describe.skipIf(!!skip)(title('Vault and External Secrets releases of real repositories render through their charts'), () => {
  const withReleases = skip ? [] : REPOS.map((dir) => ({ name: dir.split('/').pop()!, dir, ids: targets(dir) })).filter((r) => r.ids.length);

  it('finds the releases (the example repository and four corpus repositories have some)', () => {
    expect(withReleases.map((r) => `${r.name}: ${r.ids.join(', ')}`)).toEqual([
      'example-repo: external-secrets/external-secrets, vault/vault',
      'ishioni__homelab-ops: security/external-secrets',
      'jonpjenkins__flux2-kustomize-helm-example: vault/vault',
      'sepffuzzball__fuzzlab-gitops: security/external-secrets, security/vault',
      'webgrip__homelab-cluster: external-secrets/external-secrets, vault-unseal/vault-unseal, vault/vault',
    ]);
  });

  it.each(withReleases.map((r) => [r.name, r] as const))('%s: each renders before and after fix --phase all, with no new violation', async (_name, r) => {
    const s = openSession(r.dir);
    const renderer = new Renderer({ helm: helmBinary!, chartDirs: [CHARTS], pull: false });
    // Every target renders as it is (a chart that cannot be had would say why here).
    const alone = new Renderer({ helm: helmBinary!, chartDirs: [CHARTS], pull: false });
    for (const id of r.ids) {
      const hr = helmReleasesOf(s.repo).find((h) => releaseInputs(s.repo, h).id === id)!;
      const res = await alone.renderRelease(releaseInputs(s.repo, hr));
      expect([id, res.status, res.reason ?? '']).toEqual([id, expect.stringMatching(/^(rendered|partial)$/), '']);
      expect(res.objects.length, id).toBeGreaterThan(5);
    }
    const plan = planFixes(s.repo, { rules, options: s.options });
    const proof = await proveRender(s.repo, plan, { renderer });
    for (const rel of proof.releases.filter((x) => r.ids.includes(x.id))) {
      expect([rel.id, rel.status, rel.reason ?? '']).toEqual([rel.id, expect.stringMatching(/^(verified|partial)$/), '']);
    }
    expect(proof.violations.introduced.filter((v) => v.certain).map((v) => v.message)).toEqual([]);
    // Each release renders at most twice in a proof: before and after.
    for (const [id, n] of renderer.stats.perRelease) expect(n, id).toBeLessThanOrEqual(2);
  });
});
