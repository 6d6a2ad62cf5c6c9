/** The listener edit of vault-listener-insecure: TLS files on every served tcp listener, dual-stack addresses. */
import {
  findBlocks,
  getAttribute,
  parseHcl,
  removeAttribute,
  setAttribute,
  vaultCertFiles,
  vaultListenerState,
  vaultStorage,
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

/**
 * The server's own addresses once its listener serves TLS: `retry_join` leader addresses on `http://` move to
 * `https://` with the CA of the listener's certificate (`leader_ca_cert_file`), and an `http://` `api_addr` to
 * `https://`. A peer that still joins over http would be refused by the TLS listener.
 */
export function vaultOwnAddressesToHttps(text: string, ca: string): string {
  let out = text;
  const doc = parseHcl(text);
  const storage = vaultStorage(doc);
  const joins = storage?.labels[0] === 'raft' ? findBlocks(storage, 'retry_join') : [];
  const JOIN = { block: { type: 'retry_join' } };
  for (const b of [...joins].sort((x, y) => y.range.start - x.range.start)) {
    const addr = getAttribute(b, 'leader_api_addr')?.value;
    if (typeof addr !== 'string' || !/^http:\/\//i.test(addr)) continue;
    out = editBlock(out, b, (t) => {
      let r = setAttribute(t, JOIN, 'leader_api_addr', `https://${addr.slice('http://'.length)}`);
      if (!getAttribute(parseHcl(r).blocks[0]!, 'leader_ca_cert_file')) r = setAttribute(r, JOIN, 'leader_ca_cert_file', ca);
      return r;
    });
  }
  const api = getAttribute(parseHcl(out), 'api_addr')?.value;
  if (typeof api === 'string' && /^http:\/\//i.test(api)) out = setAttribute(out, {}, 'api_addr', `https://${api.slice('http://'.length)}`);
  return out;
}
