/**
 * Bad input: every case gets a clear message (file, line where relevant, what to do), the run goes on where it
 * can, exit codes stay 0/1/2, no stack trace without --debug, and no file is modified or lost. The repository is
 * generated in a temporary directory (test/support/bad-input.ts); the CLI under test is the build in dist/.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSession } from '../src/engine/session.js';
import { planFixes } from '../src/engine/plan.js';
import { rules } from '../src/engine/registry.js';
import { writePlan } from '../src/engine/write.js';
import { GitopsFixError } from '../src/engine/errors.js';
import { parseDocument } from 'yaml';
import { BAD_FILES, externalSecret, FIFTY_MB, treeState, writeBadRepo } from './support/bad-input.js';
import { runCli, type CliResult } from './support/cli.js';
import { BUILD_TIMEOUT, builtDist, CLI, git, gitRepoFrom } from './support/git-repo.js';
import { skipTitle } from './support/needs.js';
import { removeTree, tempDir } from './support/tree.js';

// These tests run dist/ (built beside the tests by the global set-up).
beforeAll(() => builtDist(), BUILD_TIMEOUT);

const STACK = /^\s+at .+[:(]\d+:\d+\)?$/m;

/** Exit code 0, 1 or 2, no stack trace, no "unexpected error". */
function expectOrderly(r: CliResult): void {
  expect([0, 1, 2], r.stderr).toContain(r.code);
  expect(r.stderr).not.toMatch(STACK);
  expect(r.stdout).not.toMatch(STACK);
  expect(r.stderr).not.toMatch(/unexpected error/);
}

/** Run a command (the CLI wrapped in capsh or unshare) with the CLI's environment. */
function runWrapped(cmd: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const isRoot = process.getuid?.() === 0;
const works = (cmd: string, args: string[]) => spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
/** As root, permissions only bite without CAP_DAC_OVERRIDE / CAP_DAC_READ_SEARCH. */
const canDropCaps = isRoot && works('capsh', ['--drop=cap_dac_override,cap_dac_read_search', '--', '-c', 'true']);
/** A private mount namespace in which a directory can be bind-mounted read-only. */
const canMountReadOnly = (() => {
  if (!works('unshare', ['-rm', 'true'])) return false;
  const d = tempDir('gitops-fix-ro-probe-');
  try {
    return works('unshare', ['-rm', 'sh', '-c', `mount --bind -o ro "${d}" "${d}" && ! touch "${d}/x" 2>/dev/null`]);
  } finally {
    removeTree(d);
  }
})();

interface JsonFinding {
  ruleId: string;
  file: string;
  line: number;
  column: number;
  message: string;
  fixable: boolean;
}

describe('bad input', () => {
  let dir: string;
  let state: Map<string, string>;
  let text: CliResult;
  let json: CliResult;
  let findings: JsonFinding[];
  let skipped: { file: string; reason: string }[];

  beforeAll(async () => {
    dir = join(tempDir('gitops-fix-bad-'), 'bad repo é');
    mkdirSync(dir);
    writeBadRepo(dir);
    state = treeState(dir);
    [text, json] = await Promise.all([runCli(['scan', dir], { cwd: dir }), runCli(['scan', dir, '--format', 'json'], { cwd: dir })]);
    const report = JSON.parse(json.stdout) as { findings: JsonFinding[]; skipped: { file: string; reason: string }[] };
    findings = report.findings;
    skipped = report.skipped;
  });

  afterAll(() => {
    if (dir) {
      chmodSync(join(dir, 'bad/unreadable.yaml'), 0o644);
      removeTree(join(dir, '..'));
    }
  });

  const findingsIn = (file: string) => findings.filter((f) => f.file === file);
  const skipOf = (file: string) => skipped.find((s) => s.file === file)?.reason;
  const skipLine = (file: string) => text.stdout.split('\n').find((l) => l.trim().startsWith(`${file}:`)) ?? '';

  describe('scan', () => {
    it('reports, exits 1 (findings), prints no stack trace and changes nothing', () => {
      expectOrderly(text);
      expectOrderly(json);
      expect(text.code).toBe(1);
      expect(json.code).toBe(1);
      expect(treeState(dir)).toEqual(state);
    });

    it('goes on past the bad files: ordinary files are still checked, whatever their path or line endings', () => {
      for (const file of ['good/external-secret.yaml', 'good/crlf.yaml', 'dir with space/ünïcødé é.yaml']) {
        expect(
          findingsIn(file).map((f) => `${f.ruleId} ${f.line}`),
          file,
        ).toEqual(['externalsecret-slow-refresh 7']);
      }
      expect(text.stdout).toContain('dir with space/ünïcødé é.yaml:7:3');
    });

    it.each([
      ['bad/syntax.yaml', 5, /Flow sequence .* end with a \]/],
      ['bad/duplicate-keys.yaml', 5, /Map keys must be unique/],
      ['bad/tabs.yaml', 4, /Tabs are not allowed as indentation/],
      ['bad/alias-across-documents.yaml', 25, /Unresolved alias .*: every/],
    ])('%s is a yaml-syntax finding at line %i that says what is wrong and what to do', (file, line, what) => {
      const [f, ...more] = findingsIn(file);
      expect(more).toEqual([]);
      expect(f).toMatchObject({ ruleId: 'yaml-syntax', line, fixable: false });
      expect(f!.message).toMatch(what);
      expect(f!.message).toMatch(/fix the YAML and run again/);
      expect(f!.message).not.toMatch(/at line \d+, column/); // the position is the finding's, not repeated
      expect(skipOf(file)).toBe('syntax-error');
    });

    it.each([
      ['bad/alias-bomb.yaml', 'unsafe-aliases', /billion-laughs.*Replace the aliases/],
      [FIFTY_MB, 'too-large', /over the 5 MiB limit/],
      ['bad/deep-nesting.yaml', 'too-deep', /nested too deeply to read safely.*over 256 levels/],
      ['bad/binary.yaml', 'binary', /NUL bytes: not a text file/],
      ['bad/latin1.yaml', 'not-utf8', /not valid UTF-8.*re-save the file as UTF-8/],
      ['bad/utf16.yaml', 'not-utf8', /UTF-16.*re-save the file as UTF-8/],
      ['bad/helm-template.yaml', 'templated', /template/],
      ['bad/secret.sops.yaml', 'sops-encrypted', /never edited/],
      ['bad/outside-link.yaml', 'symlink-outside-root', /outside the repository/],
      ['bad/loop-a.yaml', 'symlink-loop', /link loop: fix or remove the link/],
      ['bad/loop-b.yaml', 'symlink-loop', /link loop: fix or remove the link/],
    ])('%s is skipped (%s) and listed with the reason', (file, reason, detail) => {
      expect(skipOf(file)).toBe(reason);
      expect(skipLine(file)).toMatch(detail);
      expect(findingsIn(file)).toEqual([]);
    });

    it('reads empty, comment-only, ---only, top-level scalar and list files without a finding or a skip', () => {
      for (const file of ['bad/empty.yaml', 'bad/comment-only.yaml', 'bad/dashes-only.yaml', 'bad/scalar.yaml', 'bad/list.yaml']) {
        expect(skipOf(file), file).toBeUndefined();
        expect(findingsIn(file), file).toEqual([]);
      }
    });

    it('reads values through merge keys as Kubernetes does', () => {
      expect(findingsIn('bad/merge-keys.yaml').map((f) => f.message)).toEqual([expect.stringContaining('ExternalSecret merged refreshes every 1h')]);
    });

    it('reads a file with a 1 MB line', () => {
      expect(skipOf('bad/long-line.yaml')).toBeUndefined();
    });

    it('reports a kustomization.yaml entry that names a missing file, at the entry', () => {
      expect(findingsIn('bad/kustomize-missing/kustomization.yaml')).toEqual([
        expect.objectContaining({
          ruleId: 'kustomize-missing-file',
          line: 5,
          column: 5,
          fixable: false,
          message: expect.stringMatching(/"missing\.yaml" .* does not exist.*Create the file or remove the entry/),
        }),
      ]);
    });

    it('reports HelmRelease values written as a string or a list (null is an empty map)', () => {
      for (const [file, what] of [
        ['bad/values-string.yaml', 'a string'],
        ['bad/values-list.yaml', 'a list'],
      ] as const) {
        const f = findingsIn(file).filter((x) => x.ruleId === 'helmrelease-values-not-map');
        expect(f, file).toEqual([
          expect.objectContaining({ line: 16, column: 3, message: expect.stringContaining(`spec.values is ${what}, but Flux requires a map`) }),
        ]);
      }
      expect(findingsIn('bad/values-null.yaml').filter((x) => x.ruleId === 'helmrelease-values-not-map')).toEqual([]);
    });

    const noCapsh = isRoot && !canDropCaps ? "needs capsh (libcap) to drop root's file capabilities, so that permissions bite" : undefined;
    it.skipIf(noCapsh)(skipTitle('skips an unreadable file with the reason and goes on', noCapsh), async () => {
      const r = isRoot
        ? await runWrapped('capsh', ['--drop=cap_dac_override,cap_dac_read_search', '--', '-c', '"$0" "$1" scan "$2"', process.execPath, CLI, dir], dir)
        : await runCli(['scan', dir], { cwd: dir });
      expectOrderly(r);
      expect(r.stdout).toMatch(/bad\/unreadable\.yaml: unreadable \(permission denied: make it readable, or remove it\)/);
      expect(r.stdout).toContain('good/external-secret.yaml:7:3');
    });
  });

  describe('fix --dry-run --phase all --yes', () => {
    let r: CliResult;
    let report: {
      rules: { id: string; fixed?: { file: string }[]; dropped?: { file: string; reason: string }[]; skipped?: { file: string; reason: string }[] }[];
    };
    beforeAll(async () => {
      r = await runCli(['fix', dir, '--dry-run', '--phase', 'all', '--yes', '--format', 'json'], { cwd: dir });
      report = JSON.parse(r.stdout);
    });
    const touched = () => new Set(report.rules.flatMap((x) => (x.fixed ?? []).map((f) => f.file)));
    const dropped = (file: string) => report.rules.flatMap((x) => (x.dropped ?? []).filter((d) => d.file === file).map((d) => `${x.id}: ${d.reason}`));

    it('plans, exits 0, writes nothing', () => {
      expectOrderly(r);
      expect(r.code).toBe(0);
      expect(treeState(dir)).toEqual(state);
    });

    it('fixes the ordinary files and never plans an edit of a skipped file', () => {
      for (const f of ['good/external-secret.yaml', 'good/crlf.yaml', 'dir with space/ünïcødé é.yaml']) expect(touched()).toContain(f);
      for (const f of skipped.map((s) => s.file)) expect(touched(), f).not.toContain(f);
    });

    it('refuses to edit a value inherited through a merge key, and says where to edit instead', () => {
      expect(dropped('bad/merge-keys.yaml')).toEqual([
        expect.stringMatching(/^externalsecret-slow-refresh: spec\.refreshInterval: .*inherited through merge key <<; edit the merged anchor instead/),
      ]);
    });

    it('refuses every edit of HelmRelease values written as a string or a list, naming the path', () => {
      for (const file of ['bad/values-string.yaml', 'bad/values-list.yaml']) {
        expect(touched()).not.toContain(file);
        for (const d of dropped(file)) expect(d).toMatch(/spec\.values(\.[\w.]+)?: spec\.values is a (scalar, not a map|sequence)/);
      }
    });
  });

  describe('fix --write on a git copy', () => {
    let repo: string;
    let before: Map<string, string>;
    let r: CliResult;
    beforeAll(async () => {
      repo = gitRepoFrom(dir);
      before = treeState(repo);
      r = await runCli(['fix', '--write', '--phase', 'all', '--yes'], { cwd: repo });
    });
    afterAll(() => removeTree(join(repo, '..')));

    it('writes the fixes and exits 0', () => {
      expectOrderly(r);
      expect(r.code).toBe(0);
      expect(readFileSync(join(repo, 'good/external-secret.yaml'), 'utf8')).toBe(externalSecret('good', '  refreshInterval: 5m\n'));
      expect(readFileSync(join(repo, 'good/crlf.yaml'), 'utf8')).toBe(externalSecret('crlf', '  refreshInterval: 5m\n').replace(/\n/g, '\r\n'));
      expect(readFileSync(join(repo, 'dir with space/ünïcødé é.yaml'), 'utf8')).toContain('refreshInterval: 5m');
    });

    it('leaves every skipped or refused file byte-identical, and loses no file', () => {
      const after = treeState(repo);
      for (const p of before.keys()) expect(after.has(p), `${p} lost`).toBe(true);
      for (const s of skipped) expect(after.get(s.file), s.file).toBe(before.get(s.file));
      for (const f of ['bad/merge-keys.yaml', 'bad/values-string.yaml', 'bad/values-list.yaml', 'bad/kustomize-missing/kustomization.yaml'])
        expect(after.get(f), f).toBe(before.get(f));
    });

    it('never edits a Vault configuration written as a YAML map, or one whose HCL does not parse', () => {
      const config = (text: string) =>
        (parseDocument(text).toJS() as { spec: { values: { server: { standalone: { config: unknown } } } } }).spec.values.server.standalone.config;
      for (const f of ['bad/vault-config-map.yaml', 'bad/vault-broken-hcl.yaml']) {
        expect(config(readFileSync(join(repo, f), 'utf8')), f).toEqual(config(String(BAD_FILES[f])));
      }
    });
  });

  describe('files changed or deleted between planning and writing', () => {
    it.each(['changed', 'deleted'])('a file %s after planning: nothing is written, the error names it', (how) => {
      const repo = tempDir('gitops-fix-race-');
      try {
        cpSync(join(dir, 'good'), join(repo, 'good'), { recursive: true });
        const session = openSession(repo);
        const plan = planFixes(session.repo, { rules: rules.filter((x) => x.meta.id === 'externalsecret-slow-refresh'), options: session.options });
        expect([...plan.finalFiles.keys()].sort()).toEqual(['good/crlf.yaml', 'good/external-secret.yaml']);
        if (how === 'changed') writeFileSync(join(repo, 'good/crlf.yaml'), 'kind: Edited\n');
        else unlinkSync(join(repo, 'good/crlf.yaml'));
        const other = readFileSync(join(repo, 'good/external-secret.yaml'), 'utf8');
        let error: unknown;
        try {
          writePlan(plan, repo);
        } catch (e) {
          error = e;
        }
        expect(error).toBeInstanceOf(GitopsFixError);
        expect((error as GitopsFixError).code).toBe('file-changed');
        expect((error as Error).message).toMatch(/good\/crlf\.yaml.*Nothing was written; run again/);
        expect(readFileSync(join(repo, 'good/external-secret.yaml'), 'utf8')).toBe(other);
        expect(existsSync(join(repo, 'good/crlf.yaml'))).toBe(how === 'changed');
      } finally {
        removeTree(repo);
      }
    });
  });
});

describe('bad configuration', () => {
  let dir: string;
  beforeAll(() => {
    dir = tempDir('gitops-fix-config-');
    writeFileSync(join(dir, 'es.yaml'), externalSecret('es'));
  });
  afterAll(() => removeTree(dir));

  it.each([
    ['unknown keys', 'mainBranh: main\nrules:\n  externalsecret-slow-refresh:\n    maxIntervall: 5m\n', [/\.gitops-fix\.yaml/, /mainBranh/]],
    ['wrong types', 'production:\n  clusters: prod\n', [/\.gitops-fix\.yaml:2:13: production\.clusters: expected a list, found the string "prod"/]],
    [
      'a wrong option type',
      'rules:\n  externalsecret-slow-refresh:\n    maxInterval: fast\n',
      [/rules\.externalsecret-slow-refresh\.maxInterval: .*Go duration/],
    ],
    ['an unknown rule', 'rules:\n  no-such-rule: {}\n', [/rules\.no-such-rule: unknown rule id/]],
    ['invalid YAML', 'rules: [\n', [/\.gitops-fix\.yaml:2:1: not valid YAML/]],
  ])('a config file with %s: exit 2, the file and key path named, no stack trace', async (_, config, expected) => {
    writeFileSync(join(dir, '.gitops-fix.yaml'), config);
    for (const args of [
      ['scan', dir],
      ['fix', dir, '--dry-run', '--yes'],
    ]) {
      const r = await runCli(args, { cwd: dir });
      expectOrderly(r);
      expect(r.code, args.join(' ')).toBe(2);
      for (const re of expected) expect(r.stderr).toMatch(re);
    }
  });
});

describe('git and the file system', () => {
  let plain: string;
  let repo: string;
  beforeAll(() => {
    plain = tempDir('gitops-fix-nogit-');
    mkdirSync(join(plain, 'dir with space', 'ünï'), { recursive: true });
    writeFileSync(join(plain, 'dir with space', 'ünï', 'sécret é.yaml'), externalSecret('unicode'));
    repo = gitRepoFrom(plain);
  });
  afterAll(() => {
    removeTree(plain);
    removeTree(join(repo, '..'));
  });

  it('not a git repository: exit 2, says to pass --write or --dry-run', async () => {
    const r = await runCli(['fix', '--yes'], { cwd: plain });
    expectOrderly(r);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/not inside a git repository: pass --write .* or --dry-run/);
  });

  it('an invalid branch name: exit 2, nothing created', async () => {
    const refs = git(repo, 'for-each-ref');
    const r = await runCli(['fix', '--yes', '--branch', 'bad..name~'], { cwd: repo });
    expectOrderly(r);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/"bad\.\.name~" is not a valid branch name .*pass another --branch/);
    expect(git(repo, 'for-each-ref')).toBe(refs);
  });

  it('paths with spaces and non-ASCII characters: fixed on the branch under their own name', async () => {
    const r = await runCli(['fix', '--yes', '--rule', 'externalsecret-slow-refresh', '--branch', 'unicode'], { cwd: repo });
    expectOrderly(r);
    expect(r.code).toBe(0);
    expect(git(repo, '-c', 'core.quotePath=false', 'diff', '--name-only', 'main', 'unicode').trim()).toBe('dir with space/ünï/sécret é.yaml');
    expect(git(repo, 'show', 'unicode:dir with space/ünï/sécret é.yaml')).toContain('refreshInterval: 5m');
    expect(git(repo, 'status', '--porcelain')).toBe('');
  });

  it('an existing branch gitops-fix did not make: exit 2, says to pass --branch, the branch is unchanged', async () => {
    git(repo, 'branch', 'theirs', 'main');
    const sha = git(repo, 'rev-parse', 'theirs');
    const r = await runCli(['fix', '--yes', '--rule', 'externalsecret-slow-refresh', '--branch', 'theirs'], { cwd: repo });
    expectOrderly(r);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /branch theirs already exists and has a commit gitops-fix did not make \([0-9a-f]{12} "initial"\), so it is not rebuilt in place: pass --branch NAME/,
    );
    expect(git(repo, 'rev-parse', 'theirs')).toBe(sha);
  });

  it('detached HEAD: the branch starts from that commit, with a note', async () => {
    git(repo, 'checkout', '-q', '--detach', 'main');
    try {
      const r = await runCli(['fix', '--yes', '--rule', 'externalsecret-slow-refresh', '--branch', 'from-detached'], { cwd: repo });
      expectOrderly(r);
      expect(r.code).toBe(0);
      expect(r.stderr).toMatch(/HEAD is detached at [0-9a-f]{12}; from-detached starts from that commit/);
      expect(git(repo, 'rev-parse', 'from-detached~1').trim()).toBe(git(repo, 'rev-parse', 'main').trim());
    } finally {
      git(repo, 'checkout', '-q', 'main');
    }
  });

  const noMount = canMountReadOnly ? undefined : 'needs unshare -rm (user and mount namespaces) to bind-mount a directory read-only';
  it.skipIf(noMount)(skipTitle('a read-only file system with --write: exit 2, the error names the file, nothing is modified', noMount), async () => {
    const copy = gitRepoFrom(plain);
    try {
      const before = treeState(copy);
      const r = await runWrapped(
        'unshare',
        ['-rm', 'sh', '-c', 'mount --bind -o ro "$0" "$0" && exec "$1" "$2" fix "$0" --write --yes', copy, process.execPath, CLI],
        copy,
      );
      expectOrderly(r);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/gitops-fix: .*sécret é\.yaml.*(read-only file system|EROFS)/i);
      expect(treeState(copy)).toEqual(before);
    } finally {
      removeTree(join(copy, '..'));
    }
  });
});
