/** What changes in the cluster: an object-level diff of two renders, then a unified diff of each changed object. */
import { createTwoFilesPatch } from 'diff';
import { objectKey, objectLabel, objectYaml, type K8sObject } from './objects.js';

export interface ChangedObject {
  readonly before: K8sObject;
  readonly after: K8sObject;
  /** Unified diff of the object's YAML (headers `a/<Kind/ns/name>`, `b/...`). */
  readonly diff: string;
}

export interface ObjectDiff {
  readonly added: readonly K8sObject[];
  readonly removed: readonly K8sObject[];
  readonly changed: readonly ChangedObject[];
  readonly unchanged: number;
}

function byKey(objs: readonly K8sObject[]): Map<string, K8sObject> {
  const m = new Map<string, K8sObject>();
  // A key rendered twice is a duplicate the checks report; the diff compares the last one, as `kubectl apply` leaves it.
  for (const o of objs) m.set(objectKey(o), o);
  return m;
}

function order(a: K8sObject, b: K8sObject): number {
  return objectLabel(a).localeCompare(objectLabel(b));
}

export function diffObjects(before: readonly K8sObject[], after: readonly K8sObject[], context = 3): ObjectDiff {
  const b = byKey(before);
  const a = byKey(after);
  const added: K8sObject[] = [];
  const removed: K8sObject[] = [];
  const changed: ChangedObject[] = [];
  let unchanged = 0;
  for (const [k, o] of a) {
    const prev = b.get(k);
    if (!prev) {
      added.push(o);
      continue;
    }
    const x = objectYaml(prev);
    const y = objectYaml(o);
    if (x === y) {
      unchanged++;
      continue;
    }
    const label = objectLabel(o);
    const diff = createTwoFilesPatch(`a/${label}`, `b/${label}`, x, y, undefined, undefined, { context })
      .split('\n')
      .filter((l) => !l.startsWith('====='))
      .join('\n');
    changed.push({ before: prev, after: o, diff: diff.endsWith('\n') ? diff : `${diff}\n` });
  }
  for (const [k, o] of b) if (!a.has(k)) removed.push(o);
  return { added: added.sort(order), removed: removed.sort(order), changed: changed.sort((x, y) => order(x.after, y.after)), unchanged };
}

export function isEmptyDiff(d: ObjectDiff): boolean {
  return !d.added.length && !d.removed.length && !d.changed.length;
}

/** `+2 added, -1 removed, ~3 changed` (or `no change`). */
export function diffSummary(d: ObjectDiff): string {
  const parts = [
    d.added.length && `+${d.added.length} added`,
    d.removed.length && `-${d.removed.length} removed`,
    d.changed.length && `~${d.changed.length} changed`,
  ].filter(Boolean);
  return parts.length ? parts.join(', ') : 'no change';
}

export interface FormattedDiff {
  readonly text: string;
  /** Changed objects whose diff was left out, and diff lines left out, to stay within the cap. */
  readonly omittedObjects: number;
  readonly omittedLines: number;
}

/**
 * The diff as text: one line per added, removed and changed object, then the unified diffs of the changed objects,
 * cut at `maxLines` lines (with a count of what was left out). Added objects are listed, not printed whole.
 */
export function formatObjectDiff(d: ObjectDiff, maxLines = Number.POSITIVE_INFINITY): FormattedDiff {
  const lines: string[] = [];
  for (const o of d.added) lines.push(`+ ${objectLabel(o)}`);
  for (const o of d.removed) lines.push(`- ${objectLabel(o)}`);
  for (const c of d.changed) lines.push(`~ ${objectLabel(c.after)}`);
  let omittedObjects = 0;
  let omittedLines = 0;
  for (const c of d.changed) {
    const body = c.diff.trimEnd().split('\n');
    if (lines.length + body.length > maxLines) {
      omittedObjects++;
      omittedLines += body.length;
      continue;
    }
    lines.push(...body);
  }
  if (lines.length > maxLines) {
    omittedLines += lines.length - maxLines;
    lines.length = maxLines;
  }
  if (omittedObjects || omittedLines) {
    lines.push(
      `… ${omittedObjects ? `${omittedObjects} changed object${omittedObjects === 1 ? '' : 's'}, ` : ''}${omittedLines} line${omittedLines === 1 ? '' : 's'} left out`,
    );
  }
  return { text: lines.join('\n'), omittedObjects, omittedLines };
}
