/** What a HelmRelease installs: its chart and version (through its source), and the values Helm will see. */
import {
  chartSourceView,
  GROUPS,
  HelmRelease,
  viewOf,
  type ChartInfo,
  type HelmChartTemplateSpec,
  type ObjectRef,
  type Repo,
  type Resource,
  type ValuesSource,
} from '../../kit/index.js';
import { scalarText } from '../../kit/scalar.js';
import type { KustomizeTree } from './kustomize-tree.js';
import { asRecord, deepMerge, dirOf, joinPath, stringsOf as strings } from '../../kit/data.js';

const NO_CHART: ChartInfo = { chart: undefined, version: undefined, sourceKind: undefined, sourceName: undefined, url: undefined, source: undefined };

/** `spec.chart.spec`: a chart of a HelmRepository, GitRepository or Bucket. */
function chartFromTemplate(repo: Repo, hr: Resource, spec: HelmChartTemplateSpec): ChartInfo {
  const { kind, name, namespace } = spec.sourceRef ?? {};
  const source = kind && name ? repo.find(kind, name, namespace ?? hr.namespace, GROUPS.fluxSource) : undefined;
  const url = source?.get(['spec', 'url']);
  return {
    chart: spec.chart,
    version: spec.version === undefined ? undefined : scalarText(spec.version),
    sourceKind: kind,
    sourceName: name,
    url: typeof url === 'string' ? url : undefined,
    source,
  };
}

/** `spec.chartRef`: an OCIRepository or a HelmChart. */
function chartFromRef(repo: Repo, hr: Resource, ref: ObjectRef): ChartInfo {
  const { kind, name, namespace } = ref;
  const source = kind && name ? repo.find(kind, name, namespace ?? hr.namespace) : undefined;
  const spec = source && chartSourceView(source)?.spec;
  const url = spec?.url;
  const chartName = kind === 'HelmChart' ? spec?.chart : url?.replace(/\/+$/, '').split('/').pop();
  const tag = spec?.ref?.tag ?? spec?.ref?.semver ?? spec?.version;
  return {
    chart: typeof chartName === 'string' ? chartName : undefined,
    version: tag === undefined ? undefined : scalarText(tag),
    sourceKind: kind,
    sourceName: name,
    url,
    source,
  };
}

export function helmChart(repo: Repo, hr: Resource): ChartInfo {
  // Any HelmRelease the graph asks about, whatever its group (the caller decides which releases count).
  const view = viewOf(HelmRelease, hr.data)?.spec;
  if (view?.chart?.spec) return chartFromTemplate(repo, hr, view.chart.spec);
  return view?.chartRef ? chartFromRef(repo, hr, view.chartRef) : NO_CHART;
}

/** The values files a kustomize generator makes the ConfigMap or Secret `ref` from, in the builds that include `hr`. */
function generatedValuesFiles(repo: Repo, tree: KustomizeTree, hr: Resource, ref: Record<string, unknown>): ValuesSource[] {
  const out: ValuesSource[] = [];
  const key = typeof ref.valuesKey === 'string' ? ref.valuesKey : 'values.yaml';
  const genKey = ref.kind === 'ConfigMap' ? 'configMapGenerator' : 'secretGenerator';
  for (const [dir, k] of tree.dirs) {
    if (!tree.files(dir).has(hr.file) && dir !== dirOf(hr.file)) continue;
    const gens = k.get([genKey]);
    for (const gen of Array.isArray(gens) ? gens : []) {
      const g = asRecord(gen);
      if (!g || g.name !== ref.name) continue;
      for (const f of strings(g.files)) {
        const [fileKey, filePath] = f.includes('=') ? [f.slice(0, f.indexOf('=')), f.slice(f.indexOf('=') + 1)] : [f.slice(f.lastIndexOf('/') + 1), f];
        if (fileKey !== key) continue;
        const res = repo.file(joinPath(dir, filePath))?.resources[0];
        if (res && (asRecord(res.data) || res.data === null)) out.push({ resource: res, path: [], kind: 'file' });
      }
    }
  }
  return out;
}

export function valuesSources(repo: Repo, tree: KustomizeTree, hr: Resource): readonly ValuesSource[] {
  const out: ValuesSource[] = [];
  const from = hr.get(['spec', 'valuesFrom']);
  for (const item of Array.isArray(from) ? from : []) {
    const ref = asRecord(item);
    if (!ref || (ref.kind !== 'ConfigMap' && ref.kind !== 'Secret') || typeof ref.name !== 'string') continue;
    if (ref.targetPath !== undefined) continue; // a single value, not a values document
    out.push(...generatedValuesFiles(repo, tree, hr, ref));
  }
  out.push({ resource: hr, path: ['spec', 'values'], kind: 'inline' });
  return out;
}

/** The values of the sources merged in order. */
export function mergedValues(sources: readonly ValuesSource[]): Record<string, unknown> {
  let merged: Record<string, unknown> = {};
  for (const s of sources) {
    const v = asRecord(s.path.length ? s.resource.get(s.path) : s.resource.data);
    if (v) merged = deepMerge(merged, v);
  }
  return merged;
}
