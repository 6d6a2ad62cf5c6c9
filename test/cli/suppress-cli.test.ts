import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { EXAMPLE_REPO, gitRepoFrom } from '../support/git-repo.js';

const cli = (args: string[], cwd: string) => runCli(args, { cwd });

const SOURCES = 'infra/kubernetes/flux/infrastructure/sources';

describe('a suppressed finding on the example repository', () => {
  it('disappears from scan and from fix, and is counted', async () => {
    const dir = gitRepoFrom(EXAMPLE_REPO);
    const file = join(dir, SOURCES, 'hashicorp.yaml');
    const original = readFileSync(file, 'utf8').replace(
      '  interval: 24h\n',
      '  # gitops-fix-ignore helmrepository-slow-interval: HashiCorp publishes its index weekly\n  interval: 24h\n',
    );
    writeFileSync(file, original);

    const scan = await cli(['scan', '.', '--format', 'json'], dir);
    const report = JSON.parse(scan.stdout) as { findings: { ruleId: string; file: string }[]; summary: { suppressed: number; findings: number } };
    const slow = report.findings.filter((f) => f.ruleId === 'helmrepository-slow-interval').map((f) => f.file.split('/').pop());
    expect(slow.sort()).toEqual(['external-secrets.yaml', 'jetstack.yaml', 'linkerd.yaml']);
    expect(report.summary.suppressed).toBe(1);
    expect((await cli(['scan', '.'], dir)).stdout).toMatch(/; 1 suppressed$/m);

    const fix = await cli(['fix', '.', '--rule', 'helmrepository-slow-interval', '--write', '--yes'], dir);
    expect(fix.code, fix.stderr).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe(original);
    for (const other of ['external-secrets.yaml', 'jetstack.yaml', 'linkerd.yaml'])
      expect(readFileSync(join(dir, SOURCES, other), 'utf8')).toContain('  interval: 1h\n');
    const after = JSON.parse((await cli(['scan', '.', '--format', 'json', '--rule', 'helmrepository-slow-interval'], dir)).stdout) as typeof report;
    expect(after.findings).toEqual([]);
    expect(after.summary.suppressed).toBe(1);
  }, 120_000);
});
