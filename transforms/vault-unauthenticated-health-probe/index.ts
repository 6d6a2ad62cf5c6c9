import {
  clean,
  defineRule,
  goTruthy,
  notApplicable,
  vaultChartTlsDisabled,
  vaultNotApplicable,
  vaultServers,
  vaultServesTls,
  vaultSet,
  vaultValueSite,
  type Change,
  type Report,
  type VaultServer,
  scalarText,
} from '../../src/kit/index.js';

/** Releases whose values are all in the repository: an absent key then really means the chart default. */
const COMPLETE = { complete: true };

/** Liveness: 2xx for sealed and uninitialised servers too, so Kubernetes does not restart a pod waiting to be unsealed. */
const VAULT_HEALTH_PATH = '/v1/sys/health?standbyok=true&sealedcode=204&uninitcode=204';
/**
 * Readiness: 2xx only for an unsealed, initialised server (active or standby). A sealed pod is not ready, as with the
 * chart's default exec probe (`vault status`), so a rolling update waits for each pod to be unsealed before it
 * replaces the next one.
 */
const VAULT_READY_PATH = '/v1/sys/health?standbyok=true';

const READINESS = ['server', 'readinessProbe'];
const LIVENESS = ['server', 'livenessProbe'];

type M = 'plainHttp' | 'livenessDisabled' | 'readinessCountsSealed' | 'livenessKillsSealed';

function release(s: VaultServer): string {
  return `${s.namespace}/${s.release.name}`;
}

/** A sys/health query that answers 2xx for sealed servers. */
function sealedOk(path: string): boolean {
  const q = new URLSearchParams(path.includes('?') ? path.slice(path.indexOf('?') + 1) : '');
  return /^2\d\d$/.test(q.get('sealedcode') ?? '');
}

/** A sys/health query that answers 2xx for sealed and uninitialised servers (and standbys). */
function tolerant(path: string): boolean {
  const q = new URLSearchParams(path.includes('?') ? path.slice(path.indexOf('?') + 1) : '');
  const ok = (k: string) => /^2\d\d$/.test(q.get(k) ?? '');
  return q.get('standbyok') === 'true' && ok('sealedcode') && ok('uninitcode');
}

export const rule = defineRule({
  meta: {
    id: 'vault-unauthenticated-health-probe',
    title: 'Require Vault health probes that keep sealed pods alive and run over TLS',
    reviewItem: 18,
    severity: 'medium',
    phase: 3,
    staleComments: /\b(probes?|health|liveness|readiness|sealed|uninitiali[sz]ed)\b|\b20[04]\b/i,
    after: ['vault-tls-disabled', 'vault-listener-insecure'],
    messages: {
      plainHttp:
        'Vault {release}: the readiness probe calls {path} over plain HTTP because TLS is off (global.tlsDisable); vault-tls-disabled switches the probe scheme to HTTPS',
      livenessDisabled: 'Vault {release} has no liveness probe (server.livenessProbe.enabled is {value}): a hung Vault server is never restarted',
      readinessCountsSealed:
        'Vault {release}: the readiness probe {path} answers 2xx for a sealed server, so a sealed pod counts as ready and a rolling update replaces the next pod before this one is unsealed; sealedcode belongs on the liveness probe only',
      livenessKillsSealed:
        'Vault {release}: the liveness probe {path} fails for sealed (503) or uninitialised (501) servers, so Kubernetes restarts them before anyone can unseal them',
    },
  },
  *detect({ repo }): Generator<Report<M, VaultServer>> {
    for (const s of vaultServers(repo, COMPLETE)) {
      if (s.mode !== 'standalone' && s.mode !== 'ha') continue;
      const data = { release: release(s), path: '', value: '' };
      const readPath = s.value([...READINESS, 'path']);
      if (goTruthy(s.value([...READINESS, 'enabled'])) && typeof readPath === 'string' && readPath) {
        const site = vaultValueSite(repo, s, [...READINESS, 'path']);
        if (goTruthy(s.value(['global', 'tlsDisable']))) {
          yield { messageId: 'plainHttp', ...site, data: { ...data, path: readPath }, fixable: false };
        }
        if (sealedOk(readPath)) yield { messageId: 'readinessCountsSealed', ...site, data: { ...data, path: readPath }, detail: s };
      }
      const enabled = s.value([...LIVENESS, 'enabled']);
      const exec = s.value([...LIVENESS, 'execCommand']);
      if (!goTruthy(enabled) || String(enabled) === 'false') {
        const site = vaultValueSite(repo, s, [...LIVENESS, 'enabled']);
        yield { messageId: 'livenessDisabled', ...site, data: { ...data, value: String(enabled) }, detail: s };
      } else if (!goTruthy(exec)) {
        const path = scalarText(s.value([...LIVENESS, 'path']));
        if (!tolerant(path)) yield { messageId: 'livenessKillsSealed', ...vaultValueSite(repo, s, [...LIVENESS, 'path']), data: { ...data, path }, detail: s };
      }
    }
  },
  checklist({ repo }) {
    const na = vaultNotApplicable(repo);
    if (na) return notApplicable(na);
    if (!vaultServers(repo, COMPLETE).some((s) => s.mode === 'standalone' || s.mode === 'ha')) return notApplicable('Vault runs in dev mode only');
    return clean("Vault's liveness probe keeps sealed pods alive and its probes match the listener's scheme");
  },
  fix: {
    kind: 'edit',
    safe: true,
    apply({ messageId, detail: s }, { repo }) {
      const changes: Change[] = [];
      if (messageId === 'readinessCountsSealed') {
        changes.push(vaultSet(repo, s, [...READINESS, 'path'], VAULT_READY_PATH));
        return {
          changes,
          notes: [
            `The readiness probe calls ${VAULT_READY_PATH}: a sealed or uninitialised pod is not ready (as with the chart's default probe), and the Services still reach it (publishNotReadyAddresses), so it can be unsealed.`,
          ],
          summary: `Vault ${release(s)}: readiness on ${VAULT_READY_PATH}`,
        };
      }
      // The chart's probes use https unless global.tlsDisable; against a listener of the other scheme, every liveness
      // check fails and Kubernetes restarts the pod in a loop. Turning such a probe on is refused (a probe that is
      // already on only gets a better path).
      const probeHttps = !vaultChartTlsDisabled(s);
      if (messageId === 'livenessDisabled' && probeHttps !== vaultServesTls(s)) {
        return {
          skipped: `Vault ${release(s)}: the chart probes over ${probeHttps ? 'HTTPS' : 'HTTP'} (global.tlsDisable: ${String(!probeHttps)}) while the listener serves ${probeHttps ? 'plain HTTP (tls_disable)' : 'TLS'}, so a liveness probe would restart the pod in a loop; make the listener and global.tlsDisable agree first (vault-listener-insecure, vault-tls-disabled)`,
        };
      }
      if (String(s.value([...LIVENESS, 'enabled'])) !== 'true') changes.push(vaultSet(repo, s, [...LIVENESS, 'enabled'], true));
      if (s.value([...LIVENESS, 'path']) !== VAULT_HEALTH_PATH) changes.push(vaultSet(repo, s, [...LIVENESS, 'path'], VAULT_HEALTH_PATH));
      // Only the liveness probe tolerates sealed pods; the readiness probe is left alone (or fixed by its own finding).
      return {
        changes,
        notes: [
          `The liveness probe calls ${VAULT_HEALTH_PATH} on port 8200 (a sealed or uninitialised pod is alive, not restarted); the chart takes the scheme from global.tlsDisable. sys/health needs no token by design and reveals only the seal, init and standby state.`,
        ],
        summary: `Vault ${release(s)}: liveness probe on ${VAULT_HEALTH_PATH}`,
      };
    },
  },
});
