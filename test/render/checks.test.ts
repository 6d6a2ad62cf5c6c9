import { describe, expect, it } from 'vitest';
import { type CheckId } from '../../src/engine/render/universe.js';
import { Renderer } from '../../src/engine/render/helm.js';
import { proveRender, renderGate, renderRefusals } from '../../src/engine/render/proof.js';
import { CHARTS, helmBinary, renderSkipReason } from '../support/helm.js';
import { HELM_REPOS, helmRelease, planOf, repoFrom } from '../support/render.js';

const title = (t: string) => (renderSkipReason ? `${t} (skipped: ${renderSkipReason})` : t);

const STANDALONE = `ui = true
listener "tcp" {
  tls_disable = 1
  address = "[::]:8200"
  cluster_address = "[::]:8201"
}
storage "file" {
  path = "/vault/data"
}
`;

const TLS_LISTENER = STANDALONE.replace(
  '  tls_disable = 1\n',
  '  tls_cert_file = "/vault/userconfig/vault-tls/tls.crt"\n  tls_key_file = "/vault/userconfig/vault-tls/tls.key"\n',
);

function block(text: string, indent: string): string {
  return text
    .trimEnd()
    .split('\n')
    .map((l) => `${indent}${l}`)
    .join('\n');
}

/** Values of a standalone Vault 0.34.1 with the given HCL and extra values (YAML at the `values:` level). */
function vaultValues(hcl: string, extra = ''): string {
  return `injector:\n  enabled: false\nserver:\n  standalone:\n    enabled: true\n    config: |\n${block(hcl, '      ')}\n${extra}`;
}

const vaultFile = (values: string) => helmRelease('vault', 'vault', 'vault', '0.34.1', values);

interface Case {
  readonly check: CheckId;
  readonly what: string;
  readonly before: Record<string, string>;
  /** The fix: files it writes. */
  readonly fix: Record<string, string>;
  readonly message: RegExp;
  readonly apiVersions?: readonly string[];
}

const CASES: Case[] = [
  {
    check: 'duplicate-object',
    what: 'External Secrets 0.10.4: enabling metrics.service next to serviceMonitor renders Service external-secrets-metrics twice',
    before: { 'eso.yaml': helmRelease('external-secrets', 'external-secrets', 'external-secrets', '0.10.4', 'serviceMonitor:\n  enabled: true\n') },
    fix: {
      'eso.yaml': helmRelease(
        'external-secrets',
        'external-secrets',
        'external-secrets',
        '0.10.4',
        'serviceMonitor:\n  enabled: true\nmetrics:\n  service:\n    enabled: true\n',
      ),
    },
    apiVersions: ['monitoring.coreos.com/v1'],
    message: /^Service\/external-secrets\/external-secrets-metrics is applied 2 times/,
  },
  {
    check: 'missing-reference',
    what: 'mounting a Secret that nothing makes',
    before: { 'vault.yaml': vaultFile(vaultValues(STANDALONE)) },
    fix: {
      'vault.yaml': vaultFile(
        vaultValues(
          STANDALONE,
          '  volumes:\n    - name: tls\n      secret:\n        secretName: vault-tls\n  volumeMounts:\n    - name: tls\n      mountPath: /vault/userconfig/vault-tls\n',
        ),
      ),
    },
    message: /^StatefulSet\/vault\/vault uses Secret vault-tls \(volume tls\), which nothing in the repository makes/,
  },
  {
    check: 'vault-config',
    what: 'switching to HA Raft without writing the Raft configuration (the chart renders its default one)',
    before: { 'vault.yaml': vaultFile(vaultValues(STANDALONE)) },
    fix: { 'vault.yaml': vaultFile(vaultValues(STANDALONE, '  ha:\n    enabled: true\n    raft:\n      enabled: true\n')) },
    message: /^ConfigMap\/vault\/vault-config \(HelmRelease vault\/vault\) does not hold the configuration the repository writes in server\.standalone\.config/,
  },
  {
    check: 'vault-config',
    what: 'an HCL edit that does not parse',
    before: { 'vault.yaml': vaultFile(vaultValues(STANDALONE)) },
    fix: { 'vault.yaml': vaultFile(vaultValues(STANDALONE.replace('path = "/vault/data"', 'path = "/vault/data'))) },
    message: /^ConfigMap\/vault\/vault-config key extraconfig-from-values\.hcl, read by StatefulSet\/vault\/vault container vault, does not parse/,
  },
  {
    check: 'release-renders',
    what: 'values the chart fails on (a structured server config)',
    before: { 'vault.yaml': vaultFile(vaultValues(STANDALONE)) },
    fix: { 'vault.yaml': vaultFile('server:\n  standalone:\n    enabled: true\n    config:\n      ui: true\n') },
    message: /^HelmRelease vault\/vault rendered before, but helm template fails after: .*structured server config is not supported/,
  },
  {
    check: 'listener-cert-path',
    what: 'a TLS listener whose certificate is in no mounted volume',
    before: { 'vault.yaml': vaultFile(vaultValues(STANDALONE)) },
    fix: { 'vault.yaml': vaultFile(`global:\n  tlsDisable: false\n${vaultValues(TLS_LISTENER)}`) },
    message: /listener tls_cert_file = "\/vault\/userconfig\/vault-tls\/tls\.crt" is not under any mounted volume/,
  },
  {
    check: 'probe-scheme',
    what: 'TLS on the listener while the chart still probes and addresses Vault over HTTP (global.tlsDisable: true)',
    before: {
      'vault.yaml': vaultFile(vaultValues(STANDALONE, '  readinessProbe:\n    path: /v1/sys/health?standbyok=true\n')),
      'secret.yaml': 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: vault-tls\n  namespace: vault\ntype: kubernetes.io/tls\n',
    },
    fix: {
      'vault.yaml': vaultFile(
        vaultValues(
          TLS_LISTENER,
          '  readinessProbe:\n    path: /v1/sys/health?standbyok=true\n  volumes:\n    - name: tls\n      secret:\n        secretName: vault-tls\n  volumeMounts:\n    - name: tls\n      mountPath: /vault/userconfig/vault-tls\n',
        ),
      ),
    },
    message: /readinessProbe uses HTTP on port 8200, but the listener there serves TLS/,
  },
  {
    check: 'pdb-selects-nothing',
    what: 'a generated PodDisruptionBudget whose selector matches no pod',
    before: { 'vault.yaml': vaultFile(vaultValues(STANDALONE)) },
    fix: {
      'pdb.yaml':
        'apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata:\n  name: vault\n  namespace: vault\nspec:\n  maxUnavailable: 1\n  selector:\n    matchLabels:\n      app.kubernetes.io/name: vault-server\n',
    },
    message: /^PodDisruptionBudget\/vault\/vault selects no pod/,
  },
];

describe.skipIf(!!renderSkipReason)(title('render checks refuse the fix that introduces a violation'), () => {
  const renderer = (apiVersions: readonly string[] = []) => new Renderer({ helm: helmBinary!, chartDirs: [CHARTS], pull: false, apiVersions });

  it.each(CASES)('$check: $what', async (c) => {
    const before = repoFrom({ 'sources.yaml': HELM_REPOS, ...c.before });
    const plan = planOf(before, [{ id: 'the-fix', files: c.fix }]);
    const proof = await proveRender(before, plan, { renderer: renderer(c.apiVersions) });
    const blamed = proof.blame.get('the-fix') ?? [];
    expect(blamed.filter((v) => v.check === c.check).map((v) => v.message)).toEqual(expect.arrayContaining([expect.stringMatching(c.message)]));
    expect(proof.violations.existing).toEqual([]);
    const refused = renderRefusals(plan, proof);
    expect(refused.map((r) => r.ruleId)).toEqual(['the-fix']);
    expect(refused[0]!.reason).toMatch(/^render check: /);
  });

  it('a violation that was there before is reported, not blamed on the fix', async () => {
    const dup = CASES[0]!;
    const before = repoFrom({ 'sources.yaml': HELM_REPOS, ...dup.fix });
    const plan = planOf(before, [
      { id: 'other-fix', files: { 'eso.yaml': dup.fix['eso.yaml']!.replace('interval: 30m', 'interval: 10m').concat('    replicaCount: 2\n') } },
    ]);
    const proof = await proveRender(before, plan, { renderer: renderer(dup.apiVersions) });
    expect(proof.violations.introduced).toEqual([]);
    expect(proof.violations.existing.map((v) => v.check)).toEqual(['duplicate-object']);
    expect(proof.blame.size).toBe(0);
    expect(proof.releases.map((r) => [r.id, r.status, r.diff?.changed.map((c) => c.after.name)])).toEqual([
      ['external-secrets/external-secrets', 'verified', ['external-secrets']],
    ]);
  });

  it('with several rules on one release, the rule whose change brings the violation in is blamed, and the gate plans again without it', async () => {
    const eso = (values: string) => ({ 'eso.yaml': helmRelease('external-secrets', 'external-secrets', 'external-secrets', '0.10.4', values) });
    const before = repoFrom({ 'sources.yaml': HELM_REPOS, ...eso('serviceMonitor:\n  enabled: true\n') });
    const first = eso('serviceMonitor:\n  enabled: true\nreplicaCount: 2\n');
    const second = eso('serviceMonitor:\n  enabled: true\nreplicaCount: 2\nmetrics:\n  service:\n    enabled: true\n');
    const third = eso('serviceMonitor:\n  enabled: true\nreplicaCount: 2\nmetrics:\n  service:\n    enabled: true\nleaderElect: true\n');
    const plan = planOf(before, [
      { id: 'replicas', files: first },
      { id: 'metrics-service', files: second },
      { id: 'leader-election', files: third },
    ]);
    const opts = { renderer: renderer(['monitoring.coreos.com/v1']) };
    const proof = await proveRender(before, plan, opts);
    expect([...proof.blame.keys()]).toEqual(['metrics-service']);
    expect(proof.releases[0]!.rules).toEqual(['replicas', 'metrics-service', 'leader-election']);
    let replanned = 0;
    const gate = await renderGate(before, plan, opts, (exclude) => {
      replanned++;
      expect(exclude(plan.rules[1]!.fixed[0]!.finding)).toBe(true);
      expect(exclude(plan.rules[0]!.fixed[0]!.finding)).toBe(false);
      return {
        plan: planOf(before, [
          { id: 'replicas', files: first },
          { id: 'leader-election', files: eso('serviceMonitor:\n  enabled: true\nreplicaCount: 2\nleaderElect: true\n') },
        ]),
      };
    });
    expect(replanned).toBe(1);
    expect(gate.refusals.map((r) => r.ruleId)).toEqual(['metrics-service']);
    expect(gate.proof.violations.introduced).toEqual([]);
    expect(gate.plan.rules.map((rp) => rp.rule.meta.id)).toEqual(['replicas', 'leader-election']);
  });
});
