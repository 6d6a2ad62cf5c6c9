/**
 * `helm template` of a chart in ../shared/charts with given values, parsed into objects; and the values keys a chart
 * version knows (its values.yaml, and its values.schema.json when it has one).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { CHARTS, helmBinary } from './helm.js';

export interface Rendered {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly labels?: Record<string, string> };
  readonly [k: string]: unknown;
}

/**
 * Render `<CHARTS>/<chart>` as release `release` in `namespace`; throws with helm's message when it fails.
 * `apiVersions`: API versions the cluster is said to serve (`--api-versions`, e.g. monitoring.coreos.com/v1).
 */
export function helmTemplate(chart: string, release: string, namespace: string, values: unknown, apiVersions: readonly string[] = []): Rendered[] {
  if (!helmBinary) throw new Error('no helm binary (see test/support/helm.ts)');
  const dir = mkdtempSync(join(tmpdir(), 'gitops-fix-helm-'));
  try {
    const file = join(dir, 'values.json');
    writeFileSync(file, JSON.stringify(values ?? {}));
    const out = execFileSync(
      helmBinary,
      ['template', release, join(CHARTS, chart), '--namespace', namespace, '--values', file, ...apiVersions.flatMap((v) => ['--api-versions', v])],
      {
        encoding: 'utf8',
        maxBuffer: 64 * 1024 * 1024,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, HELM_CACHE_HOME: join(dir, 'cache'), HELM_CONFIG_HOME: join(dir, 'config'), HELM_DATA_HOME: join(dir, 'data') },
      },
    );
    return parseAllDocuments(out)
      .map((d) => d.toJS() as Rendered | null)
      .filter((o): o is Rendered => !!o && typeof o === 'object' && typeof o.kind === 'string');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function isMap(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}

/**
 * Does the chart know this values key? Yes when values.yaml has it, or it lies below a free-form value there (an
 * empty map, a list, null), or values.schema.json declares it (or declares a free-form object above it).
 */
export function chartHasKey(chart: string, path: readonly string[]): boolean {
  const values = parse(readFileSync(join(CHARTS, chart, 'values.yaml'), 'utf8')) as unknown;
  let cur: unknown = values;
  let inValues = true;
  for (const seg of path) {
    if (cur === null || Array.isArray(cur) || (isMap(cur) && Object.keys(cur).length === 0)) break;
    if (!isMap(cur) || !(seg in cur)) {
      inValues = false;
      break;
    }
    cur = cur[seg];
  }
  if (inValues) return true;
  const schemaFile = join(CHARTS, chart, 'values.schema.json');
  if (!existsSync(schemaFile)) return false;
  let s: unknown = JSON.parse(readFileSync(schemaFile, 'utf8'));
  for (const seg of path) {
    if (!isMap(s)) return false;
    const props = s.properties;
    if (isMap(props) && seg in props) {
      s = props[seg];
      continue;
    }
    // An object without declared properties is free-form.
    return s.type === 'object' && !isMap(props);
  }
  return true;
}

/** The leaf paths of plain data (maps recursed; lists and scalars are leaves). */
export function leafPaths(v: unknown, base: string[] = []): string[][] {
  if (!isMap(v) || !Object.keys(v).length) return [base];
  return Object.entries(v).flatMap(([k, x]) => leafPaths(x, [...base, k]));
}
