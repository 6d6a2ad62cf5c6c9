import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import {
  generateNear,
  namespaceAnchor,
  placeNear,
  productionNamespaces,
  relativePath,
  workloads,
  effectiveReplicas,
  parseCpuMillis,
  parseQuantity,
  formatMemory,
  formatCpu,
  selectorMatches,
} from '../../src/kit/index.js';
import { openSession } from '../../src/engine/session.js';
import { fromRaw } from '../../src/engine/config.js';
import { loadRepo } from '../../src/engine/repo/load.js';
import { ROOT } from '../support/tree.js';

const example = join(ROOT, 'fixtures', 'example-repo');

function memRepo(files: Record<string, string>) {
  return loadRepo('/', { settings: fromRaw({}).settings, files: [], overrides: new Map(Object.entries(files)) });
}

describe('workloads', () => {
  it('lists the example repository workloads with namespace, replicas and labels', () => {
    const { repo } = openSession(example);
    const ws = workloads(repo);
    expect(ws.map((w) => `${w.kind}/${w.name} ns=${w.namespace} replicas=${w.replicas}`)).toEqual([
      'Deployment/api ns=production replicas=2',
      'StatefulSet/postgres ns=production replicas=1',
    ]);
    const api = ws[0]!;
    expect(api.podLabels).toEqual({ 'app.kubernetes.io/name': 'api', 'app.kubernetes.io/part-of': 'orders' });
    expect(api.selector).toEqual({ matchLabels: { 'app.kubernetes.io/name': 'api' } });
    expect(api.podSpecPath).toEqual(['spec', 'template', 'spec']);
    expect(api.containers[0]).toMatchObject({
      name: 'api',
      requests: { cpu: '100m', memory: '128Mi' },
      limits: { memory: '256Mi' },
      path: ['spec', 'template', 'spec', 'containers', 0],
    });
  });

  it('reads CronJobs, defaults and autoscalers', () => {
    const repo = memRepo({
      'a.yaml':
        'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: w, namespace: n}\nspec:\n  selector: {matchLabels: {app: w}}\n  template:\n    metadata: {labels: {app: w}}\n    spec: {containers: [{name: c}]}\n---\napiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: w, namespace: n}\nspec:\n  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: w}\n  minReplicas: 3\n  maxReplicas: 5\n',
      'b.yaml':
        'apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: j}\nspec:\n  schedule: "* * * * *"\n  jobTemplate:\n    spec:\n      template:\n        metadata: {labels: {job: j}}\n        spec: {containers: [{name: c, image: busybox}], restartPolicy: OnFailure}\n',
    });
    const [w, j] = workloads(repo);
    expect(w!.replicas).toBe(1);
    expect(effectiveReplicas(w!)).toBe(3);
    expect(j!.kind).toBe('CronJob');
    expect(j!.replicas).toBeUndefined();
    expect(j!.podLabels).toEqual({ job: 'j' });
    expect(j!.containers[0]!.path).toEqual(['spec', 'jobTemplate', 'spec', 'template', 'spec', 'containers', 0]);
  });

  it('matches selectors', () => {
    expect(selectorMatches({ matchLabels: { a: '1' } }, { a: '1', b: '2' })).toBe(true);
    expect(selectorMatches({ matchExpressions: [{ key: 'a', operator: 'In', values: ['2'] }] }, { a: '1' })).toBe(false);
    expect(selectorMatches({}, { a: '1' })).toBe(true);
  });
});

describe('quantities', () => {
  it('parses and formats', () => {
    expect(parseCpuMillis('250m')).toBe(250);
    expect(parseCpuMillis('1.5')).toBe(1500);
    expect(parseCpuMillis(2)).toBe(2000);
    expect(parseQuantity('512Mi')).toBe(512 * 2 ** 20);
    expect(parseQuantity('1G')).toBe(1e9);
    expect(parseQuantity('12x')).toBeUndefined();
    expect(formatMemory(768 * 2 ** 20)).toBe('768Mi');
    expect(formatMemory(2 * 2 ** 30)).toBe('2Gi');
    expect(formatMemory(1.3 * 2 ** 30)).toBe('1536Mi');
    expect(formatCpu(2000)).toBe('2');
    expect(formatCpu(350)).toBe('350m');
  });
});

describe('placement', () => {
  it('relative paths', () => {
    expect(relativePath('a/b', 'a/b/c.yaml')).toBe('c.yaml');
    expect(relativePath('a', 'a/b/c.yaml')).toBe('b/c.yaml');
    expect(relativePath('', 'x.yaml')).toBe('x.yaml');
  });

  it('places next to a workload and wires its kustomization.yaml', () => {
    const { repo } = openSession(example);
    const api = workloads(repo)[0]!.resource;
    const g = generateNear(repo, { near: api, baseName: 'api-pdb', namespace: 'production', templates: ['pdb'], vars: {} });
    expect(g).toEqual({
      file: 'infra/kubernetes/flux/apps/production/api/api-pdb.yaml',
      changes: [
        { op: 'create', file: 'infra/kubernetes/flux/apps/production/api/api-pdb.yaml', templates: ['pdb'], vars: {} },
        { op: 'addKustomizeResource', dir: 'infra/kubernetes/flux/apps/production/api', entry: 'api-pdb.yaml' },
      ],
    });
  });

  it('skips a directory whose build would move the objects to another namespace', () => {
    const { repo } = openSession(example);
    const vault = repo.find('HelmRelease', 'vault')!;
    const p = placeNear(repo, { near: vault, baseName: 'vault-backup', namespace: 'velero' });
    expect(p).toMatchObject({ file: 'infra/kubernetes/flux/infrastructure/vault-backup.yaml', wireDir: 'infra/kubernetes/flux/infrastructure' });
    const same = placeNear(repo, { near: vault, baseName: 'vault-snapshot', namespace: 'vault' });
    expect(same).toMatchObject({
      file: 'infra/kubernetes/flux/infrastructure/vault/vault-snapshot.yaml',
      wireDir: 'infra/kubernetes/flux/infrastructure/vault',
    });
  });

  it('needs no wiring where Flux builds a directory without a kustomization.yaml', () => {
    const repo = memRepo({
      'clusters/prod/apps.yaml':
        'apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: apps, namespace: flux-system}\nspec: {interval: 10m, path: ./apps, prune: true, sourceRef: {kind: GitRepository, name: flux-system}}\n',
      'apps/web/deploy.yaml':
        'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: web}\nspec: {replicas: 2, selector: {matchLabels: {app: web}}, template: {metadata: {labels: {app: web}}, spec: {containers: [{name: web}]}}}\n',
    });
    const web = repo.find('Deployment', 'web')!;
    expect(placeNear(repo, { near: web, baseName: 'web-pdb', namespace: 'web' })).toEqual({
      file: 'apps/web/web-pdb.yaml',
      dir: 'apps/web',
      wireDir: undefined,
      wiring: undefined,
    });
  });

  it('wires a file listed individually by a parent kustomization.yaml through that file', () => {
    const repo = memRepo({
      'clusters/prod/apps.yaml':
        'apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: apps, namespace: flux-system}\nspec: {interval: 10m, path: ./apps, prune: true, sourceRef: {kind: GitRepository, name: flux-system}}\n',
      'apps/kustomization.yaml': 'resources:\n  - web/deploy.yaml\n',
      'apps/web/deploy.yaml':
        'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: web}\nspec: {replicas: 2, selector: {matchLabels: {app: web}}, template: {metadata: {labels: {app: web}}, spec: {containers: [{name: web}]}}}\n',
    });
    const web = repo.find('Deployment', 'web')!;
    expect(placeNear(repo, { near: web, baseName: 'web-pdb', namespace: 'web' })).toMatchObject({
      file: 'apps/web/web-pdb.yaml',
      wireDir: 'apps',
      wiring: { op: 'addKustomizeResource', dir: 'apps', entry: 'web/web-pdb.yaml' },
    });
  });

  it('chooses a free file name', () => {
    const { repo } = openSession(example);
    const ns = repo.find('Namespace', 'production')!;
    expect(placeNear(repo, { near: ns, baseName: 'production', namespace: 'production' })).toMatchObject({
      file: 'infra/kubernetes/flux/infrastructure/namespaces/production-2.yaml',
    });
  });
});

describe('productionNamespaces', () => {
  it('finds the example repository production namespaces with their reasons', () => {
    const { repo } = openSession(example);
    const list = productionNamespaces(repo).map((n) => `${n.name}:${n.reasons.join(',')}${n.system ? ':system' : ''}`);
    expect(list).toContain('production:config,name,label');
    expect(list).toContain('vault:cluster');
    expect(list).toContain('flux-system:cluster:system');
    expect(namespaceAnchor(repo, 'production')?.file).toBe('infra/kubernetes/flux/infrastructure/namespaces/production.yaml');
  });
});
