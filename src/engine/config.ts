import { readFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseDocument, stringify } from 'yaml';
import { setValue } from './yaml-edit/index.js';
import { z } from 'zod';
import type { Rule, Settings } from '../kit/index.js';
import { GitopsFixError } from './errors.js';
import { atomicWrite } from './atomic-write.js';
import { configLocator, formatConfigIssues, type Locate } from './config-errors.js';
import { didYouMean } from './suggest.js';

export const CONFIG_FILE = '.gitops-fix.yaml';

export const DEFAULT_PRODUCTION_CLUSTERS = [
  '**/clusters/prod',
  '**/clusters/prod-*',
  '**/clusters/prod_*',
  '**/clusters/production',
  '**/clusters/production-*',
  '**/clusters/prd',
  '**/clusters/prd-*',
  '**/clusters/*-prod',
  '**/clusters/*-production',
];

export const ignoreEntrySchema = z
  .object({
    rule: z.string().describe('Rule id, or * for every rule.'),
    paths: z.array(z.string()).optional().describe('Path globs relative to the repository root; all files when absent.'),
    reason: z.string().min(1).describe('Why the finding is accepted.'),
  })
  .strict();

export const renderConfigSchema = z
  .object({
    charts: z
      .union([z.string(), z.array(z.string())])
      .optional()
      .describe('Local chart directories (relative to this file), holding <name>-<version>/ chart directories or <name>-<version>.tgz archives.'),
    helm: z.string().optional().describe('The helm binary (default: helm on PATH).'),
    pull: z.boolean().optional().describe('helm pull a chart that is not in the chart directories (default true; pulled charts are cached).'),
    external: z
      .array(z.string())
      .optional()
      .describe('Secrets and ConfigMaps made outside the repository, as Kind/namespace/name (* matches one segment), e.g. Secret/vault/vault-unseal-token.'),
    apiVersions: z
      .array(z.string())
      .optional()
      .describe(
        'API versions the cluster serves beyond those of the objects in the repository (Helm Capabilities.APIVersions), e.g. monitoring.coreos.com/v1.',
      ),
    kubeVersion: z.string().optional().describe('Kubernetes version charts see (Helm Capabilities.KubeVersion).'),
  })
  .strict();

export const configSchema = z
  .object({
    $schema: z.string().optional(),
    mainBranch: z.string().min(1).default('main').describe('The branch production clusters must track.'),
    production: z
      .object({
        clusters: z.array(z.string()).default(DEFAULT_PRODUCTION_CLUSTERS).describe('Path globs of production cluster directories.'),
        namespaces: z.array(z.string()).default(['production', 'prod']).describe('Namespaces that are production wherever they appear.'),
      })
      .strict()
      .default({ clusters: DEFAULT_PRODUCTION_CLUSTERS, namespaces: ['production', 'prod'] }),
    docsDir: z.string().min(1).default('docs').describe('Where generated documentation goes.'),
    rules: z.record(z.string(), z.unknown()).default({}).describe('Options per rule id.'),
    ignore: z.array(ignoreEntrySchema).default([]).describe('Accepted findings.'),
    render: renderConfigSchema.optional().describe('How fix renders the HelmReleases it touches through their charts.'),
  })
  .strict();

export type Config = z.infer<typeof configSchema>;
export type IgnoreEntry = z.infer<typeof ignoreEntrySchema>;

export interface LoadedConfig {
  readonly config: Config;
  /** Absolute path of the file read, if any. */
  readonly file: string | undefined;
  readonly settings: Settings;
  /** Where a key path is in the file (for error messages); absent without a file. */
  readonly locate?: Locate;
}

/**
 * Set `rules.<ruleId>.<option>` in a config file, creating the file when needed. An existing file is edited in
 * place (comments and layout kept).
 */
export function saveRuleOption(file: string, ruleId: string, option: string, value: string): void {
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const next = text.trim() ? setValue(text, ['rules', ruleId, option], value) : stringify({ rules: { [ruleId]: { [option]: value } } });
  atomicWrite(file, next);
}

/** Read `.gitops-fix.yaml` at the root (or `explicit`). A missing default file is fine; a missing explicit one is not. */
export function loadConfig(root: string, explicit?: string): LoadedConfig {
  const file = explicit ? resolve(explicit) : join(root, CONFIG_FILE);
  let raw: unknown = {};
  let locate: Locate | undefined;
  if (existsSync(file)) {
    const text = readFileSync(file, 'utf8');
    const doc = parseDocument(text, { logLevel: 'error' });
    if (doc.errors.length) {
      const e = doc.errors[0]!;
      const pos = e.linePos?.[0];
      throw new GitopsFixError('invalid-config', `${file}${pos ? `:${pos.line}:${pos.col}` : ''}: not valid YAML: ${e.message.split('\n')[0]}`);
    }
    raw = doc.toJS() ?? {};
    locate = configLocator(text);
  } else if (explicit) {
    throw new GitopsFixError('invalid-config', `${file}: config file not found`);
  }
  return fromRaw(raw, existsSync(file) ? file : undefined, locate);
}

export function fromRaw(raw: unknown, file?: string, locate?: Locate): LoadedConfig {
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    const name = file ?? CONFIG_FILE;
    throw new GitopsFixError(
      'invalid-config',
      `${name}: invalid configuration\n${formatConfigIssues(parsed.error, { raw, schema: configSchema, file: name, locate })}\n${SCHEMA_HINT}`,
    );
  }
  const config = parsed.data;
  return {
    config,
    file,
    settings: { mainBranch: config.mainBranch, production: config.production, docsDir: config.docsDir },
    locate,
  };
}

/** Where the reference of the file is. */
const SCHEMA_HINT =
  'The keys and options are described by `gitops-fix init` (a commented starter file) and by the JSON Schema in the installed package, schema/gitops-fix.schema.json.';

/** Validate and default one rule's options with its own zod schema. Errors name the key path. */
export function ruleOptions(rule: Rule, config: Config, file?: string, locate?: Locate): unknown {
  const raw = config.rules[rule.meta.id];
  const name = file ?? CONFIG_FILE;
  const prefix = ['rules', rule.meta.id];
  if (!rule.options) {
    if (raw !== undefined && raw !== null && !(typeof raw === 'object' && Object.keys(raw).length === 0)) {
      throw new GitopsFixError('invalid-config', `${at(name, locate, prefix)}: rules.${rule.meta.id}: this rule has no options; remove the entry`);
    }
    return undefined;
  }
  const parsed = rule.options.safeParse(raw ?? {});
  if (!parsed.success) {
    throw new GitopsFixError(
      'invalid-config',
      `${name}: invalid options\n${formatConfigIssues(parsed.error, { raw: raw ?? {}, schema: rule.options, file: name, locate, prefix })}\n\`gitops-fix explain ${rule.meta.id}\` describes them.`,
    );
  }
  return parsed.data;
}

function at(file: string, locate: Locate | undefined, path: readonly string[], where: 'key' | 'value' = 'value'): string {
  const pos = locate?.(path, where);
  return pos ? `${file}:${pos.line}:${pos.column}` : file;
}

export function validateRuleKeys(config: Config, knownIds: readonly string[], file?: string, locate?: Locate): void {
  for (const id of Object.keys(config.rules)) {
    if (!knownIds.includes(id)) {
      throw new GitopsFixError(
        'invalid-config',
        `${at(file ?? CONFIG_FILE, locate, ['rules', id], 'key')}: rules.${id}: unknown rule id${didYouMean(id, knownIds)}; \`gitops-fix rules\` lists them`,
      );
    }
  }
}
