import { countParse, type Change, type FixOutput, type Repo, type Rule } from '../kit/index.js';
import { isAlias, isMap, isScalar, isSeq, parseAllDocuments, visit, type Document } from 'yaml';
import { appendToSeq, deleteKey, EditRefusedError, mergeValue, parseDocs, setValue } from './yaml-edit/index.js';
import { joinPath } from './repo/paths.js';
import { duplicateObjects } from './input-findings.js';
import { runAsync, runSync, type Steps } from './cancel.js';
import { loadRepoSteps } from './repo/load.js';
import { canonicalOrder, ruleById } from './registry.js';
import { detectRuleSteps, type Finding } from './scan.js';
import { renderFile } from './template.js';
import { GitopsFixError } from './errors.js';

/** One file's change within one rule's commit. `before` is null for a new file. */
export interface FileChange {
  readonly path: string;
  readonly before: string | null;
  readonly after: string;
}

export interface FixRecord {
  readonly finding: Finding;
  readonly summary: string;
  /** What this one fix changed, on top of the fixes before it (the picker shows it as a diff). */
  readonly files: readonly FileChange[];
}

export interface DroppedFix {
  readonly finding?: Finding;
  readonly reason: string;
}

export interface RulePlan {
  readonly rule: Rule;
  readonly findings: readonly Finding[];
  /** Findings whose fix was applied. */
  readonly fixed: readonly FixRecord[];
  /** Fixes refused (verification failed, finding persisted): never written. */
  readonly dropped: readonly DroppedFix[];
  /** Fixes that did not run (missing options, no automatic fix) with the reason. */
  readonly skipped: readonly DroppedFix[];
  readonly files: readonly FileChange[];
  readonly notes: readonly string[];
  readonly warnings: readonly string[];
  /** Rules pulled in by `requires`, with the rule that required them. */
  readonly requiredBy?: string;
}

export interface Plan {
  readonly root: string;
  readonly rules: readonly RulePlan[];
  /** Final content of every touched file (null: the file does not exist). */
  readonly finalFiles: ReadonlyMap<string, string>;
  /** Original content of every touched file (null for files created by the plan). */
  readonly originalFiles: ReadonlyMap<string, string | null>;
}

export interface PlanOptions {
  readonly rules: readonly Rule[];
  readonly options: ReadonlyMap<string, unknown>;
  /** Findings to leave alone (suppressed, or deselected in the picker): `ruleId file#doc messageId`. */
  readonly exclude?: (f: Finding) => boolean;
}

/** Stable identity of a finding across re-detection (positions shift when earlier edits add lines). */
export function findingKey(f: Finding): string {
  const r = f.report?.resource;
  return `${f.ruleId}|${r ? r.id : f.file}|${f.messageId}|${(f.report?.path ?? []).join('.')}`;
}

/** Add the rules that selected rules `require`. Returns the closed set and who pulled what in. */
export function withRequired(selected: readonly Rule[]): { rules: Rule[]; requiredBy: Map<string, string> } {
  const out = new Map(selected.map((r) => [r.meta.id, r]));
  const requiredBy = new Map<string, string>();
  const queue = [...selected];
  while (queue.length) {
    const r = queue.shift()!;
    for (const id of r.meta.requires ?? []) {
      const dep = ruleById(id);
      if (!dep || out.has(id)) continue;
      out.set(id, dep);
      requiredBy.set(id, r.meta.id);
      queue.push(dep);
    }
  }
  return { rules: canonicalOrder([...out.values()]), requiredBy };
}

/** A finding of a rule that was not fixed, for the rules that go with it. */
interface Unfixed {
  readonly key: string;
  readonly subject: string | undefined;
  readonly reason: string;
}

class Overlay {
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

function normalise(out: readonly Change[] | FixOutput): FixOutput {
  return Array.isArray(out) ? { changes: out as readonly Change[] } : (out as FixOutput);
}

function describe(e: unknown): string {
  return e instanceof EditRefusedError || e instanceof GitopsFixError ? e.message : `unexpected error: ${(e as Error).message}`;
}

/**
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

/** Apply one finding's changes to the overlay; all or nothing. Returns what changed. */
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
      const kPath = k?.file ?? ['kustomization.yaml', 'kustomization.yml', 'Kustomization'].map((n) => joinPath(c.dir, n)).find((p) => staged.has(p));
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

/**
 * Plans fixes rule by rule in canonical order, each on the result of the previous ones. After each rule the
 * repository is re-loaded in memory and re-detected: a fix whose finding persists, or that leaves a file
 * unparseable, is dropped with a reason and the rule is planned again without it. Nothing is written to disk.
 *
 * `planFixes` runs every rule at once; the CLI steps through `Planner.planNext()` to show progress per rule.
 */
export class Planner {
  /** The rules to plan, in order (the selection plus what it `requires`). */
  readonly rules: readonly Rule[];
  private readonly requiredBy: Map<string, string>;
  private overlay: Overlay;
  private readonly documents = new DocumentIndex();
  private current: Repo;
  private plans: RulePlan[] = [];
  /** Per planned rule: its findings that were not fixed (dropped, skipped or left out). */
  private unfixed = new Map<string, Unfixed[]>();
  /** Fixes dropped because a fix they require was not made: finding key → reason and the rule that caused it. */
  private readonly forced = new Map<string, { reason: string; by: string }>();
  /** How many times planning started over (a fix planned earlier had to be dropped with one planned later). */
  restarts = 0;
  /** Objects defined twice in one build: fixed in neither copy (resource id → where the other copy is). */
  private readonly duplicates: ReadonlyMap<string, string>;

  constructor(
    private readonly repo: Repo,
    private readonly opts: PlanOptions,
  ) {
    const closed = withRequired(opts.rules);
    this.rules = closed.rules;
    this.requiredBy = closed.requiredBy;
    this.overlay = new Overlay(repo);
    this.current = repo;
    this.duplicates = new Map(duplicateObjects(repo).map((d) => [d.resource.id, `${d.other.file}:${d.other.position().line}`]));
  }

  /** The rules `rule` requires, among those planned. */
  private required(rule: Rule): Rule[] {
    const ids = rule.meta.requires ?? [];
    return this.rules.filter((r) => r !== rule && ids.includes(r.meta.id));
  }

  /** Why `finding` (of `rule`) must not be fixed: the fix of a rule it requires was not made for the same subject. */
  private partnerProblem(rule: Rule, finding: Finding): { reason: string; by: string } | undefined {
    const subject = finding.report?.subject;
    for (const other of this.required(rule)) {
      for (const u of this.unfixed.get(other.meta.id) ?? []) {
        if (subject === undefined || u.subject !== subject) continue; // only fixes for the same subject go together
        if (this.forced.get(u.key)?.by === rule.meta.id) continue; // dropped because of this very rule (a pair)
        return {
          by: other.meta.id,
          reason: `${rule.meta.id} requires ${other.meta.id}, and that rule's fix here was not made (${u.reason}): not applied without it`,
        };
      }
    }
    return undefined;
  }

  /** Fixes of rules planned before `rule` that require a fix `rule` did not make: drop them (then plan again). */
  private dropPartnersOf(rule: Rule): boolean {
    let more = false;
    for (const rp of this.plans) {
      if (!this.required(rp.rule).includes(rule)) continue;
      for (const x of rp.fixed) {
        const key = findingKey(x.finding);
        if (this.forced.has(key)) continue;
        const problem = this.partnerProblem(rp.rule, x.finding);
        if (problem) {
          this.forced.set(key, problem);
          more = true;
        }
      }
    }
    return more;
  }

  private reset(): void {
    this.overlay = new Overlay(this.repo);
    this.current = this.repo;
    this.plans = [];
    this.unfixed = new Map();
  }

  get done(): boolean {
    return this.plans.length >= this.rules.length;
  }

  /** The repository as it is after the rules planned so far. */
  get repoAfter(): Repo {
    return this.current;
  }

  /** Plan the next rule; returns its plan. */
  planNext(): RulePlan {
    return runSync(this.planNextSteps());
  }

  /** planNext that gives the event loop a turn between fixes and stops with a CancelledError when `signal` is aborted. */
  planNextAsync(signal?: AbortSignal): Promise<RulePlan> {
    return runAsync(this.planNextSteps(), signal);
  }

  private *planNextSteps(): Steps<RulePlan> {
    const index = this.plans.length;
    const rule = this.rules[index];
    if (!rule) throw new Error('planNext() called after the last rule');
    let plan = yield* this.planRule(rule);
    this.plans.push(plan);
    // A fix this rule did not make takes the fixes of earlier rules that require it along: plan those rules again without them.
    while (this.dropPartnersOf(rule)) {
      this.restarts++;
      this.reset();
      for (let i = 0; i <= index; i++) {
        plan = yield* this.planRule(this.rules[i]!);
        this.plans.push(plan);
      }
    }
    return plan;
  }

  result(): Plan {
    while (!this.done) this.planNext();
    return this.plan();
  }

  async resultAsync(signal?: AbortSignal): Promise<Plan> {
    while (!this.done) await this.planNextAsync(signal);
    return this.plan();
  }

  private plan(): Plan {
    return { root: this.repo.root, rules: [...this.plans], finalFiles: new Map(this.overlay.current), originalFiles: new Map(this.overlay.original) };
  }

  private *planRule(rule: Rule): Steps<RulePlan> {
    const options = this.opts.options.get(rule.meta.id);
    const detected = yield* detectRuleSteps(this.current, rule, options);
    const findings = detected.filter((f) => !this.opts.exclude?.(f));
    const unfixed: Unfixed[] = detected
      .filter((f) => this.opts.exclude?.(f))
      .map((f) => ({ key: findingKey(f), subject: f.report?.subject, reason: 'left out (suppressed, or not selected)' }));
    // Fixes that require a fix not made for the same subject are never applied. The rule is still asked: when it
    // makes no fix for the finding, its own reason stands (skipped); a fix it makes is dropped with this reason.
    const withoutPartner = new Map<string, string>();
    for (const f of findings) {
      const key = findingKey(f);
      const problem = this.forced.get(key) ?? this.partnerProblem(rule, f);
      if (!problem) continue;
      if (!this.forced.has(key)) this.forced.set(key, problem);
      withoutPartner.set(key, problem.reason);
    }
    const refused = new Map<string, string>();
    const requiredBy = this.requiredBy.get(rule.meta.id);
    const extra = requiredBy ? { requiredBy } : {};
    // Each attempt drops the fixes that failed verification in the previous one; at most one attempt per finding.
    for (let attempt = 0; ; attempt++) {
      const a = yield* this.attempt(rule, options, findings, refused, withoutPartner);
      if (!a.verified && attempt < findings.length) continue;
      for (const d of [...a.plan.dropped, ...a.plan.skipped]) {
        if (d.finding) unfixed.push({ key: findingKey(d.finding), subject: d.finding.report?.subject, reason: d.reason });
      }
      this.unfixed.set(rule.meta.id, unfixed);
      return { rule, findings, ...a.plan, ...extra };
    }
  }

  private *attempt(
    rule: Rule,
    options: unknown,
    findings: readonly Finding[],
    refused: Map<string, string>,
    withoutPartner: ReadonlyMap<string, string>,
  ): Steps<{ verified: boolean; plan: Omit<RulePlan, 'rule' | 'findings'> }> {
    const { overlay } = this;
    const current = this.current;
    const fixed: FixRecord[] = [];
    const dropped: DroppedFix[] = [];
    const skipped: DroppedFix[] = [];
    const notes = new Set<string>();
    const warnings = new Set<string>();
    const before = overlay.snapshot();
    const beforeTexts = new Map<string, string | null>();
    for (const finding of findings) {
      yield;
      const key = findingKey(finding);
      if (refused.has(key)) {
        dropped.push({ finding, reason: refused.get(key)! });
        continue;
      }
      if (!rule.fix) {
        skipped.push({ finding, reason: 'this rule reports only' });
        continue;
      }
      if (!finding.fixable || !finding.report) {
        skipped.push({ finding, reason: 'no automatic fix: see the message' });
        continue;
      }
      const twin = finding.report.resource && this.duplicates.get(finding.report.resource.id);
      if (twin) {
        skipped.push({
          finding,
          reason: `the object is defined twice in one build (also at ${twin}; see duplicate-object): neither copy is fixed until one is removed`,
        });
        continue;
      }
      let out: FixOutput;
      try {
        out = normalise(rule.fix.apply(finding.report, { repo: current, options }));
      } catch (e) {
        dropped.push({ finding, reason: `the rule's fix crashed: ${describe(e)}` });
        continue;
      }
      if (out.skipped) {
        skipped.push({ finding, reason: out.skipped });
        continue;
      }
      if (!out.changes.length) {
        skipped.push({ finding, reason: 'the fix produced no change' });
        continue;
      }
      const partner = withoutPartner.get(key);
      if (partner !== undefined) {
        dropped.push({ finding, reason: partner });
        continue;
      }
      // applyChanges changes the overlay only once every change of the finding is made: nothing to undo on failure.
      try {
        for (const p of touchedPaths(out.changes, current)) if (!beforeTexts.has(p)) beforeTexts.set(p, overlay.read(p));
        const files = applyChanges(overlay, current, rule, out.changes, this.documents);
        fixed.push({ finding, summary: out.summary ?? finding.message, files });
        out.notes?.forEach((n) => notes.add(n));
        out.warnings?.forEach((w) => warnings.add(w));
      } catch (e) {
        dropped.push({ finding, reason: describe(e) });
      }
    }
    const plan = { fixed, dropped, skipped, files: [] as FileChange[], notes: [...notes], warnings: [...warnings] };
    if (!fixed.length) return { verified: true, plan };
    // Verify the rule as a whole on the re-loaded repository.
    const next = yield* loadRepoSteps(this.repo.root, { settings: this.repo.settings, base: this.repo, overrides: overlay.current });
    const broken = next.files.filter((f) => overlay.current.has(f.path) && f.status === 'skipped' && f.skipReason !== 'sops-encrypted');
    const again = new Set((yield* detectRuleSteps(next, rule, options)).map(findingKey));
    const persisting = fixed.filter((x) => again.has(findingKey(x.finding)));
    if (broken.length || persisting.length) {
      overlay.restore(before);
      const brokenPaths = new Set(broken.map((b) => b.path));
      const brokenReason = `the result no longer parses (${broken.map((b) => `${b.path}: ${b.skipDetail}`).join('; ')})`;
      for (const x of fixed) {
        if (x.files.some((f) => brokenPaths.has(f.path))) refused.set(findingKey(x.finding), brokenReason);
      }
      for (const x of persisting) refused.set(findingKey(x.finding), `the finding persists after the fix (${x.finding.file}:${x.finding.line})`);
      return {
        verified: false,
        plan: {
          ...plan,
          fixed: [],
          dropped: [
            ...dropped,
            ...fixed.map((x) => ({
              finding: x.finding,
              reason: refused.get(findingKey(x.finding)) ?? 'dropped with a fix of the same rule that failed verification',
            })),
          ],
          notes: [],
          warnings: [],
        },
      };
    }
    this.current = next;
    plan.files = [...beforeTexts.keys()]
      .map((p) => ({ path: p, before: beforeTexts.get(p) ?? null, after: overlay.current.get(p) ?? '' }))
      .filter((fc) => overlay.current.has(fc.path) && fc.before !== fc.after)
      .sort((a, b) => a.path.localeCompare(b.path));
    return { verified: true, plan };
  }
}

export function planFixes(repo: Repo, opts: PlanOptions): Plan {
  return new Planner(repo, opts).result();
}

/**
 * Findings that a rule fixed and that are back once every rule has run (a later rule undid the fix). Run on the
 * repository after the plan (`Planner.repoAfter`).
 */
export function reintroduced(plan: Plan, after: Repo, options: ReadonlyMap<string, unknown>): Finding[] {
  return runSync(reintroducedSteps(plan, after, options));
}

export function reintroducedAsync(plan: Plan, after: Repo, options: ReadonlyMap<string, unknown>, signal?: AbortSignal): Promise<Finding[]> {
  return runAsync(reintroducedSteps(plan, after, options), signal);
}

function* reintroducedSteps(plan: Plan, after: Repo, options: ReadonlyMap<string, unknown>): Steps<Finding[]> {
  const out: Finding[] = [];
  for (const rp of plan.rules) {
    if (!rp.fixed.length) continue;
    const again = new Set((yield* detectRuleSteps(after, rp.rule, options.get(rp.rule.meta.id))).map(findingKey));
    out.push(...rp.fixed.filter((x) => again.has(findingKey(x.finding))).map((x) => x.finding));
  }
  return out;
}

function touchedPaths(changes: readonly Change[], repo: Repo): string[] {
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
