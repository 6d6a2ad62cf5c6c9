/**
 * Reading a listed file safely: one open, one fstat and one read for a regular file; symbolic links followed only
 * inside the repository; FIFOs, devices and directories named like YAML refused without blocking.
 */
import { closeSync, constants, fstatSync, lstatSync, openSync, readFileSync, realpathSync } from 'node:fs';
import { classifyFile, MAX_FILE_BYTES, skipped, type Classified } from './classify.js';
import { isInside } from './list.js';

function ioProblem(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied: make it readable, or remove it';
  return `cannot be read (${code ?? (e as Error).message})`;
}

const NOFOLLOW = constants.O_NOFOLLOW ?? 0;
// Never block on a FIFO named like YAML: it is opened without waiting for a writer, then refused as not a file.
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);

/**
 * Undefined when the file is gone (listed by git but deleted from the work tree). A regular file costs one open,
 * one fstat and one read: opening with O_NOFOLLOW fails (ELOOP) on a symbolic link, which is then resolved and
 * read only when it stays inside the repository.
 */
export function readAndClassify(root: string, abs: string, path: string): Classified | undefined {
  let fd: number;
  try {
    if (!NOFOLLOW && lstatSync(abs).isSymbolicLink()) throw Object.assign(new Error('symbolic link'), { code: 'ELOOP' });
    fd = openSync(abs, OPEN_FLAGS | NOFOLLOW);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code !== 'ELOOP') return skipped(path, 0, 'unreadable', ioProblem(e));
    let real: string;
    try {
      real = realpathSync(abs);
    } catch (e2) {
      const code2 = (e2 as NodeJS.ErrnoException).code;
      if (code2 === 'ELOOP') return skipped(path, 0, 'symlink-loop', 'symbolic link loop: fix or remove the link');
      return skipped(path, 0, 'unreadable', `broken symbolic link (${code2}): fix or remove the link`);
    }
    if (!isInside(root, real)) return skipped(path, 0, 'symlink-outside-root', `symbolic link to ${real}, outside the repository: not read`);
    try {
      fd = openSync(real, OPEN_FLAGS);
    } catch (e3) {
      return skipped(path, 0, 'unreadable', ioProblem(e3));
    }
  }
  let size = 0;
  try {
    const st = fstatSync(fd);
    size = st.size;
    if (!st.isFile()) return skipped(path, 0, 'unreadable', 'not a regular file (a directory, FIFO or device named like YAML)');
    if (size > MAX_FILE_BYTES) return classifyFile(path, undefined, size);
    const buf = readFileSync(fd);
    return classifyFile(path, buf, buf.length);
  } catch (e) {
    return skipped(path, size, 'unreadable', ioProblem(e));
  } finally {
    closeSync(fd);
  }
}
