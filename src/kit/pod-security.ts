/**
 * Pod Security Standards, "restricted" profile (kubernetes.io/docs/concepts/security/pod-security-standards):
 * what a pod spec lacks to meet it, and what makes it impossible without changing what the workload does.
 */
import { asArray, asRecord } from './data.js';

/** Volume types the restricted profile allows. */
export const RESTRICTED_VOLUME_TYPES = ['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret'];

/** The only capability a restricted container may add. */
export const RESTRICTED_ADDABLE_CAPABILITIES = ['NET_BIND_SERVICE'];

export interface ContainerGaps {
  readonly list: 'containers' | 'initContainers' | 'ephemeralContainers';
  readonly index: number;
  readonly name: string;
  readonly image: string | undefined;
  /** `allowPrivilegeEscalation` is not false. */
  readonly privilegeEscalation: boolean;
  /** `capabilities.drop` lacks ALL. */
  readonly capabilities: boolean;
  /** `runAsNonRoot: false` on the container (overrides the pod). */
  readonly runAsRootAllowed: boolean;
  /** `seccompProfile` of the container is neither RuntimeDefault nor Localhost (only when set on the container). */
  readonly seccomp: boolean;
  /** `readOnlyRootFilesystem` is not true (not a restricted control; reported only on request). */
  readonly writableRoot: boolean;
}

export interface PodGaps {
  /** Neither the pod nor every container sets `runAsNonRoot: true`. */
  readonly runAsNonRoot: boolean;
  /** Neither the pod nor every container has a RuntimeDefault/Localhost seccomp profile. */
  readonly seccomp: boolean;
  readonly containers: readonly ContainerGaps[];
  /** What restricted forbids and no context setting can give back (host namespaces, privileged, hostPath, ...). */
  readonly blockers: readonly string[];
}

const allowedSeccomp = (v: unknown) => {
  const t = asRecord(v)?.type;
  return t === 'RuntimeDefault' || t === 'Localhost';
};

/** Check a pod spec (`spec.template.spec` of a workload) against the restricted profile. */
export function restrictedGaps(podSpec: unknown): PodGaps {
  const spec = asRecord(podSpec) ?? {};
  const podSc = asRecord(spec.securityContext) ?? {};
  const blockers: string[] = [];
  for (const k of ['hostNetwork', 'hostPID', 'hostIPC']) if (spec[k] === true) blockers.push(`${k}: true`);
  if (asRecord(podSc.windowsOptions)?.hostProcess === true) blockers.push('a Windows HostProcess pod');
  if (podSc.runAsUser === 0) blockers.push('runAsUser: 0');
  for (const v of Array.isArray(spec.volumes) ? spec.volumes : []) {
    const vol = asRecord(v);
    if (!vol) continue;
    const type = Object.keys(vol).find((k) => k !== 'name');
    if (type && !RESTRICTED_VOLUME_TYPES.includes(type)) blockers.push(`a ${type} volume${typeof vol.name === 'string' ? ` (${vol.name})` : ''}`);
  }
  const containers: ContainerGaps[] = [];
  for (const list of ['initContainers', 'containers', 'ephemeralContainers'] as const) {
    const items = spec[list];
    (Array.isArray(items) ? items : []).forEach((item, index) => {
      const c = asRecord(item);
      if (!c) return;
      const name = typeof c.name === 'string' ? c.name : `${list}[${index}]`;
      const sc = asRecord(c.securityContext) ?? {};
      const caps = asRecord(sc.capabilities) ?? {};
      if (sc.privileged === true) blockers.push(`container ${name} is privileged`);
      if (sc.runAsUser === 0) blockers.push(`container ${name} has runAsUser: 0`);
      const added = (Array.isArray(caps.add) ? caps.add : []).map(String).filter((x) => !RESTRICTED_ADDABLE_CAPABILITIES.includes(x.replace(/^CAP_/, '')));
      if (added.length) blockers.push(`container ${name} adds ${added.join(', ')}`);
      for (const p of Array.isArray(c.ports) ? c.ports : []) {
        const hp = asRecord(p)?.hostPort;
        if (typeof hp === 'number' && hp !== 0) blockers.push(`container ${name} uses hostPort ${hp}`);
      }
      const drop = (Array.isArray(caps.drop) ? caps.drop : []).map(String);
      containers.push({
        list,
        index,
        name,
        image: typeof c.image === 'string' ? c.image : undefined,
        privilegeEscalation: sc.allowPrivilegeEscalation !== false,
        capabilities: !drop.includes('ALL'),
        runAsRootAllowed: sc.runAsNonRoot === false,
        seccomp: sc.seccompProfile !== undefined && sc.seccompProfile !== null && !allowedSeccomp(sc.seccompProfile),
        writableRoot: sc.readOnlyRootFilesystem !== true,
      });
    });
  }
  const everyContainer = (f: (sc: Record<string, unknown>) => boolean) =>
    containers.length > 0 &&
    containers.every((g) => {
      const c = asRecord(asArray(spec[g.list])[g.index]);
      return f(asRecord(c?.securityContext) ?? {});
    });
  const runAsNonRoot = !(podSc.runAsNonRoot === true || everyContainer((sc) => sc.runAsNonRoot === true));
  const seccomp = !(allowedSeccomp(podSc.seccompProfile) || everyContainer((sc) => allowedSeccomp(sc.seccompProfile)));
  return { runAsNonRoot, seccomp, containers, blockers };
}

/** Human list of what a pod lacks: "pod: no runAsNonRoot, no seccompProfile; container api: allows privilege escalation". */
export function describeGaps(g: PodGaps, opts: { readOnlyRootFilesystem?: boolean } = {}): string[] {
  const out: string[] = [];
  const pod = [...(g.runAsNonRoot ? ['runAsNonRoot is not true'] : []), ...(g.seccomp ? ['no RuntimeDefault seccompProfile'] : [])];
  if (pod.length) out.push(`pod: ${pod.join(', ')}`);
  for (const c of g.containers) {
    const parts = [
      ...(c.privilegeEscalation ? ['allows privilege escalation'] : []),
      ...(c.capabilities ? ['does not drop ALL capabilities'] : []),
      ...(c.runAsRootAllowed ? ['sets runAsNonRoot: false'] : []),
      ...(c.seccomp ? ['has an unconfined seccompProfile'] : []),
      ...(opts.readOnlyRootFilesystem && c.writableRoot ? ['has a writable root filesystem'] : []),
    ];
    if (parts.length) out.push(`container ${c.name}: ${parts.join(', ')}`);
  }
  return out;
}

/** True when the pod meets the profile (and, on request, every container has a read-only root filesystem). */
export function meetsRestricted(g: PodGaps, opts: { readOnlyRootFilesystem?: boolean } = {}): boolean {
  return g.blockers.length === 0 && describeGaps(g, opts).length === 0;
}

export interface ImageUser {
  readonly uid: number;
  readonly gid: number;
  /** Where the numbers come from. */
  readonly source: string;
}

/**
 * Well-known images that start as root and switch to a fixed non-root user themselves: with `runAsNonRoot` the
 * kubelet refuses to start them unless `runAsUser` names that user. Numbers from the images' Dockerfiles.
 */
function imageName(image: string): { name: string; tag: string } {
  const noDigest = image.split('@')[0]!;
  const lastSlash = noDigest.lastIndexOf('/');
  const colon = noDigest.indexOf(':', lastSlash + 1);
  const repo = colon < 0 ? noDigest : noDigest.slice(0, colon);
  const tag = colon < 0 ? '' : noDigest.slice(colon + 1);
  const name = repo.replace(/^(docker\.io\/|index\.docker\.io\/|registry-1\.docker\.io\/|registry\.k8s\.io\/|k8s\.gcr\.io\/)/, '').replace(/^library\//, '');
  return { name, tag };
}

/** `1.11.3` → [1, 11]; undefined for tags that are not versions. */
function tagMinor(tag: string): [number, number] | undefined {
  const m = /^v?(\d+)\.(\d+)/.exec(tag);
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

export function knownImageUser(image: string | undefined): ImageUser | undefined {
  if (!image) return undefined;
  const { name, tag } = imageName(image);
  if (name === 'postgres') {
    return /alpine/.test(tag)
      ? { uid: 70, gid: 70, source: 'the postgres Alpine image (user postgres, uid 70)' }
      : { uid: 999, gid: 999, source: 'the postgres Debian image (user postgres, uid 999)' };
  }
  if (name === 'hashicorp/vault' || name === 'vault') return { uid: 100, gid: 1000, source: 'the hashicorp/vault image (user vault, uid 100, group 1000)' };
  // CoreDNS images since 1.11.0 run as distroless "nonroot" (65532), a user name the kubelet cannot check by itself.
  const v = tagMinor(tag);
  if (name === 'coredns/coredns' && v && (v[0] > 1 || (v[0] === 1 && v[1] >= 11)))
    return { uid: 65532, gid: 65532, source: 'the coredns/coredns image (distroless user nonroot, uid 65532)' };
  return undefined;
}

/**
 * Well-known images whose entrypoint starts as root (and drops to another user itself, or stays root): with
 * `runAsNonRoot: true` the kubelet refuses to start them, and forcing a `runAsUser` breaks their entrypoint. Undefined
 * for other images. CoreDNS before 1.11 ran as root.
 */
export function knownRootImage(image: string | undefined): string | undefined {
  if (!image) return undefined;
  const { name, tag } = imageName(image);
  const root = ['nginx', 'mariadb', 'mysql', 'redis', 'valkey/valkey', 'mongo', 'rabbitmq', 'httpd', 'busybox', 'alpine', 'ubuntu', 'debian'];
  if (root.includes(name)) return `the ${name} image starts as root`;
  const v = tagMinor(tag);
  if (name === 'coredns/coredns' && v && v[0] === 1 && v[1] < 11) return 'coredns/coredns images before 1.11 run as root';
  return undefined;
}

/** Images known to bind ports below 1024 whatever their containerPort says (CoreDNS: 53). */
export function knownLowPortImage(image: string | undefined): string | undefined {
  if (!image) return undefined;
  const { name } = imageName(image);
  if (name === 'coredns/coredns') return 'CoreDNS serves DNS on port 53';
  return undefined;
}
