/** Read-only views of a loaded repository: what rules see. */

export type YamlPath = readonly (string | number)[];

export interface Position {
  /** 1-based */
  line: number;
  /** 1-based */
  column: number;
}

/** One YAML document of one file. Kubernetes objects have apiVersion/kind; plain values files do not. */
export interface Resource {
  /** POSIX path relative to the repository root. */
  readonly file: string;
  /** Index of the document in its file (0-based, as parseAllDocuments returns them). */
  readonly doc: number;
  readonly apiVersion: string | undefined;
  /** API group of apiVersion ('' for core/v1 and for documents without apiVersion). */
  readonly group: string;
  readonly kind: string | undefined;
  readonly name: string | undefined;
  /** metadata.namespace as written in the document. */
  readonly namespace: string | undefined;
  /** The document as plain data (aliases resolved). */
  readonly data: unknown;
  /** Value at a path in `data`, or undefined. */
  get(path: YamlPath): unknown;
  /** Position of the deepest existing node on `path` (the document start when nothing matches). */
  position(path?: YamlPath): Position;
  /** True when the path exists in the document and runs through an alias or merge key. */
  throughAlias(path: YamlPath): boolean;
  /** `file#doc`, unique in a repository. */
  readonly id: string;
}

export type SkipReason =
  | 'sops-encrypted'
  | 'templated'
  | 'binary'
  | 'not-utf8'
  | 'too-large'
  | 'too-deep'
  | 'syntax-error'
  | 'unreadable'
  | 'symlink-outside-root'
  | 'symlink-loop'
  | 'unsafe-aliases'
  | 'submodule';

export interface RepoFile {
  readonly path: string;
  /** Decoded text (BOM kept) for parsed files; '' for skipped files that could not be decoded. */
  readonly text: string;
  readonly size: number;
  readonly status: 'parsed' | 'skipped';
  readonly skipReason?: SkipReason;
  /** Human explanation of the skip (syntax error message, size, ...). */
  readonly skipDetail?: string;
  /** For syntax errors: where. */
  readonly errorPosition?: Position;
  readonly resources: readonly Resource[];
}

export interface Settings {
  /** The branch production clusters must track. */
  readonly mainBranch: string;
  readonly production: {
    /** Path globs (relative to the root) of production cluster directories. */
    readonly clusters: readonly string[];
    /** Namespaces that are production wherever they appear. */
    readonly namespaces: readonly string[];
  };
  /** Where generated documentation goes. */
  readonly docsDir: string;
}

export interface ChartInfo {
  /** Chart name (`chart.spec.chart`) or, for chartRef, the last segment of the OCI URL. */
  readonly chart: string | undefined;
  readonly version: string | undefined;
  readonly sourceKind: string | undefined;
  readonly sourceName: string | undefined;
  /** HelmRepository/OCIRepository URL when the source is in the repository. */
  readonly url: string | undefined;
  readonly source: Resource | undefined;
}

/** Where a HelmRelease's values live: `spec.values`, or a values file reached through `valuesFrom`. */
export interface ValuesSource {
  readonly resource: Resource;
  /** Path of the values map inside `resource` (['spec','values'] or [] for a values file). */
  readonly path: YamlPath;
  readonly kind: 'inline' | 'file';
}

/** The Flux and kustomize graph a rule needs. */
export interface FluxGraph {
  /** Directory (relative, POSIX, '' for root) that a Flux Kustomization's spec.path points to. */
  kustomizationDir(ks: Resource): string | undefined;
  /** Cluster directories (e.g. `clusters/production`) whose Flux graph reaches this file. */
  clustersOf(file: string): readonly string[];
  /** Namespace the object lands in: metadata.namespace, else kustomize `namespace:`, else Flux targetNamespace. */
  namespaceOf(resource: Resource): string | undefined;
  /** True when the object is deployed to production (by cluster path or namespace). */
  isProduction(resource: Resource): boolean;
  helmChart(release: Resource): ChartInfo;
  /** Values sources in merge order (valuesFrom first, spec.values last). */
  valuesSources(release: Resource): readonly ValuesSource[];
  /** The values Helm will see (sources merged in order; only those in the repository). */
  values(release: Resource): Record<string, unknown>;
  /** kustomize kustomization.yaml document of a directory, when there is one. */
  kustomizeFile(dir: string): Resource | undefined;
  /** Flux Kustomizations (kustomize.toolkit.fluxcd.io) whose path builds `dir` (directly or through kustomize resources). */
  fluxKustomizationsFor(file: string): readonly Resource[];
  /** Files (relative paths) that a directory's kustomize build includes, recursively. Without a kustomization.yaml: every YAML file below dir. */
  kustomizeFiles(dir: string): readonly string[];
}

export interface Repo {
  readonly root: string;
  readonly files: readonly RepoFile[];
  readonly resources: readonly Resource[];
  readonly settings: Settings;
  readonly flux: FluxGraph;
  file(path: string): RepoFile | undefined;
  /** Objects of a kind, any version; `group` narrows it (prefix match: 'kustomize.toolkit.fluxcd.io'). */
  ofKind(kind: string, group?: string): readonly Resource[];
  find(kind: string, name: string, namespace?: string, group?: string): Resource | undefined;
  /** Is there a file (any type) at this repository-relative path? */
  exists(path: string): boolean;
  /**
   * The text fixes planned so far give a file they created or changed (undefined when no fix touched it). A rule that
   * runs after another in the same plan can tell a runbook that other rule just wrote from one already on disk.
   */
  planned(path: string): string | undefined;
}

export function apiGroup(apiVersion: string | undefined): string {
  if (!apiVersion || !apiVersion.includes('/')) return '';
  return apiVersion.slice(0, apiVersion.indexOf('/'));
}

export const GROUPS = {
  fluxKustomize: 'kustomize.toolkit.fluxcd.io',
  fluxSource: 'source.toolkit.fluxcd.io',
  fluxHelm: 'helm.toolkit.fluxcd.io',
  kustomizeConfig: 'kustomize.config.k8s.io',
  eso: 'external-secrets.io',
  certManager: 'cert-manager.io',
  monitoring: 'monitoring.coreos.com',
  velero: 'velero.io',
} as const;
