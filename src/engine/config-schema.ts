import { isAbsolute, join, relative, sep } from 'node:path';
import { z } from 'zod';
import { packageRoot } from './package-root.js';
import type { Rule } from '../kit/index.js';
import { configSchema } from './config.js';
import { docsReference, PSEUDO_RULES, ruleDocsUrl } from './rule-docs.js';

/** Where the JSON Schema of `.gitops-fix.yaml` is in the package. */
export const SCHEMA_FILE = 'schema/gitops-fix.schema.json';

/**
 * How a configuration file in `configDir` names the schema of the installed package (for
 * `# yaml-language-server: $schema=`): a relative path when the package is installed below that directory
 * (`./node_modules/gitops-fix/schema/gitops-fix.schema.json`), else the absolute path of the installed file.
 */
export function schemaReference(configDir: string): string {
  const file = join(packageRoot(), SCHEMA_FILE);
  const rel = relative(configDir, file).split(sep).join('/');
  return rel && !rel.startsWith('..') && !isAbsolute(rel) && rel.includes('node_modules/') ? `./${rel}` : file;
}

type JsonSchema = Record<string, unknown>;

function toJsonSchema(schema: z.ZodType): JsonSchema {
  const out = z.toJSONSchema(schema, { target: 'draft-7', io: 'input', unrepresentable: 'any' }) as JsonSchema;
  delete out.$schema;
  return out;
}

/** A rule's options as JSON Schema (draft-07, input side: every option with a default is optional); null without options. */
export function ruleOptionsJsonSchema(rule: Rule): JsonSchema | null {
  return rule.options ? toJsonSchema(rule.options) : null;
}

/**
 * The JSON Schema of `.gitops-fix.yaml`, generated from the zod schemas of the configuration and of every rule's
 * options: `rules.<id>` is described, defaulted and closed per rule, and `ignore[].rule` lists the rule ids.
 */
export function configJsonSchema(rules: readonly Rule[]): JsonSchema {
  const base = toJsonSchema(configSchema);
  const props = base.properties as Record<string, JsonSchema>;
  const ruleProps: Record<string, JsonSchema> = {};
  for (const rule of [...rules].sort((a, b) => a.meta.id.localeCompare(b.meta.id))) {
    const { meta } = rule;
    const description = `${meta.title} (review item ${meta.reviewItem}, severity ${meta.severity}, phase ${meta.phase}). ${docsReference(meta.id, ruleDocsUrl(meta.id))}`;
    const options = ruleOptionsJsonSchema(rule);
    ruleProps[meta.id] = options
      ? { ...options, type: ['object', 'null'], description }
      : { type: ['object', 'null'], additionalProperties: false, description: `${description} This rule has no options.` };
  }
  props.rules = {
    description: props.rules?.description ?? 'Options per rule id.',
    type: 'object',
    properties: ruleProps,
    additionalProperties: false,
  };
  const ignore = props.ignore as { items?: { properties?: Record<string, JsonSchema> } } | undefined;
  const ruleField = ignore?.items?.properties?.rule;
  if (ruleField) ruleField.enum = ['*', ...rules.map((r) => r.meta.id).sort(), ...PSEUDO_RULES.map((p) => p.id)];
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: 'urn:gitops-fix:configuration',
    title: 'gitops-fix configuration (.gitops-fix.yaml)',
    ...base,
  };
}

/** The schema file's text: stable key order, two-space indent, final newline. */
export function configJsonSchemaText(rules: readonly Rule[]): string {
  return `${JSON.stringify(configJsonSchema(rules), null, 2)}\n`;
}
