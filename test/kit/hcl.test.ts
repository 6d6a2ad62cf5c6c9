import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { diffLines } from 'diff';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { appendBlock, removeAttribute, removeBlock, renderHclValue, replaceBlock, setAttribute, setBlockAttribute } from '../../src/kit/hcl/edit.js';
import { HclError, parseHcl, type HclBlock, type HclDoc, type HclRange } from '../../src/kit/hcl/parse.js';
import { findBlocks, getAttribute, isTruthyHcl, matchBlocks, resolveBlock } from '../../src/kit/hcl/query.js';
import { validateEdit } from '../../src/kit/hcl/validate.js';
import { expectTlsEdit, vaultConfigs } from '../support/vault-configs.js';

// ---------------------------------------------------------------------------------------------------------------
// Configurations from the reference (vault-helm 0.34.1 defaults and Vault docs), verbatim.

const CHART_STANDALONE = `ui = true

listener "tcp" {
  tls_disable = 1
  address = "[::]:8200"
  cluster_address = "[::]:8201"
  # Enable unauthenticated metrics access (necessary for Prometheus Operator)
  #telemetry {
  #  unauthenticated_metrics_access = "true"
  #}
}
storage "file" {
  path = "/vault/data"
}
`;

const CHART_RAFT = `ui = true

listener "tcp" {
  tls_disable = 1
  address = "[::]:8200"
  cluster_address = "[::]:8201"
}

storage "raft" {
  path = "/vault/data"
}

service_registration "kubernetes" {}
`;

const CHART_CONSUL = `storage "consul" { path = "vault"  address = "HOST_IP:8500" }
service_registration "kubernetes" {}
`;

const TLS_LISTENER = `listener "tcp" {
  address            = "[::]:8200"        # default "127.0.0.1:8200"; "[::]" = all IPv4+IPv6
  cluster_address    = "[::]:8201"        # default: address port + 1
  tls_disable        = false              # string "false" default; TLS on unless disabled
  tls_cert_file      = "/vault/userconfig/vault-tls/tls.crt"   # PEM; leaf first then CA chain; reloads on SIGHUP
  tls_key_file       = "/vault/userconfig/vault-tls/tls.key"   # reloads on SIGHUP
  tls_client_ca_file = "/vault/userconfig/vault-tls/ca.crt"    # CA for client-cert auth
  tls_min_version    = "tls12"            # default tls12
  # tls_require_and_verify_client_cert = "false"
  # tls_disable_client_certs = "false"    # mutually exclusive with the above
  telemetry {
    unauthenticated_metrics_access = true  # bool, default false; allows unauth GET /v1/sys/metrics
  }
}
`;

const RAFT_RETRY_JOIN = `disable_mlock = true     # explicit (required >= 1.20 with raft; HashiCorp recommends true for raft)

storage "raft" {
  path = "/vault/data"
  # node_id: omit when server.ha.raft.setNodeId=true (VAULT_RAFT_NODE_ID=<pod name>)

  retry_join {
    leader_api_addr         = "https://vault-0.vault-internal:8200"
    leader_ca_cert_file     = "/vault/userconfig/vault-tls/ca.crt"
    leader_client_cert_file = "/vault/userconfig/vault-tls/tls.crt"
    leader_client_key_file  = "/vault/userconfig/vault-tls/tls.key"
    # leader_tls_servername = "vault.vault.svc"   # when cert SANs do not include vault-N.vault-internal
  }
  retry_join {
    leader_api_addr         = "https://vault-1.vault-internal:8200"
    leader_ca_cert_file     = "/vault/userconfig/vault-tls/ca.crt"
    leader_client_cert_file = "/vault/userconfig/vault-tls/tls.crt"
    leader_client_key_file  = "/vault/userconfig/vault-tls/tls.key"
  }
  retry_join {
    leader_api_addr         = "https://vault-2.vault-internal:8200"
    leader_ca_cert_file     = "/vault/userconfig/vault-tls/ca.crt"
    leader_client_cert_file = "/vault/userconfig/vault-tls/tls.crt"
    leader_client_key_file  = "/vault/userconfig/vault-tls/tls.key"
  }
}

service_registration "kubernetes" {}
`;

const SEAL_TRANSIT = `seal "transit" {
  address         = "https://vault-transit.example:8200"  # required (or VAULT_ADDR)
  token           = "<token>"                            # required (or VAULT_TOKEN) — put in env, not ConfigMap
  disable_renewal = "false"                              # string; VAULT_TRANSIT_SEAL_DISABLE_RENEWAL
  key_name        = "autounseal"                         # required; VAULT_TRANSIT_SEAL_KEY_NAME
  mount_path      = "transit/"                           # required; VAULT_TRANSIT_SEAL_MOUNT_PATH
  namespace       = "ns1/"                               # optional (Ent)
  tls_ca_cert     = "/vault/userconfig/transit-ca/ca.crt"
  tls_client_cert = "…"
  tls_client_key  = "…"
  tls_server_name = "vault"
  tls_skip_verify = "false"
}
`;

const ONE_LINE_SEALS = `seal "awskms" { region = "us-east-1"  kms_key_id = "alias/vault" }
seal "gcpckms" { credentials = "/path.json"  project = "p"  region = "global"  key_ring = "kr"  crypto_key = "key" }
seal "azurekeyvault" { tenant_id = "t"  client_id = "c"  client_secret = "s"  vault_name = "hc-vault"  key_name = "vault_key" }
`;

const TELEMETRY = `telemetry {
  prometheus_retention_time = "30s"   # [unverified default: "24h"; 0 disables Prometheus sink]
  disable_hostname          = true    # bool, default false (prefix gauges with hostname)
}
`;

/** HCL1-only: the comma after an attribute (seen in a real repository) is rejected by HCL2. */
const TRAILING_COMMA = `ui = true

listener "tcp" {
  address = "[::]:8200",
  tls_disable = "true",
}

telemetry {
  prometheus_retention_time = "1m",
  disable_hostname = true
}
`;

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const FIXTURES = join(ROOT, 'fixtures');

// ---------------------------------------------------------------------------------------------------------------
// Helpers

const slice = (doc: HclDoc, r: HclRange): string => doc.text.slice(r.start, r.end);

/** Lines removed from and added to `before` (unchanged lines are byte-identical by construction of the diff). */
function lineChanges(before: string, after: string): { removed: string[]; added: string[] } {
  const removed: string[] = [];
  const added: string[] = [];
  for (const part of diffLines(before, after)) {
    const lines = part.value.replace(/\n$/, '').split('\n');
    if (part.removed) removed.push(...lines);
    if (part.added) added.push(...lines);
  }
  return { removed, added };
}

function listener(doc: HclDoc): HclBlock {
  return findBlocks(doc, 'listener', 'tcp')[0]!;
}

function errorOf(text: string): HclError {
  try {
    parseHcl(text);
  } catch (e) {
    if (e instanceof HclError) return e;
    throw e;
  }
  throw new Error(`parsed: ${text}`);
}

async function expectValid(original: string, edited: string): Promise<void> {
  expect(await validateEdit(original, edited)).toMatchObject({ ok: true });
}

// ---------------------------------------------------------------------------------------------------------------

describe('parseHcl', () => {
  it('reads the chart standalone default with exact ranges', () => {
    const doc = parseHcl(CHART_STANDALONE);
    expect(doc.attributes.map((a) => [a.name, a.value])).toEqual([['ui', true]]);
    expect(doc.blocks.map((b) => [b.type, b.labels])).toEqual([
      ['listener', ['tcp']],
      ['storage', ['file']],
    ]);
    const l = listener(doc);
    expect(l.attributes.map((a) => [a.name, a.value, a.raw])).toEqual([
      ['tls_disable', 1, '1'],
      ['address', '[::]:8200', '"[::]:8200"'],
      ['cluster_address', '[::]:8201', '"[::]:8201"'],
    ]);
    expect(l.blocks).toEqual([]); // the commented-out telemetry block is a comment
    expect(slice(doc, l.range)).toMatch(/^listener "tcp" \{[\s\S]*#\}\n\}$/);
    expect(slice(doc, l.bodyRange).startsWith('\n  tls_disable = 1\n')).toBe(true);
    expect(slice(doc, l.attributes[0]!.range)).toBe('  tls_disable = 1');
    expect(slice(doc, l.attributes[1]!.valueRange)).toBe('"[::]:8200"');
    expect(l.indent).toBe('');
    const storage = findBlocks(doc, 'storage')[0]!;
    expect(getAttribute(storage, 'path')?.value).toBe('/vault/data');
  });

  it('reads the chart raft and consul defaults, one-line blocks included', () => {
    const raft = parseHcl(CHART_RAFT);
    const sr = findBlocks(raft, 'service_registration', 'kubernetes')[0]!;
    expect(sr.attributes).toEqual([]);
    expect(slice(raft, sr.range)).toBe('service_registration "kubernetes" {}');
    expect(sr.bodyRange.start).toBe(sr.bodyRange.end);

    const consul = parseHcl(CHART_CONSUL);
    const st = findBlocks(consul, 'storage', 'consul')[0]!;
    expect(st.attributes.map((a) => [a.name, a.value])).toEqual([
      ['path', 'vault'],
      ['address', 'HOST_IP:8500'],
    ]);
    // Sharing the line with other items: the range is just `name = value`.
    expect(slice(consul, st.attributes[0]!.range)).toBe('path = "vault"');
    expect(slice(consul, st.attributes[1]!.range)).toBe('address = "HOST_IP:8500"');
  });

  it('reads raft storage with retry_join blocks (§2.2)', () => {
    const doc = parseHcl(RAFT_RETRY_JOIN);
    expect(getAttribute(doc, 'disable_mlock')?.value).toBe(true);
    expect(slice(doc, getAttribute(doc, 'disable_mlock')!.range)).toBe(RAFT_RETRY_JOIN.split('\n')[0]);
    const raft = findBlocks(doc, 'storage', 'raft')[0]!;
    expect(getAttribute(raft, 'path')?.value).toBe('/vault/data');
    expect(findBlocks(raft, 'retry_join').map((b) => getAttribute(b, 'leader_api_addr')?.value)).toEqual([
      'https://vault-0.vault-internal:8200',
      'https://vault-1.vault-internal:8200',
      'https://vault-2.vault-internal:8200',
    ]);
    expect(raft.blocks.every((b) => b.indent === '  ' && b.labels.length === 0)).toBe(true);
    expect(raft.blocks[0]!.attributes).toHaveLength(4);
  });

  it('reads the TLS listener with aligned `=` and trailing comments (§2.1)', () => {
    const doc = parseHcl(TLS_LISTENER);
    const l = listener(doc);
    expect(getAttribute(l, 'tls_disable')?.value).toBe(false);
    expect(slice(doc, getAttribute(l, 'tls_min_version')!.range)).toBe('  tls_min_version    = "tls12"            # default tls12');
    expect(findBlocks(l, 'telemetry')[0]!.attributes[0]!.value).toBe(true);
  });

  it('reads seal stanzas (§2.4), including one-line blocks with several attributes', () => {
    const transit = findBlocks(parseHcl(SEAL_TRANSIT), 'seal', 'transit')[0]!;
    expect(transit.attributes).toHaveLength(11);
    expect(getAttribute(transit, 'tls_client_cert')?.value).toBe('…');
    const seals = parseHcl(ONE_LINE_SEALS);
    expect(seals.blocks.map((b) => [b.labels[0], b.attributes.length])).toEqual([
      ['awskms', 2],
      ['gcpckms', 5],
      ['azurekeyvault', 5],
    ]);
  });

  it('reads telemetry (§2.5) and configs with trailing commas', () => {
    expect(getAttribute(parseHcl(TELEMETRY).blocks[0]!, 'prometheus_retention_time')?.value).toBe('30s');
    const doc = parseHcl(TRAILING_COMMA);
    const a = getAttribute(findBlocks(doc, 'telemetry')[0]!, 'prometheus_retention_time')!;
    expect(a.value).toBe('1m');
    expect(slice(doc, a.range)).toBe('  prometheus_retention_time = "1m",');
    expect(getAttribute(listener(doc), 'tls_disable')?.value).toBe('true');
  });

  it('skips #, // and /* */ comments anywhere', () => {
    const doc = parseHcl(`// top
/* a
   block { not = "parsed" }
*/ ui = /* inline */ true # after
listener /* between */ "tcp" { // brace
  address = "x" /* tail */
}
`);
    expect(getAttribute(doc, 'ui')?.value).toBe(true);
    const l = listener(doc);
    expect(getAttribute(l, 'address')?.value).toBe('x');
    expect(slice(doc, getAttribute(l, 'address')!.range)).toBe('  address = "x" /* tail */');
  });

  it('reads heredocs, keeping their text', () => {
    const doc = parseHcl(`seal "transit" {
  token = <<EOT
line one
  "quoted" { not a block }
EOT
  other = <<-EOF
    indented
      more
    EOF
  after = 1
}
`);
    const seal = doc.blocks[0]!;
    expect(getAttribute(seal, 'token')?.value).toBe('line one\n  "quoted" { not a block }\n');
    expect(getAttribute(seal, 'other')?.value).toBe('indented\n  more\n');
    expect(getAttribute(seal, 'after')?.value).toBe(1);
    expect(slice(doc, getAttribute(seal, 'token')!.range)).toBe('  token = <<EOT\nline one\n  "quoted" { not a block }\nEOT');
  });

  it('decodes strings, numbers, bools, lists and objects', () => {
    const doc = parseHcl(
      [
        String.raw`s = "a\"b\\c\n\t\u00e9\x41"`,
        'i = "${env("X")} and ${a.b}"',
        'n = [-1, 2.5, 1e3, 0x1F, .5,]',
        'b = [true, false]',
        'o = { a = 1, b = "two" }',
        'nested = [',
        '  { x = 1 },',
        '  "y", # comment',
        ']',
        '"quoted key" = "v"',
        'dotted.key-name = 1',
        '',
      ].join('\n'),
    );
    const v = Object.fromEntries(doc.attributes.map((a) => [a.name, a.value]));
    expect(v).toEqual({
      s: 'a"b\\c\n\té' + 'A',
      i: '${env("X")} and ${a.b}',
      n: [-1, 2.5, 1000, 31, 0.5],
      b: [true, false],
      o: { a: 1, b: 'two' },
      nested: [{ x: 1 }, 'y'],
      'quoted key': 'v',
      'dotted.key-name': 1,
    });
  });

  it('keeps ranges right with CRLF line ends and tabs', () => {
    const text = 'ui = true\r\n\r\nlistener "tcp" {\r\n\ttls_disable = 1 # off\r\n\taddress = "[::]:8200"\r\n}\r\n';
    const doc = parseHcl(text);
    const l = listener(doc);
    expect(slice(doc, l.attributes[0]!.range)).toBe('\ttls_disable = 1 # off');
    expect(slice(doc, l.attributes[1]!.range)).toBe('\taddress = "[::]:8200"');
    expect(slice(doc, doc.attributes[0]!.range)).toBe('ui = true');
  });

  it('parses nested one-line blocks and records indentation', () => {
    const doc = parseHcl('  listener "tcp" { telemetry { unauthenticated_metrics_access = true } }\n');
    const l = listener(doc);
    expect(l.indent).toBe('  ');
    expect(findBlocks(l, 'telemetry')[0]!.attributes[0]!.value).toBe(true);
  });

  it('accepts an empty text and a text of comments only', () => {
    expect(parseHcl('')).toMatchObject({ attributes: [], blocks: [] });
    expect(parseHcl('# nothing\n// here\n')).toMatchObject({ attributes: [], blocks: [] });
  });

  it.each([
    ['listener "tcp" {\n  address = "[::]:8200"\n', 1, 16, "missing '}' for this '{'"],
    ['a = "open\n', 1, 5, 'unterminated string'],
    ['a = \n}', 2, 1, 'expected a value'],
    ['retention = 30s\n', 1, 13, "invalid number '30s'"],
    ['storage = raft\n', 1, 11, 'expected a value'],
    ['}\n', 1, 1, "unexpected '}'"],
    ['/* open\n', 1, 1, 'unterminated /* comment'],
    ['a = <<EOF\nno end\n', 1, 5, 'unterminated heredoc'],
    ['a = "\\q"\n', 1, 6, "unknown escape sequence '\\q'"],
    ['{{- if .Values.tls }}\nlistener "tcp" {}\n', 1, 1, 'expected an attribute name or block type'],
    ['listener "tcp" = 1\n', 1, 16, "expected '{' after block labels"],
    ['ui 1\n', 1, 4, "expected '=' or '{' after 'ui', found '1'"],
    ['ui true\n', 2, 1, "expected '=' or '{' after block labels, found end of text"],
    ['a = [1 2]\n', 1, 8, "expected ',' or ']'"],
  ])('reports %j at line %i, column %i', (text, line, column, message) => {
    const e = errorOf(text);
    expect([e.line, e.column]).toEqual([line, column]);
    expect(e.message).toContain(message);
    expect(e.message).toMatch(/^line \d+, column \d+: /);
  });
});

describe('queries and values', () => {
  it('findBlocks matches type and first label, at the level given', () => {
    const doc = parseHcl(`listener "tcp" { address = "a" }\nlistener "tcp" { address = "b" }\nlistener "unix" { address = "c" }\n`);
    expect(findBlocks(doc, 'listener')).toHaveLength(3);
    expect(findBlocks(doc, 'listener', 'tcp')).toHaveLength(2);
    expect(findBlocks(doc, 'listener', 'udp')).toHaveLength(0);
    expect(() => resolveBlock(doc, { type: 'listener', label: 'tcp' })).toThrow(/2 listener "tcp" blocks; the edit is ambiguous/);
    expect(() => resolveBlock(doc, { type: 'seal' })).toThrow(/no seal block/);
    expect(matchBlocks(parseHcl(TLS_LISTENER), { type: 'telemetry', parent: { type: 'listener', label: 'tcp' } })).toHaveLength(1);
  });

  it('getAttribute returns the last of repeated attributes', () => {
    const doc = parseHcl('a = 1\na = 2\n');
    expect(getAttribute(doc, 'a')?.value).toBe(2);
    expect(getAttribute(doc, 'b')).toBeUndefined();
  });

  it('isTruthyHcl reads booleans as Vault does', () => {
    for (const v of [true, 1, 2, '1', 'true', 'TRUE', 'True', 't', 'T']) expect(isTruthyHcl(v)).toBe(true);
    for (const v of [false, 0, '0', 'false', 'no', 'yes', '', ' true', undefined, null, [], {}]) expect(isTruthyHcl(v)).toBe(false);
  });

  it('renderHclValue writes HCL literals', () => {
    expect(renderHclValue('/vault/data')).toBe('"/vault/data"');
    expect(renderHclValue('a"b\\c\nd\te\u0001')).toBe('"a\\"b\\\\c\\nd\\te\\u0001"');
    expect(renderHclValue(8200)).toBe('8200');
    expect(renderHclValue(-1.5)).toBe('-1.5');
    expect(renderHclValue(true)).toBe('true');
    expect(() => renderHclValue(Number.NaN)).toThrow();
    expect(() => renderHclValue('${open')).toThrow(/\$\{/);
  });

  it('renderHclValue output parses back to the same value', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: 'binary' }).filter((s) => !s.includes('${')),
          fc.integer(),
          fc.double({ noNaN: true, noDefaultInfinity: true }),
          fc.boolean(),
        ),
        (v) => {
          const value = getAttribute(parseHcl(`x = ${renderHclValue(v)}\n`), 'x')!.value;
          expect(Object.is(value, v) || value === v).toBe(true);
        },
      ),
    );
  });
});

describe('edits', () => {
  const tcp = { block: { type: 'listener', label: 'tcp' } };

  it('setAttribute replaces a value in place, keeping the trailing comment and its column', () => {
    const out = setAttribute(TLS_LISTENER, tcp, 'tls_min_version', 'tls13');
    expect(lineChanges(TLS_LISTENER, out)).toEqual({
      removed: ['  tls_min_version    = "tls12"            # default tls12'],
      added: ['  tls_min_version    = "tls13"            # default tls12'],
    });
    const longer = setAttribute(TLS_LISTENER, tcp, 'address', '0.0.0.0:8200');
    expect(lineChanges(TLS_LISTENER, longer).added).toEqual(['  address            = "0.0.0.0:8200"     # default "127.0.0.1:8200"; "[::]" = all IPv4+IPv6']);
    const comma = setAttribute(TRAILING_COMMA, { block: { type: 'telemetry' } }, 'prometheus_retention_time', '30s');
    expect(lineChanges(TRAILING_COMMA, comma).added).toEqual(['  prometheus_retention_time = "30s",']);
    expect(setAttribute(CHART_STANDALONE, tcp, 'tls_disable', 1)).toBe(CHART_STANDALONE);
  });

  it('setAttribute inserts after the last attribute, aligned when the siblings are', () => {
    const plain = setAttribute(CHART_STANDALONE, tcp, 'tls_cert_file', '/vault/userconfig/vault-tls/tls.crt');
    expect(lineChanges(CHART_STANDALONE, plain)).toEqual({ removed: [], added: ['  tls_cert_file = "/vault/userconfig/vault-tls/tls.crt"'] });
    expect(plain.split('\n')[6]).toBe('  tls_cert_file = "/vault/userconfig/vault-tls/tls.crt"');

    const aligned = setAttribute(SEAL_TRANSIT, { block: { type: 'seal', label: 'transit' } }, 'disabled', 'false');
    expect(lineChanges(SEAL_TRANSIT, aligned)).toEqual({ removed: [], added: ['  disabled        = "false"'] });

    // Too long for the column: the other lines stay as they are.
    const long = setAttribute(SEAL_TRANSIT, { block: { type: 'seal', label: 'transit' } }, 'tls_server_name_override', 'x');
    expect(lineChanges(SEAL_TRANSIT, long)).toEqual({ removed: [], added: ['  tls_server_name_override = "x"'] });

    const retry = setAttribute(RAFT_RETRY_JOIN, { block: { type: 'storage', label: 'raft' } }, 'node_id', 'vault-0');
    expect(lineChanges(RAFT_RETRY_JOIN, retry)).toEqual({ removed: [], added: ['  node_id = "vault-0"'] });
    expect(retry).toContain('  path = "/vault/data"\n  node_id = "vault-0"\n  # node_id');
  });

  it('setAttribute at the top level goes after the last top-level attribute, or at the top', () => {
    const out = setAttribute(CHART_STANDALONE, {}, 'disable_mlock', true);
    expect(out).toBe(CHART_STANDALONE.replace('ui = true\n', 'ui = true\ndisable_mlock = true\n'));
    const none = 'listener "tcp" {\n  address = "x"\n}\n\nstorage "file" {\n  path = "/d"\n}\n';
    expect(setAttribute(none, {}, 'disable_mlock', true)).toBe(`disable_mlock = true\n\n${none}`);
    expect(setAttribute('', {}, 'ui', true)).toBe('ui = true\n');
  });

  it('setAttribute opens one-line blocks and empty blocks', () => {
    const out = setAttribute(CHART_RAFT, { block: { type: 'service_registration' } }, 'namespace', 'vault');
    expect(out).toBe(CHART_RAFT.replace('service_registration "kubernetes" {}', 'service_registration "kubernetes" {\n  namespace = "vault"\n}'));
    const consul = setAttribute(CHART_CONSUL, { block: { type: 'storage' } }, 'token', 't');
    expect(consul.split('\n').slice(0, 4)).toEqual(['storage "consul" {', '  path = "vault"  address = "HOST_IP:8500"', '  token = "t"', '}']);
    const empty = 'listener "tcp" {\n}\n';
    expect(setAttribute(empty, tcp, 'address', 'x')).toBe('listener "tcp" {\n  address = "x"\n}\n');
    const commentOnly = 'listener "tcp" { # keep\n  telemetry {\n  }\n}\n';
    expect(setAttribute(commentOnly, tcp, 'address', 'x')).toBe('listener "tcp" { # keep\n  address = "x"\n  telemetry {\n  }\n}\n');
  });

  it('setAttribute throws on a missing or ambiguous block', () => {
    expect(() => setAttribute(CHART_STANDALONE, { block: { type: 'seal' } }, 'a', 1)).toThrow(/no seal block/);
    const two = 'listener "tcp" {\n}\nlistener "tcp" {\n}\n';
    expect(() => setAttribute(two, tcp, 'a', 1)).toThrow(/ambiguous/);
  });

  it('removeAttribute removes whole lines, or the item alone on a shared line', () => {
    const out = removeAttribute(CHART_STANDALONE, tcp, 'tls_disable');
    expect(lineChanges(CHART_STANDALONE, out)).toEqual({ removed: ['  tls_disable = 1'], added: [] });
    expect(removeAttribute(CHART_STANDALONE, tcp, 'nope')).toBe(CHART_STANDALONE);
    expect(removeAttribute(CHART_STANDALONE, { block: { type: 'seal' } }, 'x')).toBe(CHART_STANDALONE);
    const seals = removeAttribute(ONE_LINE_SEALS, { block: { type: 'seal', label: 'awskms' } }, 'kms_key_id');
    expect(seals.split('\n')[0]).toBe('seal "awskms" { region = "us-east-1" }');
    const first = removeAttribute(ONE_LINE_SEALS, { block: { type: 'seal', label: 'awskms' } }, 'region');
    expect(first.split('\n')[0]).toBe('seal "awskms" { kms_key_id = "alias/vault" }');
    const heredoc = 'a {\n  t = <<EOT\nx\nEOT\n  b = 1\n}\n';
    expect(removeAttribute(heredoc, { block: { type: 'a' } }, 't')).toBe('a {\n  b = 1\n}\n');
    expect(removeAttribute('ui = true', {}, 'ui')).toBe('');
    expect(removeAttribute('x = 1\nui = true', {}, 'ui')).toBe('x = 1');
  });

  it('replaceBlock re-indents the new text to the old block and the file unit', () => {
    const nested = 'a {\n    listener "tcp" {\n        address = "x"\n    }\n}\n';
    const out = replaceBlock(
      nested,
      { type: 'listener', label: 'tcp', parent: { type: 'a' } },
      `
      listener "tcp" {
        address = "y"
        telemetry {
          unauthenticated_metrics_access = true
        }
      }
    `,
    );
    expect(out).toBe(
      'a {\n    listener "tcp" {\n        address = "y"\n        telemetry {\n            unauthenticated_metrics_access = true\n        }\n    }\n}\n',
    );
    expect(() => replaceBlock(CHART_STANDALONE, { type: 'seal' }, 'seal "x" {}')).toThrow(/no seal block/);
    expect(() => replaceBlock(CHART_STANDALONE, { type: 'storage' }, 'storage "raft" {')).toThrow(HclError);
  });

  it('replaceBlock leaves heredoc bodies as written', () => {
    const out = replaceBlock('a {\n\tb {\n\t}\n}\n', { type: 'b', parent: { type: 'a' } }, 'b {\n  t = <<EOT\n  keep\nEOT\n}');
    expect(out).toBe('a {\n\tb {\n\t\tt = <<EOT\n  keep\nEOT\n\t}\n}\n');
    expect(parseHcl(out).blocks[0]!.blocks[0]!.attributes[0]!.value).toBe('  keep\n');
  });

  it('removeBlock removes its lines and one surrounding blank line', () => {
    expect(removeBlock(CHART_RAFT, { type: 'storage', label: 'raft' })).toBe(CHART_RAFT.replace('storage "raft" {\n  path = "/vault/data"\n}\n\n', ''));
    expect(removeBlock(CHART_RAFT, { type: 'service_registration' })).toBe(CHART_RAFT.replace('\n\nservice_registration "kubernetes" {}\n', '\n'));
    expect(removeBlock('a {}\n\nb {}\n', { type: 'a' })).toBe('b {}\n');
    expect(removeBlock('a {}\n\nb {}', { type: 'b' })).toBe('a {}');
    expect(removeBlock('a {}\nb {}\nc {}\n', { type: 'b' })).toBe('a {}\nc {}\n');
    expect(removeBlock('a { b { } c = 1 }\n', { type: 'b', parent: { type: 'a' } })).toBe('a { c = 1 }\n');
    expect(removeBlock(CHART_RAFT, { type: 'seal' })).toBe(CHART_RAFT);
    const withComment = '# about storage\nstorage "file" {\n  path = "x"\n}\n';
    expect(removeBlock(withComment, { type: 'storage' })).toBe('# about storage\n');
  });

  it('appendBlock follows the file habit for blank lines, and can nest', () => {
    const seal = 'seal "transit" {\n  address = "https://vault-transit:8200"\n}';
    expect(appendBlock(CHART_RAFT, seal)).toBe(`${CHART_RAFT.trimEnd()}\n\n${seal}\n`);
    const tight = 'a {\n}\nb {\n}';
    expect(appendBlock(tight, 'c {\n}')).toBe('a {\n}\nb {\n}\nc {\n}');
    expect(appendBlock(CHART_RAFT, seal, { after: { type: 'storage' } })).toBe(
      CHART_RAFT.replace('  path = "/vault/data"\n}\n', `  path = "/vault/data"\n}\n\n${seal}\n`),
    );
    expect(appendBlock(CHART_RAFT, seal, { after: { type: 'nope' } })).toBe(appendBlock(CHART_RAFT, seal));
    expect(appendBlock('', seal)).toBe(`${seal}\n`);

    const telemetry = appendBlock(CHART_STANDALONE, 'telemetry {\n  unauthenticated_metrics_access = true\n}', { into: { type: 'listener', label: 'tcp' } });
    expect(lineChanges(CHART_STANDALONE, telemetry)).toEqual({
      removed: [],
      added: ['  telemetry {', '    unauthenticated_metrics_access = true', '  }'],
    });
    expect(telemetry).toContain('  #}\n  telemetry {\n    unauthenticated_metrics_access = true\n  }\n}\nstorage');

    const join = appendBlock(RAFT_RETRY_JOIN, 'retry_join {\n  leader_api_addr = "https://vault-3.vault-internal:8200"\n}', { into: { type: 'storage' } });
    expect(join).toContain(
      '    leader_client_key_file  = "/vault/userconfig/vault-tls/tls.key"\n  }\n  retry_join {\n    leader_api_addr = "https://vault-3.vault-internal:8200"\n  }\n}\n',
    );

    const opened = appendBlock(CHART_RAFT, 'x {\n  y = 1\n}', { into: { type: 'service_registration' } });
    expect(opened).toContain('service_registration "kubernetes" {\n  x {\n    y = 1\n  }\n}\n');
  });

  it('setBlockAttribute edits or creates a nested block', () => {
    const ref = { type: 'telemetry', parent: { type: 'listener', label: 'tcp' } };
    const created = setBlockAttribute(CHART_STANDALONE, ref, 'unauthenticated_metrics_access', true);
    expect(created).toBe(appendBlock(CHART_STANDALONE, 'telemetry {\n  unauthenticated_metrics_access = true\n}', { into: ref.parent }));
    const edited = setBlockAttribute(TLS_LISTENER, ref, 'unauthenticated_metrics_access', false);
    expect(lineChanges(TLS_LISTENER, edited).added).toEqual([
      '    unauthenticated_metrics_access = false # bool, default false; allows unauth GET /v1/sys/metrics',
    ]);
    expect(setBlockAttribute('ui = true\n', { type: 'telemetry' }, 'disable_hostname', true)).toBe('ui = true\n\ntelemetry {\n  disable_hostname = true\n}\n');
  });

  it('edits block scalar text that has no final line end (`|-`)', () => {
    const text = CHART_STANDALONE.trimEnd();
    const seal = 'seal "transit" {\n  address = "x"\n}';
    expect(appendBlock(text, seal)).toBe(`${text}\n\n${seal}`);
    expect(setAttribute(text, { block: { type: 'storage' } }, 'node_id', 'a')).toBe(`${text.slice(0, -2)}\n  node_id = "a"\n}`);
    expect(removeBlock(text, { type: 'storage' })).toBe(text.slice(0, text.indexOf('\nstorage')));
    expect(removeAttribute(text, { block: { type: 'storage' } }, 'path')).toBe(text.replace('\n  path = "/vault/data"', ''));
  });

  it('replaceBlock accepts a template literal with a hanging first line', () => {
    const out = replaceBlock(
      CHART_STANDALONE,
      { type: 'storage' },
      `storage "raft" {
        path = "/vault/data"
      }`,
    );
    expect(out).toBe(CHART_STANDALONE.replace('storage "file" {', 'storage "raft" {'));
  });

  it('keeps CRLF line ends and tab indentation', () => {
    const crlf = CHART_STANDALONE.replace(/\n/g, '\r\n');
    let out = removeAttribute(crlf, tcp, 'tls_disable');
    out = setAttribute(out, tcp, 'tls_cert_file', '/c');
    out = setAttribute(out, {}, 'disable_mlock', true);
    out = replaceBlock(out, { type: 'storage' }, 'storage "raft" {\n  path = "/vault/data"\n}');
    out = appendBlock(out, 'seal "transit" {\n  address = "x"\n}');
    out = setBlockAttribute(out, { type: 'telemetry', parent: { type: 'listener', label: 'tcp' } }, 'unauthenticated_metrics_access', true);
    expect(out.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
    expect(parseHcl(out).blocks.map((b) => b.type)).toEqual(['listener', 'storage', 'seal']);

    const tabs = 'ui = true\n\nlistener "tcp" {\n\ttls_disable = 1\n\taddress = "[::]:8200"\n}\n';
    const tabbed = appendBlock(setAttribute(tabs, tcp, 'tls_key_file', '/k'), 'telemetry {\n  unauthenticated_metrics_access = true\n}', {
      into: { type: 'listener', label: 'tcp' },
    });
    expect(tabbed).toBe(
      'ui = true\n\nlistener "tcp" {\n\ttls_disable = 1\n\taddress = "[::]:8200"\n\ttls_key_file = "/k"\n\ttelemetry {\n\t\tunauthenticated_metrics_access = true\n\t}\n}\n',
    );
  });
});

describe('round trips', () => {
  const tcp = { block: { type: 'listener', label: 'tcp' } };
  const certs = [
    ['tls_cert_file', '/vault/userconfig/vault-tls/tls.crt'],
    ['tls_key_file', '/vault/userconfig/vault-tls/tls.key'],
    ['tls_client_ca_file', '/vault/userconfig/vault-tls/ca.crt'],
  ] as const;

  it('turns TLS on: removes tls_disable and adds the certificate files', async () => {
    let out = removeAttribute(CHART_STANDALONE, tcp, 'tls_disable');
    for (const [k, v] of certs) out = setAttribute(out, tcp, k, v);
    expect(out).toBe(`ui = true

listener "tcp" {
  address = "[::]:8200"
  cluster_address = "[::]:8201"
  tls_cert_file = "/vault/userconfig/vault-tls/tls.crt"
  tls_key_file = "/vault/userconfig/vault-tls/tls.key"
  tls_client_ca_file = "/vault/userconfig/vault-tls/ca.crt"
  # Enable unauthenticated metrics access (necessary for Prometheus Operator)
  #telemetry {
  #  unauthenticated_metrics_access = "true"
  #}
}
storage "file" {
  path = "/vault/data"
}
`);
    const l = listener(parseHcl(out));
    expect(getAttribute(l, 'tls_disable')).toBeUndefined();
    expect(getAttribute(l, 'tls_client_ca_file')?.value).toBe('/vault/userconfig/vault-tls/ca.crt');
    await expectValid(CHART_STANDALONE, out);
  });

  it('replaces storage "file" by raft with retry_join blocks', async () => {
    const joins = [0, 1, 2]
      .map(
        (n) =>
          `  retry_join {\n    leader_api_addr         = "https://vault-${n}.vault-internal:8200"\n    leader_ca_cert_file     = "/vault/userconfig/vault-tls/ca.crt"\n  }`,
      )
      .join('\n');
    const raft = `storage "raft" {\n  path = "/vault/data"\n\n${joins}\n}`;
    const out = replaceBlock(CHART_STANDALONE, { type: 'storage', label: 'file' }, raft);
    expect(out).toBe(CHART_STANDALONE.replace('storage "file" {\n  path = "/vault/data"\n}', raft));
    const doc = parseHcl(out);
    expect(findBlocks(doc, 'storage', 'file')).toEqual([]);
    expect(findBlocks(findBlocks(doc, 'storage', 'raft')[0]!, 'retry_join')).toHaveLength(3);
    expect(lineChanges(CHART_STANDALONE, out).removed).toEqual(['storage "file" {']);
    await expectValid(CHART_STANDALONE, out);
  });

  it('appends a seal "transit" block', async () => {
    const seal = `seal "transit" {
  address    = "https://vault-transit.vault-transit.svc:8200"
  key_name   = "autounseal"
  mount_path = "transit/"
}`;
    const out = appendBlock(CHART_STANDALONE, seal);
    expect(out).toBe(`${CHART_STANDALONE}\n${seal}\n`);
    expect(getAttribute(findBlocks(parseHcl(out), 'seal', 'transit')[0]!, 'key_name')?.value).toBe('autounseal');
    await expectValid(CHART_STANDALONE, out);
  });

  it('sets disable_mlock = true at the top level', async () => {
    const out = setAttribute(CHART_RAFT, {}, 'disable_mlock', true);
    expect(lineChanges(CHART_RAFT, out)).toEqual({ removed: [], added: ['disable_mlock = true'] });
    expect(getAttribute(parseHcl(out), 'disable_mlock')?.value).toBe(true);
    expect(setAttribute(out, {}, 'disable_mlock', true)).toBe(out);
    expect(setAttribute(out, {}, 'disable_mlock', false)).toBe(CHART_RAFT.replace('ui = true\n', 'ui = true\ndisable_mlock = false\n'));
    await expectValid(CHART_RAFT, out);
  });

  it('adds a telemetry block', async () => {
    const out = appendBlock(CHART_RAFT, 'telemetry {\n  prometheus_retention_time = "30s"\n  disable_hostname          = true\n}', {
      after: { type: 'listener', label: 'tcp' },
    });
    expect(out).toBe(
      CHART_RAFT.replace(
        '  cluster_address = "[::]:8201"\n}\n',
        '  cluster_address = "[::]:8201"\n}\n\ntelemetry {\n  prometheus_retention_time = "30s"\n  disable_hostname          = true\n}\n',
      ),
    );
    expect(findBlocks(parseHcl(out), 'telemetry')).toHaveLength(1);
    await expectValid(CHART_RAFT, out);
  });

  it('edits HCL1-only configs without complaint, and says the HCL2 check was skipped', async () => {
    const out = setAttribute(TRAILING_COMMA, {}, 'disable_mlock', true);
    expect(lineChanges(TRAILING_COMMA, out).added).toEqual(['disable_mlock = true']);
    const result = await validateEdit(TRAILING_COMMA, out);
    expect(result.ok).toBe(true);
    expect(result).toHaveProperty('note', expect.stringMatching(/original config is not HCL2 \(config\.hcl:4,24-25: Unexpected comma/));
  });
});

describe('validateEdit', () => {
  it('rejects edits that the structural parser rejects', async () => {
    const result = await validateEdit(CHART_STANDALONE, CHART_STANDALONE.replace('path = "/vault/data"', 'path = /vault/data'));
    expect(result).toEqual({ ok: false, error: expect.stringMatching(/^edited config does not parse: line 13, column 10: /) });
  });

  it('rejects edits that break HCL2 when the original was HCL2', async () => {
    const edited = CHART_STANDALONE.replace('tls_disable = 1', 'tls_disable = 1,');
    expect(() => parseHcl(edited)).not.toThrow();
    const result = await validateEdit(CHART_STANDALONE, edited);
    expect(result).toEqual({ ok: false, error: expect.stringMatching(/HCL2 parser: config\.hcl:4,18-19: Unexpected comma after argument/) });
    const oneLine = await validateEdit(CHART_RAFT, CHART_RAFT.replace('{}', '{ a = "1"  b = "2" }'));
    expect(oneLine.ok).toBe(false);
  });

  it('accepts unchanged and reformatted valid configs', async () => {
    await expectValid(CHART_STANDALONE, CHART_STANDALONE);
    await expectValid(RAFT_RETRY_JOIN, RAFT_RETRY_JOIN.replace(/\n/g, '\r\n'));
    await expectValid(SEAL_TRANSIT, SEAL_TRANSIT);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Vault configurations found in block scalars of this repository's fixtures (test/corpus/hcl.test.ts: of the corpus).

// Only unfixed trees: fixed ones already carry the TLS settings this edit adds.
const fixtureConfigs = vaultConfigs(FIXTURES).filter((c) => !/(^|\/)after\//.test(c.where));

describe('Vault configs of the fixtures', () => {
  it('are found', () => {
    expect(fixtureConfigs.length).toBeGreaterThanOrEqual(5);
  });

  it.each(fixtureConfigs.map((c) => [c.where, c.text] as const))('%s parses and takes the TLS edit', async (_where, text) => {
    await expectTlsEdit(text);
  });
});
