/**
 * Reports that put the signal first and fit their destination, and errors that teach: a table of rules, critical
 * and high findings in full, the rest grouped; PR bodies and Markdown reports within 60,000 characters; suggestions
 * for mistyped rule ids; configuration errors at file:line:column in plain words; a scan that finds nothing to check.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MARKDOWN_LIMIT } from '../../src/engine/budget.js';
import { closest } from '../../src/engine/suggest.js';
import { externalSecret } from '../support/bad-input.js';
import { runCli } from '../support/cli.js';
import { gitRepoFrom } from '../support/git-repo.js';
import { missing, skipTitle } from '../support/needs.js';
import { CORPUS, removeTree, tempDir } from '../support/tree.js';

interface JsonFinding {
  ruleId: string;
  severity: string;
  file: string;
  line: number;
  column: number;
}

/** A repository of `n` ExternalSecrets refreshed hourly and `n` Flux Kustomizations without a retryInterval. */
function noisyRepo(n: number): string {
  const dir = tempDir('gitops-fix-noisy-');
  for (let i = 0; i < n; i++) {
    const app = join(dir, 'apps', `app-${String(i).padStart(4, '0')}`);
    mkdirSync(app, { recursive: true });
    writeFileSync(join(app, 'externalsecret.yaml'), externalSecret(`secret-${i}`));
    writeFileSync(
      join(app, 'ks.yaml'),
      `apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: app-${i}\n  namespace: flux-system\nspec:\n  interval: 10m\n  path: ./apps/app-${i}\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n`,
    );
  }
  return dir;
}

describe('suggestions for rule ids', () => {
  it('ranks the closest id first', () => {
    const ids = ['vault-tls-disabled', 'vault-mlock-disabled', 'vault-file-storage', 'vault-no-backup'];
    expect(closest('vault-tls-disable', ids)[0]).toBe('vault-tls-disabled');
    expect(closest('nothing-like-it-at-all', ids)).toEqual([]);
  });

  it('explain, --rule, --exclude-rule, rules.<id> and ignore[].rule suggest the closest id', async () => {
    const dir = tempDir('gitops-fix-suggest-');
    writeFileSync(join(dir, 'es.yaml'), externalSecret('es'));
    try {
      const explain = await runCli(['explain', 'vault-tls-disable'], { cwd: dir });
      expect(explain.code).toBe(2);
      expect(explain.stderr).toMatch(/unknown rule "vault-tls-disable" \(did you mean "vault-tls-disabled"/);
      const rule = await runCli(['scan', dir, '--rule', 'kustomization-nowait'], { cwd: dir });
      expect(rule.stderr).toMatch(/unknown rule "kustomization-nowait" in --rule \(did you mean "kustomization-no-wait"/);
      const exclude = await runCli(['fix', dir, '--dry-run', '--yes', '--exclude-rule', 'externalsecret-slow-refrsh'], { cwd: dir });
      expect(exclude.stderr).toMatch(/in --exclude-rule \(did you mean "externalsecret-slow-refresh"/);
      writeFileSync(join(dir, '.gitops-fix.yaml'), 'mainBranch: main\nrules:\n  vault-tls-disable: {}\n');
      const key = await runCli(['scan', dir], { cwd: dir });
      expect(key.code).toBe(2);
      expect(key.stderr).toMatch(/\.gitops-fix\.yaml:3:3: rules\.vault-tls-disable: unknown rule id \(did you mean "vault-tls-disabled"/);
      writeFileSync(join(dir, '.gitops-fix.yaml'), 'ignore:\n  - rule: helmrepository-slow-intervl\n    reason: vendor\n');
      const ignore = await runCli(['scan', dir], { cwd: dir });
      expect(ignore.stderr).toMatch(/ignore\.0\.rule: unknown rule id "helmrepository-slow-intervl" \(did you mean "helmrepository-slow-interval"/);
    } finally {
      removeTree(dir);
    }
  });
});

describe('configuration errors', () => {
  let dir: string;
  beforeAll(() => {
    dir = tempDir('gitops-fix-config-errors-');
    writeFileSync(join(dir, 'es.yaml'), externalSecret('es'));
  });
  afterAll(() => removeTree(dir));

  it.each([
    ['a misspelt key', 'mainBranh: main\n', /\.gitops-fix\.yaml:1:1: mainBranh: unknown key \(did you mean "mainBranch"\?\)/],
    ['a wrong type', 'production:\n  clusters: prod\n', /\.gitops-fix\.yaml:2:13: production\.clusters: expected a list, found the string "prod"/],
    ['a missing key', 'ignore:\n  - rule: "*"\n', /\.gitops-fix\.yaml:2:5: ignore\.0\.reason: missing: expected a string \(why the finding is accepted\)/],
    ['a union', 'render:\n  charts: 3\n', /\.gitops-fix\.yaml:2:11: render\.charts: expected a string or a list, found the number 3/],
    [
      'a misspelt rule option',
      'rules:\n  externalsecret-slow-refresh:\n    maxIntervall: 5m\n',
      /\.gitops-fix\.yaml:3:5: rules\.externalsecret-slow-refresh\.maxIntervall: unknown key \(did you mean "maxInterval"/,
    ],
    ['an empty string', 'mainBranch: ""\n', /\.gitops-fix\.yaml:1:13: mainBranch: must not be empty/],
  ])('%s: file:line:column, the key path, what is expected in plain words', async (_, config, expected) => {
    writeFileSync(join(dir, '.gitops-fix.yaml'), config);
    const r = await runCli(['scan', dir], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(expected);
    expect(r.stderr).not.toMatch(/Invalid input|received undefined|expected string, received/);
  });
});

describe('a scan that finds nothing to check', () => {
  it('an empty directory or one without Kubernetes objects: exit 2 and a hint, not "0 findings"', async () => {
    const empty = tempDir('gitops-fix-empty-');
    const notFlux = tempDir('gitops-fix-notflux-');
    writeFileSync(join(notFlux, 'docker-compose.yaml'), 'services:\n  web:\n    image: nginx\n');
    writeFileSync(join(notFlux, 'README.md'), '# hello\n');
    try {
      for (const dir of [empty, notFlux]) {
        for (const format of ['text', 'json']) {
          const r = await runCli(['scan', dir, '--format', format], { cwd: dir });
          expect(r.code, `${dir} ${format}`).toBe(2);
          expect(r.stdout).toBe('');
          expect(r.stderr).toMatch(/no Kubernetes or Flux objects found .*nothing was checked\. Scan the root of a Flux repository/);
        }
      }
    } finally {
      removeTree(empty);
      removeTree(notFlux);
    }
  });
});

describe('reports on a noisy repository', () => {
  let dir: string;
  beforeAll(() => {
    dir = noisyRepo(600);
  });
  afterAll(() => removeTree(dir));

  it('text: the table of rules first; many alike medium and low findings take one line per rule unless --verbose', async () => {
    const r = await runCli(['scan', dir, '--phase', '3'], { cwd: dir });
    const lines = r.stdout.split('\n');
    expect(lines[2]).toMatch(/^ {2}rule +severity +findings +fixable$/);
    expect(lines[3]).toMatch(/^ {2}kustomization-retry-interval +low +600 +yes$/);
    const retry = lines.filter((l) => l.includes('kustomization-retry-interval'));
    expect(retry).toHaveLength(3); // the table row, the collapsed line and the checklist
    expect(retry[1]).toMatch(
      /kustomization-retry-interval \(600\): Kustomization app-0 has no retryInterval.* \(first at apps\/app-0000\/ks\.yaml:6:1; 599 more like it, --verbose lists them\)/,
    );
    const verbose = await runCli(['scan', dir, '--phase', '3', '--verbose'], { cwd: dir });
    expect(verbose.stdout.split('\n').filter((l) => /apps\/app-\d+\/ks\.yaml:6:1 {2}Kustomization/.test(l))).toHaveLength(600);
  });

  it('markdown: at most 60,000 characters, with <details> folding and "N more not shown", even with --verbose', async () => {
    for (const extra of [[], ['--verbose']]) {
      const r = await runCli(['scan', dir, '--format', 'markdown', '--fail-on', 'none', ...extra], { cwd: dir });
      expect(r.code).toBe(0);
      expect(r.stdout.length).toBeLessThanOrEqual(MARKDOWN_LIMIT);
      expect(r.stdout).toContain('<details><summary><code>kustomization-retry-interval</code>');
      expect(r.stdout).toMatch(/_\d+ more not shown\._/);
      expect(r.stdout).toContain('`gitops-fix explain externalsecret-slow-refresh`');
    }
  });

  it('--pr-body: at most 60,000 characters, the full description next to it, left-unfixed findings with their message', async () => {
    const repo = gitRepoFrom(dir);
    const out = tempDir('gitops-fix-prbody-');
    try {
      const r = await runCli(['fix', repo, '--phase', 'all', '--yes', '--pr-body', join(out, 'pr.md')], { cwd: repo });
      expect(r.code, r.stderr).toBe(0);
      const body = readFileSync(join(out, 'pr.md'), 'utf8');
      const full = readFileSync(join(out, 'pr.full.md'), 'utf8');
      expect(body.length).toBeLessThanOrEqual(MARKDOWN_LIMIT);
      expect(full.length).toBeGreaterThan(MARKDOWN_LIMIT);
      expect(body).toMatch(/more not shown; the full list is in pr\.full\.md/);
      expect(full).not.toMatch(/more not shown/);
      expect(body).toContain('<details><summary><b>Item 6:');
      expect(r.stdout).toContain(`Pull-request description: ${join(out, 'pr.md')} (every list in full: ${join(out, 'pr.full.md')})`);
    } finally {
      removeTree(repo);
      removeTree(out);
    }
  });
});

const HOMELAB = join(CORPUS, 'ishioni__homelab-ops');

/** `a/{b,c}/d` → `a/b/d`, `a/c/d` (one pair of braces, as the text report writes packed directories). */
function expandBraces(word: string): string[] {
  const m = /^(.*)\{([^{}]*)\}(.*)$/.exec(word);
  return m ? (m[2] ?? '').split(',').map((part) => `${m[1]}${part}${m[3]}`) : [word];
}
const noCorpus = missing('corpus') ?? (existsSync(HOMELAB) ? undefined : `needs ${basename(HOMELAB)} in ../shared/corpus (absent here)`);

describe.skipIf(noCorpus)(skipTitle('a real repository (ishioni__homelab-ops, 520 files)', noCorpus), () => {
  it('the first screen shows the table of rules and every critical and high finding', async () => {
    const text = await runCli(['scan', HOMELAB], { cwd: HOMELAB });
    const json = JSON.parse((await runCli(['scan', HOMELAB, '--format', 'json'], { cwd: HOMELAB })).stdout) as { findings: JsonFinding[] };
    // 58 high findings, 53 of them one rule: locations alike are packed (by directory under a shared file:line:column,
    // directories that differ in one segment written once, shell-style: apps/{a,b}/app). A first screen: 45 lines.
    const screen = text.stdout.split('\n').slice(0, 45);
    const words = screen.flatMap((l) => l.split(/ {2,}/).flatMap((w) => expandBraces(w.trim())));
    const shown = screen.join('\n');
    const rules = [...new Set(json.findings.map((f) => f.ruleId))];
    for (const id of rules)
      expect(
        screen.some((l) => new RegExp(`^ {2}${id} +(critical|high|medium|low) +\\d+ +`).test(l)),
        id,
      ).toBe(true);
    const severe = json.findings.filter((f) => f.severity === 'critical' || f.severity === 'high');
    expect(severe.length).toBeGreaterThan(0);
    for (const f of severe) {
      const loc = `${f.file}:${f.line}:${f.column}`;
      const base = `${basename(f.file)}:${f.line}:${f.column} in `;
      const dirShown = words.some((w) => w && f.file.endsWith(`${w}/${basename(f.file)}`));
      const packed = words.some((w) => w && loc.endsWith(w) && w.includes('/'));
      expect(shown.includes(loc) || (shown.includes(base) && dirShown) || packed, loc).toBe(true);
    }
    expect(screen.indexOf('Medium and low')).toBeLessThan(0); // medium and low findings come after the first screen
  });

  it('--pr-body for --phase all is at most 60,000 characters', async () => {
    const repo = gitRepoFrom(HOMELAB);
    const out = tempDir('gitops-fix-prbody-');
    try {
      const r = await runCli(['fix', repo, '--phase', 'all', '--yes', '--include-review', '--pr-body', join(out, 'pr.md')], { cwd: repo });
      expect(r.code, r.stderr).toBe(0);
      expect(readFileSync(join(out, 'pr.md'), 'utf8').length).toBeLessThanOrEqual(MARKDOWN_LIMIT);
      expect(existsSync(join(out, 'pr.full.md'))).toBe(true);
    } finally {
      removeTree(repo);
      removeTree(out);
    }
  }, 120_000);
});

describe('the fix summary', () => {
  it('after answers were saved to .gitops-fix.yaml, it says so instead of "Your working tree was not touched"', async () => {
    const { openSession } = await import('../../src/engine/session.js');
    const { planFixes } = await import('../../src/engine/plan.js');
    const { rules } = await import('../../src/engine/registry.js');
    const { fixText } = await import('../../src/cli/fix-format.js');
    const { painter } = await import('../../src/cli/colors.js');
    const { EXAMPLE_REPO } = await import('../support/git-repo.js');
    const session = openSession(EXAMPLE_REPO);
    const plan = planFixes(session.repo, { rules: rules.filter((r) => r.meta.id === 'kustomization-no-wait'), options: session.options });
    const branch = { branch: 'gitops-fix/fixes', base: '0'.repeat(40), commits: [], replaced: false };
    const base = { mode: 'branch' as const, plan, branch, required: new Map<string, string>(), reintroduced: [] };
    expect(fixText(base, painter(false))).toContain('Your working tree was not touched.');
    const saved = fixText({ ...base, savedConfig: join(EXAMPLE_REPO, '.gitops-fix.yaml') }, painter(false));
    expect(saved).not.toContain('not touched');
    expect(saved).toContain(`The only change to your working tree: the answers saved to ${join(EXAMPLE_REPO, '.gitops-fix.yaml')}.`);
  });
});

describe('skipped files', () => {
  it('a skip reason is said once ("SOPS-encrypted: never edited…", not "sops-encrypted: SOPS-encrypted: …")', async () => {
    const dir = tempDir('gitops-fix-sops-');
    writeFileSync(join(dir, 'es.yaml'), externalSecret('es'));
    writeFileSync(
      join(dir, 'secret.sops.yaml'),
      'apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\ndata:\n  a: ENC[AES256_GCM,data:abc,type:str]\nsops:\n  mac: ENC[AES256_GCM,data:x,type:str]\n  version: 3.8.1\n',
    );
    try {
      for (const format of ['text', 'markdown']) {
        const r = await runCli(['scan', dir, '--format', format, '--fail-on', 'none'], { cwd: dir });
        expect(r.stdout, format).toMatch(/SOPS-encrypted: never edited/);
        expect(r.stdout, format).not.toMatch(/sops-encrypted.{0,4}SOPS-encrypted/i);
      }
    } finally {
      removeTree(dir);
    }
  });
});
