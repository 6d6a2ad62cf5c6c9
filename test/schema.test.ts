import { describe, expect, it } from 'vitest';
import { KNOWN_KINDS, validateResource } from './support/schema.js';

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
      'helm.toolkit.fluxcd.io/v2/HelmRelease',
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
