/**
 * Where a Kubernetes Secret comes from, as far as the repository tells: a Secret manifest (SOPS-encrypted ones
 * included: their metadata stays readable), a cert-manager Certificate, an External Secrets ExternalSecret, a
 * SealedSecret. A Secret none of them makes is created outside Git (by hand, by another tool) or not at all.
 */
import { parseAllDocuments } from 'yaml';
import { asRecord, dirOf } from './data.js';
import { GROUPS, type Repo } from './repo.js';

/** What creates Secret `namespace/name` in the repository ("Certificate vault/vault-tls (file)"), or undefined. */
export function secretSource(repo: Repo, namespace: string, name: string): string | undefined {
  for (const s of repo.ofKind('Secret')) {
    if (s.group === '' && s.name === name && repo.flux.namespaceOf(s) === namespace) return `Secret ${namespace}/${name} (${s.file})`;
  }
  for (const c of repo.ofKind('Certificate', GROUPS.certManager)) {
    if (c.get(['spec', 'secretName']) === name && repo.flux.namespaceOf(c) === namespace) return `Certificate ${namespace}/${c.name} (${c.file})`;
  }
  for (const e of repo.ofKind('ExternalSecret', GROUPS.eso)) {
    const target = e.get(['spec', 'target', 'name']);
    if ((typeof target === 'string' ? target : e.name) === name && repo.flux.namespaceOf(e) === namespace)
      return `ExternalSecret ${namespace}/${e.name} (${e.file})`;
  }
  for (const s of repo.ofKind('SealedSecret', 'bitnami.com')) {
    const target = s.get(['spec', 'template', 'metadata', 'name']);
    if ((typeof target === 'string' ? target : s.name) === name && repo.flux.namespaceOf(s) === namespace)
      return `SealedSecret ${namespace}/${s.name} (${s.file})`;
  }
  // SOPS-encrypted files are not loaded as objects (they cannot be edited), but their kind and metadata are in clear.
  for (const f of repo.files) {
    if (f.status !== 'skipped' || f.skipReason !== 'sops-encrypted' || !f.text) continue;
    for (const d of parseAllDocuments(f.text, { logLevel: 'silent' })) {
      let data: Record<string, unknown> | undefined;
      try {
        data = asRecord(d.toJS({ maxAliasCount: 0 }));
      } catch {
        continue;
      }
      const meta = asRecord(data?.metadata);
      if (data?.kind !== 'Secret' || meta?.name !== name) continue;
      const ns = typeof meta.namespace === 'string' ? meta.namespace : undefined;
      const dir = dirOf(f.path);
      const kustomizeNs = repo.flux.kustomizeFile(dir)?.get(['namespace']);
      if ((ns ?? (typeof kustomizeNs === 'string' ? kustomizeNs : undefined)) === namespace) return `Secret ${namespace}/${name} (${f.path}, SOPS-encrypted)`;
    }
  }
  return undefined;
}
