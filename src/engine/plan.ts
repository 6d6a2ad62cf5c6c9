import type { Change, FixOutput, Repo, Rule } from '../kit/index.js';
import { isAlias, isMap, isScalar, isSeq, visit } from 'yaml';
import { appendToSeq, deleteKey, EditRefusedError, mergeValue, parseDocs, setValue } from '../kit/yaml-edit.js';
import { joinPath } from './flux-graph.js';
import { loadRepo } from './load-repo.js';
import { canonicalOrder, ruleById } from './registry.js';
import { detectRule, type Finding } from './scan.js';
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

/** Apply one finding's changes to the overlay; all or nothing. Returns what changed. */
function applyChanges(overlay: Overlay, repo: Repo, rule: Rule, changes: readonly Change[]): FileChange[] {
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
      staged.set(kPath, appendToSeq(text, ['resources'], c.entry, { doc: k?.doc ?? 0 }));
      continue;
    }
    const res = c.resource;
    const text = read(res.file);
    if (text === null) throw new GitopsFixError('write-failed', `${res.file} cannot be edited (not a parsed YAML file)`);
    const o = { doc: res.doc };
    let next: string;
    if (c.op === 'set' || c.op === 'merge') refuseSharedAnchor(text, res.doc, c.path);
    if (c.op === 'set') next = setValue(text, c.path, c.value, c.comment ? { ...o, comment: c.comment } : o);
    else if (c.op === 'merge') next = mergeValue(text, c.path, c.value, o);
    else if (c.op === 'delete') next = deleteKey(text, c.path, o);
    else next = appendToSeq(text, c.path, c.value, o);
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
  private readonly overlay: Overlay;
  private current: Repo;
  private readonly plans: RulePlan[] = [];

  constructor(
    private readonly repo: Repo,
    private readonly opts: PlanOptions,
  ) {
    const closed = withRequired(opts.rules);
    this.rules = closed.rules;
    this.requiredBy = closed.requiredBy;
    this.overlay = new Overlay(repo);
    this.current = repo;
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
    const rule = this.rules[this.plans.length];
    if (!rule) throw new Error('planNext() called after the last rule');
    const plan = this.planRule(rule);
    this.plans.push(plan);
    return plan;
  }

  result(): Plan {
    while (!this.done) this.planNext();
    return { root: this.repo.root, rules: [...this.plans], finalFiles: new Map(this.overlay.current), originalFiles: new Map(this.overlay.original) };
  }

  private planRule(rule: Rule): RulePlan {
    const options = this.opts.options.get(rule.meta.id);
    const findings = detectRule(this.current, rule, options).filter((f) => !this.opts.exclude?.(f));
    const refused = new Map<string, string>();
    const requiredBy = this.requiredBy.get(rule.meta.id);
    const extra = requiredBy ? { requiredBy } : {};
    // Each attempt drops the fixes that failed verification in the previous one; at most one attempt per finding.
    for (let attempt = 0; ; attempt++) {
      const a = this.attempt(rule, options, findings, refused);
      if (!a.verified && attempt < findings.length) continue;
      return { rule, findings, ...a.plan, ...extra };
    }
  }

  private attempt(
    rule: Rule,
    options: unknown,
    findings: readonly Finding[],
    refused: Map<string, string>,
  ): { verified: boolean; plan: Omit<RulePlan, 'rule' | 'findings'> } {
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
      const snap = overlay.snapshot();
      try {
        for (const p of touchedPaths(out.changes, current)) if (!beforeTexts.has(p)) beforeTexts.set(p, overlay.read(p));
        const files = applyChanges(overlay, current, rule, out.changes);
        fixed.push({ finding, summary: out.summary ?? finding.message, files });
        out.notes?.forEach((n) => notes.add(n));
        out.warnings?.forEach((w) => warnings.add(w));
      } catch (e) {
        overlay.restore(snap);
        dropped.push({ finding, reason: describe(e) });
      }
    }
    const plan = { fixed, dropped, skipped, files: [] as FileChange[], notes: [...notes], warnings: [...warnings] };
    if (!fixed.length) return { verified: true, plan };
    // Verify the rule as a whole on the re-loaded repository.
    const next = loadRepo(this.repo.root, { settings: this.repo.settings, base: this.repo, overrides: overlay.current });
    const broken = next.files.filter((f) => overlay.current.has(f.path) && f.status === 'skipped' && f.skipReason !== 'sops-encrypted');
    const again = new Set(detectRule(next, rule, options).map(findingKey));
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
  const out: Finding[] = [];
  for (const rp of plan.rules) {
    if (!rp.fixed.length) continue;
    const again = new Set(detectRule(after, rp.rule, options.get(rp.rule.meta.id)).map(findingKey));
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
