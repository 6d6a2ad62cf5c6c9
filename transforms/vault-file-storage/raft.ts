/** The storage edit of vault-file-storage. */
import { parseHcl, vaultStorage } from '../../src/kit/index.js';

/** `storage "file"` becomes `storage "raft"` (label changed in place: its path, comments and layout stay). */
export function vaultFileToRaft(text: string): string {
  const storage = vaultStorage(parseHcl(text));
  if (!storage || storage.labels[0] !== 'file') throw new Error('no storage "file" stanza');
  const header = text.slice(storage.range.start, storage.bodyRange.start);
  const m = /^(storage\s*)("file"|file)/.exec(header);
  if (!m) throw new Error('cannot locate the storage label');
  const at = storage.range.start + m[1]!.length;
  return text.slice(0, at) + '"raft"' + text.slice(at + m[2]!.length);
}
