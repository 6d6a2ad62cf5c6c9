/**
 * The External Secrets chart upgrade together with the probe and RBAC fixes it serves: one plan upgrades the chart
 * first and then sets their keys on the upgraded chart. The fixed trees build with kustomize, their External Secrets
 * objects validate against the external-secrets.io/v1 schemas, and the release renders with the real charts: before
 * with the old chart, after with 2.9.0, where every key the fixes wrote exists, the controllers have their probes and
 * no ClusterRole aggregates into `edit`.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  esoChartPin,
  esoReleases,
  esoValuesChanges,
  esoServedVersions,
  parseVersion,
  releaseName,
  releaseNamespace,
  versionAtLeast,
} from '../../src/kit/index.js';
import { planFixes, findingKey } from '../../src/engine/plan.js';
import { ruleById } from '../../src/engine/registry.js';
import { detectRule } from '../../src/engine/scan.js';
import { openSession } from '../../src/engine/session.js';
import { FIXTURES } from '../support/fixtures.js';
import { CHARTS, renderSkipReason } from '../support/helm.js';
import { chartHasKey, helmTemplate, leafPaths, type Rendered } from '../support/helm-render.js';
import { missing, skipTitle } from '../support/needs.js';
import { validateResource } from '../support/schema.js';
import { corpusRepos, readTree, tempDir, writeTree } from '../support/tree.js';

const UPGRADE = 'external-secrets-chart-upgrade';
const probes = ruleById('external-secrets-missing-probes')!;
const rbac = ruleById('external-secrets-rbac')!;

/** The fixture cases of the old charts in ../shared/charts, and the chart each pins. */
const CASES = [
  { name: 'invalid-basic', chart: '0.9.11' },
  { name: 'invalid-chart-0-10', chart: '0.10.4' },
  { name: 'invalid-chart-0-11', chart: '0.11.0' },
  { name: 'invalid-chart-1-2', chart: '1.2.1' },
] as const;

function get(v: unknown, path: readonly string[]): unknown {
  let cur = v;
  for (const seg of path) cur = cur && typeof cur === 'object' ? (cur as Record<string, unknown>)[seg] : undefined;
  return cur;
}

/** Plan the probe and RBAC fixes (which pull in the upgrade) on a fixture; write the fixed tree to a temporary directory. */
function fixAll(name: string) {
  return fixDir(join(FIXTURES, UPGRADE, name, 'before'));
}

function fixDir(before: string) {
  const session = openSession(before);
  const plan = planFixes(session.repo, { rules: [probes, rbac], options: session.options });
  const dir = tempDir();
  writeTree(dir, readTree(before));
  writeTree(dir, plan.finalFiles);
  return { before, session, plan, dir, after: openSession(dir) };
}

function controller(objects: readonly Rendered[], component: string): Record<string, unknown> | undefined {
  const deployment = objects.find(
    (o) =>
      o.kind === 'Deployment' &&
      (component === 'controller' ? !/-(webhook|cert-controller)$/.test(o.metadata.name) : o.metadata.name.endsWith(`-${component}`)),
  );
  return get(deployment, ['spec', 'template', 'spec', 'containers', '0']) as Record<string, unknown> | undefined;
}

function aggregating(objects: readonly Rendered[], role: 'edit' | 'admin'): string[] {
  return objects
    .filter((o) => o.kind === 'ClusterRole' && o.metadata.labels?.[`rbac.authorization.k8s.io/aggregate-to-${role}`] === 'true')
    .map((o) => o.metadata.name);
}

/**
 * Render the release with its old chart and values, then with 2.9.0 and the fixed values: every key the fixes wrote
 * is a key of 2.9.0, the three controllers have liveness and readiness probes, and no ClusterRole aggregates into the
 * built-in edit or admin roles (the old chart's did, before 0.16.2).
 */
function renderCheck({ session, after }: ReturnType<typeof fixDir>, chart: string): void {
  const hrBefore = esoReleases(session.repo)[0]!;
  const hrAfter = esoReleases(after.repo)[0]!;
  const valuesBefore = session.repo.flux.values(hrBefore);
  const valuesAfter = after.repo.flux.values(hrAfter);
  const release = releaseName(hrAfter);
  const ns = releaseNamespace(after.repo, hrAfter) ?? 'default';

  const old = helmTemplate(`external-secrets-${chart}`, release, ns, valuesBefore);
  expect(get(controller(old, 'controller'), ['readinessProbe']), 'the old controller has no readiness probe').toBeUndefined();
  if (!versionAtLeast(parseVersion(chart)!, '0.16.2')) expect(aggregating(old, 'edit').length).toBeGreaterThan(0);
  const rendered = helmTemplate('external-secrets-2.9.0', release, ns, valuesAfter);

  const written = leafPaths(valuesAfter).filter((p) => JSON.stringify(get(valuesBefore, p)) !== JSON.stringify(get(valuesAfter, p)));
  expect(written.length).toBeGreaterThan(0);
  expect(written.filter((p) => !chartHasKey('external-secrets-2.9.0', p)).map((p) => p.join('.'))).toEqual([]);

  for (const component of ['controller', 'webhook', 'cert-controller']) {
    const container = controller(rendered, component);
    expect(container, component).toBeDefined();
    expect(get(container, ['livenessProbe']), `${component} liveness`).toBeDefined();
    expect(get(container, ['readinessProbe']), `${component} readiness`).toBeDefined();
  }
  expect(aggregating(rendered, 'edit')).toEqual([]);
  expect(aggregating(rendered, 'admin')).toEqual([]);
}

describe('external-secrets-chart-upgrade with the probe and RBAC fixes', () => {
  for (const c of CASES) {
    it(`${c.name}: chart ${c.chart} → 2.9.0 first, then the probes and RBAC keys; v1 objects`, () => {
      const { plan, after } = fixAll(c.name);
      expect(plan.rules.map((r) => r.rule.meta.id)).toEqual([UPGRADE, probes.meta.id, rbac.meta.id]);
      expect(plan.rules.flatMap((r) => r.dropped.map((d) => `${r.rule.meta.id}: ${d.reason}`))).toEqual([]);
      expect(plan.rules[0]!.fixed).toHaveLength(1);
      expect(plan.rules[0]!.requiredBy).toBe(probes.meta.id);
      expect(plan.rules[1]!.fixed.length).toBeGreaterThan(0);
      // Nothing the three rules can fix is left on the fixed tree.
      for (const r of [ruleById(UPGRADE)!, probes, rbac]) {
        expect(
          detectRule(after.repo, r, after.options.get(r.meta.id))
            .filter((f) => f.fixable)
            .map((f) => f.message),
        ).toEqual([]);
      }
      const hr = esoReleases(after.repo)[0]!;
      const pin = esoChartPin(after.repo, hr);
      expect(pin.kind === 'exact' && pin.text).toBe('2.9.0');
      // Every External Secrets object is served by 2.9.0 and valid against its schema.
      for (const r of after.repo.resources.filter((x) => x.group === 'external-secrets.io')) {
        const served = r.kind === 'PushSecret' || r.kind === 'ClusterPushSecret' ? ['v1alpha1'] : esoServedVersions(parseVersion('2.9.0')!, r.kind);
        expect(served, `${r.file} ${r.kind}`).toContain(r.apiVersion!.split('/')[1]);
        expect(validateResource(r.data as Record<string, unknown>), `${r.file} ${r.kind} ${r.name}`).toEqual([]);
      }
    });

    const noKubectl = missing('kubectl');
    it.skipIf(noKubectl)(skipTitle(`${c.name}: kubectl kustomize builds every Flux Kustomization path of the fixed tree, without v1beta1`, noKubectl), () => {
      const { dir, after } = fixAll(c.name);
      const paths = after.repo
        .ofKind('Kustomization', 'kustomize.toolkit.fluxcd.io')
        .map((ks) => after.repo.flux.kustomizationDir(ks))
        .filter((p) => p !== undefined);
      expect(paths.length).toBeGreaterThan(0);
      for (const path of paths) {
        const out = execFileSync('kubectl', ['kustomize', join(dir, path)], { encoding: 'utf8' });
        expect(out, `${path} still names v1beta1`).not.toMatch(/external-secrets\.io\/v1beta1/);
      }
    });

    it.skipIf(!!renderSkipReason)(
      `${c.name}: renders with chart ${c.chart} before and 2.9.0 after: keys exist, probes on, no aggregate-to-edit${renderSkipReason ? ` (skipped: ${renderSkipReason})` : ''}`,
      () => renderCheck(fixAll(c.name), c.chart),
    );
  }

  // The corpus repositories whose External Secrets chart is one of ../shared/charts and needs the upgrade.
  const noCorpus = renderSkipReason ?? missing('corpus');
  const corpus = corpusRepos().flatMap((dir) => {
    const s = openSession(dir);
    return esoReleases(s.repo).flatMap((hr) => {
      const pin = esoChartPin(s.repo, hr);
      return pin.kind === 'exact' && !versionAtLeast(pin.version, '2.8.0') && existsSync(join(CHARTS, `external-secrets-${pin.text}`))
        ? [{ dir, chart: pin.text }]
        : [];
    });
  });
  it.skipIf(noCorpus)(skipTitle('corpus repositories with an old External Secrets chart render the same way after the fixes', noCorpus), () => {
    expect(corpus.length, 'corpus repositories pinning an External Secrets chart of ../shared/charts older than 2.8.0').toBeGreaterThan(0);
    for (const c of corpus) renderCheck(fixDir(c.dir), c.chart);
  });

  it('leaves the probe and RBAC fixes to the old chart when the upgrade is excluded', () => {
    const dir = join(FIXTURES, 'external-secrets-missing-probes', 'invalid-liveness-only', 'before');
    const session = openSession(dir);
    const plan = planFixes(session.repo, {
      rules: [probes],
      options: session.options,
      exclude: (f) => f.ruleId === UPGRADE,
    });
    expect(plan.rules.map((r) => [r.rule.meta.id, r.fixed.length])).toEqual([
      [UPGRADE, 0],
      [probes.meta.id, 1],
    ]);
    const probePlan = plan.rules[1]!;
    expect(probePlan.fixed[0]!.summary).toBe('livenessProbe.enabled: true');
    expect(probePlan.notes.join('\n')).toMatch(/upgrade the External Secrets chart to 2\.2\.0/);
  });

  it('says why the probe fix cannot run on a chart without probes when the upgrade did not run', () => {
    const dir = join(FIXTURES, 'external-secrets-missing-probes', 'invalid-too-old', 'before');
    const session = openSession(dir);
    const plan = planFixes(session.repo, { rules: [probes], options: session.options, exclude: (f) => f.ruleId === UPGRADE });
    expect(plan.rules[1]!.skipped.map((s) => s.reason)).toEqual([expect.stringMatching(/external-secrets-chart-upgrade\) did not run/)]);
    expect([...plan.finalFiles.keys()]).toEqual([]);
  });

  it('marks the probe and RBAC findings of a blocked upgrade as having no automatic fix', () => {
    const dir = join(FIXTURES, UPGRADE, 'invalid-template-engine-v1', 'before');
    const session = openSession(dir);
    const findings = [probes, rbac, ruleById(UPGRADE)!].flatMap((r) => detectRule(session.repo, r, session.options.get(r.meta.id)));
    expect(findings.map((f) => [f.ruleId, f.messageId, f.fixable])).toEqual([
      [probes.meta.id, 'tooOld', false],
      [rbac.meta.id, 'alwaysAggregated', false],
      [UPGRADE, 'blocked', false],
    ]);
    expect(findingKey(findings[2]!)).toContain(UPGRADE);
  });

  it('knows which values keys each upgrade drops or moves', () => {
    const keys = (from: string, to = '2.9.0') => esoValuesChanges(parseVersion(from)!, parseVersion(to)!).map((c) => `${c.key.join('.')}:${c.action.kind}`);
    expect(keys('0.9.5')).toContain('prometheus:manual');
    expect(keys('0.9.11')).not.toContain('prometheus:manual');
    expect(keys('0.9.11')).toContain('webhook.nameOverride:drop');
    expect(keys('0.20.1')).toContain('livenessProbe.timeoutSeconds:move');
    expect(keys('0.20.2')).not.toContain('livenessProbe.timeoutSeconds:move');
    expect(keys('2.7.0')).toEqual(['certController.startupProbe.useReadinessProbePort:drop', 'certController.startupProbe.port:drop']);
    expect(keys('2.8.0')).toEqual([]);
  });
});

describe('external-secrets-chart-upgrade: pins, blockers and rollout order', () => {
  const upgrade = ruleById(UPGRADE)!;
  const hr = (version: string, extra = '') =>
    `apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: external-secrets\n  namespace: external-secrets\nspec:\n  interval: 1h\n  chart:\n    spec:\n      chart: external-secrets\n      version: ${version}\n      sourceRef:\n        kind: HelmRepository\n        name: external-secrets\n${extra}`;
  const ks = (name: string, path: string, extra = '') =>
    `apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: ${name}\n  namespace: flux-system\nspec:\n  interval: 1h\n  path: ${path}\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n${extra}`;
  const store = (extra = '') =>
    `apiVersion: external-secrets.io/v1beta1\nkind: ClusterSecretStore\nmetadata:\n  name: vault\nspec:\n  provider:\n    vault:\n      server: https://vault:8200\n      auth:\n        tokenSecretRef:\n          name: t\n          key: token\n${extra}`;

  function repoOf(files: Record<string, string>) {
    const dir = tempDir();
    writeTree(dir, new Map(Object.entries(files)));
    return openSession(dir);
  }
  function findings(s: ReturnType<typeof repoOf>) {
    return detectRule(s.repo, upgrade, s.options.get(UPGRADE));
  }
  function plan(s: ReturnType<typeof repoOf>) {
    return planFixes(s.repo, { rules: [upgrade], options: s.options }).rules[0]!;
  }

  it('reads an OCIRepository semver before its tag, and leaves a digest pin alone', () => {
    const oci = (ref: string) =>
      `apiVersion: source.toolkit.fluxcd.io/v1\nkind: OCIRepository\nmetadata:\n  name: eso\n  namespace: external-secrets\nspec:\n  interval: 1h\n  url: oci://ghcr.io/external-secrets/charts/external-secrets\n  ref:\n${ref}---\napiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: external-secrets\n  namespace: external-secrets\nspec:\n  interval: 1h\n  chartRef:\n    kind: OCIRepository\n    name: eso\n`;
    const semver = repoOf({ 'eso.yaml': oci('    semver: 0.10.4\n    tag: 2.9.0\n') });
    const pin = esoChartPin(semver.repo, esoReleases(semver.repo)[0]!);
    expect(pin.kind === 'exact' && [pin.text, pin.path.join('.')]).toEqual(['0.10.4', 'spec.ref.semver']);
    expect(
      plan(semver)
        .files.map((f) => f.after)
        .join(''),
    ).toMatch(/semver: 2\.9\.0\n {4}tag: 2\.9\.0/);
    const digest = repoOf({ 'eso.yaml': oci('    digest: sha256:0123\n') });
    expect(findings(digest)).toEqual([]);
  });

  it('is blocked by what v1 or 2.x dropped, naming each place', () => {
    const s = repoOf({
      'eso.yaml': hr('0.9.5', '  values:\n    image:\n      tag: v0.9.9\n    prometheus:\n      enabled: true\n'),
      'stores.yaml': `${store()}---\napiVersion: external-secrets.io/v1beta1\nkind: SecretStore\nmetadata:\n  name: ali\n  namespace: a\nspec:\n  provider:\n    alibaba:\n      regionID: cn\n---\napiVersion: external-secrets.io/v1alpha1\nkind: ExternalSecret\nmetadata:\n  name: old\n  namespace: a\nspec:\n  secretStoreRef:\n    name: ali\n  dataFrom:\n    - key: a\n`,
    });
    const [f] = findings(s);
    expect(f!.messageId).toBe('blocked');
    expect(f!.fixable).toBe(false);
    expect(f!.message).toContain('image.tag pins image v0.9.9');
    expect(f!.message).toContain('prometheus was removed in chart 0.9.10');
    expect(f!.message).toContain('SecretStore ali uses the alibaba provider, which chart 2.0.0 removed (stores.yaml:');
    expect(f!.message).toContain('ExternalSecret old is external-secrets.io/v1alpha1');
  });

  it('warns when one Kustomization applies the release and the v1 objects, or when nothing orders them', () => {
    const same = repoOf({
      'clusters/c/eso.yaml': ks('eso', './eso'),
      'eso/kustomization.yaml': 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - release.yaml\n  - store.yaml\n',
      'eso/release.yaml': hr('0.10.4'),
      'eso/store.yaml': store(),
    });
    expect(plan(same).warnings.join('\n')).toMatch(/The Kustomization that applies HelmRelease external-secrets also applies 1 of the v1 objects/);
    const unordered = repoOf({
      'clusters/c/eso.yaml': `${ks('eso', './eso', '  wait: true\n')}---\n${ks('stores', './stores')}`,
      'eso/release.yaml': hr('0.10.4'),
      'stores/store.yaml': store(),
    });
    expect(plan(unordered).warnings.join('\n')).toMatch(
      /Flux may apply 1 of the v1 object before HelmRelease external-secrets has upgraded the CRDs \(stores\/store\.yaml\)/,
    );
    const ordered = repoOf({
      'clusters/c/eso.yaml': `${ks('eso', './eso', '  wait: true\n')}---\n${ks('stores', './stores', '  dependsOn:\n    - name: eso\n')}`,
      'eso/release.yaml': hr('0.10.4'),
      'stores/store.yaml': store(),
    });
    expect(plan(ordered).warnings.join('\n')).not.toMatch(/Flux may apply|also applies/);
  });

  it('with several releases, moves the objects of the release’s clusters only, and not those another old release still reads', () => {
    const s = repoOf({
      'clusters/a/eso.yaml': ks('eso', './a'),
      'clusters/b/eso.yaml': ks('eso', './b'),
      'a/kustomization.yaml': 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - release.yaml\n  - ../shared\n',
      'a/release.yaml': hr('0.10.4'),
      'b/kustomization.yaml': 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - release.yaml\n  - ../shared\n',
      'b/release.yaml': hr('"~0.10.0"').replace('name: external-secrets\n  namespace', 'name: external-secrets-b\n  namespace'),
      'shared/kustomization.yaml': 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - store.yaml\n',
      'shared/store.yaml': store(),
    });
    const all = findings(s);
    expect(all.map((f) => f.messageId).sort()).toEqual(['blocked', 'rangeTooOld']);
    expect(all.find((f) => f.messageId === 'blocked')!.message).toMatch(
      /ClusterSecretStore vault is also applied on clusters\/b, whose External Secrets release external-secrets-b stays on a chart without external-secrets.io\/v1/,
    );
  });
});
