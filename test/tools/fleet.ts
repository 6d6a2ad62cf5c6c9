/**
 * A synthetic fleet for benchmarks: many clusters, each a varied copy of fixtures/example-repo (its Flux entry
 * point, infrastructure and apps), with the apps spread over many team namespaces. About 10,000 YAML files with
 * the defaults. Deterministic: the same arguments give the same files.
 */
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { ROOT } from '../support/tree.js';

const EXAMPLE = join(ROOT, 'fixtures', 'example-repo');
const APPS = 'infra/kubernetes/flux/apps/production/';

export interface FleetOptions {
  readonly clusters: number;
  /** Team namespaces per cluster, each with a copy of the example's apps (api, postgres). */
  readonly namespaces: number;
}

export const DEFAULT_FLEET: FleetOptions = { clusters: 30, namespaces: 38 };

/** A small seeded PRNG (mulberry32): variations are the same on every run. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

const ENVIRONMENTS = ['prod', 'staging', 'dev'];
const REGIONS = ['eu', 'us', 'ap'];

export function clusterName(i: number): string {
  return `${ENVIRONMENTS[i % 3]}-${REGIONS[Math.floor(i / 3) % 3]}-${Math.floor(i / 9) + 1}`;
}

/** Write the fleet below `dir`; returns the number of files written. */
export function generateFleet(dir: string, opts: FleetOptions = DEFAULT_FLEET): number {
  const example = walk(EXAMPLE)
    .map((abs) => ({ path: relative(EXAMPLE, abs).split('\\').join('/'), text: readFileSync(abs, 'utf8') }))
    .filter((f) => f.path.endsWith('.yaml'));
  let count = 0;
  const write = (p: string, text: string) => {
    const abs = join(dir, p);
    mkdirSync(dirname(abs), { recursive: true });
    writeFileSync(abs, text);
    count++;
  };
  for (let c = 0; c < opts.clusters; c++) {
    const name = clusterName(c);
    const rnd = random(c + 1);
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)]!;
    const base = `fleet/${name}`;
    const namespaces = Array.from({ length: opts.namespaces }, (_, n) => `team-${String(n + 1).padStart(2, '0')}`);
    const vary = (text: string) =>
      text
        .replace(/path: \.\/infra\/kubernetes\/flux\/apps\/production/g, `path: ./${base}/infra/kubernetes/flux/apps`)
        .replace(/path: \.\/infra\//g, `path: ./${base}/infra/`)
        .replace(/path: \.\/flux\/clusters\/production/g, `path: ./${base}/flux/clusters/${name}`)
        .replace(/branch: "20260108_3"/g, () => `branch: ${pick(['"20260108_3"', 'main', 'main', 'release-1.4'])}`)
        .replace(/tlsDisable: true/g, () => `tlsDisable: ${pick(['true', 'true', 'false'])}`)
        .replace(/wait: false/g, () => `wait: ${pick(['false', 'true'])}`)
        .replace(/interval: 30m/g, () => `interval: ${pick(['30m', '1h', '10m'])}`)
        .replace(/refreshInterval: 1h/g, () => `refreshInterval: ${pick(['1h', '30m', '5m', '2m'])}`);
    for (const f of example) {
      if (f.path.startsWith(APPS)) continue;
      const path = f.path.replace('flux/clusters/production/', `flux/clusters/${name}/`);
      let text = vary(f.text);
      if (f.path === 'infra/kubernetes/flux/infrastructure/namespaces/production.yaml') {
        for (const ns of namespaces) write(`${base}/infra/kubernetes/flux/infrastructure/namespaces/${ns}.yaml`, text.replace(/production/g, ns));
        continue;
      }
      if (f.path === 'infra/kubernetes/flux/infrastructure/namespaces/kustomization.yaml') {
        text = text.replace('  - production.yaml\n', namespaces.map((ns) => `  - ${ns}.yaml\n`).join(''));
      }
      if (f.path.includes('external-secrets/postgres-external-secret.yaml')) text = text.replace(/production/g, namespaces[0]!);
      write(`${base}/${path}`, text);
    }
    write(
      `${base}/infra/kubernetes/flux/apps/kustomization.yaml`,
      `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n${namespaces.map((ns) => `  - ${ns}\n`).join('')}`,
    );
    for (const ns of namespaces) {
      for (const f of example) {
        if (!f.path.startsWith(APPS)) continue;
        const text = vary(f.text)
          .replace(/production/g, ns)
          .replace(/replicas: \d+/g, () => `replicas: ${pick(['1', '2', '3'])}`);
        write(`${base}/infra/kubernetes/flux/apps/${ns}/${f.path.slice(APPS.length)}`, text);
      }
    }
  }
  return count;
}
