import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { applyReplacements, type Replacement } from '../../src/engine/fix-regions.js';
import { loadRepo } from '../../src/engine/repo/load.js';
import { findingKey } from '../../src/engine/plan.js';
import { rules, ruleById } from '../../src/engine/registry.js';
import { detectRule } from '../../src/engine/scan.js';
import { openSession, runScan } from '../../src/engine/session.js';
import { sarifLog } from '../../src/cli/formats/sarif.js';
import { escapeData, escapeProperty, scanGithub } from '../../src/cli/formats/github.js';
import { mdCell, scanMarkdown } from '../../src/cli/formats/markdown.js';
import { scanJunit } from '../../src/cli/formats/junit.js';
import { runCli } from '../support/cli.js';
import { EXAMPLE_REPO, gitRepoFrom } from '../support/git-repo.js';
import { sarifErrors } from '../support/sarif.js';
import { tempDir, writeTree } from '../support/tree.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Sarif = any;

const region = (r: any): Replacement => ({
  deletedRegion: r.deletedRegion,
  insertedContent: r.insertedContent.text,
});

describe('scan --format sarif on the example repository', () => {
  let log: Sarif;
  let code: number | null;

  beforeAll(async () => {
    const r = await runCli(['scan', EXAMPLE_REPO, '--format', 'sarif'], { cwd: EXAMPLE_REPO });
    code = r.code;
    log = JSON.parse(r.stdout);
  });

  it('validates against the SARIF 2.1.0 schema and keeps the scan exit code', () => {
    expect(code).toBe(1);
    expect(sarifErrors(log)).toEqual([]);
    expect(log.version).toBe('2.1.0');
  });

  it('describes every rule in the driver: title, README Why section, docs link, level from severity', () => {
    const driver = log.runs[0].tool.driver;
    expect(driver.name).toBe('gitops-fix');
    const ids = driver.rules.map((r: any) => r.id);
    expect(ids).toEqual([
      ...rules.map((r) => r.meta.id),
      'yaml-syntax',
      'kustomize-missing-file',
      'helmrelease-values-not-map',
      'duplicate-object',
      'suppression-without-reason',
    ]);
    for (const rule of rules) {
      const d = driver.rules.find((x: any) => x.id === rule.meta.id);
      expect(d.shortDescription.text).toBe(rule.meta.title);
      // No web address while the package declares no repository: the help names the command that documents the rule.
      expect(d.helpUri).toBeUndefined();
      expect(d.help.markdown).toContain(`gitops-fix explain ${rule.meta.id}`);
      const why = readFileSync(join(EXAMPLE_REPO, '..', '..', 'transforms', rule.meta.id, 'README.md'), 'utf8')
        .split('## Why')[1]!
        .split('\n## ')[0]!;
      expect(why).toContain(d.fullDescription.text.split('\n')[0]);
      expect(d.defaultConfiguration.level).toBe({ critical: 'error', high: 'error', medium: 'warning', low: 'note' }[rule.meta.severity]);
    }
  });

  it('locates each result relative to the scanned root', () => {
    const run = log.runs[0];
    expect(run.originalUriBaseIds['%SRCROOT%'].uri).toMatch(/^file:\/\/.*\/fixtures\/example-repo\/$/);
    for (const r of run.results) {
      const loc = r.locations[0].physicalLocation;
      expect(loc.artifactLocation.uriBaseId).toBe('%SRCROOT%');
      expect(loc.artifactLocation.uri).not.toMatch(/^\//);
      expect(loc.region.startLine).toBeGreaterThanOrEqual(1);
      expect(run.tool.driver.rules[r.ruleIndex].id).toBe(r.ruleId);
    }
    const branch = run.results.find((r: any) => r.ruleId === 'gitrepository-dev-branch');
    expect(branch.locations[0].physicalLocation).toEqual({
      artifactLocation: { uri: 'flux/clusters/production/flux-system/gotk-sync.yaml', uriBaseId: '%SRCROOT%' },
      region: { startLine: 11, startColumn: 5 },
    });
  });

  it('carries a fix for findings of edit rules, and each fix alone removes its finding', () => {
    const run = log.runs[0];
    const withFix = run.results.filter((r: any) => r.fixes);
    expect(withFix.map((r: any) => r.ruleId)).toEqual(
      expect.arrayContaining(['gitrepository-dev-branch', 'externalsecret-slow-refresh', 'kustomization-retry-interval', 'helmrepository-slow-interval']),
    );
    const branch = withFix.find((r: any) => r.ruleId === 'gitrepository-dev-branch');
    expect(branch.fixes[0].artifactChanges).toEqual([
      {
        artifactLocation: { uri: 'flux/clusters/production/flux-system/gotk-sync.yaml', uriBaseId: '%SRCROOT%' },
        replacements: [{ deletedRegion: { startLine: 11, startColumn: 14, endLine: 11, endColumn: 24 }, insertedContent: { text: 'main' } }],
      },
    ]);
    const session = openSession(EXAMPLE_REPO);
    for (const r of withFix) {
      const overrides = new Map<string, string>();
      for (const c of r.fixes[0].artifactChanges) {
        const path = decodeURIComponent(c.artifactLocation.uri);
        overrides.set(path, applyReplacements(readFileSync(join(EXAMPLE_REPO, path), 'utf8'), c.replacements.map(region)));
      }
      const fixed = loadRepo(EXAMPLE_REPO, { settings: session.repo.settings, base: session.repo, overrides });
      expect(fixed.files.filter((f) => overrides.has(f.path) && f.status !== 'parsed')).toEqual([]);
      const rule = ruleById(r.ruleId)!;
      const again = detectRule(fixed, rule, session.options.get(rule.meta.id)).map((f) =>
        createHash('sha256').update(findingKey(f)).digest('hex').slice(0, 32),
      );
      expect(again, `${r.ruleId} at ${r.locations[0].physicalLocation.artifactLocation.uri}`).not.toContain(r.partialFingerprints['gitopsFixFinding/v1']);
    }
  });

  it('has no fix for findings without an automatic fix or whose fix creates files', () => {
    for (const r of log.runs[0].results) {
      if (!r.properties.fixable) expect(r.fixes).toBeUndefined();
      for (const f of r.fixes ?? []) for (const c of f.artifactChanges) expect(c.replacements.length).toBeGreaterThan(0);
    }
  });
});

describe('SARIF suppressions', () => {
  it('lists suppressed findings with their justification (inSource for comments and annotations, external for config)', async () => {
    const dir = gitRepoFrom(EXAMPLE_REPO);
    writeTree(
      dir,
      new Map([
        ['.gitops-fix.yaml', 'ignore:\n  - rule: kustomization-retry-interval\n    paths: ["flux/**"]\n    reason: retries are watched by the on-call\n'],
        [
          'infra/kubernetes/flux/infrastructure/sources/hashicorp.yaml',
          readFileSync(join(EXAMPLE_REPO, 'infra/kubernetes/flux/infrastructure/sources/hashicorp.yaml'), 'utf8').replace(
            'interval: 24h',
            'interval: 24h # gitops-fix-ignore helmrepository-slow-interval: vendor index',
          ),
        ],
      ]),
    );
    const r = await runCli(['scan', dir, '--format', 'sarif'], { cwd: dir });
    const log = JSON.parse(r.stdout);
    expect(sarifErrors(log)).toEqual([]);
    const suppressed = log.runs[0].results.filter((x: any) => x.suppressions);
    expect(suppressed.map((x: any) => [x.ruleId, x.suppressions[0].kind, x.suppressions[0].justification]).sort()).toEqual([
      ['helmrepository-slow-interval', 'inSource', 'vendor index'],
      ['kustomization-retry-interval', 'external', 'retries are watched by the on-call'],
      ['kustomization-retry-interval', 'external', 'retries are watched by the on-call'],
      ['kustomization-retry-interval', 'external', 'retries are watched by the on-call'],
    ]);
    expect(log.runs[0].properties.summary.suppressed).toBe(4);
  });
});

describe('junit, markdown and github formats', () => {
  const session = openSession(EXAMPLE_REPO);
  const report = runScan(session);

  it('junit: one test case per rule, a failure per finding', () => {
    const xml = scanJunit(report);
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="gitops-fix"')).toBe(true);
    const cases = [...xml.matchAll(/<testcase classname="gitops-fix\.phase-(\d)" name="([^:"]+):/g)].map((m) => m[2]);
    expect(cases).toEqual(report.rules.map((r) => r.meta.id));
    expect([...xml.matchAll(/<failure /g)]).toHaveLength(report.findings.length);
    const dev = report.findings.find((f) => f.ruleId === 'gitrepository-dev-branch')!;
    expect(xml).toContain(`<failure type="high" message="${dev.file}:${dev.line}:${dev.column} GitRepository flux-system`);
    // Well-formed: every element closed, nothing unescaped in attributes.
    expect((xml.match(/<testsuite /g) ?? []).length).toBe((xml.match(/<\/testsuite>/g) ?? []).length);
    expect(xml).not.toMatch(/="[^"]*[<&](?!amp;|lt;|gt;|quot;|apos;)[^"]*"/);
  });

  it('markdown: a table of rules with their documentation, critical and high findings, the rest folded per rule, cells escaped', () => {
    const md = scanMarkdown(report, rules);
    expect(md).toMatch(/^## gitops-fix\n\n\*\*\d+ findings\*\* \(\d+ critical, \d+ high, \d+ medium, \d+ low\) in 35 files/);
    expect(md).toContain('| `gitrepository-dev-branch` | high | 1 | yes | `gitops-fix explain gitrepository-dev-branch` |');
    expect(md).toContain('### Critical and high');
    expect(md).toContain('| `gitrepository-dev-branch` | `flux/clusters/production/flux-system/gotk-sync.yaml:11:5` |');
    expect(md).toMatch(/<details><summary><code>kustomization-no-wait<\/code>: medium, 1 finding<\/summary>/);
    expect(md.indexOf('### Critical and high')).toBeLessThan(md.indexOf('### Medium and low'));
    expect(md).not.toContain('https://github.com/gitops-fix');
    expect(mdCell('a|b\nc <d>')).toBe('a\\|b<br>c &lt;d&gt;');
  });

  it('github: one workflow command per finding, level from severity, paths below the workspace', () => {
    const lines = scanGithub(report, 'fixtures/example-repo').split('\n');
    expect(lines).toHaveLength(report.findings.length + 1);
    expect(lines).toContain(
      '::error file=fixtures/example-repo/flux/clusters/production/flux-system/gotk-sync.yaml,line=11,col=5,title=gitrepository-dev-branch::' +
        report.findings.find((f) => f.ruleId === 'gitrepository-dev-branch')!.message,
    );
    expect(
      lines.some((l) =>
        l.startsWith('::notice file=fixtures/example-repo/flux/clusters/production/infrastructure.yaml,line=9,col=1,title=kustomization-retry-interval::'),
      ),
    ).toBe(true);
    expect(lines.some((l) => l.startsWith('::warning ') && l.includes('title=kustomization-no-wait::'))).toBe(true);
    expect(lines.at(-1)).toMatch(/^gitops-fix: \d+ findings/);
    expect(escapeData('50%\nnext')).toBe('50%25%0Anext');
    expect(escapeProperty('a:b,c')).toBe('a%3Ab%2Cc');
  });

  it('the CLI prints github annotations relative to the current directory', async () => {
    const root = join(EXAMPLE_REPO, '..', '..');
    const r = await runCli(['scan', 'fixtures/example-repo', '--format', 'github', '--rule', 'gitrepository-dev-branch'], { cwd: root });
    expect(r.code).toBe(1);
    expect(r.stdout.split('\n')[0]).toMatch(
      /^::error file=fixtures\/example-repo\/flux\/clusters\/production\/flux-system\/gotk-sync\.yaml,line=11,col=5,title=gitrepository-dev-branch::/,
    );
  });

  it('rejects an unknown format, naming the formats', async () => {
    const r = await runCli(['scan', EXAMPLE_REPO, '--format', 'xml'], { cwd: EXAMPLE_REPO });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--format xml: expected one of text, json, sarif, junit, markdown, github');
  });

  it('sarifLog works on an empty repository', () => {
    const dir = tempDir();
    writeTree(dir, new Map([['a.yaml', 'a: 1\n']]));
    const s = openSession(dir);
    const log = sarifLog(runScan(s), { rules, version: '0.0.0' });
    expect(sarifErrors(log)).toEqual([]);
    expect(log.runs[0]!.results).toEqual([]);
  });
});
