import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, lstatSync, mkdirSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { GitopsFixError, ioReason } from './errors.js';

/** Write through a temp file in the same directory and rename; keeps the mode of an existing file (and writes through a symlink). */
export function atomicWrite(path: string, text: string): void {
  let tmp: string | undefined;
  try {
    let target = path;
    if (existsSync(path) && lstatSync(path).isSymbolicLink()) target = realpathSync(path);
    mkdirSync(dirname(target), { recursive: true });
    const mode = existsSync(target) ? statSync(target).mode & 0o7777 : undefined;
    tmp = join(dirname(target), `.${basename(target)}.gitops-fix-${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
    writeFileSync(tmp, text, mode === undefined ? {} : { mode });
    if (mode !== undefined) chmodSync(tmp, mode);
    renameSync(tmp, target);
  } catch (e) {
    if (tmp) rmSync(tmp, { force: true });
    throw new GitopsFixError('write-failed', `${path}: cannot be written (${ioReason(e)})`);
  }
}
