/**
 * A repository read and parsed on several threads (this one and worker threads, plain data sent back) must be the
 * repository read on one thread, and its scan the same findings in the same order, field by field: on the example
 * repository and on every corpus repository.
 */
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Repo, Resource } from '../src/kit/index.js';
import { fromRaw } from '../src/engine/config.js';
import { threadWork } from '../src/engine/repo/parallel.js';
import { loadRepo, loadRepoAsync } from '../src/engine/repo/load.js';
import { rules as allRules } from '../src/engine/registry.js';
import { optionsFor, scan, type Finding } from '../src/engine/scan.js';
import { CancelledError } from '../src/engine/cancel.js';
import { missing, skipTitle } from './support/needs.js';
import { corpusRepos, ROOT, tempDir, writeTree } from './support/tree.js';

const { config, settings } = fromRaw({});
const options = optionsFor(allRules, config);

const isResource = (v: unknown): v is Resource =>
  !!v && typeof v === 'object' && typeof (v as Resource).id === 'string' && typeof (v as Resource).position === 'function';

/** A value as plain data: resources by id (their functions are closures of one load), everything else as it is. */
function plain(v: unknown, seen = new Set<unknown>()): unknown {
  if (isResource(v)) return { resource: v.id };
  if (!v || typeof v !== 'object') return typeof v === 'function' ? '<function>' : v;
  if (seen.has(v)) return '<cycle>';
  seen.add(v);
  const out = Array.isArray(v) ? v.map((x) => plain(x, seen)) : Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x, seen)]));
  seen.delete(v);
  return out;
}

function finding(f: Finding) {
  const { report, ...fields } = f;
  return { ...fields, report: plain(report) };
}

function files(repo: Repo) {
  return repo.files.map((f) => ({
    ...f,
    resources: f.resources.map((r) => ({
      id: r.id,
      file: r.file,
      doc: r.doc,
      apiVersion: r.apiVersion,
      group: r.group,
      kind: r.kind,
      name: r.name,
      namespace: r.namespace,
      data: r.data,
    })),
  }));
}

/** Load `dir` on one thread and on two (the worker reading at least one batch); scan both. */
async function both(dir: string) {
  const single = loadRepo(dir, { settings });
  const workerFiles = threadWork.workerFiles;
  const threaded = await loadRepoAsync(dir, { settings, threads: 2 });
  expect(threadWork.workerFiles, 'a worker thread read some of the files').toBeGreaterThan(workerFiles);
  return {
    single: { files: files(single), findings: scan(single, allRules, options).map(finding) },
    threaded: { files: files(threaded), findings: scan(threaded, allRules, options).map(finding) },
  };
}

describe('scan equality: worker threads against one thread', () => {
  it('example repository', { timeout: 60_000 }, async () => {
    const { single, threaded } = await both(join(ROOT, 'fixtures', 'example-repo'));
    expect(single.findings.length).toBeGreaterThan(0);
    expect(threaded.files).toEqual(single.files);
    expect(threaded.findings).toEqual(single.findings);
  });

  const why = missing('corpus');
  describe.skipIf(why)(skipTitle('corpus (../shared/corpus)', why), () => {
    for (const dir of corpusRepos()) {
      it(basename(dir), { timeout: 120_000 }, async () => {
        const { single, threaded } = await both(dir);
        expect(threaded.files).toEqual(single.files);
        expect(threaded.findings).toEqual(single.findings);
      });
    }
  });
});

describe('parser threads and cancellation', () => {
  it('an aborted load rejects with CancelledError before reading every file, and stops its worker threads', { timeout: 60_000 }, async () => {
    const dir = tempDir();
    const n = 2000;
    writeTree(dir, new Map(Array.from({ length: n }, (_, i) => [`apps/app-${i}.yaml`, `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app-${i}\n`])));
    const controller = new AbortController();
    let reported = 0;
    const load = loadRepoAsync(
      dir,
      {
        settings,
        threads: 2,
        onProgress: (p) => {
          reported = Math.max(reported, p.done);
          controller.abort(new CancelledError('SIGINT'));
        },
      },
      controller.signal,
    );
    await expect(load).rejects.toThrow(CancelledError);
    expect(reported).toBeGreaterThan(0);
    expect(reported).toBeLessThan(n);
    expect(threadWork.running).toBe(0);
  });
});
