import { describe, expect, it } from 'vitest';
import { fromRaw } from '../../src/engine/config.js';
import { loadRepo } from '../../src/engine/repo/load.js';
import { serviceConsumers, withScheme, type ServiceTarget } from '../../src/kit/index.js';
import { tempDir, writeTree } from '../support/tree.js';

const settings = fromRaw({}).settings;

const FILES: Record<string, string> = {
  'stores.yaml': `apiVersion: external-secrets.io/v1
kind: ClusterSecretStore
metadata:
  name: cluster
spec:
  provider:
    vault:
      server: http://vault.vault.svc.cluster.local:8200
---
apiVersion: external-secrets.io/v1
kind: SecretStore
metadata:
  name: local
  namespace: vault
spec:
  provider:
    vault:
      server: http://vault-active:8200
---
apiVersion: external-secrets.io/v1
kind: SecretStore
metadata:
  name: elsewhere
  namespace: apps
spec:
  provider:
    vault:
      # the bare name does not resolve from another namespace: not this Vault
      server: http://vault:8200
`,
  'unsealer.yaml': `apiVersion: batch/v1
kind: CronJob
metadata:
  name: unsealer
  namespace: vault
spec:
  schedule: "*/5 * * * *"
  jobTemplate:
    spec:
      template:
        spec:
          containers:
            - name: unseal
              image: hashicorp/vault:1.17.2
              env:
                - name: VAULT_ADDR
                  value: http://vault.vault:8200
              command: ["/bin/sh", "-c"]
              args:
                - |
                  for i in 0 1 2; do
                    vault operator unseal -address=http://vault-$i.vault-internal:8200 "$KEY"
                  done
                  echo "cluster port vault-0.vault-internal:8201 is not the API"
`,
  'script.yaml': `apiVersion: v1
kind: ConfigMap
metadata:
  name: script
  namespace: tools
data:
  run.sh: |
    # talk to vault, the secrets store (prose, not a reference)
    curl -s https://vault-0.vault-internal.vault.svc:8200/v1/sys/health
    curl -s http://vault.example.com:8200/v1/sys/health
`,
  'monitors.yaml': `apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata:
  name: vault
  namespace: monitoring
spec:
  namespaceSelector:
    matchNames: [vault]
  selector:
    matchLabels:
      app.kubernetes.io/name: vault
  endpoints:
    - port: http
      path: /v1/sys/metrics
---
apiVersion: monitoring.coreos.com/v1
kind: PodMonitor
metadata:
  name: other
  namespace: vault
spec:
  selector:
    matchLabels:
      app: something-else
  podMetricsEndpoints:
    - port: http
`,
  'routes.yaml': `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: vault-ui
  namespace: vault
spec:
  rules:
    - backendRefs:
        - name: vault-ui
          port: 8200
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: vault
  namespace: vault
spec:
  rules:
    - http:
        paths:
          - path: /
            pathType: Prefix
            backend:
              service:
                name: vault
                port:
                  number: 8200
`,
  'seal.yaml': `apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: app-vault
  namespace: apps
spec:
  chart:
    spec:
      chart: vault
  values:
    server:
      standalone:
        config: |
          seal "transit" {
            address = "http://vault.vault.svc:8200"
          }
`,
};

const TARGET: ServiceTarget = {
  namespace: 'vault',
  services: ['vault', 'vault-active', 'vault-standby', 'vault-internal', 'vault-ui'],
  headless: ['vault-internal'],
  ports: [8200],
  serviceLabels: { 'app.kubernetes.io/name': 'vault', 'app.kubernetes.io/instance': 'vault' },
  podLabels: { 'app.kubernetes.io/name': 'vault', 'app.kubernetes.io/instance': 'vault', component: 'server' },
};

describe('service consumers', () => {
  const dir = tempDir();
  writeTree(dir, new Map(Object.entries(FILES)));
  const repo = loadRepo(dir, { settings });
  const found = serviceConsumers(repo, TARGET);
  const rows = found.map((c) => `${c.kind} ${c.resource.kind}/${c.resource.name} ${c.path.join('.')} ${c.ref ?? c.targetPort} ${c.scheme ?? '-'}`);

  it('finds every DNS form, pod names (shell-templated too), monitors and routes', () => {
    expect(rows.sort()).toEqual(
      [
        'secret-store ClusterSecretStore/cluster spec.provider.vault.server http://vault.vault.svc.cluster.local:8200 http',
        'secret-store SecretStore/local spec.provider.vault.server http://vault-active:8200 http',
        'env CronJob/unsealer spec.jobTemplate.spec.template.spec.containers.0.env.0.value http://vault.vault:8200 http',
        'command CronJob/unsealer spec.jobTemplate.spec.template.spec.containers.0.args.0 http://vault-$i.vault-internal:8200 http',
        'config-data ConfigMap/script data.run.sh https://vault-0.vault-internal.vault.svc:8200 https',
        'helm-values HelmRelease/app-vault spec.values.server.standalone.config http://vault.vault.svc:8200 http',
        'service-monitor ServiceMonitor/vault spec.endpoints.0 http -',
        'route HTTPRoute/vault-ui spec.rules.0.backendRefs.0 8200 -',
        'ingress Ingress/vault spec.rules.0.http.paths.0.backend 8200 -',
      ].sort(),
    );
  });

  it('knows the container and env variable of a workload value', () => {
    const env = found.find((c) => c.kind === 'env')!;
    expect(env.container).toEqual({
      podSpec: ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
      path: ['spec', 'jobTemplate', 'spec', 'template', 'spec', 'containers', 0],
      env: 'VAULT_ADDR',
    });
  });

  it('rewrites the scheme of one reference in place', () => {
    const c = found.find((x) => x.kind === 'helm-values')!;
    const text = String(c.resource.get(c.path));
    expect(withScheme(c, text, 'https')).toBe(text.replace('http://vault.vault.svc', 'https://vault.vault.svc'));
  });
});
