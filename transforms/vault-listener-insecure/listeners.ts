/** The listener edit of vault-listener-insecure: TLS files on every served tcp listener, dual-stack addresses. */
import {
  getAttribute,
  parseHcl,
  removeAttribute,
  setAttribute,
  vaultCertFiles,
  vaultListenerState,
  vaultTcpListeners,
  type HclBlock,
  type VaultCertFiles,
} from '../../src/kit/index.js';

/** Apply `edit` to the text of one block (a standalone HCL text), splicing the result back. */
function editBlock(text: string, block: HclBlock, edit: (blockText: string) => string): string {
  const before = text.slice(0, block.range.start);
  const own = text.slice(block.range.start, block.range.end);
  return before + edit(own) + text.slice(block.range.end);
}

const LISTENER = { block: { type: 'listener', label: 'tcp' } };

/**
 * Make every served tcp listener serve TLS with `files`: `tls_disable` removed, certificate, key and client CA files
 * added where missing. With `dualStack`, `0.0.0.0:` addresses become `[::]:` (all IPv4 and IPv6 interfaces).
 */
export function vaultSecureListeners(text: string, certs: VaultCertFiles | undefined, opts: { dualStack: boolean }): string {
  const doc = parseHcl(text);
  let out = text;
  for (const b of [...vaultTcpListeners(doc)].sort((x, y) => y.range.start - x.range.start)) {
    const s = vaultListenerState(b);
    out = editBlock(out, b, (t) => {
      let r = t;
      let files = certs;
      if (files && (s.tlsDisabled || s.missingCertFiles)) {
        r = removeAttribute(r, LISTENER, 'tls_disable');
        const inner = parseHcl(r).blocks[0]!;
        // A certificate already named keeps its directory for the other files.
        const own = getAttribute(inner, 'tls_cert_file')?.value;
        if (typeof own === 'string' && own.includes('/')) files = vaultCertFiles(own.slice(0, own.lastIndexOf('/')));
        if (!getAttribute(inner, 'tls_cert_file')) r = setAttribute(r, LISTENER, 'tls_cert_file', files.cert);
        if (!getAttribute(inner, 'tls_key_file')) r = setAttribute(r, LISTENER, 'tls_key_file', files.key);
        if (!getAttribute(inner, 'tls_client_ca_file')) r = setAttribute(r, LISTENER, 'tls_client_ca_file', files.ca);
      }
      if (opts.dualStack) {
        for (const attr of ['address', 'cluster_address']) {
          const v = getAttribute(parseHcl(r).blocks[0]!, attr)?.value;
          if (typeof v === 'string' && v.startsWith('0.0.0.0:')) r = setAttribute(r, LISTENER, attr, `[::]:${v.slice('0.0.0.0:'.length)}`);
        }
      }
      return r;
    });
  }
  return out;
}
