/**
 * A worker thread of the parallel loader: reads, parses and classifies the files it is sent and answers with them
 * as plain data (`CompactFile`), to be rebuilt into Resources on the main thread. Loaded only in worker threads.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { parseWork } from '../../kit/parse-work.js';
import { readCompact, type CompactFile } from './resources.js';

/** A batch of repository-relative paths to read, by its number. */
export interface ParseRequest {
  readonly batch: number;
  readonly paths: readonly string[];
}

/** A batch's files, in the order of its paths (null: the file is gone), and the parsing work it took. */
export interface ParseReply {
  readonly batch: number;
  readonly files: readonly (CompactFile | null)[];
  readonly parses: number;
  readonly chars: number;
}

const root = (workerData as { root: string }).root;
const port = parentPort!;

port.on('message', (req: ParseRequest) => {
  const before = { ...parseWork };
  const files = req.paths.map((p) => readCompact(root, p));
  const reply: ParseReply = { batch: req.batch, files, parses: parseWork.parses - before.parses, chars: parseWork.chars - before.chars };
  port.postMessage(reply);
});
