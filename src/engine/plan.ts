import type { Change, FixOutput, Repo, Rule } from '../kit/index.js';
import { appendToSeq, deleteKey, EditRefusedError, mergeValue, setValue } from '../kit/yaml-edit.js';
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
    for (const k of [...this.current.keys()]) if (!snap.has(k)) {
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

/** Apply one finding's changes to the overlay; all or nothing. */
function applyChanges(overlay: Overlay, repo: Repo, rule: Rule, changes: readonly Change[]): void {
  const staged = new Map<string, string>();
  const read = (p: string) => (staged.has(p) ? staged.get(p)! : overlay.read(p));
  const exists = (p: string) => staged.has(p) || overlay.exists(p);
  for (const c of changes) {
    if (c.op === 'create' || c.op === 'createText') {
      if (exists(c.file)) throw new GitopsFixError('write-failed', `${c.file} already exists; not overwritten`);
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
    if (c.op === 'set') next = setValue(text, c.path, c.value, c.comment ? { ...o, comment: c.comment } : o);
    else if (c.op === 'merge') next = mergeValue(text, c.path, c.value as Record<string, unknown>, o);
    else if (c.op === 'delete') next = deleteKey(text, c.path, o);
    else next = appendToSeq(text, c.path, c.value, o);
    staged.set(res.file, next);
  }
  for (const [p, t] of staged) overlay.write(p, t);
}

/**
 * Plan fixes rule by rule in canonical order, each on the result of the previous ones. After each rule the
 * repository is re-loaded in memory and re-detected: a fix whose finding persists, or that leaves a file
 * unparseable, is dropped with a reason. Nothing is written to disk here.
 */
export function planFixes(repo: Repo, opts: PlanOptions): Plan {
  const { rules, requiredBy } = withRequired(opts.rules);
  const overlay = new Overlay(repo);
  let current = repo;
  const plans: RulePlan[] = [];
  for (const rule of rules) {
    const options = opts.options.get(rule.meta.id);
    const findings = detectRule(current, rule, options).filter((f) => !opts.exclude?.(f));
    const fixed: FixRecord[] = [];
    const dropped: DroppedFix[] = [];
    const skipped: DroppedFix[] = [];
    const notes = new Set<string>();
    const warnings = new Set<string>();
    const before = overlay.snapshot();
    const beforeTexts = new Map<string, string | null>();
    if (rule.fix) {
      for (const finding of findings) {
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
          applyChanges(overlay, current, rule, out.changes);
          fixed.push({ finding, summary: out.summary ?? finding.message });
          out.notes?.forEach((n) => notes.add(n));
          out.warnings?.forEach((w) => warnings.add(w));
        } catch (e) {
          overlay.restore(snap);
          dropped.push({ finding, reason: describe(e) });
        }
      }
    } else {
      for (const finding of findings) skipped.push({ finding, reason: 'this rule reports only' });
    }
    // Verify the rule as a whole on the re-loaded repository.
    let files: FileChange[] = [];
    if (fixed.length) {
      const next = loadRepo(repo.root, { settings: repo.settings, base: repo, overrides: overlay.current });
      const broken = next.files.filter((f) => overlay.current.has(f.path) && f.status === 'skipped' && f.skipReason !== 'sops-encrypted');
      const again = new Set(detectRule(next, rule, options).map(findingKey));
      const persisting = fixed.filter((x) => again.has(findingKey(x.finding)));
      if (broken.length || persisting.length) {
        overlay.restore(before);
        const reason = broken.length
          ? `the result no longer parses (${broken.map((b) => `${b.path}: ${b.skipDetail}`).join('; ')})`
          : `the finding persists after the fix (${persisting.map((p) => `${p.finding.file}:${p.finding.line}`).join(', ')})`;
        for (const x of fixed) dropped.push({ finding: x.finding, reason });
        fixed.length = 0;
        notes.clear();
        warnings.clear();
      } else {
        current = next;
        files = [...beforeTexts.keys()]
          .map((p) => ({ path: p, before: beforeTexts.get(p) ?? null, after: overlay.current.get(p) ?? '' }))
          .filter((fc) => overlay.current.has(fc.path) && fc.before !== fc.after)
          .sort((a, b) => a.path.localeCompare(b.path));
      }
    }
    plans.push({
      rule,
      findings,
      fixed,
      dropped,
      skipped,
      files,
      notes: [...notes],
      warnings: [...warnings],
      ...(requiredBy.has(rule.meta.id) ? { requiredBy: requiredBy.get(rule.meta.id)! } : {}),
    });
  }
  return { root: repo.root, rules: plans, finalFiles: new Map(overlay.current), originalFiles: new Map(overlay.original) };
}

function touchedPaths(changes: readonly Change[], repo: Repo): string[] {
  return changes.map((c) => {
    if (c.op === 'create' || c.op === 'createText') return c.file;
    if (c.op === 'addKustomizeResource') return repo.flux.kustomizeFile(c.dir)?.file ?? joinPath(c.dir, 'kustomization.yaml');
    return c.resource.file;
  });
}
