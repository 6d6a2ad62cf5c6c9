/**
 * The security contexts the Vault and External Secrets charts render, from the release's values, and the values
 * that make them meet the Pod Security "restricted" profile.
 */
import { asRecord, getIn } from './data.js';
import { restrictedGaps, type PodGaps } from './pod-security.js';
import type { Repo, Resource, YamlPath } from './repo.js';
import { scalarText } from './scalar.js';
import { onlyVersionsBelow } from './semver.js';
import { goTruthy, helmTrue, type VaultServer } from './vault/index.js';

export interface ChartValueEdit {
  /** `delete` removes an override so the chart's (secure) default applies again. */
  readonly op: 'set' | 'append' | 'delete';
  readonly path: YamlPath;
  readonly value: unknown;
}

/** One kind of pod a chart renders. */
export interface ChartPod {
  /** "Vault server", "External Secrets webhook", ... */
  readonly component: string;
  /** Values path of the pod's security context (where findings point). */
  readonly podKey: YamlPath;
  readonly gaps: PodGaps;
  /** Values edits that close the gaps (and, on request, make the root filesystem read-only). */
  fix(readOnlyRootFilesystem: boolean): { readonly edits: readonly ChartValueEdit[]; readonly notes: readonly string[] };
}

const RUNTIME_DEFAULT = { type: 'RuntimeDefault' };

// ---------------------------------------------------------------------------------------------------------------
// Vault (vault-helm _helpers.tpl: server.statefulSet.securityContext.*, injector.securityContext.*)

interface VaultPodSpec {
  readonly component: string;
  readonly base: YamlPath;
  readonly container: string;
  readonly idKey: string;
  readonly defaultContainer: Record<string, unknown>;
  readonly hostNetwork: YamlPath;
}

const VAULT_PODS: readonly VaultPodSpec[] = [
  {
    component: 'Vault server',
    base: ['server', 'statefulSet', 'securityContext'],
    container: 'vault',
    idKey: 'server',
    defaultContainer: { allowPrivilegeEscalation: false },
    hostNetwork: ['server', 'hostNetwork'],
  },
  {
    component: 'Vault Agent Injector',
    base: ['injector', 'securityContext'],
    container: 'sidecar-injector',
    idKey: 'injector',
    defaultContainer: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
    hostNetwork: ['injector', 'hostNetwork'],
  },
];

/** One Vault pod of a release, as its values set it: what its fix needs to know. */
interface VaultPodValues {
  readonly p: VaultPodSpec;
  readonly server: VaultServer;
  readonly openshift: boolean;
  /** `<base>.pod` and `<base>.container` as the values set them. */
  readonly podVal: unknown;
  readonly conVal: unknown;
  readonly defaultPod: Record<string, unknown>;
  readonly uid: unknown;
  readonly gid: unknown;
  readonly gaps: PodGaps;
}

/** Close the pod-level gaps: set `<base>.pod` (restating the chart's defaults), or the missing keys of the one set. */
function vaultPodEdits(x: VaultPodValues, edits: ChartValueEdit[], notes: string[]): void {
  const { p, gaps } = x;
  if (!gaps.runAsNonRoot && !gaps.seccomp) return;
  if (!goTruthy(x.podVal)) {
    const pod = x.openshift ? { runAsNonRoot: true } : x.defaultPod;
    edits.push({ op: 'set', path: [...p.base, 'pod'], value: { ...pod, seccompProfile: RUNTIME_DEFAULT } });
    if (!x.openshift)
      notes.push(
        `${p.component}: ${p.base.join('.')}.pod replaces the chart's default pod securityContext, so it restates runAsNonRoot, runAsUser ${scalarText(x.uid)}, runAsGroup ${scalarText(x.gid)} and fsGroup ${scalarText(x.gid)} next to the seccompProfile.`,
      );
    return;
  }
  if (gaps.runAsNonRoot) edits.push({ op: 'set', path: [...p.base, 'pod', 'runAsNonRoot'], value: true });
  if (gaps.seccomp) edits.push({ op: 'set', path: [...p.base, 'pod', 'seccompProfile'], value: RUNTIME_DEFAULT });
}

/** Close the container-level gaps: set `<base>.container`, or the missing keys of the one set. */
function vaultContainerEdits(x: VaultPodValues, roNeeded: boolean, edits: ChartValueEdit[], notes: string[]): void {
  const { p } = x;
  const c = x.gaps.containers[0];
  if (!c || !(c.privilegeEscalation || c.capabilities || c.runAsRootAllowed || c.seccomp || roNeeded)) return;
  if (!goTruthy(x.conVal)) {
    edits.push({
      op: 'set',
      path: [...p.base, 'container'],
      value: {
        ...(x.openshift ? {} : p.defaultContainer),
        allowPrivilegeEscalation: false,
        capabilities: { drop: ['ALL'] },
        ...(roNeeded ? { readOnlyRootFilesystem: true } : {}),
      },
    });
    if (!x.openshift)
      notes.push(
        `${p.component}: ${p.base.join('.')}.container replaces the chart's default container securityContext, so it restates allowPrivilegeEscalation: false.`,
      );
    return;
  }
  if (c.privilegeEscalation) edits.push({ op: 'set', path: [...p.base, 'container', 'allowPrivilegeEscalation'], value: false });
  if (c.capabilities) edits.push({ op: 'set', path: [...p.base, 'container', 'capabilities', 'drop'], value: ['ALL'] });
  if (c.runAsRootAllowed) edits.push({ op: 'set', path: [...p.base, 'container', 'runAsNonRoot'], value: true });
  if (c.seccomp) edits.push({ op: 'set', path: [...p.base, 'container', 'seccompProfile'], value: RUNTIME_DEFAULT });
  if (roNeeded) edits.push({ op: 'set', path: [...p.base, 'container', 'readOnlyRootFilesystem'], value: true });
}

/** The fix of one Vault pod: its pod and container securityContext, and /tmp as an emptyDir under a read-only root. */
function vaultPodFix(x: VaultPodValues, ro: boolean): { edits: ChartValueEdit[]; notes: string[] } {
  const edits: ChartValueEdit[] = [];
  const notes: string[] = [];
  vaultPodEdits(x, edits, notes);
  const roNeeded = ro && x.gaps.containers[0]?.writableRoot === true;
  vaultContainerEdits(x, roNeeded, edits, notes);
  if (roNeeded && x.p.idKey === 'server') {
    const mounts = x.server.value(['server', 'volumeMounts']);
    const hasTmp = Array.isArray(mounts) && mounts.some((m) => asRecord(m)?.mountPath === '/tmp' || asRecord(m)?.mountPath === '/tmp/');
    if (!hasTmp) {
      edits.push({ op: 'append', path: ['server', 'volumes'], value: { name: 'tmp', emptyDir: {} } });
      edits.push({ op: 'append', path: ['server', 'volumeMounts'], value: { name: 'tmp', mountPath: '/tmp' } });
      notes.push('Vault server: the root filesystem is read-only, so /tmp is an emptyDir (the chart copies and edits the configuration there at start).');
    }
  }
  return { edits, notes };
}

/**
 * The Vault release's pods. A `pod`/`container` security context set in the values replaces the chart's default
 * wholesale, so a fix that sets one restates the defaults (runAsNonRoot, runAsUser 100, runAsGroup 1000, fsGroup
 * 1000; allowPrivilegeEscalation false). `{ tooOld }` for charts before 0.21.0, which have no such values.
 */
export function vaultSecurityContexts(server: VaultServer): readonly ChartPod[] | { readonly tooOld: string } {
  if (onlyVersionsBelow(server.chartVersion, '0.21.0')) return { tooOld: server.chartVersion ?? '' };
  const v = (path: YamlPath) => server.value(path);
  const openshift = helmTrue(v(['global', 'openshift']));
  const injectorOn = helmTrue(v(['injector', 'enabled'])) || (String(v(['injector', 'enabled'])) === '-' && helmTrue(v(['global', 'enabled'])));
  const serverOn = server.mode !== 'external' && server.mode !== 'none';
  const out: ChartPod[] = [];
  for (const p of VAULT_PODS) {
    if (p.idKey === 'server' ? !serverOn : !injectorOn) continue;
    const podVal = v([...p.base, 'pod']);
    const conVal = v([...p.base, 'container']);
    if (typeof podVal === 'string' || typeof conVal === 'string') continue; // a template string: rendered at install time
    const uid = goTruthy(v([p.idKey, 'uid'])) ? v([p.idKey, 'uid']) : 100;
    const gid = goTruthy(v([p.idKey, 'gid'])) ? v([p.idKey, 'gid']) : 1000;
    const defaultPod: Record<string, unknown> = openshift ? {} : { runAsNonRoot: true, runAsUser: uid, runAsGroup: gid, fsGroup: gid };
    const podSc = goTruthy(podVal) ? asRecord(podVal)! : defaultPod;
    const conSc = goTruthy(conVal) ? asRecord(conVal)! : openshift ? {} : p.defaultContainer;
    const volumes = p.idKey === 'server' ? v(['server', 'volumes']) : undefined;
    const gaps = restrictedGaps({
      securityContext: podSc,
      hostNetwork: helmTrue(v(p.hostNetwork)),
      containers: [{ name: p.container, securityContext: conSc }],
      volumes: Array.isArray(volumes) ? volumes : [],
    });
    const values: VaultPodValues = { p, server, openshift, podVal, conVal, defaultPod, uid, gid, gaps };
    out.push({ component: p.component, podKey: [...p.base, 'pod'], gaps, fix: (ro) => vaultPodFix(values, ro) });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// External Secrets (chart values podSecurityContext / securityContext per component; secure by default)

/** The chart's container securityContext default (external-secrets chart 2.9.0 values.yaml, same since 0.9.17). */
export const ESO_DEFAULT_SECURITY_CONTEXT: Readonly<Record<string, unknown>> = {
  allowPrivilegeEscalation: false,
  capabilities: { drop: ['ALL'] },
  enabled: true,
  readOnlyRootFilesystem: true,
  runAsNonRoot: true,
  runAsUser: 1000,
  seccompProfile: { type: 'RuntimeDefault' },
};

const ESO_COMPONENTS: readonly { component: string; prefix: YamlPath; create?: YamlPath; hostNetwork?: YamlPath }[] = [
  { component: 'External Secrets controller', prefix: [] },
  { component: 'External Secrets webhook', prefix: ['webhook'], create: ['webhook', 'create'], hostNetwork: ['webhook', 'hostNetwork'] },
  { component: 'External Secrets cert-controller', prefix: ['certController'], create: ['certController', 'create'] },
];

/** Helm's merge of user values over a default map: null deletes a key, maps merge, anything else replaces. */
function helmMerge(base: Record<string, unknown>, over: unknown): Record<string, unknown> {
  if (over === null) return {};
  const o = asRecord(over);
  if (!o) return base;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(o)) {
    if (v === null) delete out[k];
    else if (asRecord(v) && asRecord(out[k])) out[k] = helmMerge(asRecord(out[k])!, v);
    else out[k] = v;
  }
  return out;
}

function withoutEnabled(sc: Record<string, unknown>): Record<string, unknown> {
  const { enabled: _enabled, ...rest } = sc;
  return rest;
}

/**
 * The External Secrets release's pods as the chart renders them: its defaults meet "restricted", so only values
 * that override them can produce gaps.
 */
export function esoSecurityContexts(repo: Repo, hr: Resource): readonly ChartPod[] {
  const values = repo.flux.values(hr);
  const out: ChartPod[] = [];
  for (const c of ESO_COMPONENTS) {
    if (c.create && getIn(values, c.create) === false) continue;
    const scKey = [...c.prefix, 'securityContext'];
    const podKey = [...c.prefix, 'podSecurityContext'];
    const sc = helmMerge({ ...ESO_DEFAULT_SECURITY_CONTEXT }, getIn(values, scKey));
    const pod = helmMerge({ enabled: true }, getIn(values, podKey));
    const scOn = sc.enabled !== false && sc.enabled !== undefined;
    const gaps = restrictedGaps({
      securityContext: pod.enabled === false ? {} : withoutEnabled(pod),
      hostNetwork: c.hostNetwork ? getIn(values, c.hostNetwork) === true : false,
      containers: [{ name: c.component.split(' ').pop(), securityContext: scOn ? withoutEnabled(sc) : {} }],
    });
    out.push({
      component: c.component,
      podKey: scKey,
      gaps,
      fix(ro) {
        // An override of a secure default is removed; a key the chart has no default for is set.
        const override = getIn(values, scKey);
        if (override === null)
          return {
            edits: [{ op: 'delete', path: scKey, value: undefined }],
            notes: [`${c.component}: ${scKey.join('.')}: null removed the chart's secure defaults; the override is gone.`],
          };
        const on = restrictedGaps({
          securityContext: pod.enabled === false ? {} : withoutEnabled(pod),
          containers: [{ name: 'c', securityContext: withoutEnabled(sc) }],
        });
        const g = on.containers[0]!;
        const keys: [string, boolean][] = [
          ['enabled', !scOn],
          ['allowPrivilegeEscalation', g.privilegeEscalation],
          ['capabilities', g.capabilities],
          ['runAsNonRoot', on.runAsNonRoot || g.runAsRootAllowed],
          ['seccompProfile', on.seccomp || g.seccomp],
          ['readOnlyRootFilesystem', ro && g.writableRoot],
        ];
        const edits: ChartValueEdit[] = keys
          .filter(([, bad]) => bad)
          .map(([k]) =>
            asRecord(override) && k in asRecord(override)!
              ? { op: 'delete', path: [...scKey, k], value: undefined }
              : { op: 'set', path: [...scKey, k], value: ESO_DEFAULT_SECURITY_CONTEXT[k] },
          );
        return { edits, notes: [`${c.component}: the overrides of the chart's secure securityContext defaults are removed.`] };
      },
    });
  }
  return out;
}
