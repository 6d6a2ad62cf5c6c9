import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { identifier, parseArgs, scaffold } from './tools/new-rule.js';
import { ROOT, tempDir } from './support/tree.js';

/** A copy of the project (sources, tests, fixtures) sharing node_modules, to scaffold into. */
function projectCopy(): string {
  const dir = join(tempDir('gitops-fix-scaffold-'), 'project');
  mkdirSync(dir);
  for (const p of ['src', 'bin', 'transforms', 'templates', 'fixtures', 'test', 'package.json', 'tsconfig.json', 'tsconfig.build.json', 'vitest.config.ts']) {
    if (existsSync(join(ROOT, p))) cpSync(join(ROOT, p), join(dir, p), { recursive: true });
  }
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return dir;
}

/** Run a command without blocking the test worker; stdout and stderr together. */
function run(cwd: string, cmd: string, args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env: { ...process.env, NO_COLOR: '1', CI: 'true' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out }));
  });
}

const EDIT = 'helmrelease-missing-timeout';
const GENERATE = 'aaa-generated-budget';

describe('npm run new-rule', () => {
  let dir: string;
  let scaffolded: Awaited<ReturnType<typeof run>>;
  let typecheck: ReturnType<typeof run>;
  let parity: ReturnType<typeof run>;
  const report = () => join(dir, 'parity.json');

  beforeAll(async () => {
    dir = projectCopy();
    // One rule through the script (`npm run new-rule` runs it with tsx), the other through its function.
    scaffolded = await run(dir, join(dir, 'node_modules', '.bin', 'tsx'), [
      'test/tools/new-rule.ts',
      EDIT,
      '--item',
      '18',
      '--phase',
      '3',
      '--severity',
      'low',
    ]);
    await scaffold({ id: GENERATE, item: 7, phase: 2, severity: 'high', generate: true }, dir);
    // The two checks of the scaffolded project are independent processes: started together, awaited by their tests.
    typecheck = run(dir, process.execPath, [join(dir, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json', '--noEmit']);
    parity = run(dir, process.execPath, [
      join(dir, 'node_modules', 'vitest', 'vitest.mjs'),
      'run',
      'test/registry.test.ts',
      '-t',
      EDIT,
      '--reporter=json',
      `--outputFile=${report()}`,
    ]);
  }, 120_000);

  it('creates the rule folder, README, fixture skeletons and (with --generate) the template folder', () => {
    expect(scaffolded.code, scaffolded.out).toBe(0);
    for (const id of [EDIT, GENERATE]) {
      for (const f of ['index.ts', 'README.md']) expect(existsSync(join(dir, 'transforms', id, f))).toBe(true);
      for (const c of ['valid-basic/before', 'invalid-basic/before', 'invalid-basic/after']) expect(existsSync(join(dir, 'fixtures', id, c))).toBe(true);
      const readme = readFileSync(join(dir, 'transforms', id, 'README.md'), 'utf8');
      expect(readme.split('\n').filter((l) => l.startsWith('## '))).toEqual(['## Why', '## Example', '## Fix', '## Options', '## References']);
    }
    expect(existsSync(join(dir, 'templates', GENERATE, 'resource.yaml'))).toBe(true);
    expect(existsSync(join(dir, 'templates', EDIT))).toBe(false);
    expect(scaffolded.out).toContain(`Scaffolded ${EDIT}:`);
  });

  it('registers the rule in transforms/index.ts in sorted position, import and array entry', () => {
    const index = readFileSync(join(dir, 'transforms', 'index.ts'), 'utf8');
    const original = readFileSync(join(ROOT, 'transforms', 'index.ts'), 'utf8');
    const imports = [...index.matchAll(/from '\.\/([^/]+)\/index\.js'/g)].map((m) => m[1]!);
    const before = [...original.matchAll(/from '\.\/([^/]+)\/index\.js'/g)].map((m) => m[1]!);
    for (const id of [EDIT, GENERATE]) {
      const i = imports.indexOf(id);
      expect(i).toBeGreaterThanOrEqual(0);
      // Its neighbours are the rules that sort around it.
      if (i > 0) expect(imports[i - 1]! < id).toBe(true);
      if (i < imports.length - 1) expect(imports[i + 1]! > id).toBe(true);
      expect(index).toContain(`import { rule as ${identifier(id)} } from './${id}/index.js';\n`);
      expect(index).toContain(`\n  ${identifier(id)},\n`);
    }
    expect(imports.filter((x) => x !== EDIT && x !== GENERATE)).toEqual(before);
    // Only the two imports and the two entries were added: every original line is still there, in order.
    const added = index.split('\n').filter((l) => !original.split('\n').includes(l));
    expect(added.sort()).toEqual(
      [
        `import { rule as ${identifier(EDIT)} } from './${EDIT}/index.js';`,
        `import { rule as ${identifier(GENERATE)} } from './${GENERATE}/index.js';`,
        `  ${identifier(EDIT)},`,
        `  ${identifier(GENERATE)},`,
      ].sort(),
    );
  });

  it('type-checks: the sources with both new rules compile without an error', async () => {
    const r = await typecheck;
    expect(r.out).toBe('');
    expect(r.code).toBe(0);
  }, 240_000);

  it('the parity test names what is left to fill in', async () => {
    await parity;
    const json = JSON.parse(readFileSync(report(), 'utf8')) as {
      testResults: { assertionResults: { title: string; fullName: string; status: string; failureMessages: string[] }[] }[];
    };
    const results = json.testResults.flatMap((t) => t.assertionResults).filter((a) => a.fullName.includes(EDIT));
    const failed = Object.fromEntries(results.filter((a) => a.status === 'failed').map((a) => [a.title, a.failureMessages.join('\n')]));
    // The skeleton is well-formed: metadata, README headings and title, fixture folders and templates pass.
    expect(results.filter((a) => a.status === 'passed').map((a) => a.title)).toEqual(
      expect.arrayContaining([
        'has valid metadata',
        'has a README with the standard headings whose line 3 is the title',
        'has valid and invalid fixtures',
        'has templates exactly when it generates files',
      ]),
    );
    expect(Object.keys(failed).sort()).toEqual(['has a mini-repository in every fixture case', 'has no scaffold placeholder left (TODO(new-rule))']);
    for (const c of ['invalid-basic/after', 'invalid-basic/before', 'valid-basic/before'])
      expect(failed['has a mini-repository in every fixture case']).toContain(`fixtures/${EDIT}/${c}/ has no YAML file`);
    const todo = failed['has no scaffold placeholder left (TODO(new-rule))']!;
    expect(todo).toContain('fill in what npm run new-rule left to write');
    expect(todo).toContain(`transforms/${EDIT}/README.md:3: TODO(new-rule): one imperative line`);
    expect(todo).toContain(`transforms/${EDIT}/index.ts:`);
  }, 240_000);

  it('refuses bad arguments and an existing rule', async () => {
    expect(() => parseArgs(['Bad_Id', '--item', '1', '--phase', '1', '--severity', 'low'])).toThrow(/kebab-case/);
    expect(() => parseArgs(['good-id', '--item', '25', '--phase', '1', '--severity', 'low'])).toThrow(/--item 25/);
    expect(() => parseArgs(['good-id', '--item', '2', '--phase', '5', '--severity', 'low'])).toThrow(/--phase 5/);
    expect(() => parseArgs(['good-id', '--item', '2', '--phase', '1', '--severity', 'urgent'])).toThrow(/--severity urgent/);
    expect(parseArgs(['good-id', '--item=2', '--phase', '1', '--severity', 'low', '--generate'])).toEqual({
      id: 'good-id',
      item: 2,
      phase: 1,
      severity: 'low',
      generate: true,
    });
    const again = await run(dir, join(dir, 'node_modules', '.bin', 'tsx'), [
      'test/tools/new-rule.ts',
      EDIT,
      '--item',
      '18',
      '--phase',
      '3',
      '--severity',
      'low',
    ]);
    expect(again.code).toBe(2);
    expect(again.out).toContain(`new-rule: transforms/${EDIT} already exists`);
  });
});
