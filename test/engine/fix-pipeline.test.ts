import { writeFileSync, readFileSync, mkdirSync, statSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defineRule, type Rule } from '../../src/kit/index.js';
import { fromRaw, loadConfig, saveRuleOption } from '../../src/engine/config.js';
import { diffStat, fileDiff, formatDiffStat } from '../../src/engine/diff.js';
import { defaultBranchName } from '../../src/engine/git/branch.js';
import { loadRepo } from '../../src/engine/repo/load.js';
import { commitMessage, NOT_VERIFIED, prBody, VERIFIED } from '../../src/engine/messages.js';
import { staleComments } from '../../src/engine/stale-comments.js';
import { planFixes, Planner } from '../../src/engine/plan.js';
import { QUICK_WIN_ITEMS, selectRules } from '../../src/engine/registry.js';
import { checkRuleOption, openSession, withRuleOption } from '../../src/engine/session.js';
import { atomicWrite, writePlan } from '../../src/engine/write.js';
import { tempDir, writeTree } from '../support/tree.js';

const settings = fromRaw({}).settings;

function repoOf(files: Record<string, string>) {
  const dir = tempDir();
  writeTree(dir, new Map(Object.entries(files)));
  return { dir, repo: loadRepo(dir, { settings }) };
}

const CM = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata:\n  mode: "{mode}"  # keep this comment\n';

/** A test rule: ConfigMaps must have data.mode "on". */
function modeRule(opts: { breakFile?: string; persist?: boolean } = {}): Rule {
  return defineRule({
    meta: { id: 'test-mode-on', title: 'Require mode on', reviewItem: 1, severity: 'high', phase: 1, messages: { off: 'ConfigMap {name} has mode {mode}' } },
    *detect({ repo }) {
      for (const r of repo.ofKind('ConfigMap')) {
        if (r.get(['data', 'mode']) !== 'on')
          yield { messageId: 'off' as const, resource: r, path: ['data', 'mode'], data: { name: r.name ?? '', mode: String(r.get(['data', 'mode'])) } };
      }
    },
    fix: {
      kind: 'edit',
      safe: true,
      apply({ resource }) {
        const value = opts.persist && resource.name === 'b' ? 'still-off' : 'on';
        return {
          changes: [{ op: 'set', resource, path: ['data', 'mode'], value }],
          summary: `mode → ${value}`,
          notes: ['Restart the consumers.'],
          warnings: ['Consumers see the new mode at once.'],
        };
      },
    },
  }) as Rule;
}

describe('planner', () => {
  it('records per-fix file changes and per-rule files, notes and warnings', () => {
    const { repo } = repoOf({ 'a.yaml': CM.replace('{name}', 'a').replace('{mode}', 'off'), 'b.yaml': CM.replace('{name}', 'b').replace('{mode}', 'off') });
    const plan = planFixes(repo, { rules: [modeRule()], options: new Map() });
    const [rp] = plan.rules;
    expect(rp!.fixed.map((x) => x.files.map((f) => f.path))).toEqual([['a.yaml'], ['b.yaml']]);
    expect(rp!.files.map((f) => f.path)).toEqual(['a.yaml', 'b.yaml']);
    expect(rp!.files[0]!.after).toBe('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  mode: "on"  # keep this comment\n');
    expect(rp!.notes).toEqual(['Restart the consumers.']);
    expect(rp!.warnings).toEqual(['Consumers see the new mode at once.']);
  });

  it('drops only the fix whose finding persists, and keeps the others', () => {
    const { repo } = repoOf({ 'a.yaml': CM.replace('{name}', 'a').replace('{mode}', 'off'), 'b.yaml': CM.replace('{name}', 'b').replace('{mode}', 'off') });
    const plan = planFixes(repo, { rules: [modeRule({ persist: true })], options: new Map() });
    const [rp] = plan.rules;
    expect(rp!.fixed.map((x) => x.finding.file)).toEqual(['a.yaml']);
    expect(rp!.dropped.map((d) => [d.finding?.file, d.reason])).toEqual([['b.yaml', 'the finding persists after the fix (b.yaml:6)']]);
    expect(rp!.files.map((f) => f.path)).toEqual(['a.yaml']);
  });

  it('steps rule by rule with planNext()', () => {
    const { repo } = repoOf({ 'a.yaml': CM.replace('{name}', 'a').replace('{mode}', 'off') });
    const p = new Planner(repo, { rules: [modeRule()], options: new Map() });
    expect(p.done).toBe(false);
    expect(p.planNext().fixed).toHaveLength(1);
    expect(p.done).toBe(true);
    expect(p.result().rules).toHaveLength(1);
  });
});

describe('commit message and PR body', () => {
  const { repo } = repoOf({ 'a.yaml': CM.replace('{name}', 'a').replace('{mode}', 'off') });
  const plan = planFixes(repo, { rules: [modeRule()], options: new Map() });
  it('commit: subject, review item, severity, changes, follow-up, warnings, trailer', () => {
    expect(commitMessage(plan.rules[0]!)).toBe(
      [
        'fix(test-mode-on): Require mode on',
        '',
        'Review item 1, severity high, phase 1 (Critical security fixes).',
        '',
        'Fixed:',
        '- a.yaml:6: ConfigMap a has mode off',
        '',
        'Changes:',
        '- a.yaml: mode → on',
        '',
        'Follow-up steps:',
        '- Restart the consumers.',
        '',
        'Warnings:',
        '- Consumers see the new mode at once.',
        '',
        VERIFIED,
        NOT_VERIFIED,
        '',
        'Gitops-Fix-Rule: test-mode-on',
        '',
      ].join('\n'),
    );
  });
  it('PR body: table, rationale, follow-up, warnings, left unfixed', () => {
    const md = prBody(plan, { branch: 'gitops-fix/phase-1' });
    expect(md).toContain('| `test-mode-on` Require mode on | 1 | high | 1 | 1 | mechanical | `gitops-fix explain test-mode-on` |');
    expect(md).toContain('- `a.yaml:6` ConfigMap a has mode off');
    expect(md).toContain('- [ ] Restart the consumers. (`test-mode-on`)');
    expect(md).toContain('- **test-mode-on**: Consumers see the new mode at once.');
    expect(md).toContain('Nothing: every finding of the selected rules is fixed.');
    expect(md).toContain(VERIFIED);
    expect(md).toContain(NOT_VERIFIED);
  });
});

describe('comments to review', () => {
  const before = [
    'values:',
    '  global:',
    '    tlsDisable: true  # TODO: Enable TLS in production',
    '  server:',
    '    # Runs fine on one node.',
    '    config: |',
    '      listener "tcp" {',
    '        # Plain HTTP inside the cluster for now',
    '        tls_disable = 1',
    '        address = "[::]:8200"',
    '      }',
    '    # unrelated: plain http elsewhere is not next to an edit',
    '    other: 1',
    '',
  ].join('\n');
  const after = before
    .replace('tlsDisable: true', 'tlsDisable: false')
    .replace('        tls_disable = 1\n', '')
    .replace('address = "[::]:8200"', 'address = "[::]:8200"\n        tls_cert_file = "/x/tls.crt" # TODO(gitops-fix): check');
  const topic = /\b(tls|https?|plain[- ]?http)\b/i;

  it('lists comments on, above and below edited lines that match the topic, where they are after the change', () => {
    expect(staleComments({ path: 'hr.yaml', before, after }, topic)).toEqual([
      { file: 'hr.yaml', line: 3, text: '# TODO: Enable TLS in production' },
      { file: 'hr.yaml', line: 8, text: '# Plain HTTP inside the cluster for now' },
    ]);
  });

  it('lists a comment above the key that holds the edited value; only in YAML files', () => {
    const b2 = 'server:\n  # 204 while sealed so the pod can be unsealed\n  readinessProbe:\n    enabled: true\n    path: /x?sealedcode=204\n';
    const a2 = b2.replace('/x?sealedcode=204', '/x');
    expect(staleComments({ path: 'v.yaml', before: b2, after: a2 }, /sealed/)).toEqual([
      { file: 'v.yaml', line: 2, text: '# 204 while sealed so the pod can be unsealed' },
    ]);
    expect(staleComments({ path: 'runbook.md', before: '# sealed\nx\n', after: '# sealed\ny\n' }, /sealed/)).toEqual([]);
  });

  it('ignores comments of other topics, comments far from an edit, comments the fix wrote, and new files', () => {
    expect(staleComments({ path: 'hr.yaml', before, after }, /\bunrelated\b/)).toEqual([]);
    expect(staleComments({ path: 'hr.yaml', before, after }, /\bnode\b/)).toEqual([{ file: 'hr.yaml', line: 5, text: '# Runs fine on one node.' }]);
    expect(staleComments({ path: 'n.yaml', before: null, after }, topic)).toEqual([]);
  });

  it('goes into the commit message, and the files keep the comments', () => {
    const { repo } = repoOf({ 'a.yaml': CM.replace('{name}', 'a').replace('{mode}', 'off').replace('# keep this comment', '# mode stays off for now') });
    const rule = modeRule();
    const withTopic = { ...rule, meta: { ...rule.meta, staleComments: /\bmode\b/ } };
    const plan = planFixes(repo, { rules: [withTopic], options: new Map() });
    expect(plan.rules[0]!.files[0]!.after).toContain('# mode stays off for now');
    expect(commitMessage(plan.rules[0]!)).toContain(
      'Comments to review (the change may contradict them; the files keep them):\n- a.yaml:6: # mode stays off for now\n',
    );
    expect(prBody(plan)).toContain('## Comments to review');
    expect(prBody(plan)).toContain('- `a.yaml:6` # mode stays off for now (`test-mode-on`)');
  });
});

describe('diff', () => {
  it('git-style headers, /dev/null for new files, and a stat', () => {
    expect(fileDiff({ path: 'x.yaml', before: 'a: 1\n', after: 'a: 2\n' })).toBe(
      'diff --git a/x.yaml b/x.yaml\n--- a/x.yaml\n+++ b/x.yaml\n@@ -1,1 +1,1 @@\n-a: 1\n+a: 2\n',
    );
    expect(fileDiff({ path: 'n.yaml', before: null, after: 'b: 1\n' })).toBe(
      'diff --git a/n.yaml b/n.yaml\nnew file mode 100644\n--- /dev/null\n+++ b/n.yaml\n@@ -0,0 +1,1 @@\n+b: 1\n',
    );
    expect(fileDiff({ path: 'same', before: 'x\n', after: 'x\n' })).toBe('');
    const stat = diffStat([
      { path: 'x.yaml', before: 'a: 1\n', after: 'a: 2\nb: 3\n' },
      { path: 'n.yaml', before: null, after: 'b: 1\n' },
    ]);
    expect(formatDiffStat(stat)).toBe(' n.yaml | 1 +\n x.yaml | 3 ++-\n 2 files changed (1 created), 3 insertions(+), 1 deletion(-)');
  });
});

describe('writePlan', () => {
  it('writes atomically, keeps the mode, creates directories, and refuses a file changed since it was read', () => {
    const { dir, repo } = repoOf({ 'a.yaml': CM.replace('{name}', 'a').replace('{mode}', 'off') });
    chmodSync(join(dir, 'a.yaml'), 0o640);
    const plan = planFixes(repo, { rules: [modeRule()], options: new Map() });
    writeFileSync(join(dir, 'a.yaml'), readFileSync(join(dir, 'a.yaml'), 'utf8') + '# edited meanwhile\n');
    expect(() => writePlan(plan, dir, { allowDirty: true })).toThrow(/changed on disk since they were read: a\.yaml/);
    writeFileSync(join(dir, 'a.yaml'), CM.replace('{name}', 'a').replace('{mode}', 'off'));
    expect(writePlan(plan, dir, { allowDirty: true })).toEqual([{ path: 'a.yaml', created: false }]);
    expect(readFileSync(join(dir, 'a.yaml'), 'utf8')).toContain('mode: "on"');
    expect(statSync(join(dir, 'a.yaml')).mode & 0o777).toBe(0o640);
    atomicWrite(join(dir, 'deep', 'new', 'file.txt'), 'x');
    expect(readFileSync(join(dir, 'deep', 'new', 'file.txt'), 'utf8')).toBe('x');
  });
});

describe('selection', () => {
  it('branch names', () => {
    expect(defaultBranchName({ phases: [1], ruleIds: [], quickWins: false })).toBe('gitops-fix/phase-1');
    expect(defaultBranchName({ phases: [2, 1], ruleIds: [], quickWins: false })).toBe('gitops-fix/phase-1-2');
    expect(defaultBranchName({ phases: [1, 2, 3, 4], ruleIds: [], quickWins: false })).toBe('gitops-fix/phase-all');
    expect(defaultBranchName({ phases: [], ruleIds: [], quickWins: false })).toBe('gitops-fix/phase-all');
    expect(defaultBranchName({ phases: [], ruleIds: ['x'], quickWins: false })).toBe('gitops-fix/fixes');
    expect(defaultBranchName({ phases: [], ruleIds: [], quickWins: true })).toBe('gitops-fix/quick-wins');
  });
  it('quick wins are the rules of review items 6, 5, 12, 17, 11', () => {
    const ids = selectRules({ reviewItems: QUICK_WIN_ITEMS });
    expect(ids.length).toBeGreaterThan(0);
    for (const r of ids) expect(QUICK_WIN_ITEMS).toContain(r.meta.reviewItem);
  });
});

describe('configuration', () => {
  it('names the key path of unknown keys and wrong types', () => {
    expect(() => fromRaw({ production: { cluster: ['x'] }, docsDir: 3 }, 'c.yaml')).toThrow(/production\.cluster: unknown key[\s\S]*docsDir: /);
  });
  it('saves a rule option into a new or an existing config file, keeping comments', () => {
    const dir = tempDir();
    mkdirSync(dir, { recursive: true });
    const file = join(dir, '.gitops-fix.yaml');
    saveRuleOption(file, 'externalsecret-slow-refresh', 'interval', '2m');
    expect(loadConfig(dir).config.rules).toEqual({ 'externalsecret-slow-refresh': { interval: '2m' } });
    writeFileSync(file, '# team settings\nmainBranch: trunk # ours\n');
    saveRuleOption(file, 'externalsecret-slow-refresh', 'interval', '3m');
    const text = readFileSync(file, 'utf8');
    expect(text).toContain('# team settings\nmainBranch: trunk # ours\n');
    expect(loadConfig(dir).config).toMatchObject({ mainBranch: 'trunk', rules: { 'externalsecret-slow-refresh': { interval: '3m' } } });
  });
  it('validates a prompted option with the rule schema and applies it to the session', () => {
    const { dir } = repoOf({ 'a.yaml': 'a: 1\n' });
    const s = openSession(dir);
    expect(checkRuleOption(s, 'externalsecret-slow-refresh', 'interval', 'soon')).toMatch(/rules\.externalsecret-slow-refresh\.interval: not a Go duration/);
    expect(checkRuleOption(s, 'externalsecret-slow-refresh', 'interval', '90s')).toBe(true);
    const next = withRuleOption(s, 'externalsecret-slow-refresh', 'interval', '90s');
    expect((next.options.get('externalsecret-slow-refresh') as { interval: string }).interval).toBe('90s');
    expect((s.options.get('externalsecret-slow-refresh') as { interval: string }).interval).toBe('5m');
  });
});
