import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './support/cli.js';
import { ROOT } from './support/tree.js';

const EXAMPLE = join(ROOT, 'fixtures', 'example-repo');

const run = (args: string[]) => runCli(args, { cwd: ROOT });

interface JsonFinding {
  ruleId: string;
  reviewItem: number | null;
  severity: string;
  phase: number;
  file: string;
  line: number;
  column: number;
  message: string;
  fixable: boolean;
}

describe('scan on the example repository', () => {
  let r: Awaited<ReturnType<typeof run>>;
  let out: {
    version: number;
    root: string;
    findings: JsonFinding[];
    skipped: unknown[];
    summary: Record<string, unknown>;
    checklist: { item: number; rules: string[]; status: string; count: number; reason: string | null }[];
  };
  beforeAll(async () => {
    r = await run(['scan', EXAMPLE, '--format', 'json']);
    out = JSON.parse(r.stdout) as typeof out;
  });

  it('exits 1 with findings and prints the documented JSON shape', () => {
    expect(r.code).toBe(1);
    expect(Object.keys(out)).toEqual(['version', 'root', 'findings', 'skipped', 'summary', 'checklist']);
    expect(out.version).toBe(1);
    expect(out.root).toBe(EXAMPLE);
    for (const f of out.findings) {
      expect(Object.keys(f)).toEqual(['ruleId', 'reviewItem', 'severity', 'phase', 'file', 'line', 'column', 'message', 'fixable']);
      expect(f.file).not.toMatch(/^\/|\\/);
      expect(f.line).toBeGreaterThanOrEqual(1);
      expect(f.column).toBeGreaterThanOrEqual(1);
    }
    expect(out.summary.files).toBe(35);
  });

  it('ends the JSON with the review checklist: every item, its rules, status, count and the reason when not found', () => {
    expect(out.checklist.map((c) => c.item)).toEqual(Array.from({ length: 24 }, (_, i) => i + 1));
    for (const c of out.checklist) {
      expect(Object.keys(c)).toEqual(['item', 'rules', 'status', 'count', 'reason']);
      expect(c.status === 'found' ? c.reason === null && c.count > 0 : typeof c.reason === 'string' && c.count === 0).toBe(true);
    }
    expect(out.checklist.find((c) => c.item === 16)).toEqual({
      item: 16,
      rules: ['vault-mlock-disabled'],
      status: 'not-applicable',
      count: 0,
      reason: 'disable_mlock = true is recommended for this storage and image; keep swap off on the nodes',
    });
  });

  it.each([
    [6, 'infra/kubernetes/flux/infrastructure/external-secrets/postgres-external-secret.yaml', 9],
    [9, 'flux/clusters/production/flux-system/gotk-sync.yaml', 11],
    [17, 'flux/clusters/production/apps.yaml', 14],
  ])("reports item %i at the review's cited location %s:%i", (item, file, line) => {
    expect(out.findings.filter((f) => f.reviewItem === item).map((f) => `${f.file}:${f.line}`)).toContain(`${file}:${line}`);
  });

  it('reports item 20 on every 24h HelmRepository and item 21 on every Kustomization without retryInterval', () => {
    expect(
      out.findings
        .filter((f) => f.reviewItem === 20)
        .map((f) => f.file.split('/').pop())
        .sort(),
    ).toEqual(['external-secrets.yaml', 'hashicorp.yaml', 'jetstack.yaml', 'linkerd.yaml']);
    expect(
      out.findings
        .filter((f) => f.reviewItem === 21)
        .map((f) => f.file)
        .sort(),
    ).toEqual(['flux/clusters/production/apps.yaml', 'flux/clusters/production/flux-system/gotk-sync.yaml', 'flux/clusters/production/infrastructure.yaml']);
  });

  it('--fail-on none exits 0; --fail-on critical only counts critical findings', async () => {
    expect((await run(['scan', EXAMPLE, '--fail-on', 'none'])).code).toBe(0);
    const onlyLow = await run(['scan', EXAMPLE, '--rule', 'helmrepository-slow-interval', '--fail-on', 'high']);
    expect(onlyLow.code).toBe(0);
  });

  it('filters by phase and rule', async () => {
    const p = JSON.parse((await run(['scan', EXAMPLE, '--format', 'json', '--phase', '1', '--rule', 'helmrepository-slow-interval'])).stdout) as {
      findings: JsonFinding[];
    };
    expect(new Set(p.findings.map((f) => f.phase === 1 || f.ruleId === 'helmrepository-slow-interval'))).toEqual(new Set([true]));
    const q = JSON.parse((await run(['scan', EXAMPLE, '--format', 'json', '--rule', 'gitrepository-dev-branch'])).stdout) as { findings: JsonFinding[] };
    expect(q.findings.map((f) => f.ruleId)).toEqual(['gitrepository-dev-branch']);
  });

  it('text output opens with the summary and a table of rules, lists critical and high findings, and ends with the review checklist', async () => {
    const t = await run(['scan', EXAMPLE]);
    const lines = t.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^35 files read; \d+ documents; \d+ findings \(\d+ critical, \d+ high, \d+ medium, \d+ low\)$/);
    expect(lines[2]).toMatch(/^ {2}rule +severity +findings +fixable$/);
    expect(lines[3]).toMatch(/^ {2}vault-file-storage +critical +1 +yes$/);
    const severe = lines.indexOf('Critical and high');
    const rest = lines.indexOf('Medium and low');
    expect(severe).toBeGreaterThan(3);
    expect(rest).toBeGreaterThan(severe);
    expect(lines.slice(severe, rest).join('\n')).toMatch(/flux\/clusters\/production\/flux-system\/gotk-sync\.yaml:11:5 {2}GitRepository flux-system/);
    const at = lines.indexOf('Review checklist');
    expect(lines.slice(at + 1)).toHaveLength(24);
    expect(lines[at + 1]).toMatch(/^ {3}1 {2}found \(1\) +vault-tls-disabled$/);
    expect(lines).toContain('  16  not applicable here  disable_mlock = true is recommended for this storage and image; keep swap off on the nodes');
  });

  it('usage errors exit 2 with a message and no stack trace', async () => {
    for (const args of [
      ['scan', EXAMPLE, '--format', 'xml'],
      ['scan', EXAMPLE, '--phase', '7'],
      ['scan', EXAMPLE, '--rule', 'no-such-rule'],
      ['scan', join(EXAMPLE, 'missing')],
    ]) {
      const e = await run(args);
      expect(e.code).toBe(2);
      expect(e.stderr).toMatch(/^gitops-fix: /);
      expect(e.stderr).not.toMatch(/\n\s+at /);
    }
  });
});
