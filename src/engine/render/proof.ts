/**
 * Render proof of a plan: every HelmRelease whose inputs the plan touches (its file, its valuesFrom sources, its
 * chart source) is rendered before and after through its real chart, the whole desired state is checked in both,
 * and a violation that only the planned state has is blamed on the rule that introduced it.
 */
import { isKustomizeFileName } from '../../kit/data.js';
import type { Repo } from '../../kit/index.js';
import { loadRepo } from '../repo/load.js';
import type { Plan } from '../plan.js';
import { findingKey } from '../plan.js';
import type { Finding } from '../scan.js';
import { compareViolations, runChecks, type ComparedViolations } from './checks.js';
import type { Violation } from './universe.js';
import { diffObjects, type ObjectDiff } from './diff.js';
import type { ReleaseRender, Renderer } from './helm.js';
import { touches } from './release.js';
import { buildState, buildUnits, materialise, patchFiles, releaseUnit, repositoryApiVersions, type RepoState, type StateOptions } from './state.js';
import type { K8sObject } from './objects.js';

export interface ProofOptions {
  readonly renderer: Renderer;
  /** Config `render.external`: `Kind/namespace/name` made outside the repository. */
  readonly external?: readonly string[];
  /**
   * At most this many builds run `kubectl kustomize` (each in both states; default 8). A plan that changes the
   * kustomize configuration of more (a fleet) reads all builds from the loaded manifests, and says so.
   */
  readonly maxKustomizeBuilds?: number;
  /** The repository after the plan, when the caller has it loaded already (the planner does); else loaded here. */
  readonly after?: Repo;
}

export type ReleaseStatus = 'verified' | 'partial' | 'not-rendered' | 'not-verified';

export interface ReleaseProof {
  /** `namespace/name` of the HelmRelease. */
  readonly id: string;
  /** `file#doc`: unique where several clusters have a release of the same name. */
  readonly key: string;
  /** How to name it: the id, with the file when another touched release has the same id. */
  readonly label: string;
  readonly file: string;
  /** `vault 0.34.1` once resolved. */
  readonly chart: string | undefined;
  readonly before: ReleaseRender | undefined;
  readonly after: ReleaseRender | undefined;
  /**
   * verified: rendered before and after from values all in the repository. partial: rendered, some values come from
   * outside (see `partial`). not-rendered: the chart or the release could not be rendered (`reason`). not-verified:
   * no helm.
   */
  readonly status: ReleaseStatus;
  readonly reason?: string;
  readonly partial: readonly string[];
  /** What changes in the cluster (when rendered in both states; a new release is all added). */
  readonly diff: ObjectDiff | undefined;
  /** Rules whose changes touch this release's inputs. */
  readonly rules: readonly string[];
}

export interface RenderProof {
  /** The releases the plan touches, in id order. */
  readonly releases: readonly ReleaseProof[];
  readonly violations: ComparedViolations;
  /** Violations the planned state introduces, by the rule that introduced them. */
  readonly blame: ReadonlyMap<string, readonly Violation[]>;
  /** Said once per run: no helm, builds that could not run. */
  readonly notices: readonly string[];
  readonly helm: string | undefined;
  readonly stats: { readonly helmRuns: number; readonly cacheHits: number; readonly ms: number };
  /** Fixes the render checks refused (the plan was made again without them), when the proof comes from `renderGate`. */
  readonly refused?: readonly Refusal[];
}

interface RuleChange {
  readonly ruleId: string;
  readonly files: ReadonlyMap<string, string>;
}

function ruleChanges(plan: Plan): RuleChange[] {
  return plan.rules.filter((rp) => rp.files.length).map((rp) => ({ ruleId: rp.rule.meta.id, files: new Map(rp.files.map((f) => [f.path, f.after])) }));
}

function stateRepo(before: Repo, overrides: ReadonlyMap<string, string>): Repo {
  return overrides.size ? loadRepo(before.root, { settings: before.settings, base: before, overrides }) : before;
}

/** Input files of a unit of a violation (`HelmRelease ns/name` or a build), in a state. */
function unitFiles(state: RepoState, unit: string): string[] {
  if (unit.startsWith('HelmRelease ')) {
    const i = state.inputs.get(unit.slice('HelmRelease '.length));
    return i ? [...i.inputFiles, ...i.inputDirs] : [];
  }
  return [...(state.units.find((u) => u.id === unit)?.files ?? [])];
}

/** Is `file` one of `files`, or inside one of them (a chart directory)? */
function involves(files: ReadonlySet<string>, file: string): boolean {
  if (files.has(file)) return true;
  for (const d of files) if (file.startsWith(`${d}/`)) return true;
  return false;
}

function releaseTouched(state: RepoState, key: string, files: Iterable<string>): boolean {
  const i = state.inputs.get(key);
  if (!i) return false;
  for (const f of files) if (touches(i, f)) return true;
  return false;
}

function statusOf(b: ReleaseRender | undefined, a: ReleaseRender | undefined): { status: ReleaseStatus; reason?: string } {
  const renders = [b, a].filter((r): r is ReleaseRender => !!r);
  const bad = renders.find((r) => r.status === 'not-verified') ?? renders.find((r) => r.status === 'not-rendered');
  if (bad) return { status: bad.status === 'not-verified' ? 'not-verified' : 'not-rendered', reason: bad.reason ?? '' };
  if (renders.some((r) => r.status === 'partial')) return { status: 'partial' };
  return { status: 'verified' };
}

/** Releases that rendered in `before` but whose chart fails on the values of this state (helm template errors). */
function renderFailures(state: RepoState, before?: RepoState): Violation[] {
  if (!before) return [];
  const out: Violation[] = [];
  for (const [key, r] of state.renders) {
    const b = before.renders.get(key);
    if (r.status !== 'not-rendered' || !r.chart || !b || !(b.status === 'rendered' || b.status === 'partial')) continue;
    const scopes = state.repo.flux.clustersOf(r.inputs.resource.file);
    out.push({
      check: 'release-renders',
      key: `release-renders|${key}`,
      message: `HelmRelease ${r.inputs.id} rendered before, but helm template fails after: ${r.reason}`,
      scope: scopes[0] ?? '',
      certain: true,
      units: [releaseUnit(r.inputs)],
    });
  }
  return out;
}

/**
 * Builds whose kustomize configuration the plan changes (a kustomization file, a patch) are built exactly with
 * kubectl kustomize in both states; where only manifests change, the loaded manifests say what is applied. A plan
 * that changes more than `maxBuilds` of them (a fleet) reads all builds from the manifests, and says so.
 */
function exactBuildIds(before: Repo, after: Repo, changed: ReadonlySet<string>, maxBuilds: number, notices: string[]): Set<string> {
  const patches = new Set([...patchFiles(before), ...patchFiles(after)]);
  const kustomizeChanges = [...changed].filter((f) => isKustomizeFileName(f) || patches.has(f));
  const exact = new Set<string>();
  for (const u of [...buildUnits(before), ...buildUnits(after)]) if (u.kustomize && kustomizeChanges.some((f) => u.files.includes(f))) exact.add(u.id);
  if (exact.size > maxBuilds) {
    notices.push(
      `these fixes change the kustomize configuration of ${exact.size} Flux Kustomizations (more than ${maxBuilds}): their objects are read from the manifests, not built with kubectl kustomize`,
    );
    exact.clear();
  }
  return exact;
}

/** What buildState needs besides the repository and its copy on disk, the same in every state. */
type SharedState = Omit<StateOptions, 'exact' | 'root'>;

/** Both states; a build that could not run in one state is read from the manifests in both, so that the two compare. */
async function bothStates(before: Repo, after: Repo, exact: ReadonlySet<string>, afterRoot: string | undefined, shared: SharedState, notices: string[]) {
  let b = await buildState(before, { ...shared, exact, root: before.root });
  let a = await buildState(after, { ...shared, exact, root: afterRoot });
  const failed = new Set([...b.buildProblems.keys(), ...a.buildProblems.keys()]);
  if (failed.size) {
    for (const [id, why] of new Map([...b.buildProblems, ...a.buildProblems])) notices.push(`${id}: ${why}`);
    const narrowed = new Set([...exact].filter((id) => !failed.has(id)));
    b = await buildState(before, { ...shared, exact: narrowed, root: before.root });
    a = await buildState(after, { ...shared, exact: narrowed, root: afterRoot });
  }
  return { b, a, stillExact: new Set([...exact].filter((id) => !failed.has(id))) };
}

/** The releases whose inputs the plan touches, in id order, each rendered before and after. */
function releaseProofs(b: RepoState, a: RepoState, changed: ReadonlySet<string>, changes: readonly RuleChange[]): ReleaseProof[] {
  const keys = new Set<string>();
  for (const k of [...b.inputs.keys(), ...a.inputs.keys()]) if (releaseTouched(b, k, changed) || releaseTouched(a, k, changed)) keys.add(k);
  const inputsOf = (k: string) => (a.inputs.get(k) ?? b.inputs.get(k))!;
  const idCount = new Map<string, number>();
  for (const k of keys) idCount.set(inputsOf(k).id, (idCount.get(inputsOf(k).id) ?? 0) + 1);
  const ok = (r: ReleaseRender | undefined): r is ReleaseRender => !!r && (r.status === 'rendered' || r.status === 'partial');
  return [...keys]
    .sort((x, y) => inputsOf(x).id.localeCompare(inputsOf(y).id) || x.localeCompare(y))
    .map((k) => {
      const br = b.renders.get(k);
      const ar = a.renders.get(k);
      const diff = ok(ar) && (ok(br) || !br) ? diffObjects(br?.objects ?? [], ar.objects) : !ar && ok(br) ? diffObjects(br.objects, []) : undefined;
      const chart = (ar ?? br)?.chart;
      const { id, resource } = inputsOf(k);
      return {
        id,
        key: k,
        label: (idCount.get(id) ?? 0) > 1 ? `${id} (${resource.file})` : id,
        file: resource.file,
        chart: chart ? `${chart.name} ${chart.version}` : undefined,
        before: br,
        after: ar,
        ...statusOf(br, ar),
        partial: [...new Set([...(br?.partial ?? []), ...(ar?.partial ?? [])])],
        diff,
        rules: changes.filter((c) => releaseTouched(b, k, c.files.keys()) || releaseTouched(a, k, c.files.keys())).map((c) => c.ruleId),
      };
    });
}

interface BlameContext {
  readonly before: Repo;
  readonly b: RepoState;
  readonly a: RepoState;
  readonly changes: readonly RuleChange[];
  readonly exact: ReadonlySet<string>;
  readonly shared: SharedState;
  /** Copies of intermediate states on disk, disposed by the caller. */
  readonly disks: { dispose(): void }[];
}

/**
 * Blame each new violation on the first rule whose changes bring it in: the states after each candidate rule (with
 * only the changes to the files the violation is about) are checked, by binary search.
 */
async function blameViolations(introduced: readonly Violation[], c: BlameContext): Promise<Map<string, Violation[]>> {
  const { b, a, changes } = c;
  const blame = new Map<string, Violation[]>();
  const stateCache = new Map<string, Promise<Set<string>>>();
  const keysAt = (k: number, involved: ReadonlySet<string>): Promise<Set<string>> => {
    const cacheKey = `${k}\0${[...involved].sort().join('\0')}`;
    let p = stateCache.get(cacheKey);
    if (!p) stateCache.set(cacheKey, (p = violationKeysAt(k, involved, c)));
    return p;
  };
  // One set of files for every new violation, so that the states between are built once and shared.
  const certain = introduced.filter((v) => v.certain);
  const involved = new Set(certain.flatMap((v) => v.units.flatMap((u) => [...unitFiles(b, u), ...unitFiles(a, u)])));
  for (const v of certain) {
    const own = new Set(v.units.flatMap((u) => [...unitFiles(b, u), ...unitFiles(a, u)]));
    const candidates = changes.map((ch, i) => ({ ch, i })).filter(({ ch }) => [...ch.files.keys()].some((f) => involves(own, f)));
    let lo = 0;
    let hi = candidates.length - 1;
    // the first candidate after which the violation is there (the last one has it: it is the planned state)
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((await keysAt(candidates[mid]!.i, involved)).has(v.key)) hi = mid;
      else lo = mid + 1;
    }
    const culprit = candidates[lo]?.ch.ruleId ?? changes[changes.length - 1]?.ruleId;
    if (culprit) blame.set(culprit, [...(blame.get(culprit) ?? []), v]);
  }
  return blame;
}

/** The keys of the violations in the state after the first `k + 1` rules' changes to the `involved` files. */
async function violationKeysAt(k: number, involved: ReadonlySet<string>, c: BlameContext): Promise<Set<string>> {
  const files = new Map<string, string>();
  for (const ch of c.changes.slice(0, k + 1)) for (const [path, t] of ch.files) if (involves(involved, path)) files.set(path, t);
  const d = c.exact.size ? materialise(c.before.root, files) : undefined;
  if (d) c.disks.push(d);
  const s = await buildState(stateRepo(c.before, files), { ...c.shared, exact: c.exact, root: d?.dir });
  return new Set([...runChecks(s.universe), ...renderFailures(s, c.b)].map((v) => v.key));
}

/** Render and check the repository before and after a plan. */
export async function proveRender(before: Repo, plan: Plan, opts: ProofOptions): Promise<RenderProof> {
  const t0 = performance.now();
  const { renderer } = opts;
  const runs0 = renderer.stats.helmRuns;
  const hits0 = renderer.stats.cacheHits;
  const changes = ruleChanges(plan);
  const finalFiles = new Map<string, string>();
  for (const c of changes) for (const [p, t] of c.files) finalFiles.set(p, t);
  const changed = new Set(finalFiles.keys());
  const after = opts.after ?? stateRepo(before, finalFiles);
  const notices: string[] = [];
  const helm = await renderer.helm();
  if (!helm.ok) notices.push(`${helm.reason}: the releases these fixes touch are not render-verified (pass --helm PATH or put helm on PATH)`);
  const exact = exactBuildIds(before, after, changed, opts.maxKustomizeBuilds ?? 8, notices);
  // The same capabilities in both states: a release whose inputs did not change renders once.
  const apiVersions = [...new Set([...repositoryApiVersions(before), ...repositoryApiVersions(after)])].sort();
  const shared: SharedState = { renderer, external: opts.external ?? [], apiVersions, builds: new Map<string, Promise<K8sObject[]>>() };
  const disk = exact.size ? materialise(before.root, finalFiles) : undefined;
  const disks: { dispose(): void }[] = disk ? [disk] : [];
  try {
    const { b, a, stillExact } = await bothStates(before, after, exact, disk?.dir, shared, notices);
    const violations = compareViolations([...runChecks(b.universe), ...renderFailures(b)], [...runChecks(a.universe), ...renderFailures(a, b)]);
    const releases = releaseProofs(b, a, changed, changes);
    const blame = await blameViolations(violations.introduced, { before, b, a, changes, exact: stillExact, shared, disks });
    return {
      releases,
      violations,
      blame,
      notices,
      helm: helm.ok ? `${helm.path} (${helm.version})` : undefined,
      stats: { helmRuns: renderer.stats.helmRuns - runs0, cacheHits: renderer.stats.cacheHits - hits0, ms: performance.now() - t0 },
    };
  } finally {
    for (const d of disks) d.dispose();
  }
}

export interface Refusal {
  readonly ruleId: string;
  readonly finding: Finding;
  readonly reason: string;
}

/**
 * The fixes to refuse: for each rule blamed for a new violation, its fixes that changed the inputs of what the
 * violation is about (all its fixes when none did directly, e.g. a generated file).
 */
export function renderRefusals(plan: Plan, proof: RenderProof): Refusal[] {
  const out: Refusal[] = [];
  for (const rp of plan.rules) {
    const vs = proof.blame.get(rp.rule.meta.id);
    if (!vs?.length) continue;
    const reason = `render check: ${vs.map((v) => v.message).join('; ')}`;
    const releaseFiles = new Set(
      proof.releases
        .filter((r) => vs.some((v) => v.units.includes(releaseUnit(r))))
        .flatMap((r) => [...(r.after?.inputs.inputFiles ?? []), ...(r.before?.inputs.inputFiles ?? [])]),
    );
    const direct = rp.fixed.filter((x) => x.files.some((f) => releaseFiles.has(f.path)));
    for (const x of direct.length ? direct : rp.fixed) out.push({ ruleId: rp.rule.meta.id, finding: x.finding, reason });
  }
  return out;
}

/** The plan with refused fixes listed as dropped (with the render check's reason) in their rules. */
export function withRefusals(plan: Plan, refusals: readonly Refusal[]): Plan {
  if (!refusals.length) return plan;
  return {
    ...plan,
    rules: plan.rules.map((rp) => {
      const mine = refusals.filter((r) => r.ruleId === rp.rule.meta.id);
      if (!mine.length) return rp;
      const already = new Set(rp.dropped.map((d) => (d.finding ? findingKey(d.finding) : '')));
      return {
        ...rp,
        dropped: [...rp.dropped, ...mine.filter((r) => !already.has(findingKey(r.finding))).map((r) => ({ finding: r.finding, reason: r.reason }))],
      };
    }),
  };
}

/**
 * Prove a plan; refuse the fixes that introduce a violation and plan again without them, until the planned state
 * introduces none the rules can be blamed for. `replan` plans the same selection leaving the given findings out.
 */
export async function renderGate(
  before: Repo,
  plan: Plan,
  opts: ProofOptions,
  replan: (exclude: (f: Finding) => boolean) => { plan: Plan; after?: Repo },
): Promise<{ plan: Plan; proof: RenderProof; refusals: Refusal[] }> {
  let current = plan;
  let after = opts.after;
  const refused: Refusal[] = [];
  for (let round = 0; ; round++) {
    const proof = await proveRender(before, current, { ...opts, ...(after ? { after } : {}) });
    const more = renderRefusals(current, proof).filter((r) => !refused.some((x) => findingKey(x.finding) === findingKey(r.finding)));
    if (!more.length || round >= plan.rules.length)
      return { plan: withRefusals(current, refused), proof: { ...proof, refused: [...refused] }, refusals: refused };
    refused.push(...more);
    const keys = new Set(refused.map((r) => findingKey(r.finding)));
    const next = replan((f) => keys.has(findingKey(f)));
    current = next.plan;
    after = next.after;
  }
}
