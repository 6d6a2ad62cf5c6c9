/** Questions about a parsed Vault configuration: its blocks and attributes, and how Vault reads a boolean. */
import type { HclAttribute, HclBlock, HclBlockRef, HclDoc } from './parse.js';

/** Blocks of `type` (and first label `label`, when given) directly inside `container`. */
export function findBlocks(container: HclDoc | HclBlock, type: string, label?: string): HclBlock[] {
  return container.blocks.filter((b) => b.type === type && (label === undefined || b.labels[0] === label));
}

/** The attribute `name` directly inside `container` (the last one when it is repeated). */
export function getAttribute(container: HclBlock | HclDoc, name: string): HclAttribute | undefined {
  const all = container.attributes.filter((a) => a.name === name);
  return all[all.length - 1];
}

/** Every block `ref` selects (none when a parent is missing). */
export function matchBlocks(doc: HclDoc, ref: HclBlockRef): HclBlock[] {
  const containers: (HclDoc | HclBlock)[] = ref.parent ? matchBlocks(doc, ref.parent) : [doc];
  return containers.flatMap((c) => findBlocks(c, ref.type, ref.label));
}

/** The single block `ref` selects; throws when none or several match. */
export function resolveBlock(doc: HclDoc, ref: HclBlockRef): HclBlock {
  const found = matchBlocks(doc, ref);
  if (found.length === 1) return found[0]!;
  const where = ref.parent ? ` inside ${refName(ref.parent)}` : '';
  if (found.length === 0) throw new Error(`no ${refName(ref)} block${where}`);
  throw new Error(`${found.length} ${refName(ref)} blocks${where}; the edit is ambiguous`);
}

function refName(ref: HclBlockRef): string {
  return ref.label === undefined ? ref.type : `${ref.type} "${ref.label}"`;
}

/** Vault's reading of a boolean option (Go ParseBool for strings, non-zero for numbers): tls_disable = 1 / true / "true". */
export function isTruthyHcl(v: unknown): boolean {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'string') return ['1', 't', 'T', 'true', 'TRUE', 'True'].includes(v);
  return false;
}
