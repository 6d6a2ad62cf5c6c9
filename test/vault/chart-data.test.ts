import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isVaultChartKey, vaultChartDefault } from '../../src/kit/vault/index.js';
import { missing, skipTitle } from '../support/needs.js';
import { renderVaultChartModule, VAULT_CHART_MODULE, VAULT_VALUES_FILE } from '../tools/gen-vault-chart.js';

const noCharts = missing('charts');

describe('vault chart data', () => {
  it.skipIf(noCharts)(
    skipTitle('src/kit/vault/chart-defaults.ts is generated from the chart values.yaml (run npx tsx test/tools/gen-vault-chart.ts)', noCharts),
    () => {
      expect(readFileSync(VAULT_CHART_MODULE, 'utf8')).toBe(renderVaultChartModule(readFileSync(VAULT_VALUES_FILE, 'utf8')));
    },
  );

  it('knows the chart keys, the template-only keys and free-form maps', () => {
    for (const k of [
      'global.tlsDisable',
      'server.ha.raft.config',
      'server.ha.raft.setNodeId',
      'server.volumes',
      'server.extraEnvironmentVars.VAULT_CACERT',
      'server.serviceAccount.annotations.eks.amazonaws.com/role-arn',
      'server.statefulSet.securityContext.container.capabilities',
      'server.readinessProbe.path',
      'fullnameOverride',
      'server.uid',
    ]) {
      expect(isVaultChartKey(k.split(/\.(?![^.]*\/)/)), k).toBe(true);
    }
    for (const k of ['server.ha.raft.replicas', 'global.tls', 'server.standalone.config.x', 'server.readinessProbe.scheme', 'server.tlsDisable']) {
      expect(isVaultChartKey(k.split('.')), k).toBe(false);
    }
    expect(vaultChartDefault(['global', 'tlsDisable'])).toBe(true);
    expect(vaultChartDefault(['server', 'ha', 'replicas'])).toBe(3);
  });
});
