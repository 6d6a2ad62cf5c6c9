/**
 * Lists, after the run's summary, every test or suite that was skipped, one line each, with the reason: the text
 * after `(skipped: ` in its title or a parent's (test/support/needs.ts `skipTitle`), or the note of `ctx.skip(note)`.
 * A skipped suite is one line (with the number of tests it holds); its tests are not listed again.
 */
import { relative } from 'node:path';
import type { Reporter, TestCase, TestModule, TestSuite } from 'vitest/node';
import { SKIP_MARK } from './needs.js';

type Node = TestCase | TestSuite;

function reasonIn(names: readonly string[]): string | undefined {
  for (const name of [...names].reverse()) {
    const i = name.indexOf(SKIP_MARK);
    if (i >= 0) return name.slice(i + SKIP_MARK.length).replace(/\)$/, '');
  }
  return undefined;
}

function stripReason(name: string): string {
  const i = name.indexOf(SKIP_MARK);
  return i >= 0 ? name.slice(0, i) : name;
}

function countTests(suite: TestSuite): number {
  return [...suite.children.allTests()].length;
}

export default class SkipReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    const lines: string[] = [];
    const visit = (node: Node, file: string, path: readonly string[]) => {
      const names = [...path, node.name];
      const title = `${file} > ${names.map(stripReason).join(' > ')}`;
      if (node.type === 'suite') {
        if (node.options.mode === 'skip') {
          const n = countTests(node);
          lines.push(`  ↓ ${title}${n ? ` (${n} test${n === 1 ? '' : 's'})` : ''}: ${reasonIn(names) ?? 'no reason given'}`);
          return;
        }
        for (const child of node.children) visit(child, file, names);
        return;
      }
      const result = node.result();
      if (result.state !== 'skipped') return;
      lines.push(`  ↓ ${title}: ${reasonIn(names) ?? result.note ?? 'no reason given'}`);
    };
    for (const m of modules) for (const child of m.children) visit(child, relative(m.project.config.root, m.moduleId), []);
    if (!lines.length) return;
    process.stdout.write(`\nSkipped (${lines.length}):\n${lines.join('\n')}\n`);
  }
}
