/**
 * A repository full of bad input, generated on the fly (nothing large is committed): every case of the bad-input
 * list, next to ordinary files whose findings must still be reported and fixed.
 */
import { createHash } from 'node:crypto';
import { chmodSync, closeSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** An ExternalSecret refreshed every hour: a finding of externalsecret-slow-refresh whose fix is a one-line edit. */
export function externalSecret(name: string, spec = '  refreshInterval: 1h\n', extra = ''): string {
  return `apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata:
  name: ${name}
  namespace: apps
spec:
${spec}  secretStoreRef:
    kind: ClusterSecretStore
    name: vault
  target:
    name: ${name}
  data:
    - secretKey: password
      remoteRef:
        key: apps/${name}
        property: password
${extra}`;
}

export function vaultRelease(name: string, values: string): string {
  return `apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: ${name}
  namespace: vault
spec:
  interval: 30m
  chart:
    spec:
      chart: vault
      version: "0.34.1"
      sourceRef:
        kind: HelmRepository
        name: hashicorp
        namespace: flux-system
${values}`;
}

/** The files of the bad-input repository (paths → content); the 50 MB file, symlinks and modes are added by `writeBadRepo`. */
export const BAD_FILES: Record<string, string | Buffer> = {
  'bad/syntax.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [broken\ndata: {}\n',
  'bad/duplicate-keys.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  name: b\n',
  'bad/tabs.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n\tname: tabbed\n',
  'bad/alias-bomb.yaml':
    [
      'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
      ...'bcdefghi'.split('').map((c, i) => `${c}: &${c} [${Array(9).fill(`*${'abcdefghi'[i]}`).join(',')}]`),
    ].join('\n') + '\n',
  'bad/binary.yaml': Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52]),
  'bad/latin1.yaml': Buffer.from('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: caf\xe9\n', 'latin1'),
  'bad/utf16.yaml': Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('apiVersion: v1\nkind: ConfigMap\n', 'utf16le')]),
  'bad/empty.yaml': '',
  'bad/comment-only.yaml': '# nothing here yet\n',
  'bad/dashes-only.yaml': '---\n---\n',
  'bad/scalar.yaml': 'just a string\n',
  'bad/list.yaml': '- a\n- b\n',
  'bad/helm-template.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Values.name }}\n{{- if .Values.extra }}\ndata: {}\n{{- end }}\n',
  // SOPS-encrypted, yet an ExternalSecret with a slow refresh: it must be skipped, never edited.
  'bad/secret.sops.yaml': externalSecret(
    'sops-encrypted',
    '  refreshInterval: 1h\n',
    'sops:\n  mac: ENC[AES256_GCM,data:abc,iv:def,tag:ghi,type:str]\n  version: 3.8.1\n',
  ),
  'bad/deep-nesting.yaml': `a: ${'['.repeat(10_000)}${']'.repeat(10_000)}\n`,
  'bad/long-line.yaml': `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: long\ndata:\n  blob: "${'x'.repeat(1024 * 1024)}"\n`,
  'bad/kustomize-missing/kustomization.yaml':
    'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - present.yaml\n  - missing.yaml\n',
  'bad/kustomize-missing/present.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: present\n',
  'bad/values-string.yaml': vaultRelease('values-string', '  values: "server: {}"\n'),
  'bad/values-null.yaml': vaultRelease('values-null', '  values: null\n'),
  'bad/values-list.yaml': vaultRelease('values-list', '  values:\n    - server\n    - injector\n'),
  // The chart renders server.standalone.config with toJson when it is a map: Vault reads JSON, but gitops-fix never edits it.
  'bad/vault-config-map.yaml': vaultRelease(
    'config-map',
    '  values:\n    server:\n      standalone:\n        enabled: true\n        config:\n          ui: true\n          listener:\n            tcp:\n              address: "[::]:8200"\n              tls_disable: 1\n          storage:\n            file:\n              path: /vault/data\n',
  ),
  'bad/vault-broken-hcl.yaml': vaultRelease(
    'broken-hcl',
    '  values:\n    server:\n      standalone:\n        enabled: true\n        config: |\n          ui = true\n          listener "tcp" {\n            tls_disable = 1\n            address = "[::]:8200"\n          storage "file" {\n            path = "/vault/data"\n          }\n',
  ),
  // Merge keys and anchors on the edited path: the fix must refuse rather than edit the anchor's other users.
  'bad/merge-keys.yaml': externalSecret('merged', '  <<: {refreshInterval: 1h}\n'),
  // An anchor on the edited value, used again later in the document: editing it would change the alias too.
  'bad/anchors.yaml':
    externalSecret('anchored', '  refreshInterval: &every 1h\n').replace(/^metadata:\n(.*\n){2}/m, '') +
    'metadata:\n  name: anchored\n  namespace: apps\n  annotations:\n    refresh-was: *every\n',
  'bad/alias-across-documents.yaml': `${externalSecret('first', '  refreshInterval: &every 1h\n')}---\n${externalSecret('second', '  refreshInterval: *every\n')}`,
  // Ordinary files: their findings are reported and fixed whatever the bad files around them.
  'good/external-secret.yaml': externalSecret('good'),
  'dir with space/ünïcødé é.yaml': externalSecret('unicode-path'),
  'good/crlf.yaml': externalSecret('crlf').replace(/\n/g, '\r\n'),
};

export const FIFTY_MB = 'bad/fifty-megabytes.yaml';

/** Write the bad-input repository into `dir` (which must exist). */
export function writeBadRepo(dir: string): void {
  for (const [p, content] of Object.entries(BAD_FILES)) {
    mkdirSync(dirname(join(dir, p)), { recursive: true });
    writeFileSync(join(dir, p), content);
  }
  // 50 MB of valid YAML, written in chunks.
  const fd = openSync(join(dir, FIFTY_MB), 'w');
  writeSync(fd, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\ndata:\n');
  const line = (i: number) => `  key${String(i).padStart(7, '0')}: "${'v'.repeat(88)}"\n`;
  const chunk = (from: number) => Array.from({ length: 10_000 }, (_, i) => line(from + i)).join('');
  for (let i = 0; i < 50 * 1024 * 1024; i += 1_040_000) writeSync(fd, chunk(i / 104));
  closeSync(fd);
  symlinkSync('/etc/hostname', join(dir, 'bad/outside-link.yaml'));
  symlinkSync('loop-b.yaml', join(dir, 'bad/loop-a.yaml'));
  symlinkSync('loop-a.yaml', join(dir, 'bad/loop-b.yaml'));
  writeFileSync(join(dir, 'bad/unreadable.yaml'), externalSecret('unreadable'));
  chmodSync(join(dir, 'bad/unreadable.yaml'), 0o000);
}

/** Content hash, mode and link target of every entry below dir (`.git` excluded): "nothing modified or lost". */
export function treeState(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string, rel: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.name === '.git') continue;
      const abs = join(d, e.name);
      const r = rel ? `${rel}/${e.name}` : e.name;
      const st = lstatSync(abs);
      if (e.isSymbolicLink()) out.set(r, `link ${readlinkSync(abs)}`);
      else if (e.isDirectory()) walk(abs, r);
      else out.set(r, `${(st.mode & 0o7777).toString(8)} ${st.size} ${createHash('sha1').update(readFileSync(abs)).digest('hex')}`);
    }
  };
  walk(dir, '');
  return out;
}
