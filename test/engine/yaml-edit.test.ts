import { describe, expect, test } from 'vitest';
import { parseAllDocuments } from 'yaml';
import {
  EditRefusedError,
  appendToSeq,
  deleteKey,
  eolOf,
  insertPair,
  mergeValue,
  parseDocs,
  renderScalar,
  setBlockScalar,
  setScalar,
  setValue,
  unintendedLines,
} from '../../src/engine/yaml-edit/index.js';

/** Replace exactly one occurrence of `from` (asserting it exists once). */
function sub(src: string, from: string, to: string): string {
  const i = src.indexOf(from);
  if (i < 0 || src.indexOf(from, i + 1) >= 0) throw new Error(`fixture: ${JSON.stringify(from)} must occur exactly once`);
  return src.slice(0, i) + to + src.slice(i + from.length);
}

/** The edit result must be byte-identical to the golden text. */
function golden(out: string, want: string): void {
  expect(out).toBe(want);
  expect(unintendedLines(want, out)).toBe(0);
}

function refused(f: () => unknown, re: RegExp): EditRefusedError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(EditRefusedError);
    expect((e as Error).message).toMatch(re);
    return e as EditRefusedError;
  }
  throw new Error('expected an EditRefusedError');
}

const data = (src: string) => parseAllDocuments(src).map((d) => d.toJS({ maxAliasCount: -1 }));

// ---------------------------------------------------------------------------------------------------------------
// Fixtures.

const VAULT = `# Vault HelmRelease managed by Flux
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: vault
  namespace: vault
spec:
  interval: 30m
  chart:
    spec:
      chart: vault
      version: "0.28.0"   # pinned
      sourceRef:
        kind: HelmRepository
        name: hashicorp
  values:
    global:
      tlsDisable: true # TODO: Enable TLS
    server:
      dataStorage:
        enabled: true
        size: 10Gi
        storageClass: longhorn
      standalone:
        enabled: true
        config: |
          ui = true

          listener "tcp" {
            address = "[::]:8200"
            tls_disable = 1
          }

          storage "file" {
            path = "/vault/data"
          }
      extraArgs: [-log-level=info, "-log-format=json"]

    ui:
      enabled: true
`;

const GITREPO = `apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: flux-system
  namespace: flux-system
spec:
  interval: 1m0s
  ref:
    branch: "20260108_3"   # c
  secretRef:
    name: flux-system
  url: ssh://git@github.com/org/repo
`;

const MULTI = `# ExternalSecret, ConfigMap and Namespace for the app

---
apiVersion: external-secrets.io/v1beta1
kind: ExternalSecret
metadata:
  name: app-secrets
spec:
  refreshInterval: 1h
  secretStoreRef:
    name: vault-backend
    kind: ClusterSecretStore
  data:
    - secretKey: password
      remoteRef:
        key: secret/data/app/credentials/with/a/rather/long/path/that/goes/well/beyond/eighty/columns
        property: password
...
---
# the app config
apiVersion: v1
kind: ConfigMap
metadata:
  name: app-config
data:
  LOG_LEVEL: info   # debug in dev
  FEATURES: "a,b,c"
---
apiVersion: v1
kind: Namespace
metadata:
  name: app
`;

const DEPLOY = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
        - name: web
          image: nginx:1.27
          ports: ["8080", "8443"]
          args: [a, b]
          resources: &res {limits: {cpu: 500m, memory: 256Mi}}
        - name: sidecar
          image: busybox
          resources: *res
`;

const CRLF =
  '\ufeffapiVersion: source.toolkit.fluxcd.io/v1\r\n' +
  'kind: GitRepository\t# kind\r\n' +
  'metadata:\r\n' +
  '  name: podinfo\t\t# name\r\n' +
  'spec:\r\n' +
  '  interval: 5m\r\n' +
  '  ignore: |\r\n' +
  '    # exclude all\r\n' +
  '    /*\r\n' +
  '    # include deploy dir\r\n' +
  '    !/deploy\r\n' +
  '  url: https://github.com/stefanprodan/podinfo   # upstream';

// ---------------------------------------------------------------------------------------------------------------

describe('edit cases 1a-6c', () => {
  test('1a: scalar with a trailing comment', () => {
    const out = setScalar(VAULT, ['spec', 'values', 'global', 'tlsDisable'], false);
    golden(out, sub(VAULT, 'tlsDisable: true # TODO', 'tlsDisable: false # TODO'));
  });

  test('1b: multi-document file, doc 0', () => {
    const out = setScalar(MULTI, ['spec', 'refreshInterval'], '5m');
    golden(out, sub(MULTI, 'refreshInterval: 1h', 'refreshInterval: 5m'));
  });

  test('1c: keep double quotes and the spacing before the comment', () => {
    const out = setScalar(GITREPO, ['spec', 'ref', 'branch'], 'main');
    golden(out, sub(GITREPO, '"20260108_3"   # c', '"main"   # c'));
  });

  test('1d: a string that would read as a float is quoted', () => {
    const out = setScalar(VAULT, ['spec', 'values', 'server', 'dataStorage', 'size'], '1.10');
    golden(out, sub(VAULT, 'size: 10Gi', 'size: "1.10"'));
    expect(data(out)[0].spec.values.server.dataStorage.size).toBe('1.10');
  });

  test('2a: add keys under an existing map', () => {
    const src = `server:\n  ha:\n    enabled: true\n    # replicas: 1\n  # end of server\nui: {}\n`;
    let out = insertPair(src, ['server', 'ha'], 'replicas', 3);
    out = insertPair(out, ['server', 'ha'], 'raft', { enabled: true, setNodeId: true });
    // a comment at the map's own column after its last pair stays below the new keys (P21)
    golden(out, sub(src, '    enabled: true\n', '    enabled: true\n    replicas: 3\n    raft:\n      enabled: true\n      setNodeId: true\n'));
  });

  test('2b: create a missing map with children', () => {
    const out = insertPair(VAULT, ['spec', 'values', 'server'], 'ha', { replicas: 3, raft: { enabled: true, setNodeId: true } });
    golden(
      out,
      sub(
        VAULT,
        '"-log-format=json"]\n',
        '"-log-format=json"]\n      ha:\n        replicas: 3\n        raft:\n          enabled: true\n          setNodeId: true\n',
      ),
    );
  });

  test('2c: insert into a map followed by a sequence', () => {
    const src = `spec:\n  ref:\n    branch: main\n  ignore:\n    - "/*"\n    - "!/deploy"\n`;
    golden(insertPair(src, ['spec', 'ref'], 'tag', 'v1'), sub(src, '    branch: main\n', '    branch: main\n    tag: v1\n'));
  });

  test('3a: HCL inside a literal block scalar', () => {
    const path = ['spec', 'values', 'server', 'standalone', 'config'];
    const cur = data(VAULT)[0].spec.values.server.standalone.config as string;
    const next = cur.replace(/storage "file" \{[\s\S]*?\n\}\n/, 'storage "raft" {\n  path = "/vault/data"\n  node_id = "vault-0"\n}\n');
    const out = setBlockScalar(VAULT, path, next);
    golden(
      out,
      sub(
        VAULT,
        '          storage "file" {\n            path = "/vault/data"\n          }\n',
        '          storage "raft" {\n            path = "/vault/data"\n            node_id = "vault-0"\n          }\n',
      ),
    );
    // setValue with a string routes to the same in-place edit
    expect(setValue(VAULT, path, next)).toBe(out);
  });

  test('4a: edit document #1 of 3 (---, ..., leading comments)', () => {
    const out = setScalar(MULTI, ['data', 'LOG_LEVEL'], 'debug', { doc: 1 });
    golden(out, sub(MULTI, 'LOG_LEVEL: info   #', 'LOG_LEVEL: debug   #'));
    const ns = insertPair(MULTI, ['metadata'], 'labels', { team: 'a' }, { doc: 2 });
    golden(ns, `${MULTI}  labels:\n    team: a\n`);
  });

  test('5a: flow sequence item keeps its quotes', () => {
    const out = setScalar(DEPLOY, ['spec', 'template', 'spec', 'containers', 0, 'ports', 0], '9090');
    golden(out, sub(DEPLOY, '["8080", "8443"]', '["9090", "8443"]'));
  });

  test('5b: append to a flow sequence', () => {
    const out = appendToSeq(DEPLOY, ['spec', 'template', 'spec', 'containers', 0, 'args'], '--debug');
    golden(out, sub(DEPLOY, 'args: [a, b]', 'args: [a, b, --debug]'));
  });

  test('5c: edit inside an anchored flow map; the alias follows', () => {
    const out = setScalar(DEPLOY, ['spec', 'template', 'spec', 'containers', 0, 'resources', 'limits', 'cpu'], '750m');
    golden(out, sub(DEPLOY, '{cpu: 500m,', '{cpu: 750m,'));
    expect(data(out)[0].spec.template.spec.containers[1].resources.limits.cpu).toBe('750m');
  });

  test('5d: a path through an alias is refused', () => {
    const e = refused(
      () => setScalar(DEPLOY, ['spec', 'template', 'spec', 'containers', 1, 'resources', 'limits', 'cpu'], '1'),
      /^spec\.template\.spec\.containers\[1\]\.resources\.limits\.cpu: path goes through alias \*res; edit the anchor instead$/,
    );
    expect(e.path).toEqual(['spec', 'template', 'spec', 'containers', 1, 'resources', 'limits', 'cpu']);
    refused(() => insertPair(DEPLOY, ['spec', 'template', 'spec', 'containers', 1, 'resources'], 'x', 1), /alias \*res/);
    refused(() => deleteKey(DEPLOY, ['spec', 'template', 'spec', 'containers', 1, 'resources', 'limits']), /alias \*res/);
    // replacing the alias itself is fine
    const out = setScalar(DEPLOY, ['spec', 'template', 'spec', 'containers', 1, 'resources'], 'none');
    golden(out, sub(DEPLOY, 'resources: *res', 'resources: none'));
  });

  test('6a: CRLF + BOM + tabs + no final EOL: set a scalar', () => {
    golden(setScalar(CRLF, ['spec', 'interval'], '10m'), sub(CRLF, 'interval: 5m', 'interval: 10m'));
    golden(setScalar(CRLF, ['metadata', 'name'], 'app'), sub(CRLF, 'name: podinfo\t\t# name', 'name: app\t\t# name'));
  });

  test('6b: same file: insert at EOF (newline before the new text, CRLF)', () => {
    golden(insertPair(CRLF, ['spec'], 'ref', { branch: 'master' }), `${CRLF}\r\n  ref:\r\n    branch: master`);
  });

  test('6c: same file: edit the ignore block, body stays CRLF', () => {
    const out = setBlockScalar(CRLF, ['spec', 'ignore'], '# exclude all\n/*\n# include deploy dir\n!/deploy\n!/kustomize\n');
    golden(out, sub(CRLF, '    !/deploy\r\n', '    !/deploy\r\n    !/kustomize\r\n'));
  });
});

// ---------------------------------------------------------------------------------------------------------------

describe('placeholders and comment scope', () => {
  const value = { replicas: 3 };
  test.each([
    ['ha:', 'ha:\n    replicas: 3'],
    ['ha: ~', 'ha:\n    replicas: 3'],
    ['ha: null', 'ha:\n    replicas: 3'],
    ['ha: {}', 'ha:\n    replicas: 3'],
    ['ha: {}  # placeholder', 'ha:  # placeholder\n    replicas: 3'],
    ['ha: ~ # c', 'ha: # c\n    replicas: 3'],
    ['ha:   # c', 'ha:   # c\n    replicas: 3'],
  ])('fill %j', (ph, filled) => {
    const src = `server:\n  ${ph}\n  ui: true\n`;
    golden(mergeValue(src, ['server', 'ha'], value), `server:\n  ${filled}\n  ui: true\n`);
    golden(insertPair(src, ['server', 'ha'], 'replicas', 3), `server:\n  ${filled}\n  ui: true\n`);
  });

  test('placeholder at EOF without a final newline', () => {
    golden(insertPair('a: 1\nha:', ['ha'], 'x', 1), 'a: 1\nha:\n  x: 1');
    golden(insertPair('a: 1\r\nha: {}', ['ha'], 'x', 1), 'a: 1\r\nha:\r\n  x: 1');
  });

  test('E5/P10: a parent-level comment after a nested map stays where it is', () => {
    const src = `server:\n  data:\n    size: 1Gi\n    # class: fast\n# top comment\nui: {}\n`;
    golden(
      insertPair(src, ['server'], 'ha', { replicas: 3 }),
      `server:\n  data:\n    size: 1Gi\n    # class: fast\n  ha:\n    replicas: 3\n# top comment\nui: {}\n`,
    );
    golden(insertPair(src, ['server', 'data'], 'class', 'slow'), sub(src, '    size: 1Gi\n', '    size: 1Gi\n    class: slow\n'));
  });

  test('deeper comments after the last pair belong to that subtree (also across blank lines)', () => {
    const src = `spec:\n  values:\n    a: 1\n\n    # b: 2\n\n# unrelated\nother: 1\n`;
    golden(insertPair(src, ['spec'], 'new', 'x'), sub(src, '    # b: 2\n', '    # b: 2\n  new: x\n'));
    golden(insertPair(src, ['spec', 'values'], 'c', 3), sub(src, '    a: 1\n', '    a: 1\n    c: 3\n'));
    golden(deleteKey(src, ['spec', 'values']), `spec: {}\n\n# unrelated\nother: 1\n`);
  });

  test('insert after a given sibling', () => {
    const src = `m:\n  a: 1\n  # about b\n  b: 2\n`;
    golden(insertPair(src, ['m'], 'x', 0, { after: 'a' }), `m:\n  a: 1\n  x: 0\n  # about b\n  b: 2\n`);
    golden(insertPair(src, ['m'], 'x', 0, { after: 'nope' }), `${src}  x: 0\n`);
  });

  test('a comment on the inserted key line', () => {
    const src = `m:\n  a: 1\n`;
    golden(insertPair(src, ['m'], 'b', 'x', { comment: 'added by gitops-fix' }), `${src}  b: x # added by gitops-fix\n`);
    golden(insertPair(src, ['m'], 'b', { c: 1 }, { comment: 'why' }), `${src}  b: # why\n    c: 1\n`);
    golden(insertPair(src, ['p', 'o'], 'b', true, { comment: 'deep' }), `${src}p:\n  o:\n    b: true # deep\n`);
    golden(setScalar(src, ['m', 'a'], 2, { comment: 'was 1' }), `m:\n  a: 2 # was 1\n`);
    golden(setValue(`m:\n  a: 1 # keep\n`, ['m', 'a'], 2, { comment: 'was 1' }), `m:\n  a: 2 # keep\n`);
    refused(() => insertPair(src, ['m'], 'b', 1, { comment: 'two\nlines' }), /single line/);
  });
});

// ---------------------------------------------------------------------------------------------------------------

describe('scalars (renderScalar, P13/P14/P19)', () => {
  test.each([
    ['yes', '"yes"'],
    ['on', '"on"'],
    ['off', '"off"'],
    ['y', '"y"'],
    ['n', '"n"'],
    ['1.10', '"1.10"'],
    ['12:30', '"12:30"'],
    ['1_000', '"1_000"'],
    ['0775', '"0775"'],
    ['true', '"true"'],
    ['null', '"null"'],
    ['~', '"~"'],
    ['', '""'],
    ['2024-01-01', '"2024-01-01"'],
    ['0o17', '"0o17"'],
    ['a: b', '"a: b"'],
    ['a #b', '"a #b"'],
    ['{{ .Values.x }}', '"{{ .Values.x }}"'],
    ['v1.9', 'v1.9'],
    ['main', 'main'],
    ['日本語 🚀', '日本語 🚀'],
  ])('plain %j -> %s', (value, text) => {
    expect(renderScalar(value)).toBe(text);
    const out = setScalar('k: x # c\n', ['k'], value);
    expect(out).toBe(`k: ${text} # c\n`);
    expect(data(out)[0].k).toBe(value);
  });

  test('numbers, booleans and null are written plainly, whatever the quote style', () => {
    expect(setScalar('k: "8080"\n', ['k'], 9090)).toBe('k: 9090\n');
    expect(setScalar("k: 'x'\n", ['k'], true)).toBe('k: true\n');
    expect(setScalar('k: x\n', ['k'], null)).toBe('k: null\n');
    expect(setScalar('k: x\n', ['k'], 1.5)).toBe('k: 1.5\n');
  });

  test('quote style is kept', () => {
    expect(setScalar("k: 'a'\n", ['k'], "it's")).toBe("k: 'it''s'\n");
    expect(setScalar('k: "a"\n', ['k'], 'b"c')).toBe('k: "b\\"c"\n');
  });

  test('flow context quotes ,[]{}', () => {
    expect(setScalar('k: [a, b]\n', ['k', 1], 'x,y')).toBe('k: [a, "x,y"]\n');
    expect(setScalar('k: {a: b}\n', ['k', 'a'], '[x]')).toBe('k: {a: "[x]"}\n');
    expect(setScalar('k: a\n', ['k'], 'x,y')).toBe('k: x,y\n');
    expect(appendToSeq('k: [a]\n', ['k'], 'b}')).toBe('k: [a, "b}"]\n');
  });

  test('P19: anchor, tag and comment around the value survive', () => {
    const src = 'v: &ver 1.0.0 # pin\nw: *ver\nt: !!str 5\n';
    const out = setScalar(src, ['v'], '1.1.0');
    golden(out, sub(src, '&ver 1.0.0 # pin', '&ver 1.1.0 # pin'));
    expect(data(out)[0].w).toBe('1.1.0'); // E9: the alias follows the anchor
    golden(setScalar(src, ['t'], '6'), sub(src, '!!str 5', '!!str "6"'));
  });

  test('empty value gets a space; comment spacing kept', () => {
    expect(setScalar('k:\nj: 1\n', ['k'], 'x')).toBe('k: x\nj: 1\n');
    expect(setScalar('k:   # c\n', ['k'], 'x')).toBe('k: x   # c\n');
    expect(setScalar('- \n- b\n', [0], 'a')).toBe('- a\n- b\n');
  });

  test('P8: octal-looking numbers elsewhere are not touched', () => {
    const src = 'defaultMode: 0775\nother: 1e3\nk: v\n';
    golden(setScalar(src, ['k'], 'w'), sub(src, 'k: v', 'k: w'));
  });

  test('multi-line plain and quoted scalars are replaced as a whole', () => {
    const src = 'a: this is\n  folded plain\nb: "quoted\n  too"\nc: 1\n';
    golden(setScalar(src, ['a'], 'x'), 'a: x\nb: "quoted\n  too"\nc: 1\n');
    golden(setScalar(src, ['b'], 'y'), 'a: this is\n  folded plain\nb: "y"\nc: 1\n');
  });

  test('setScalar refuses collections and folded blocks; block literal gets text', () => {
    refused(() => setScalar('a:\n  b: 1\n', ['a'], 'x'), /^a: is a map, not a scalar; use setValue/);
    refused(() => setScalar('a: >\n  x\n', ['a'], 'y'), /folded block scalar/);
    expect(setScalar('a: |\n  x\n', ['a'], 'y\n')).toBe('a: |\n  y\n');
    refused(() => setScalar('a: |\n  x\n', ['a'], 1), /only a string/);
  });

  test('unchanged value returns the source as is', () => {
    expect(setScalar(GITREPO, ['spec', 'ref', 'branch'], '20260108_3')).toBe(GITREPO);
    expect(setValue(VAULT, ['spec', 'values', 'ui'], { enabled: true })).toBe(VAULT);
  });

  test('missing key -> inserted; missing parents created', () => {
    golden(setScalar(GITREPO, ['spec', 'ref', 'tag'], 'v1'), sub(GITREPO, '"20260108_3"   # c\n', '"20260108_3"   # c\n    tag: v1\n'));
    golden(setScalar(GITREPO, ['spec', 'verify', 'mode'], 'HEAD'), `${GITREPO}  verify:\n    mode: HEAD\n`);
    refused(() => setScalar('a: [1]\n', ['a', 3], 1), /out of range/);
    refused(() => setScalar('a: 5\n', ['a', 'b'], 1), /^a\.b: a is a scalar, not a map/);
  });
});

// ---------------------------------------------------------------------------------------------------------------

describe('keys', () => {
  test.each([
    ['on', '"on"'],
    ['yes', '"yes"'],
    ['8080', '"8080"'],
    ['a: b', '"a: b"'],
    ['<<', '"<<"'],
    ['gitops-fix/touched', 'gitops-fix/touched'],
    ['app.kubernetes.io/name', 'app.kubernetes.io/name'],
    ['- x', '"- x"'],
    ['? x', '"? x"'],
    ['#x', '"#x"'],
    ['y', '"y"'],
    ['n', '"n"'],
    ['off', '"off"'],
  ])('key %j is written as %s', (key, text) => {
    const out = insertPair('m:\n  a: 1\n', ['m'], key, 'v');
    expect(out).toBe(`m:\n  a: 1\n  ${text}: v\n`);
    expect(Object.keys(data(out)[0].m)).toContain(key);
  });

  test('a number key is plain', () => {
    expect(insertPair('m:\n  a: 1\n', ['m'], 8080, 'v')).toBe('m:\n  a: 1\n  8080: v\n');
  });

  test('existing key refused', () => {
    refused(() => insertPair('m:\n  a: 1\n', ['m'], 'a', 2), /^m\.a: key "a" already exists$/);
  });
});

// ---------------------------------------------------------------------------------------------------------------

describe('indentation styles (P5)', () => {
  const value = { b: { c: 1 }, list: ['x', { w: 1, z: [2] }] };
  test('2 spaces, indented sequences', () => {
    const src = 'a:\n  k:\n    - 1\n';
    golden(insertPair(src, ['a'], 'new', value), `${src}  new:\n    b:\n      c: 1\n    list:\n      - x\n      - w: 1\n        z:\n          - 2\n`);
  });
  test('2 spaces, non-indented sequences', () => {
    const src = 'a:\n  k:\n  - 1\n';
    golden(insertPair(src, ['a'], 'new', value), `${src}  new:\n    b:\n      c: 1\n    list:\n    - x\n    - w: 1\n      z:\n      - 2\n`);
  });
  test('4 spaces', () => {
    const src = 'a:\n    k:\n        - 1\n';
    golden(
      insertPair(src, ['a'], 'new', value),
      `${src}    new:\n        b:\n            c: 1\n        list:\n            - x\n            - w: 1\n              z:\n                  - 2\n`,
    );
  });
  test('1 space', () => {
    const src = 'a:\n k:\n  b: 1\n';
    golden(insertPair(src, ['a'], 'new', { b: { c: 1 } }), `${src} new:\n  b:\n   c: 1\n`);
  });
  test('3 spaces', () => {
    const src = 'a:\n   k:\n      b: 1\n';
    golden(insertPair(src, ['a', 'k'], 'new', { c: 1 }), `${src}      new:\n         c: 1\n`);
  });
  test('append follows the sequence column, both styles', () => {
    golden(appendToSeq('k:\n- a\n', ['k'], 'b'), 'k:\n- a\n- b\n');
    golden(appendToSeq('k:\n  - a\n', ['k'], { name: 'b', v: 1 }), 'k:\n  - a\n  - name: b\n    v: 1\n');
    golden(appendToSeq('k:\n    -   a\n', ['k'], 'b'), 'k:\n    -   a\n    - b\n');
  });
  test('sequence created when missing, in the file style', () => {
    golden(appendToSeq('a:\n  k:\n  - 1\n', ['a', 'j'], 'x'), 'a:\n  k:\n  - 1\n  j:\n  - x\n');
    golden(appendToSeq('a:\n  k:\n    - 1\n', ['a', 'j'], 'x'), 'a:\n  k:\n    - 1\n  j:\n    - x\n');
  });
  test('items of a sequence of maps: column of the first key', () => {
    const src = 'list:\n  - name: web\n    image: x\n  - name: db\n';
    golden(insertPair(src, ['list', 0], 'port', 80), sub(src, '    image: x\n', '    image: x\n    port: 80\n'));
    golden(insertPair(src, ['list', 1], 'port', 5432), `${src}    port: 5432\n`);
  });
  test('multi-line strings become literal blocks', () => {
    golden(insertPair('a: 1\n', [], 'cfg', 'x = 1\ny = 2\n'), 'a: 1\ncfg: |\n  x = 1\n  y = 2\n');
    golden(insertPair('a: 1\n', [], 'cfg', 'x\n\ny'), 'a: 1\ncfg: |-\n  x\n\n  y\n');
    golden(insertPair('a: 1\n', [], 'cfg', ' lead\nx'), 'a: 1\ncfg: |2-\n   lead\n  x\n');
  });
});

// ---------------------------------------------------------------------------------------------------------------

describe('file envelope (P2/P3/P4/P18/P20)', () => {
  test('eolOf', () => {
    expect(eolOf('a\r\nb\n')).toBe('\r\n');
    expect(eolOf('a\nb\r\n')).toBe('\n');
    expect(eolOf('a')).toBe('\n');
  });

  test('BOM and unicode before the edit', () => {
    const src = '\ufeff# 日本語 🚀\nname: 日本語 🚀 # c\nv: 1\n';
    golden(setScalar(src, ['v'], 2), sub(src, 'v: 1', 'v: 2'));
    golden(setScalar(src, ['name'], 'ok'), sub(src, 'name: 日本語 🚀 # c', 'name: ok # c'));
  });

  test('no final newline: newline goes before the inserted text', () => {
    golden(insertPair('a: 1', [], 'b', 2), 'a: 1\nb: 2');
    golden(appendToSeq('k:\n- a', ['k'], 'b'), 'k:\n- a\n- b');
    golden(insertPair('a:\n  b: 1 # c', ['a'], 'c', 2), 'a:\n  b: 1 # c\n  c: 2');
  });

  test('CRLF: inserted text uses CRLF', () => {
    const src = 'a:\r\n  b: 1\r\nc: 2\r\n';
    golden(insertPair(src, ['a'], 'x', [1]), 'a:\r\n  b: 1\r\n  x:\r\n    - 1\r\nc: 2\r\n');
    golden(deleteKey(src, ['a', 'b']), 'a: {}\r\nc: 2\r\n');
  });

  test('leading comments, blank lines, --- and ... and trailing --- stay', () => {
    const src = '# lead\n\n---\na: 1\n...\n---\n# only a comment\n---\nb: 2\n---\n';
    golden(setScalar(src, ['b'], 3, { doc: 2 }), sub(src, 'b: 2', 'b: 3'));
    golden(insertPair(src, [], 'c', 1), sub(src, 'a: 1\n', 'a: 1\nc: 1\n'));
    refused(() => setScalar(src, ['a'], 1, { doc: 9 }), /document index 9 out of range/);
  });

  test('empty documents get their first content after their comments', () => {
    const src = '# lead\n\n---\na: 1\n...\n---\n# only a comment\n---\nb: 2\n---\n';
    golden(insertPair(src, [], 'c', 1, { doc: 1 }), sub(src, '# only a comment\n', '# only a comment\nc: 1\n'));
    golden(appendToSeq(src, [], 'x', { doc: 1 }), sub(src, '# only a comment\n', '# only a comment\n- x\n'));
    golden(setValue(src, ['c', 'd'], [1], { doc: 3 }), `${src}c:\n  d:\n    - 1\n`);
    golden(mergeValue('---\n# c\n...\n', [], { a: 1 }), '---\n# c\na: 1\n...\n');
    golden(insertPair('a: 1\n---', [], 'b', 2, { doc: 1 }), 'a: 1\n---\nb: 2');
    refused(() => insertPair('--- ~\n', [], 'b', 2), /root is a null value/);
  });

  test('P4: comment-only and empty files', () => {
    expect(parseDocs('# only a comment\n')).toEqual([]);
    golden(setScalar('# only a comment\n', ['a'], 1), '# only a comment\na: 1\n');
    golden(insertPair('# only a comment', ['a'], 'b', 'c'), '# only a comment\na:\n  b: c');
    golden(setValue('', ['rules', 'x'], 'z'), 'rules:\n  x: z\n');
    refused(() => setScalar('# only a comment\n', ['a'], 1, { doc: 1 }), /out of range \(the file has 0 documents\)/);
  });

  test('mixed line endings: inserted text uses the first one found', () => {
    golden(insertPair('a: 1\nb: 2\r\n', [], 'c', 3), 'a: 1\nb: 2\r\nc: 3\n');
  });

  test('P1: spacing before comments on other lines is kept', () => {
    const src = 'a: x   # c\nb: y\t# tab\nc: z # one\n';
    golden(setScalar(src, ['b'], 'w'), 'a: x   # c\nb: w\t# tab\nc: z # one\n');
  });

  test('P9: Go templates elsewhere are untouched', () => {
    const src = 'metadata:\n  namespace: {{ .fluxns }}\nspec:\n  interval: 1m\n';
    golden(setScalar(src, ['spec', 'interval'], '2m'), sub(src, 'interval: 1m', 'interval: 2m'));
  });
});

// ---------------------------------------------------------------------------------------------------------------

describe('refusals (P11/P17/P24)', () => {
  test('invalid YAML', () => {
    refused(() => setScalar('a: [1\n', ['a'], 1), /invalid YAML/);
    refused(() => parseDocs('a: 1\na: 2\n'), /invalid YAML.*unique/);
    refused(() => insertPair('a: 1\n---\nb: : :\n', [], 'c', 1), /invalid YAML \(document 1\)/);
  });

  test('merge keys: paths through inherited keys are refused, explicit keys are fine', () => {
    const src = 'base: &b\n  x: 1\n  y: 2\nm:\n  <<: *b\n  y: 3\n';
    refused(() => setScalar(src, ['m', 'x'], 5), /^m\.x: key "x" is inherited through merge key <</);
    refused(() => setScalar(src, ['m', '<<', 'x'], 5), /merge key <</);
    refused(() => deleteKey(src, ['m', 'y']), /inherited/);
    refused(() => mergeValue(src, ['m'], { x: 2 }), /inherited/);
    golden(setScalar(src, ['m', 'y'], 4), sub(src, 'y: 3', 'y: 4'));
    golden(insertPair(src, ['m'], 'z', 0), `${src}  z: 0\n`);
  });

  test('the result is verified: a tag that re-types the value is refused', () => {
    refused(() => setScalar('t: !!str 5\n', ['t'], 6), /does not parse to the intended data/);
  });

  test('every edit function re-parses its result: text that reads back differently is refused', () => {
    const bad = /does not parse to the intended data|invalid YAML/;
    // a tag kept by the splice gives the new text another meaning
    refused(() => setScalar('t: !!str 5\n', ['t'], 6), bad);
    refused(() => setValue('t: !!str 5\n', ['t'], 6), bad);
    const multi = 'a: 1\n...\n%TAG ! tag:example.com,2000:\n---\nt: !!str 5\n...\n---\nb: 2\n';
    refused(() => setScalar(multi, ['t'], 6, { doc: 1 }), bad);
    golden(setScalar(multi, ['t'], '6', { doc: 1 }), sub(multi, '!!str 5', '!!str "6"'));
    const set = '%YAML 1.1\n---\ns: !!set\n  a:\n';
    refused(() => insertPair(set, ['s'], 'b', 1), bad);
    refused(() => mergeValue(set, ['s'], { b: 1 }), bad);
    golden(insertPair(set, ['s'], 'b', null), `${set}  b: null\n`);
    // an integer beyond 2^53 reads back rounded
    const big = 2n ** 64n;
    refused(() => appendToSeq('l:\n  - 1\n', ['l'], big), bad);
    refused(() => insertPair('m:\n  a: 1\n', ['m'], 'b', big), bad);
    refused(() => setValue('m:\n  a: 1\n', ['m', 'a'], [big]), bad);
  });

  test('bracket-less `[key: value]` pairs: values editable, structure changes refused', () => {
    const src = 'spec:\n  staticConfigs: [targets: ["a:1"]]\n';
    golden(appendToSeq(src, ['spec', 'staticConfigs', 0, 'targets'], 'b:2'), sub(src, '["a:1"]', '["a:1", b:2]'));
    refused(() => deleteKey(src, ['spec', 'staticConfigs', 0, 'targets']), /flow collection has no brackets/);
    refused(() => insertPair(src, ['spec', 'staticConfigs', 0], 'x', 1), /flow collection has no brackets/);
  });

  test('deleting an anchored node that is still aliased is refused', () => {
    refused(() => deleteKey('a: &x 1\nb: *x\n', ['a']), /^a: the removed value defines anchor &x that \*x still refers to/);
    refused(() => setValue('a:\n  b: &x 1\nc: *x\n', ['a'], { d: 1 }), /anchor &x/);
    golden(setValue('a: &x\n  b: 1\nc: *x\n', ['a'], { d: 1 }), 'a: &x\n  d: 1\nc: *x\n');
    golden(deleteKey('a: &x 1\nb: *x\n', ['b']), 'a: &x 1\n');
  });

  test('complex keys: edits elsewhere work, inserting into such a map is refused', () => {
    const src = '? [a, b]\n: 1\n? c\n: 2\n';
    golden(setScalar(src, ['c'], 3), sub(src, ': 2', ': 3'));
    refused(() => insertPair(src, [], 'd', 4), /complex/);
    golden(insertPair('? [a, b]\n: 1\nc: 2\n', [], 'd', 4), '? [a, b]\n: 1\nc: 2\nd: 4\n');
  });

  test('unsupported values', () => {
    refused(() => setValue('a: 1\n', ['a'], new Date(0)), /unsupported value type/);
    refused(() => setValue('a: 1\n', ['a'], undefined), /undefined/);
  });
});

// ---------------------------------------------------------------------------------------------------------------

describe('setValue', () => {
  test('scalar replaced by a map / seq in the file style', () => {
    const src = 'a: 1 # c\nb: 2\n';
    golden(setValue(src, ['a'], { x: 1 }), 'a: # c\n  x: 1\nb: 2\n');
    golden(setValue(src, ['a'], ['x']), 'a: # c\n  - x\nb: 2\n');
    golden(setValue(src, ['a'], []), 'a: [] # c\nb: 2\n');
  });

  test('collection replaced by a collection keeps its column and the anchor', () => {
    const src = 'a: &a\n    x: 1\n    # old\n    y: 2\nb: *a\nl:\n- 1\n- 2\n';
    const out = setValue(src, ['a'], { z: 3 });
    golden(out, 'a: &a\n    z: 3\nb: *a\nl:\n- 1\n- 2\n');
    expect(data(out)[0].b).toEqual({ z: 3 });
    golden(setValue(src, ['l'], [3]), 'a: &a\n    x: 1\n    # old\n    y: 2\nb: *a\nl:\n- 3\n');
  });

  test('collection replaced by a scalar', () => {
    golden(setValue('a: # c\n  x: 1\n  y: 2\nb: 1\n', ['a'], 'none'), 'a: none # c\nb: 1\n');
    golden(setValue('a:\n  x: 1\n', ['a'], {}), 'a: {}\n');
  });

  test('flow values are replaced in flow style', () => {
    golden(setValue('a: {x: 1}\n', ['a', 'x'], { w: [1, 2] }), 'a: {x: {w: [1, 2]}}\n');
    golden(setValue('a: [1, 2] # c\n', ['a'], [3, 'x,y']), 'a: [3, "x,y"] # c\n');
    golden(setValue('a: { x: 1 }\n', ['a'], { p: 'q' }), 'a: { p: q }\n');
    golden(setValue('l:\n  - [1]\n', ['l', 0], [2]), 'l:\n  - [2]\n');
  });

  test('sequence items', () => {
    const src = 'l:\n  - a\n  - b # c\n';
    golden(setValue(src, ['l', 1], { k: 1, m: 2 }), 'l:\n  - a\n  - k: 1\n    m: 2\n');
    golden(setValue(src, ['l', 2], 'c'), `${src}  - c\n`);
    golden(setValue(src, ['l', 0], 'z'), sub(src, '- a', '- z'));
  });

  test('block scalar with a string -> in place; folded refused for collections', () => {
    golden(setValue('a: |\n  x\nb: 1\n', ['a'], 'y\n'), 'a: |\n  y\nb: 1\n');
    refused(() => setValue('a: >\n  x\n', ['a'], { b: 1 }), /folded/);
    refused(() => setValue('a: >\n  x\n', ['a'], 'z'), /folded/);
    golden(setValue('a: |\n  x\nb: 1\n', ['a'], { w: 1 }), 'a:\n  w: 1\nb: 1\n');
  });
});

// ---------------------------------------------------------------------------------------------------------------

describe('flow maps and anchors', () => {
  test('insert into flow maps: one line, multi-line, nested missing parents, empty', () => {
    golden(insertPair('a: {x: 1}\n', ['a'], 'w', 'v,w'), 'a: {x: 1, w: "v,w"}\n');
    golden(insertPair('a: { x: 1 }\n', ['a'], 'w', { z: [1] }), 'a: { x: 1, w: { z: [ 1 ] } }\n');
    golden(insertPair('a: {\n  x: 1\n}\n', ['a'], 'w', 2), 'a: {\n  x: 1,\n  w: 2\n}\n');
    golden(insertPair('a: {x: 1}\n', ['a', 'p', 'q'], 'w', 2), 'a: {x: 1, p: {q: {w: 2}}}\n');
    golden(insertPair('l: [{}]\n', ['l', 0], 'w', 2), 'l: [{w: 2}]\n');
    golden(deleteKey('a: {\n  x: 1,\n  y: 2\n}\n', ['a', 'x']), 'a: {\n  y: 2\n}\n');
  });

  test('inserting into an anchored map updates its aliases', () => {
    const src = 'a: &m\n  x: 1\nb: *m\n';
    const out = insertPair(src, ['a'], 'w', 2);
    golden(out, 'a: &m\n  x: 1\n  w: 2\nb: *m\n');
    expect(data(out)[0].b).toEqual({ x: 1, w: 2 });
  });

  test('setting an alias to the data it already has is a no-op', () => {
    const src = 'a: &v 1\nb: *v\n';
    expect(setScalar(src, ['b'], 1)).toBe(src);
    golden(setScalar(src, ['b'], 2), 'a: &v 1\nb: 2\n');
  });
});

describe('mergeValue', () => {
  test('insert missing, set differing, recurse, replace arrays', () => {
    const src = `spec:\n  values:\n    a: 1 # keep\n    m:\n      x: 1\n    arr: [1, 2]\n`;
    const out = mergeValue(src, ['spec', 'values'], { a: 2, m: { x: 1, w: 2 }, arr: [3], o: { p: true } });
    golden(out, `spec:\n  values:\n    a: 2 # keep\n    m:\n      x: 1\n      w: 2\n    arr: [3]\n    o:\n      p: true\n`);
  });

  test('creates the map when missing; equal data is a no-op', () => {
    golden(mergeValue('a: 1\n', ['b', 'c'], { d: 1 }), 'a: 1\nb:\n  c:\n    d: 1\n');
    expect(mergeValue('a:\n  b: 1\n', ['a'], { b: 1 })).toBe('a:\n  b: 1\n');
    golden(mergeValue('a: 1\n', ['b'], {}), 'a: 1\nb: {}\n');
  });

  test('nested inserts at the same place keep their order', () => {
    const src = 'a:\n  b:\n    c: 1\n';
    golden(mergeValue(src, ['a'], { b: { d: 2 }, e: 3 }), 'a:\n  b:\n    c: 1\n    d: 2\n  e: 3\n');
  });

  test('refuses a non-map target and merging through an alias', () => {
    refused(() => mergeValue('a: [1]\n', ['a'], { b: 1 }), /is a sequence, not a map/);
    refused(() => mergeValue('a: &b {x: 1}\nc:\n  d: *b\n', ['c'], { d: { y: 2 } }), /^c\.d: path goes through alias \*b/);
    golden(mergeValue('a: &b {x: 1}\nc:\n  d: *b\n', ['c'], { d: 1 }), 'a: &b {x: 1}\nc:\n  d: 1\n');
  });
});

// ---------------------------------------------------------------------------------------------------------------

describe('deleteKey', () => {
  const src = `root:\n  # about a\n  a: 1 # c\n  b:\n    c: 2\n    # deep\n  # about d\n  d: 3\nlist:\n  - x\n  - y # c\n  - z\n`;
  test('a scalar pair with its trailing comment; comments above stay', () => {
    golden(deleteKey(src, ['root', 'a']), sub(src, '  a: 1 # c\n', ''));
  });
  test('a subtree with its deeper comments; next sibling comments stay', () => {
    golden(deleteKey(src, ['root', 'b']), sub(src, '  b:\n    c: 2\n    # deep\n', ''));
  });
  test('sequence items', () => {
    golden(deleteKey(src, ['list', 1]), sub(src, '  - y # c\n', ''));
    golden(deleteKey(src, ['list', 2]), sub(src, '  - z\n', ''));
  });
  test('last pair leaves {} (and the anchor and comment)', () => {
    golden(deleteKey('a: &x # c\n  b: 1\nz: 0\n', ['a', 'b']), 'a: &x {} # c\nz: 0\n');
    golden(deleteKey('a:\n  - 1\n', ['a', 0]), 'a: []\n');
    golden(deleteKey('a: 1\n', ['a']), '{}\n');
    golden(deleteKey('l:\n  - a: 1\n', ['l', 0, 'a']), 'l:\n  - {}\n');
    golden(deleteKey('l:\n  -\n    a: 1\n', ['l', 0, 'a']), 'l:\n  - {}\n');
  });
  test('first key of a compact sequence item', () => {
    golden(deleteKey('l:\n  - name: a\n    v: 1\n', ['l', 0, 'name']), 'l:\n  - v: 1\n');
  });
  test('flow collections', () => {
    golden(deleteKey('a: {x: 1, y: 2, z: 3}\n', ['a', 'y']), 'a: {x: 1, z: 3}\n');
    golden(deleteKey('a: {x: 1, y: 2}\n', ['a', 'y']), 'a: {x: 1}\n');
    golden(deleteKey('a: [1, 2]\n', ['a', 0]), 'a: [2]\n');
    golden(deleteKey('a: { x: 1 }\n', ['a', 'x']), 'a: {}\n');
  });
  test('missing path returns the source unchanged', () => {
    expect(deleteKey(src, ['root', 'nope'])).toBe(src);
    expect(deleteKey(src, ['nope', 'x'])).toBe(src);
    expect(deleteKey(src, ['list', 7])).toBe(src);
  });
  test('last line without a final newline', () => {
    golden(deleteKey('a: 1\nb: 2', ['b']), 'a: 1\n');
  });
});

// ---------------------------------------------------------------------------------------------------------------

describe('appendToSeq', () => {
  test('block sequence, after deeper comments', () => {
    const src = 'k:\n  - a\n  # more later\n# top\nz: 1\n';
    golden(appendToSeq(src, ['k'], 'b'), 'k:\n  - a\n  - b\n  # more later\n# top\nz: 1\n');
    const deeper = 'k:\n  - a:\n      b: 1\n      # deeper\n# top\n';
    golden(appendToSeq(deeper, ['k'], 'c'), 'k:\n  - a:\n      b: 1\n      # deeper\n  - c\n# top\n');
  });
  test('flow sequences: empty, padded, multi-line, trailing comma', () => {
    golden(appendToSeq('l:\n  - [x]\n  - []\n', ['l', 1], 'z'), 'l:\n  - [x]\n  - [z]\n');
    golden(appendToSeq('k: [ a, b ]\n', ['k'], 'c'), 'k: [ a, b, c ]\n');
    golden(appendToSeq('k: [\n  "a",\n  "b"\n]\n', ['k'], 'c'), 'k: [\n  "a",\n  "b",\n  c\n]\n');
    golden(appendToSeq('k: [\n  a,\n]\n', ['k'], 'c'), 'k: [\n  a,\n  c,\n]\n');
    golden(appendToSeq('k: [a,]\n', ['k'], 'c'), 'k: [a, c,]\n');
  });
  test('placeholders become block sequences', () => {
    golden(appendToSeq('k:\nz: 1\n', ['k'], 'a'), 'k:\n  - a\nz: 1\n');
    golden(appendToSeq('k: [] # none yet\nz: 1\n', ['k'], 'a'), 'k: # none yet\n  - a\nz: 1\n');
  });
  test('maps as items, nested sequences', () => {
    golden(appendToSeq('k:\n- a\n', ['k'], { m: 1, l: [1] }), 'k:\n- a\n- m: 1\n  l:\n  - 1\n');
    golden(appendToSeq('k:\n  - - a\n    - b\n', ['k', 0], 'c'), 'k:\n  - - a\n    - b\n    - c\n');
  });
  test('root sequence', () => {
    golden(appendToSeq('- a\n- b\n', [], 'c'), '- a\n- b\n- c\n');
    golden(deleteKey('- a\n- b\n', [0]), '- b\n');
  });
  test('refusals', () => {
    refused(() => appendToSeq('k: 1\n', ['k'], 'a'), /is a scalar, not a sequence/);
    refused(() => appendToSeq('a: &l [1]\nk: *l\n', ['k'], 2), /alias \*l/);
  });
});

// ---------------------------------------------------------------------------------------------------------------

describe('multi-line strings (a literal block, with an indentation indicator when needed; one line in flow context)', () => {
  const HCL = 'ui = true\nlistener "tcp" {\n  address = "[::]:8200"\n  tls_disable = 0\n}\nstorage "raft" {\n  path = "/vault/data"\n}\n';
  const block = (col: number, text: string) =>
    text
      .replace(/\n$/, '')
      .split('\n')
      .map((l) => (l ? ' '.repeat(col) + l : l))
      .join('\n') + '\n';

  test('a double-quoted original becomes a literal block; its comment and the lines around stay', () => {
    const src = 'server:\n  standalone:\n    config: "ui = true\\nlistener \\"tcp\\" {\\n  tls_disable = 1\\n}\\n"   # HCL\n    enabled: true\n';
    golden(setValue(src, ['server', 'standalone', 'config'], HCL), `server:\n  standalone:\n    config: |   # HCL\n${block(6, HCL)}    enabled: true\n`);
  });

  test('a long value is never folded into an unindented multi-line double-quoted string', () => {
    // in flow context it stays one double-quoted line, however long
    const out = setValue('a:\n  b: {config: "x"}\n', ['a', 'b', 'config'], HCL);
    expect(out.split('\n')).toHaveLength(3);
    expect(data(out)[0].a.b.config).toBe(HCL);
    expect(renderScalar(HCL, 'QUOTE_DOUBLE')).not.toContain('\n');
  });

  test('first line more indented: an indentation indicator (relative to the key, or to the `-`)', () => {
    golden(insertPair('a:\n  b: 1\n', ['a'], 'c', `  ${HCL}`), `a:\n  b: 1\n  c: |2\n${block(4, `  ${HCL}`)}`);
    golden(setValue('a:\n  - "x"\n  - y\n', ['a', 0], ' one\ntwo'), 'a:\n  - |2-\n     one\n    two\n  - y\n');
    golden(appendToSeq('- x\n', [], '\tfirst\nsecond\n'), '- x\n- |2\n  \tfirst\n  second\n');
    golden(setValue('a:\n    c: old\n', ['a', 'c'], '  x\ny\n'), 'a:\n    c: |4\n          x\n        y\n');
    golden(setBlockScalar('a:\n  x: |\n    k\n  y: 1\n', ['a', 'x'], '  lead\nk\n'), 'a:\n  x: |2\n      lead\n    k\n  y: 1\n');
  });

  test('whitespace-only lines inside the text', () => {
    golden(insertPair('a: 1\n', [], 'c', 'x\n  \ny\n'), 'a: 1\nc: |2\n  x\n    \n  y\n');
  });

  test('kept trailing line breaks at the end of a file without a final newline', () => {
    const out = insertPair('a: 1', [], 'c', 'x\n\n');
    expect(out).toBe('a: 1\nc: |+\n  x\n\n');
    expect(data(out)[0].c).toBe('x\n\n');
  });

  test('anchors and tags stay on the header line', () => {
    golden(setValue('a: &z "q" # c\nb: *z\n', ['a'], 'l1\nl2\n'), 'a: &z | # c\n  l1\n  l2\nb: *z\n');
  });

  test('text a literal block cannot hold exactly is one double-quoted line', () => {
    // (a last line of spaces only, after a first line that needs an indentation indicator, reads back as empty)
    golden(setValue('a: x\n', ['a'], ' a\n '), 'a: " a\\n "\n');
    golden(setValue('a: |\n  x\nb: 1\n', ['a'], ' a\n '), 'a: " a\\n "\nb: 1\n');
    golden(setValue('a: x\n', ['a'], 'x\n  '), 'a: |2-\n  x\n    \n');
    golden(setValue('a: x\n', ['a'], 'bell\u0007\nx'), 'a: "bell\\a\\nx"\n');
  });
});

describe('JSON documents stay JSON', () => {
  const KS = '{\n  "kind": "Kustomization",\n  "spec": {\n    "interval": "10m",\n    "prune": true\n  }\n}\n';

  test('scalars, inserted keys, nested parents and list items are written as JSON', () => {
    golden(setValue(KS, ['spec', 'interval'], '5m'), sub(KS, '"10m"', '"5m"'));
    golden(setValue('{"a": 1}\n', ['a'], 'x'), '{"a": "x"}\n');
    golden(insertPair(KS, ['spec'], 'wait', true), sub(KS, '"prune": true\n', '"prune": true,\n    "wait": true\n'));
    golden(
      setValue(KS, ['spec', 'postBuild', 'substitute'], { a: 'b' }),
      sub(KS, '"prune": true\n', '"prune": true,\n    "postBuild": {"substitute": {"a": "b"}}\n'),
    );
    golden(appendToSeq('{"a": {}}\n', ['a', 'list'], 'x'), '{"a": {"list": ["x"]}}\n');
    golden(setValue('{"a": "x"}\n', ['a'], 'l1\nl2\n'), '{"a": "l1\\nl2\\n"}\n');
    golden(setValue('{ "a": [ 1 ] }\n', ['b'], { c: [1, null] }), '{ "a": [ 1 ], "b": { "c": [ 1, null ] } }\n');
  });

  test('an edit JSON cannot hold is refused with the reason', () => {
    refused(() => setValue('{"a": 1}\n', ['a'], Number.NaN), /the document is JSON, and the edit would write YAML into it/);
  });

  test('a YAML flow document is not JSON: YAML flow text goes in', () => {
    golden(insertPair('{a: 1}\n', [], 'b', 2), '{a: 1, b: 2}\n');
  });
});

describe('setBlockScalar (P15/P22)', () => {
  test('keeps header comment, explicit indentation indicator and whitespace-only lines', () => {
    const src = 'a:\n  x: |2  # hdr\n      two\n    one\n     \n    three\n  y: 1\n';
    const out = setBlockScalar(src, ['a', 'x'], '  two\none\n \nTHREE\n');
    golden(out, sub(src, '    three\n', '    THREE\n'));
  });

  test('chomping indicator changes only when needed', () => {
    const src = 'a: |\n  x\nb: 1\n';
    golden(setBlockScalar(src, ['a'], 'x\ny\n'), 'a: |\n  x\n  y\nb: 1\n');
    golden(setBlockScalar(src, ['a'], 'x\ny'), 'a: |-\n  x\n  y\nb: 1\n');
    golden(setBlockScalar('a: |-\n  x\nb: 1\n', ['a'], 'x\n'), 'a: |\n  x\nb: 1\n');
    golden(setBlockScalar(src, ['a'], 'x\n\n'), 'a: |+\n  x\n\nb: 1\n');
    golden(setBlockScalar('a: |+\n  x\n\nb: 1\n', ['a'], 'y\n'), 'a: |+\n  y\nb: 1\n');
    golden(setBlockScalar('a: |2-\n  x\nb: 1\n', ['a'], 'y\n'), 'a: |2\n  y\nb: 1\n');
  });

  test('clip to keep absorbs the blank separator lines after the body', () => {
    const src = 'a: |\n  x\n\nb: 1\n';
    const out = setBlockScalar(src, ['a'], 'x\n\n\n');
    expect(data(out)[0]).toEqual({ a: 'x\n\n\n', b: 1 });
    golden(out, 'a: |+\n  x\n\n\nb: 1\n');
  });

  test('CRLF bodies stay CRLF (embedded HCL)', () => {
    const src = 'cfg: |\r\n  listener "tcp" {\r\n    address = ":8200"\r\n  }\r\nz: 1\r\n';
    const out = setBlockScalar(src, ['cfg'], 'listener "tcp" {\n  address = ":8300"\n}\n');
    golden(out, sub(src, '":8200"', '":8300"'));
  });

  test('block at EOF without a final newline', () => {
    golden(setBlockScalar('a: |-\n  x\n  y', ['a'], 'x\nz'), 'a: |-\n  x\n  z');
    const out = setBlockScalar('a: |\n  x', ['a'], 'y\n');
    expect(data(out)[0]).toEqual({ a: 'y\n' });
  });

  test('sequence item block and deeper body indentation', () => {
    golden(setBlockScalar('- |\n      deep\n      more\n', [0], 'deep\nless\n'), '- |\n      deep\n      less\n');
  });

  test('refusals', () => {
    refused(() => setBlockScalar('a: >\n  x\n', ['a'], 'y'), /folded block scalar/);
    refused(() => setBlockScalar('a: |\n  x\n', ['a'], ' a\n '), /a literal block cannot hold this text exactly/);
    refused(() => setBlockScalar('a: x\n', ['a'], 'y'), /not a literal block scalar/);
    refused(() => setBlockScalar('a: |\n  x\n', ['b'], 'y'), /not found/);
    refused(() => setBlockScalar('a: |\n  x\n', ['a'], 'y\r\n'), /carriage return/);
  });
});

// ---------------------------------------------------------------------------------------------------------------

describe('unintendedLines', () => {
  test('counts added plus removed lines, terminators included', () => {
    expect(unintendedLines('a\nb\n', 'a\nb\n')).toBe(0);
    expect(unintendedLines('a\nb\n', 'a\nc\n')).toBe(2);
    expect(unintendedLines('a\nb\n', 'a\r\nb\n')).toBe(2);
    expect(unintendedLines('a\nb', 'a\nb\n')).toBe(2);
    expect(unintendedLines('a\n', 'a\nx\ny\n')).toBe(2);
  });
});
