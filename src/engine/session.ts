import { resolve } from 'node:path';
import { SEVERITIES, type Repo, type Rule, type Severity } from '../kit/index.js';
import { loadConfig, ruleOptions, validateRuleKeys, type Config, type LoadedConfig } from './config.js';
import { reviewChecklist, type ChecklistItem } from './checklist.js';
import { GitopsFixError } from './errors.js';
import type { OnProgress } from './progress.js';
import { loadRepo, loadRepoAsync } from './repo/load.js';
import { rules as allRules, selectRules, type Selection } from './registry.js';
import { optionsFor, scan, type Finding } from './scan.js';
import { suppressionsOf, type SuppressedFinding } from './suppress.js';

export interface Session {
  readonly root: string;
  readonly loaded: LoadedConfig;
  readonly repo: Repo;
  readonly options: ReadonlyMap<string, unknown>;
}

/**
 * Load config (validated, with every rule's options) and the repository. The config is read from `configDir`
 * (default: `dir`) unless `configFile` names one: a review branch plans on a worktree of HEAD but uses the
 * configuration in the user's checkout.
 */
export function openSession(dir: string, configFile?: string, configDir: string = dir, onProgress?: OnProgress): Session {
  const { root, loaded, options } = sessionConfig(dir, configFile, configDir);
  const repo = loadRepo(root, { settings: loaded.settings, ...(onProgress ? { onProgress } : {}) });
  return { root, loaded, repo, options };
}

/**
 * openSession that gives the event loop a turn between files and stops with a CancelledError when `signal` is
 * aborted; a large repository is read and parsed on worker threads.
 */
export async function openSessionAsync(
  dir: string,
  configFile: string | undefined,
  configDir: string = dir,
  signal?: AbortSignal,
  onProgress?: OnProgress,
): Promise<Session> {
  const { root, loaded, options } = sessionConfig(dir, configFile, configDir);
  const repo = await loadRepoAsync(root, { settings: loaded.settings, ...(onProgress ? { onProgress } : {}) }, signal);
  return { root, loaded, repo, options };
}

function sessionConfig(dir: string, configFile: string | undefined, configDir: string) {
  const root = resolve(dir);
  const loaded = loadConfig(resolve(configDir), configFile);
  validateRuleKeys(
    loaded.config,
    allRules.map((r) => r.meta.id),
    loaded.file,
    loaded.locate,
  );
  const options = optionsFor(allRules, loaded.config, loaded.file, loaded.locate);
  return { root, loaded, options };
}

/** The session with one more rule option set (validated by the rule's schema; errors name the key path). */
export function withRuleOption(session: Session, ruleId: string, option: string, value: string): Session {
  const { config } = session.loaded;
  const current = config.rules[ruleId];
  const raw = current && typeof current === 'object' ? (current as Record<string, unknown>) : {};
  const next: Config = { ...config, rules: { ...config.rules, [ruleId]: { ...raw, [option]: value } } };
  const rule = allRules.find((r) => r.meta.id === ruleId);
  if (!rule) throw new GitopsFixError('unknown-rule', `unknown rule "${ruleId}"`);
  const options = new Map(session.options);
  options.set(ruleId, ruleOptions(rule, next, session.loaded.file));
  return { ...session, loaded: { ...session.loaded, config: next }, options };
}

/** Would this answer be a valid value of the option? true, or the schema's complaint. */
export function checkRuleOption(session: Session, ruleId: string, option: string, value: string): true | string {
  try {
    withRuleOption(session, ruleId, option, value);
    return true;
  } catch (e) {
    if (e instanceof GitopsFixError) return e.message.split('\n').slice(1).join(' ').trim() || e.message;
    throw e;
  }
}

export interface ScanReport {
  readonly version: 1;
  readonly root: string;
  readonly findings: readonly Finding[];
  readonly skipped: readonly { file: string; reason: string; detail: string }[];
  readonly summary: {
    readonly files: number;
    readonly documents: number;
    readonly findings: number;
    readonly bySeverity: Record<Severity, number>;
    /** Findings hidden by a suppression (comment, annotation or config `ignore:`). */
    readonly suppressed: number;
    /** Kubernetes objects read (documents with an apiVersion and a kind). */
    readonly objects: number;
  };
  readonly rules: readonly Rule[];
  /** The findings that suppressions hide, with what hides each. */
  readonly suppressed: readonly SuppressedFinding[];
  /** The review items the scanned rules answer: found, clean or not applicable here, and why. */
  readonly checklist: readonly ChecklistItem[];
}

export function runScan(session: Session, selection: Selection = {}, onProgress?: OnProgress): ScanReport {
  const rules = selectRules(selection);
  const filtered = !!(selection.ruleIds?.length || selection.phases?.length);
  const scanned = scan(session.repo, rules, session.options, { syntax: !selection.ruleIds?.length, ...(onProgress ? { onProgress } : {}) }).filter(
    (f) => !filtered || f.reviewItem === null || rules.some((r) => r.meta.id === f.ruleId),
  );
  const { findings, suppressed } = suppressionsOf(session).apply(scanned, !filtered);
  const bySeverity = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  for (const f of findings) bySeverity[f.severity]++;
  const { repo } = session;
  return {
    version: 1,
    root: repo.root,
    findings,
    skipped: repo.files.filter((f) => f.status === 'skipped').map((f) => ({ file: f.path, reason: f.skipReason!, detail: f.skipDetail ?? '' })),
    summary: {
      files: repo.files.length,
      documents: repo.resources.length,
      findings: findings.length,
      bySeverity,
      suppressed: suppressed.length,
      objects: repo.resources.filter((r) => r.apiVersion && r.kind).length,
    },
    rules,
    suppressed,
    checklist: reviewChecklist(repo, rules, session.options, findings, suppressed),
  };
}
