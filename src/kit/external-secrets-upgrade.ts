/**
 * What upgrading an External Secrets release to a chart with every probe and RBAC key changes in the repository: the
 * chart version, the values keys the target chart dropped, image tags pinned to the old controller, the objects that
 * move from external-secrets.io/v1beta1 to v1 (and kustomize/Flux references to v1beta1), or what a person has to
 * change first.
 */
import {
  esoChartPin,
  esoNeedsV1,
  esoObjectBlockers,
  esoObjects,
  esoReleases,
  esoSetValue,
  esoValuesChanges,
  esoVersionPath,
  ESO_IMAGE_TAG_KEYS,
  ESO_REVIEW_KEYS_SINCE,
  type EsoBlocker,
  type EsoChartPin,
  type EsoValuesChange,
} from './external-secrets-chart.js';
import { isScalar, parseAllDocuments } from 'yaml';
import { dirOf, isKustomizeFileName } from './data.js';
import { itemsOf, KustomizePatch, ObjectRef } from './kinds.js';
import { GROUPS, type Repo, type Resource, type YamlPath } from './repo.js';
import { scalarText } from './scalar.js';
import { onlyVersionsBelow, parseVersion, versionAtLeast, type Version } from './semver.js';

const V1 = `${GROUPS.eso}/v1`;
const V1BETA1 = `${GROUPS.eso}/v1beta1`;

/** A values key of the old chart that the release sets, and what the upgrade does with it. */
export interface EsoValueMove {
  readonly change: EsoValuesChange;
  readonly resource: Resource;
  /** Full path of the key inside `resource`. */
  readonly path: YamlPath;
  /** The values map's own path inside `resource` (to place a moved key). */
  readonly base: YamlPath;
  readonly value: unknown;
  /** The trailing comment of a scalar value, carried to where it moves. */
  readonly comment: string | undefined;
}

/** The trailing `# comment` on a scalar value's line, when it has one. */
function trailingComment(repo: Repo, r: Resource, path: YamlPath): string | undefined {
  const text = repo.file(r.file)?.text;
  if (!text) return undefined;
  const node = parseAllDocuments(text)[r.doc]?.getIn(path, true);
  return isScalar(node) && node.comment ? node.comment.trim() : undefined;
}

/** Everything an upgrade of one release changes, or what stops it. */
export interface EsoUpgrade {
  readonly hr: Resource;
  readonly pin: EsoChartPin & { kind: 'exact' };
  readonly target: Version;
  readonly targetText: string;
  readonly objects: readonly Resource[];
  readonly values: readonly EsoValueMove[];
  readonly imageTags: readonly { resource: Resource; path: YamlPath; value: string }[];
  /** Kustomize patch targets and Flux health checks that name external-secrets.io/v1beta1. */
  readonly references: readonly { resource: Resource; path: YamlPath; value: string }[];
  readonly blockers: readonly EsoBlocker[];
}

/** The objects a release's upgrade rewrites: all of them, or with several releases those applied on its clusters. */
function inScope(repo: Repo, hr: Resource, object: Resource, several: boolean): boolean {
  if (!several) return true;
  const mine = repo.flux.clustersOf(hr.file);
  const theirs = repo.flux.clustersOf(object.file);
  if (!mine.length || !theirs.length) return !mine.length && !theirs.length;
  return theirs.some((c) => mine.includes(c));
}

/** Kustomize patch targets, Flux patch targets and Flux health checks that name v1beta1, in builds of the rewritten objects. */
function v1beta1References(repo: Repo, objects: readonly Resource[]): { refs: EsoUpgrade['references']; blockers: EsoBlocker[] } {
  const refs: { resource: Resource; path: YamlPath; value: string }[] = [];
  const blockers: EsoBlocker[] = [];
  const files = new Set(objects.map((o) => o.file));
  const kustomizations = new Map<string, { resource: Resource; base: YamlPath }>();
  for (const f of repo.files) {
    if (!isKustomizeFileName(f.path)) continue;
    const dir = dirOf(f.path);
    const k = repo.flux.kustomizeFile(dir);
    if (k && repo.flux.kustomizeFiles(dir).some((p) => files.has(p))) kustomizations.set(k.id, { resource: k, base: [] });
  }
  for (const o of objects) for (const ks of repo.flux.fluxKustomizationsFor(o.file)) kustomizations.set(ks.id, { resource: ks, base: ['spec'] });
  for (const { resource: k, base } of kustomizations.values()) {
    for (const list of ['patches', 'patchesJson6902']) {
      itemsOf(KustomizePatch, k.get([...base, list])).forEach((p, i) => {
        if (!p) return;
        const t = p.target;
        if (t && t.group === GROUPS.eso && t.version === 'v1beta1') refs.push({ resource: k, path: [...base, list, i, 'target', 'version'], value: 'v1' });
        if (p.patch?.includes(V1BETA1))
          blockers.push({
            resource: k,
            path: [...base, list, i, 'patch'],
            what: `an inline patch in ${k.file} names ${V1BETA1}: change it to ${V1} by hand`,
          });
      });
    }
    itemsOf(ObjectRef, k.get([...base, 'healthChecks'])).forEach((c, i) => {
      if (c?.apiVersion === V1BETA1) refs.push({ resource: k, path: [...base, 'healthChecks', i, 'apiVersion'], value: V1 });
    });
  }
  return { refs, blockers };
}

/** What stops a release's upgrade before looking at other releases. */
function plan(repo: Repo, hr: Resource, pin: EsoChartPin & { kind: 'exact' }, targetText: string): EsoUpgrade {
  const target = parseVersion(targetText)!;
  const releases = esoReleases(repo);
  const several = releases.length > 1;
  const blockers: EsoBlocker[] = [];
  const at = (what: string): EsoBlocker => ({ resource: hr, path: esoVersionPath(hr), what });
  if (!versionAtLeast(pin.version, '0.9.0'))
    blockers.push(at(`the values keys of charts before 0.9.0 are not known to gitops-fix: upgrade to 0.9.x by hand first`));
  if (pin.via === 'OCIRepository' || pin.via === 'HelmChart') {
    const others = releases.filter((r) => r.id !== hr.id && repo.flux.helmChart(r).source?.id === pin.resource.id);
    const users = [
      ...others,
      ...repo.ofKind('HelmRelease', GROUPS.fluxHelm).filter((r) => !releases.includes(r) && repo.flux.helmChart(r).source?.id === pin.resource.id),
    ];
    if (users.length) blockers.push(at(`${pin.via} ${pin.resource.name} also serves HelmRelease ${users.map((u) => u.name).join(', ')}`));
  }
  // Values keys the old chart had and the target has not.
  const values: EsoValueMove[] = [];
  for (const change of esoValuesChanges(pin.version, target)) {
    const loc = esoSetValue(repo, hr, change.key);
    if (!loc?.source || !loc.path) continue;
    if (change.action.kind === 'manual') {
      blockers.push({ resource: loc.source.resource, path: loc.path, what: `${change.note}: ${change.action.how}` });
      continue;
    }
    const comment = trailingComment(repo, loc.source.resource, loc.path);
    values.push({ change, resource: loc.source.resource, path: loc.path, base: loc.source.path, value: loc.value, comment });
  }
  // Image tags pinned to the old controller move with the chart; any other pin is the team's decision.
  const imageTags: { resource: Resource; path: YamlPath; value: string }[] = [];
  for (const key of ESO_IMAGE_TAG_KEYS) {
    const loc = esoSetValue(repo, hr, key);
    if (!loc?.source || !loc.path || loc.value === '' || loc.value === null) continue;
    const tag = scalarText(loc.value);
    if (tag.replace(/^v/, '') === pin.text)
      imageTags.push({ resource: loc.source.resource, path: loc.path, value: `${tag.startsWith('v') ? 'v' : ''}${targetText}` });
    else
      blockers.push({
        resource: loc.source.resource,
        path: loc.path,
        what: `${key.join('.')} pins image ${tag}, not the chart's own v${pin.text}: set it to v${targetText} (or remove it) with the upgrade`,
      });
  }
  const objects = esoObjects(repo).filter((o) => inScope(repo, hr, o, several));
  for (const o of objects) blockers.push(...esoObjectBlockers(o, target));
  const rewritten = objects.filter(esoNeedsV1);
  const refs = v1beta1References(repo, rewritten);
  blockers.push(...refs.blockers);
  return { hr, pin, target, targetText, objects: rewritten, values, imageTags, references: refs.refs, blockers };
}

/** The upgrade of a release, with the objects it shares with a release that stays on a chart without external-secrets.io/v1. */
export function esoUpgrade(repo: Repo, hr: Resource, targetText: string): EsoUpgrade | undefined {
  const pin = esoChartPin(repo, hr);
  if (pin.kind !== 'exact' || versionAtLeast(pin.version, ESO_REVIEW_KEYS_SINCE)) return undefined;
  const u = plan(repo, hr, pin, targetText);
  const stuck = esoReleases(repo).filter((r) => {
    if (r.id === hr.id) return false;
    const p = esoChartPin(repo, r);
    if (p.kind === 'range') return onlyVersionsBelow(p.text, '0.16.0');
    if (p.kind !== 'exact' || versionAtLeast(p.version, '0.16.0')) return false;
    return versionAtLeast(p.version, ESO_REVIEW_KEYS_SINCE) || plan(repo, r, p, targetText).blockers.length > 0;
  });
  const shared: EsoBlocker[] = [];
  for (const r of stuck) {
    const theirs = new Set(repo.flux.clustersOf(r.file));
    for (const o of u.objects) {
      const clusters = repo.flux.clustersOf(o.file).filter((c) => theirs.has(c));
      if (clusters.length)
        shared.push({
          resource: o,
          path: ['apiVersion'],
          what: `${o.kind} ${o.name} is also applied on ${clusters.join(', ')}, whose External Secrets release ${r.name} stays on a chart without ${V1}`,
        });
    }
  }
  return shared.length ? { ...u, blockers: [...u.blockers, ...shared] } : u;
}

export function esoBlockerText(b: EsoBlocker): string {
  const pos = b.resource.position(b.path);
  return `${b.what} (${b.resource.file}:${pos.line})`;
}
