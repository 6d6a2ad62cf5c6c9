/**
 * The Change interpreter: applies a rule's changes (set, merge, delete, append, create, createText,
 * addKustomizeResource) to an in-memory overlay of the repository, all or nothing per finding, editing YAML through
 * the splice editor one document at a time. Nothing is written to disk.
 */
import { isAlias, isMap, isScalar, isSeq, parseAllDocuments, visit, type Document } from 'yaml';
import { countParse, type Change, type Repo, type Rule } from '../kit/index.js';
import { GitopsFixError } from './errors.js';
import type { FileChange } from './plan.js';
import { joinPath, KUSTOMIZE_FILE_NAMES } from '../kit/data.js';
import { renderFile } from './template.js';
import { appendToSeq, deleteKey, EditRefusedError, mergeValue, parseDocs, setValue } from './yaml-edit/index.js';

/** The files as the changes planned so far leave them, and what they held before. */
export class Overlay {
  readonly current = new Map<string, string>();
  readonly original = new Map<string, string | null>();
  constructor(private readonly repo: Repo) {}
  read(path: string): string | null {
    if (this.current.has(path)) return this.current.get(path)!;
    const f = this.repo.file(path);
    if (f) return f.status === 'parsed' ? f.text : null;
    return null;
  }
  exists(path: string): boolean {
    return this.current.has(path) || this.repo.exists(path);
  }
  write(path: string, text: string): void {
    if (!this.original.has(path)) this.original.set(path, this.repo.file(path) ? this.repo.file(path)!.text : null);
    this.current.set(path, text);
  }
  snapshot(): Map<string, string> {
    return new Map(this.current);
  }
  restore(snap: Map<string, string>): void {
    for (const k of [...this.current.keys()])
      if (!snap.has(k)) {
        this.current.delete(k);
        this.original.delete(k);
      }
    for (const [k, v] of snap) this.current.set(k, v);
  }
}

export /**
 * Where each document of a multi-document file starts and ends, kept up to date as edits change one document at
 * a time: an edit then reads, edits and verifies only its own document, not the whole file, so that planning many
 * fixes in one large file costs in proportion to the fixes, not to fixes × file size. A document's part runs from
 * the end of the previous document (its `---` and directives included) to its own end; it is used alone only when
 * it reads, alone, as the same document (checked once per document; after an edit the editor has verified it).
 */
class DocumentIndex {
  private readonly files = new Map<string, { text: string; bounds: number[]; docs: Document.Parsed[]; checked: Set<number> }>();

  /** The part of `text` (the current text of `path`) that holds document `doc`, or undefined to edit the whole text. */
  span(path: string, text: string, doc: number): [number, number] | undefined {
    let e = this.files.get(path);
    if (!e || e.text !== text) {
      const docs = documentsOf(text);
      if (!docs) {
        this.files.delete(path);
        return undefined;
      }
      e = { text, bounds: [0, ...docs.map((d) => d.range[2])], docs, checked: new Set() };
      this.files.set(path, e);
    }
    const start = e.bounds[doc];
    const end = e.bounds[doc + 1];
    if (start === undefined || end === undefined) return undefined;
    if (!e.checked.has(doc)) {
      if (!readsAlone(text.slice(start, end), e.docs[doc]!)) return undefined;
      e.checked.add(doc);
    }
    return [start, end];
  }

  /** Document `doc` of `path` was replaced by `part`: the new text is `text`; later documents moved by the difference. */
  edited(path: string, text: string, doc: number, oldLength: number, part: string): void {
    const e = this.files.get(path);
    if (!e) return;
    const delta = part.length - oldLength;
    for (let i = doc + 1; i < e.bounds.length; i++) e.bounds[i]! += delta;
    e.text = text;
    e.checked.add(doc); // the editor verified the new part alone
  }
}

/** The documents of a multi-document text (undefined for one document, or when the text does not parse). */
function documentsOf(text: string): Document.Parsed[] | undefined {
  // A second document starts after a `---` or `...` marker at the start of a line (not the first line): without one
  // the text holds at most one document, and parsing it would only say so.
  if (!/\n(?:---|\.\.\.)(?:[ \t\r\n]|$)/.test(text)) return undefined;
  let docs: Document.Parsed[];
  try {
    countParse(text);
    docs = parseAllDocuments(text, { logLevel: 'silent' }) as Document.Parsed[];
  } catch {
    return undefined;
  }
  if (!Array.isArray(docs) || docs.length < 2 || docs.some((d) => d.errors.length)) return undefined;
  return docs;
}

/** Does `part` read, alone, as the document `doc` (parsed with the whole text)? */
function readsAlone(part: string, doc: Document.Parsed): boolean {
  try {
    const alone = parseDocs(part);
    return alone.length === 1 && JSON.stringify(alone[0]!.toJS({ maxAliasCount: -1 })) === JSON.stringify(doc.toJS({ maxAliasCount: -1 }));
  } catch {
    return false;
  }
}

export /** Apply one finding's changes to the overlay; all or nothing. Returns what changed. */
function applyChanges(overlay: Overlay, repo: Repo, rule: Rule, changes: readonly Change[], index: DocumentIndex): FileChange[] {
  const staged = new Map<string, string>();
  const read = (p: string) => (staged.has(p) ? staged.get(p)! : overlay.read(p));
  const exists = (p: string) => staged.has(p) || overlay.exists(p);
  for (const c of changes) {
    if (c.op === 'create' || c.op === 'createText') {
      const ownNew = c.op === 'createText' && c.replace && overlay.original.has(c.file) && overlay.original.get(c.file) === null;
      if (exists(c.file) && !ownNew) throw new GitopsFixError('write-failed', `${c.file} already exists; not overwritten`);
      const text = c.op === 'create' ? renderFile(rule.meta.id, c.templates, c.vars, c.todo, repo.root) : c.text;
      staged.set(c.file, text);
      continue;
    }
    if (c.op === 'addKustomizeResource') {
      const k = repo.flux.kustomizeFile(c.dir);
      const kPath = k?.file ?? KUSTOMIZE_FILE_NAMES.map((n) => joinPath(c.dir, n)).find((p) => staged.has(p));
      if (!kPath) continue; // Flux builds directories without a kustomization.yaml from every manifest in them
      const text = read(kPath);
      if (text === null) continue;
      const current = k?.get(['resources']);
      if (Array.isArray(current) && current.some((e) => typeof e === 'string' && joinPath(c.dir, e) === joinPath(c.dir, c.entry))) continue;
      staged.set(
        kPath,
        editDocument(index, kPath, text, k?.doc ?? 0, (part, o) => appendToSeq(part, ['resources'], c.entry, o)),
      );
      continue;
    }
    const res = c.resource;
    const text = read(res.file);
    if (text === null) throw new GitopsFixError('write-failed', `${res.file} cannot be edited (not a parsed YAML file)`);
    const next = editDocument(index, res.file, text, res.doc, (part, o) => {
      if (c.op === 'set' || c.op === 'merge') refuseSharedAnchor(part, o.doc, c.path);
      if (c.op === 'set') return setValue(part, c.path, c.value, c.comment ? { ...o, comment: c.comment } : o);
      if (c.op === 'merge') return mergeValue(part, c.path, c.value, o);
      if (c.op === 'delete') return deleteKey(part, c.path, o);
      return appendToSeq(part, c.path, c.value, o);
    });
    staged.set(res.file, next);
  }
  const files: FileChange[] = [];
  for (const [p, t] of staged) {
    const before = overlay.exists(p) ? overlay.read(p) : null;
    if (before !== t) files.push({ path: p, before, after: t });
    overlay.write(p, t);
  }
  return files.sort((a, b) => a.path.localeCompare(b.path));
}

/** Edit document `doc` of a file: only its own part of the text when it can be read alone, else the whole text. */
function editDocument(index: DocumentIndex, path: string, text: string, doc: number, edit: (part: string, o: { doc: number }) => string): string {
  const span = index.span(path, text, doc);
  if (!span) return edit(text, { doc });
  const part = text.slice(span[0], span[1]);
  const edited = edit(part, { doc: 0 });
  if (edited === part) return text;
  const next = text.slice(0, span[0]) + edited + text.slice(span[1]);
  index.edited(path, next, doc, part.length, edited);
  return next;
}

/** The files a finding's changes touch. */
export function touchedPaths(changes: readonly Change[], repo: Repo): string[] {
  return changes.map((c) => {
    if (c.op === 'create' || c.op === 'createText') return c.file;
    if (c.op === 'addKustomizeResource') return repo.flux.kustomizeFile(c.dir)?.file ?? joinPath(c.dir, 'kustomization.yaml');
    return c.resource.file;
  });
}

/**
 * A fix must change one place. Editing a node that carries an `&anchor` other places reuse through `*aliases`
 * would silently change those too, so such an edit is refused: the person decides.
 */
function refuseSharedAnchor(text: string, docIndex: number, path: readonly (string | number)[]): void {
  // A shared anchor needs an `&anchor` and an `*alias`: a text without both characters has none to protect.
  if (!text.includes('&') || !text.includes('*')) return;
  const docs = parseDocs(text);
  let node: unknown = docs[docIndex]?.contents;
  for (const seg of path) {
    if (isMap(node)) node = node.items.find((p) => (isScalar(p.key) ? String(p.key.value) : String(p.key)) === String(seg))?.value;
    else if (isSeq(node) && typeof seg === 'number') node = node.items[seg];
    else return;
    const anchor = (node as { anchor?: string } | undefined)?.anchor;
    if (!anchor) continue;
    let used = false; // anchors are scoped to their document
    visit(docs[docIndex]!, {
      Alias(_, a) {
        if (isAlias(a) && a.source === anchor) {
          used = true;
          return visit.BREAK;
        }
        return undefined;
      },
    });
    if (used) {
      throw new EditRefusedError(
        `${path.join('.')}: the value carries anchor &${anchor}, which *${anchor} reuses elsewhere; changing it here would change those places too. Edit it by hand.`,
        path,
      );
    }
  }
}
