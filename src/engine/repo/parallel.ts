/**
 * Reading and parsing files on several threads: the pure per-file work of the loader (read, decode, parse, classify,
 * documents to plain data) split in batches over this thread and worker threads. The workers send plain data
 * (structured clone); the loader builds the Repo from it in its usual sorted order, so the Repo is the one a single
 * thread builds. Imported only when a load is large enough to use threads.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { parseWork } from '../../kit/parse-work.js';
import { throwIfCancelled } from '../cancel.js';
import type { OnProgress } from '../progress.js';
import type { ParseReply, ParseRequest } from './parse-worker.js';
import { readCompact, type CompactFile } from './resources.js';

/**
 * How to start a worker: the compiled `parse-worker.js` next to this file; or, when this module runs from its
 * TypeScript source (tests, tsx), a small script that loads `parse-worker.ts` through tsx's `tsImport` (a worker
 * thread does not inherit a runner's module hooks, so tsx itself must be found: it is a development dependency).
 */
function workerStart(): { script: URL | string; eval: boolean } {
  if (!import.meta.url.endsWith('.ts')) return { script: new URL('./parse-worker.js', import.meta.url), eval: false };
  // The ESM entry of `tsx/esm/api` (createRequire resolves the CommonJS one), by the package's own exports map.
  const pkg = createRequire(import.meta.url).resolve('tsx/package.json');
  const entry = (JSON.parse(readFileSync(pkg, 'utf8')) as { exports: Record<string, { import: { default: string } }> }).exports['./esm/api']!.import.default;
  const api = pathToFileURL(join(dirname(pkg), entry)).href;
  const worker = new URL('./parse-worker.ts', import.meta.url).href;
  return { script: `import(${JSON.stringify(api)}).then((m) => m.tsImport(${JSON.stringify(worker)}, ${JSON.stringify(worker)}));`, eval: true };
}

/**
 * Work done by parallel reads in this process: batches, the files worker threads read, and the worker threads
 * running now (none once a read has resolved or rejected). Tests check it.
 */
export const threadWork = { batches: 0, workerFiles: 0, running: 0 };

/** Files per batch: small enough to share the work evenly, large enough that messages stay few. */
function batchSize(files: number, threads: number): number {
  return Math.max(1, Math.min(64, Math.ceil(files / (threads * 8))));
}

/**
 * Read, parse and classify `paths` (relative to `root`) on `threads` threads: this one and `threads - 1` worker
 * threads, all taking batches from one queue. Resolves to each path's compact file (null when it is gone); rejects
 * with a CancelledError as soon as `signal` is aborted, the workers terminated.
 */
export async function readParallel(
  root: string,
  paths: readonly string[],
  threads: number,
  signal?: AbortSignal,
  onProgress?: OnProgress,
): Promise<Map<string, CompactFile | null>> {
  throwIfCancelled(signal);
  const size = batchSize(paths.length, threads);
  const batches: string[][] = [];
  for (let i = 0; i < paths.length; i += size) batches.push(paths.slice(i, i + size));
  const out = new Map<string, CompactFile | null>();
  const workers: Worker[] = [];
  let next = 0;
  let answered = 0;
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  const rouse = () => {
    wake?.();
    wake = undefined;
  };
  const fail = (e: Error | undefined) => {
    failure ??= e;
    rouse();
  };
  const done = () => {
    answered++;
    threadWork.batches++;
    onProgress?.({ stage: 'load', done: out.size, total: paths.length });
  };
  const send = (w: Worker) => {
    if (next >= batches.length) return;
    const req: ParseRequest = { batch: next, paths: batches[next++]! };
    w.postMessage(req);
  };
  const onAbort = () => fail(undefined);
  signal?.addEventListener('abort', onAbort);
  try {
    const start = workerStart();
    for (let t = 1; t < Math.min(threads, batches.length); t++) {
      const w = new Worker(start.script, { workerData: { root }, eval: start.eval });
      workers.push(w);
      threadWork.running++;
      w.on('message', (reply: ParseReply) => {
        batches[reply.batch]!.forEach((p, i) => out.set(p, reply.files[i] ?? null));
        parseWork.parses += reply.parses;
        parseWork.chars += reply.chars;
        threadWork.workerFiles += reply.files.length;
        done();
        send(w);
        rouse();
      });
      w.on('error', fail);
      w.on('exit', (code) => {
        threadWork.running--;
        if (answered < batches.length) fail(new Error(`a parser thread stopped (exit code ${code}) before it answered`));
      });
      // Two batches in flight per worker: it never waits for this thread to send the next one.
      send(w);
      send(w);
    }
    // This thread takes its share, with a turn of the event loop between batches for the workers' answers.
    while (answered < batches.length) {
      throwIfCancelled(signal);
      if (failure) throw failure;
      if (next < batches.length) {
        const batch = batches[next++]!;
        for (const p of batch) out.set(p, readCompact(root, p));
        done();
        await new Promise<void>((r) => setImmediate(r));
      } else await new Promise<void>((r) => (wake = r));
    }
    throwIfCancelled(signal);
    if (failure) throw failure;
    return out;
  } finally {
    signal?.removeEventListener('abort', onAbort);
    await Promise.all(workers.map((w) => w.terminate()));
  }
}
