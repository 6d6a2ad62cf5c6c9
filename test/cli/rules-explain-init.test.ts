import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import { fromRaw, ruleOptions, validateRuleKeys, type Config } from '../../src/engine/config.js';
import { Suppressions } from '../../src/engine/suppress.js';
import { configJsonSchema } from '../../src/engine/config-schema.js';
import { starterConfig } from '../../src/engine/init.js';
import { rules } from '../../src/engine/registry.js';
import { openSession } from '../../src/engine/session.js';
import { explainCommand } from '../../src/cli/commands/explain.js';
import { initCommand } from '../../src/cli/commands/init.js';
import { rulesCommand, rulesMarkdown } from '../../src/cli/commands/rules.js';
import type { CliIO } from '../../src/cli/io.js';
import { testIO } from '../support/cli.js';
import { EXAMPLE_REPO } from '../support/git-repo.js';
import { copyTree, ROOT, tempDir, writeTree } from '../support/tree.js';

/** What the loader checks beyond the config schema: ignore entries' rule ids. */
function openSessionWith(config: Config): void {
  new Suppressions(openSession(EXAMPLE_REPO).repo, config);
}

async function run(f: (io: CliIO) => Promise<number>): Promise<{ code: number; text: string }> {
  const t = testIO();
  const code = await f(t.io);
  return { code, text: t.stdout() };
}

describe('gitops-fix rules', () => {
  it('table: one row per rule with item, severity, phase and fix', async () => {
    const { code, text } = await run((io) => rulesCommand({ format: 'table' }, io));
    expect(code).toBe(0);
    expect(text.split('\n')[0]).toMatch(/^rule\s+title\s+item\s+severity\s+phase\s+fix$/);
    for (const r of rules)
      expect(text).toMatch(
        new RegExp(`^${r.meta.id}\\s+${r.meta.title.replace(/[()]/g, '.')}\\s+${r.meta.reviewItem}\\s+${r.meta.severity}\\s+${r.meta.phase}\\s`, 'm'),
      );
  });

  it('json: metadata, fix kind, options as JSON Schema, and no docs link while the package declares no repository', async () => {
    const list = JSON.parse((await run((io) => rulesCommand({ format: 'json' }, io))).text) as {
      id: string;
      options: unknown;
      docs: string | null;
      fix: unknown;
    }[];
    expect(list.map((r) => r.id).sort()).toEqual(rules.map((r) => r.meta.id).sort());
    const slow = list.find((r) => r.id === 'externalsecret-slow-refresh')!;
    expect(slow.fix).toEqual({ kind: 'edit', safe: true });
    expect(slow.options).toMatchObject({ type: 'object', properties: { maxInterval: { type: 'string', default: '5m' } } });
    expect(slow.docs).toBeNull();
    expect(list.find((r) => r.id === 'gitrepository-dev-branch')!.options).toBeNull();
  });

  it('markdown: the README table, linking each rule README', async () => {
    const { text } = await run((io) => rulesCommand({ format: 'markdown' }, io));
    expect(text.trimEnd()).toBe(rulesMarkdown(rules));
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toBe('| rule | title | item | severity | phase | fix |');
    expect(lines).toHaveLength(rules.length + 2);
    expect(lines).toContain(
      '| [gitrepository-dev-branch](transforms/gitrepository-dev-branch/README.md) | Require production clusters to sync from the main branch | 9 | high | 1 | edit |',
    );
  });

  it('rejects an unknown format', async () => {
    await expect(rulesCommand({ format: 'xml' }, testIO().io)).rejects.toThrow('--format xml: expected one of table, json, markdown');
  });
});

describe('gitops-fix explain', () => {
  it("prints the rule's README with every standard heading", async () => {
    const { code, text } = await run((io) => explainCommand('kustomization-retry-interval', io));
    expect(code).toBe(0);
    expect(text.startsWith('# kustomization-retry-interval\n')).toBe(true);
    for (const h of ['## Why', '## Example', '## Fix', '## Options', '## References']) expect(text).toContain(`\n${h}\n`);
    expect(text).not.toContain('<!--');
    expect(text).toContain('gitops-fix fix --rule kustomization-retry-interval');
  });

  it('explains the findings gitops-fix reports itself', async () => {
    const { text } = await run((io) => explainCommand('suppression-without-reason', io));
    expect(text).toContain('# suppression-without-reason');
    expect(text).toContain('gitops-fix.io/ignore-reason');
  });

  it('names an unknown rule', async () => {
    await expect(explainCommand('no-such-rule', testIO().io)).rejects.toThrow('unknown rule "no-such-rule"');
  });
});

describe('gitops-fix init', () => {
  const repo = () => {
    const dir = tempDir('gitops-fix-init-');
    copyTree(EXAMPLE_REPO, dir);
    return dir;
  };

  it('writes a commented starter config with what it detected, valid against the configuration schema', async () => {
    const dir = repo();
    const { code, text } = await run((io) => initCommand(dir, io));
    expect(code).toBe(0);
    expect(text).toContain(`wrote ${join(dir, '.gitops-fix.yaml')}`);
    const config = readFileSync(join(dir, '.gitops-fix.yaml'), 'utf8');
    // The schema of the installed package (this checkout here), by a path that exists: no address of an unpublished package.
    const schemaLine = config.split('\n')[0]!;
    expect(schemaLine).toBe(`# yaml-language-server: $schema=${join(ROOT, 'schema', 'gitops-fix.schema.json')}`);
    expect(existsSync(schemaLine.slice(schemaLine.indexOf('=') + 1))).toBe(true);
    expect(config).not.toMatch(/unpkg|github\.com\/gitops-fix/);
    expect(config).toContain('mainBranch: main\n');
    expect(config).toContain('  clusters:\n    - flux/clusters/production\n');
    expect(config).toMatch(
      /# Production clusters track now: 20260108_3 \(GitRepository flux-system, flux\/clusters\/production\/flux-system\/gotk-sync\.yaml:11\)/,
    );
    expect(config).toMatch(/# {3}Vault server releases: vault\/vault \(infra\/kubernetes\/flux\/infrastructure\/vault\/helmrelease\.yaml:\d+\)/);
    expect(config).toMatch(/# {3}Secret stores: ClusterSecretStore vault-backend/);
    const loaded = fromRaw(parse(config));
    expect(loaded.config.production.clusters).toEqual(['flux/clusters/production']);
    // The session opens with it, and the repository is still scanned the same way.
    expect(openSession(dir).loaded.file).toBe(join(dir, '.gitops-fix.yaml'));
  });

  it('every commented rule option it writes is a valid value when uncommented', () => {
    const text = starterConfig(openSession(EXAMPLE_REPO).repo, rules);
    const lines = text.split('\n');
    const start = lines.indexOf('# rules:');
    const block = lines.slice(start, lines.indexOf('', start)).map((l) => l.replace(/^# ?/, ''));
    const uncommented = block.filter((l) => !/^\s+\w+:\s+(#.*)?$/.test(l)).join('\n'); // options without a default stay unset
    const raw = parse(uncommented) as { rules: Record<string, unknown> };
    expect(Object.keys(raw.rules).length).toBeGreaterThan(3);
    const { config } = fromRaw(raw);
    for (const r of rules) expect(() => ruleOptions(r, config)).not.toThrow();
  });

  it('lists cluster directories for the user to choose when none looks like production', () => {
    const dir = tempDir('gitops-fix-init-');
    writeTree(dir, new Map([['clusters/alpha/apps.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n']]));
    const text = starterConfig(openSession(dir).repo, rules);
    expect(text).toContain(
      '# No cluster directory matches the default production patterns; found: clusters/alpha. List the production ones:\n# production:\n#   clusters:\n#     - clusters/alpha\n',
    );
    expect(fromRaw(parse(text) ?? {}).config.production.clusters).toContain('**/clusters/production');
  });

  it('never overwrites an existing configuration', async () => {
    const dir = repo();
    writeFileSync(join(dir, '.gitops-fix.yaml'), 'mainBranch: trunk\n');
    await expect(initCommand(dir, testIO().io)).rejects.toThrow(/\.gitops-fix\.yaml already exists; not overwritten/);
    expect(readFileSync(join(dir, '.gitops-fix.yaml'), 'utf8')).toBe('mainBranch: trunk\n');
    expect(existsSync(join(dir, '.gitops-fix.yaml'))).toBe(true);
  });
});

describe('configuration JSON Schema', () => {
  it('is a draft-07 schema that accepts what init writes and rejects what the loader rejects', () => {
    const require = createRequire(import.meta.url);
    const Ajv = require('ajv') as typeof import('ajv').default;
    const validate = new Ajv({ allErrors: true, strict: false }).compile(
      JSON.parse(readFileSync(join(ROOT, 'schema', 'gitops-fix.schema.json'), 'utf8')) as object,
    );
    const starter = parse(starterConfig(openSession(EXAMPLE_REPO).repo, rules)) as unknown;
    expect(validate(starter), JSON.stringify(validate.errors)).toBe(true);
    const good = {
      mainBranch: 'main',
      rules: { 'externalsecret-slow-refresh': { maxInterval: '10m' }, 'gitrepository-dev-branch': null },
      ignore: [{ rule: '*', paths: ['legacy/**'], reason: 'being removed' }],
    };
    expect(validate(good), JSON.stringify(validate.errors)).toBe(true);
    for (const bad of [
      { mainbranch: 'main' },
      { rules: { 'externalsecret-slow-refresh': { maxInterval: 5 } } },
      { rules: { 'no-such-rule': {} } },
      { rules: { 'gitrepository-dev-branch': { anything: 1 } } },
      { ignore: [{ rule: 'helmrepository-slow-interval' }] },
      { ignore: [{ rule: 'no-such-rule', reason: 'x' }] },
    ]) {
      expect(validate(bad), JSON.stringify(bad)).toBe(false);
      expect(() => {
        const { config } = fromRaw(bad);
        for (const r of rules) ruleOptions(r, config);
        validateRuleKeys(
          config,
          rules.map((r) => r.meta.id),
        );
        openSessionWith(config);
      }, JSON.stringify(bad)).toThrow();
    }
  });

  it('describes every rule under rules.<id> and the rule ids of ignore entries', () => {
    const schema = configJsonSchema(rules) as {
      properties: Record<string, { properties?: Record<string, unknown>; items?: { properties: { rule: { enum: string[] } } } }>;
    };
    expect(Object.keys(schema.properties.rules!.properties!).sort()).toEqual(rules.map((r) => r.meta.id).sort());
    expect(schema.properties.ignore!.items!.properties.rule.enum).toEqual(expect.arrayContaining(['*', 'kustomization-no-wait', 'yaml-syntax']));
  });
});
