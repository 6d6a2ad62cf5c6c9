import { execFileSync } from 'node:child_process';
import { closeSync, constants, fstatSync, lstatSync, openSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { join, posix, relative, resolve, sep } from 'node:path';
import { isAlias, isCollection, isMap, isPair, isScalar, LineCounter, parseAllDocuments, visit, type Document } from 'yaml';
import { apiGroup, countParse, type Position, type Repo, type RepoFile, type Resource, type Settings, type SkipReason, type YamlPath } from '../kit/index.js';
import { runAsync, runSync, type Steps } from './cancel.js';
import { GitopsFixError } from './errors.js';
import { buildFluxGraph } from './flux-graph.js';
import { gitEnv } from './git-env.js';
import { scalarText } from '../kit/scalar.js';
import { dirOf, isKustomizeFileName } from '../kit/data.js';

export const MAX_FILE_BYTES = 5 * 1024 * 1024;
const YAML_FILE = /\.ya?ml$/i;
const SKIP_DIRS = new Set(['.git', 'node_modules']);

export interface LoadOptions {
  readonly settings: Settings;
  /** Override the file list (tests); otherwise git ls-files or a directory walk. */
  readonly files?: readonly string[];
  /** In-memory overrides of file contents (planning applies changes this way). */
  readonly overrides?: ReadonlyMap<string, string>;
  /** A repository loaded before: files without an override are reused from it instead of being read again. */
  readonly base?: Repo;
}

/** List YAML files below root: git's view when root is in a work tree (respects .gitignore), else a walk. */
export function listYamlFiles(root: string): string[] {
  return listFiles(root).yaml;
}

/**
 * Git submodules below root (their paths): their files belong to another repository, so git lists none of them
 * here. Empty outside a git work tree.
 */
function listSubmodules(root: string): string[] {
  try {
    const out = execFileSync('git', ['ls-files', '-z', '--stage', '--', '.'], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      maxBuffer: 256 * 1024 * 1024,
      env: gitEnv(),
    });
    return [
      ...new Set(
        out
          .split('\0')
          .filter((e) => e.startsWith('160000 '))
          .map((e) => e.slice(e.indexOf('\t') + 1)),
      ),
    ].sort();
  } catch {
    return [];
  }
}

/** The YAML files below root and the git submodules in it. */
export function listFiles(root: string): { yaml: string[]; submodules: string[] } {
  const yaml = listYaml(root);
  return { yaml, submodules: yaml.git ? listSubmodules(root) : [] };
}

function listYaml(root: string): string[] & { git?: boolean } {
  let listed: string[] | undefined;
  try {
    const out = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard', '--', '.'], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      maxBuffer: 256 * 1024 * 1024,
      env: gitEnv(),
    });
    listed = [...new Set(out.split('\0').filter((f) => f && YAML_FILE.test(f)))];
  } catch {
    listed = undefined;
  }
  if (listed) return Object.assign(listed.filter((f) => !f.split('/').some((s) => SKIP_DIRS.has(s))).sort(), { git: true });
  const found: string[] = [];
  const walk = (dir: string, rel: string, seen: Set<string>) => {
    let real: string;
    try {
      real = realpathSync(dir);
    } catch {
      return;
    }
    if (seen.has(real)) return; // a directory symlink loop
    seen.add(real);
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (SKIP_DIRS.has(e.name)) continue;
      const r = rel ? `${rel}/${e.name}` : e.name;
      const abs = join(dir, e.name);
      let isDir = e.isDirectory();
      if (e.isSymbolicLink()) {
        try {
          isDir = statSync(abs).isDirectory();
        } catch {
          isDir = false;
        }
        if (isDir && !isInside(root, abs)) continue;
      }
      if (isDir) walk(abs, r, new Set(seen));
      else if (YAML_FILE.test(e.name)) found.push(r);
    }
  };
  walk(root, '', new Set());
  return found.sort();
}

function isInside(root: string, abs: string): boolean {
  try {
    const real = realpathSync(abs);
    const realRoot = realpathSync(root);
    return real === realRoot || real.startsWith(realRoot + sep);
  } catch {
    return false;
  }
}

interface Classified {
  file: RepoFile;
  docs?: Document.Parsed[];
  lineCounter?: LineCounter;
}

function skipped(path: string, size: number, reason: SkipReason, detail: string, text = '', errorPosition?: Position): Classified {
  return { file: { path, text, size, status: 'skipped', skipReason: reason, skipDetail: detail, resources: [], ...(errorPosition ? { errorPosition } : {}) } };
}

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function decode(buf: Buffer): { text?: string; reason?: SkipReason; detail?: string } {
  if ((buf[0] === 0xff && buf[1] === 0xfe) || (buf[0] === 0xfe && buf[1] === 0xff)) {
    return { reason: 'not-utf8', detail: 'UTF-16 encoded; re-save the file as UTF-8' };
  }
  if (buf.includes(0)) return { reason: 'binary', detail: 'contains NUL bytes: not a text file (rename it, or remove it from the repository)' };
  try {
    return { text: UTF8.decode(buf) };
  } catch {
    return { reason: 'not-utf8', detail: 'not valid UTF-8 (Latin-1?); re-save the file as UTF-8' };
  }
}

/** `{{ .x }}` outside a string parses as a flow map used as a key: a sure sign of a template. */
function hasTemplateKeys(doc: Document.Parsed): boolean {
  let found = false;
  visit(doc, {
    Pair(_, pair) {
      if (isCollection(pair.key)) {
        found = true;
        return visit.BREAK;
      }
      return undefined;
    },
  });
  return found;
}

function isSops(data: unknown): boolean {
  if (!data || typeof data !== 'object' || Array.isArray(data)) return false;
  const sops = (data as Record<string, unknown>).sops;
  return !!sops && typeof sops === 'object' && 'mac' in sops;
}

const TEMPLATE_MARK = /\{\{|\{%|\{#/;

/** Deeper documents are not read: the parser and every recursive consumer after it would exhaust the stack. */
export const MAX_NESTING = 256;

function isStackOverflow(e: unknown): boolean {
  return e instanceof RangeError || /Maximum call stack size exceeded/.test(String((e as { message?: unknown } | null)?.message ?? e));
}

function tooDeep(path: string, size: number, text: string, line?: number): Classified {
  return skipped(path, size, 'too-deep', `nested too deeply to read safely${line ? ` (near line ${line})` : ''}: over ${MAX_NESTING} levels; not read`, text);
}

/** The parser's first line without its ` at line L, column C:` tail (the finding carries the position). */
function syntaxMessage(message: string): string {
  return message
    .split('\n')[0]!
    .replace(/ at line \d+, column \d+:?\s*$/, '')
    .trim();
}

/** Where an unresolved alias is (`Unresolved alias ...: name`): the first `*name` in the document. */
function aliasPosition(doc: Document.Parsed, message: string, lc: LineCounter): Position | undefined {
  const name = /:\s*(\S+)$/.exec(message)?.[1];
  let offset: number | undefined;
  visit(doc, {
    Alias(_, node) {
      if (offset === undefined && (name === undefined || node.source === name)) offset = node.range?.[0];
      return offset === undefined ? undefined : visit.BREAK;
    },
  });
  if (offset === undefined) return undefined;
  const p = lc.linePos(offset);
  return { line: p.line, column: p.col };
}

/** Nesting depth of plain data, without recursion; stops counting past `limit`. */
export function nestingDepth(data: unknown, limit = MAX_NESTING): number {
  let max = 0;
  const stack: [unknown, number][] = [[data, 0]];
  while (stack.length) {
    const [v, d] = stack.pop()!;
    if (!v || typeof v !== 'object') continue;
    if (d + 1 > max) max = d + 1;
    if (max > limit) return max;
    for (const c of Array.isArray(v) ? v : Object.values(v)) if (c && typeof c === 'object') stack.push([c, d + 1]);
  }
  return max;
}

export function classifyFile(path: string, buf: Buffer | undefined, size: number, readError?: string, given?: string): Classified {
  if (readError) return skipped(path, size, 'unreadable', readError);
  if (size > MAX_FILE_BYTES) return skipped(path, size, 'too-large', `${(size / 1048576).toFixed(1)} MiB is over the ${MAX_FILE_BYTES / 1048576} MiB limit`);
  let text = given;
  if (text === undefined) {
    const d = decode(buf!);
    if (d.text === undefined) return skipped(path, size, d.reason!, d.detail!);
    text = d.text;
  }
  const lineCounter = new LineCounter();
  let docs: Document.Parsed[];
  try {
    countParse(text);
    docs = parseAllDocuments(text, { lineCounter, logLevel: 'error', uniqueKeys: true, merge: true }) as Document.Parsed[];
    if (!Array.isArray(docs)) docs = []; // EmptyStream: empty or comment-only file
  } catch (e) {
    if (isStackOverflow(e)) return tooDeep(path, size, text);
    return skipped(path, size, 'syntax-error', (e as Error).message.split('\n')[0]!, text);
  }
  const templated = TEMPLATE_MARK.test(text);
  for (const d of docs) {
    if (d.errors.length) {
      const e = d.errors[0]!;
      const pos = e.linePos?.[0];
      if (isStackOverflow(e)) return tooDeep(path, size, text, pos?.line);
      if (templated) return skipped(path, size, 'templated', 'Go/Helm template syntax makes it invalid YAML; it is rendered before use', text);
      return skipped(path, size, 'syntax-error', syntaxMessage(e.message), text, pos ? { line: pos.line, column: pos.col } : undefined);
    }
  }
  if (templated && docs.some(hasTemplateKeys))
    return skipped(path, size, 'templated', 'contains {{ }} templates outside strings; it is rendered before use', text);
  return { file: { path, text, size, status: 'parsed', resources: [] }, docs, lineCounter };
}

function makeResource(file: string, index: number, doc: Document.Parsed, data: unknown, lc: LineCounter): Resource {
  const obj = data && typeof data === 'object' && !Array.isArray(data) ? (data as Record<string, unknown>) : undefined;
  const meta = obj?.metadata && typeof obj.metadata === 'object' ? (obj.metadata as Record<string, unknown>) : undefined;
  const str = (v: unknown) => (v == null ? undefined : scalarText(v));
  const apiVersion = str(obj?.apiVersion);
  const pos = (offset: number): Position => {
    const p = lc.linePos(offset);
    return { line: p.line, column: p.col };
  };
  const res: Resource = {
    file,
    doc: index,
    apiVersion,
    group: apiGroup(apiVersion),
    kind: str(obj?.kind),
    name: str(meta?.name),
    namespace: str(meta?.namespace),
    data,
    id: `${file}#${index}`,
    get(path: YamlPath) {
      let cur: unknown = data;
      for (const seg of path) {
        if (cur == null || typeof cur !== 'object') return undefined;
        cur = (cur as Record<string | number, unknown>)[seg];
      }
      return cur;
    },
    position(path: YamlPath = []) {
      let node: unknown = doc.contents;
      let best: number | undefined = (doc.contents as { range?: number[] } | null)?.range?.[0];
      for (const seg of path) {
        if (isMap(node)) {
          const pair = node.items.find((p) => isPair(p) && (isScalar(p.key) ? String(p.key.value) : String(p.key)) === String(seg));
          if (!pair) break;
          const keyRange = (pair.key as { range?: number[] } | null)?.range;
          if (keyRange) best = keyRange[0];
          node = pair.value;
        } else if (isCollection(node) && typeof seg === 'number' && seg < node.items.length) {
          node = node.items[seg];
          const r = (node as { range?: number[] } | null)?.range;
          if (r) best = r[0];
        } else break;
      }
      return pos(best ?? 0);
    },
    throughAlias(path: YamlPath) {
      let node: unknown = doc.contents;
      for (const seg of path) {
        if (!node || typeof node !== 'object') return false;
        if (isAlias(node)) return true;
        if (isMap(node)) {
          if (node.items.some((p) => isScalar(p.key) && p.key.value === '<<')) return true;
          const pair = node.items.find((p) => (isScalar(p.key) ? String(p.key.value) : String(p.key)) === String(seg));
          if (!pair) return false;
          node = pair.value;
        } else if (isCollection(node) && typeof seg === 'number') node = node.items[seg];
        else return false;
      }
      return false;
    },
  };
  return res;
}

/** Load a directory into a Repo: every YAML file parsed or skipped with a reason. Never throws for file content. */
export function loadRepo(rootArg: string, opts: LoadOptions): Repo {
  return runSync(loadRepoSteps(rootArg, opts));
}

/** loadRepo that gives the event loop a turn between files and stops with a CancelledError when `signal` is aborted. */
export function loadRepoAsync(rootArg: string, opts: LoadOptions, signal?: AbortSignal): Promise<Repo> {
  return runAsync(loadRepoSteps(rootArg, opts), signal);
}

/** loadRepo as steps: one per file. */
export function* loadRepoSteps(rootArg: string, opts: LoadOptions): Steps<Repo> {
  const root = resolve(rootArg);
  let st;
  try {
    st = statSync(root);
  } catch {
    throw new GitopsFixError('not-a-directory', `${rootArg}: no such directory`);
  }
  if (!st.isDirectory()) throw new GitopsFixError('not-a-directory', `${rootArg}: not a directory`);
  const listing = opts.base || opts.files ? undefined : listFiles(root);
  const paths = [...(opts.base ? opts.base.files.map((f) => f.path) : (opts.files ?? listing!.yaml))];
  const known = new Set(paths);
  if (opts.overrides) for (const p of opts.overrides.keys()) if (YAML_FILE.test(p) && !known.has(p)) paths.push(p);
  const submodules = new Set(listing?.submodules ?? []);
  for (const p of submodules) if (!known.has(p)) paths.push(p);
  paths.sort();
  const files: RepoFile[] = [];
  const seen = new Set<string>();
  const add = (path: string): void => {
    seen.add(path);
    const override = opts.overrides?.get(path);
    const reused = override === undefined ? opts.base?.file(path) : undefined;
    if (reused) {
      files.push(reused);
      return;
    }
    if (submodules.has(path)) {
      files.push(skipped(path, 0, 'submodule', 'a git submodule: its files belong to another repository and are not read here; run gitops-fix in it').file);
      return;
    }
    let c: Classified;
    if (override !== undefined) {
      c = classifyFile(path, undefined, Buffer.byteLength(override), undefined, override);
    } else {
      const read = readAndClassify(root, join(root, path), path);
      if (!read) return;
      c = read;
    }
    files.push(withResources(path, c).file);
  };
  for (const path of paths) {
    yield;
    add(path);
  }
  // JSON manifests that a kustomization.yaml lists as resources are manifests too (kustomize reads JSON).
  for (const path of listedJsonFiles(files)) {
    if (seen.has(path) || submodules.has(path) || [...submodules].some((s) => path.startsWith(`${s}/`))) continue;
    yield;
    add(path);
  }
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const resources = files.flatMap((f) => f.resources.filter((r) => r.data !== null && r.data !== undefined));
  return makeRepo(root, files, resources, opts.settings, opts.overrides);
}

/** A classified file with its documents turned into resources (or skipped: alias bombs, nesting, SOPS). */
function withResources(path: string, c: Classified): Classified {
  if (!c.docs || !c.lineCounter) return c;
  const own: Resource[] = [];
  let bad: Classified | undefined;
  c.docs.forEach((d, i) => {
    if (bad) return;
    let data: unknown;
    try {
      data = d.toJS({ maxAliasCount: 100 });
    } catch (e) {
      const message = (e as Error).message.split('\n')[0]!;
      bad = isStackOverflow(e)
        ? tooDeep(path, c.file.size, c.file.text)
        : /alias count/i.test(message)
          ? skipped(
              path,
              c.file.size,
              'unsafe-aliases',
              `alias expansion refused (${message}): a billion-laughs style file? Replace the aliases with plain values`,
              c.file.text,
            )
          : skipped(path, c.file.size, 'syntax-error', message, c.file.text, aliasPosition(d, message, c.lineCounter!));
      return;
    }
    if (nestingDepth(data) > MAX_NESTING) {
      bad = tooDeep(path, c.file.size, c.file.text);
      return;
    }
    own.push(makeResource(path, i, d, data, c.lineCounter!));
  });
  if (bad) return bad;
  if (own.some((r) => isSops(r.data)))
    return skipped(path, c.file.size, 'sops-encrypted', 'SOPS-encrypted: never edited (editing breaks its MAC)', c.file.text);
  return { file: { ...c.file, resources: own } };
}

/** `.json` files that kustomization.yaml files list as resources (relative paths inside the repository). */
function listedJsonFiles(files: readonly RepoFile[]): string[] {
  const out = new Set<string>();
  for (const f of files) {
    if (f.status !== 'parsed' || !isKustomizeFileName(f.path)) continue;
    const k = f.resources[0];
    if (!k || (k.group !== '' && k.group !== 'kustomize.config.k8s.io')) continue;
    const dir = dirOf(f.path);
    for (const field of ['resources', 'bases', 'components', 'crds']) {
      const list = k.get([field]);
      if (!Array.isArray(list)) continue;
      for (const e of list) {
        if (typeof e !== 'string' || !/\.json$/i.test(e) || /^[a-z][a-z0-9+.-]*:\/\//i.test(e)) continue;
        const p = posix.normalize(dir ? `${dir}/${e}` : e).replace(/^\.\//, '');
        if (!p.startsWith('../') && p !== '..' && !posix.isAbsolute(p)) out.add(p);
      }
    }
  }
  return [...out].sort();
}

function ioProblem(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied: make it readable, or remove it';
  return `cannot be read (${code ?? (e as Error).message})`;
}

const NOFOLLOW = constants.O_NOFOLLOW ?? 0;
// Never block on a FIFO named like YAML: it is opened without waiting for a writer, then refused as not a file.
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);

/**
 * Undefined when the file is gone (listed by git but deleted from the work tree). A regular file costs one open,
 * one fstat and one read: opening with O_NOFOLLOW fails (ELOOP) on a symbolic link, which is then resolved and
 * read only when it stays inside the repository.
 */
function readAndClassify(root: string, abs: string, path: string): Classified | undefined {
  let fd: number;
  try {
    if (!NOFOLLOW && lstatSync(abs).isSymbolicLink()) throw Object.assign(new Error('symbolic link'), { code: 'ELOOP' });
    fd = openSync(abs, OPEN_FLAGS | NOFOLLOW);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code !== 'ELOOP') return skipped(path, 0, 'unreadable', ioProblem(e));
    let real: string;
    try {
      real = realpathSync(abs);
    } catch (e2) {
      const code2 = (e2 as NodeJS.ErrnoException).code;
      if (code2 === 'ELOOP') return skipped(path, 0, 'symlink-loop', 'symbolic link loop: fix or remove the link');
      return skipped(path, 0, 'unreadable', `broken symbolic link (${code2}): fix or remove the link`);
    }
    if (!isInside(root, real)) return skipped(path, 0, 'symlink-outside-root', `symbolic link to ${real}, outside the repository: not read`);
    try {
      fd = openSync(real, OPEN_FLAGS);
    } catch (e3) {
      return skipped(path, 0, 'unreadable', ioProblem(e3));
    }
  }
  let size = 0;
  try {
    const st = fstatSync(fd);
    size = st.size;
    if (!st.isFile()) return skipped(path, 0, 'unreadable', 'not a regular file (a directory, FIFO or device named like YAML)');
    if (size > MAX_FILE_BYTES) return classifyFile(path, undefined, size);
    const buf = readFileSync(fd);
    return classifyFile(path, buf, buf.length);
  } catch (e) {
    return skipped(path, size, 'unreadable', ioProblem(e));
  } finally {
    closeSync(fd);
  }
}

export function makeRepo(root: string, files: RepoFile[], resources: Resource[], settings: Settings, planned?: ReadonlyMap<string, string>): Repo {
  const byPath = new Map(files.map((f) => [f.path, f]));
  const byKind = new Map<string, Resource[]>();
  for (const r of resources) {
    if (!r.kind) continue;
    const list = byKind.get(r.kind) ?? [];
    list.push(r);
    byKind.set(r.kind, list);
  }
  let allPaths: Set<string> | undefined;
  let byName: Map<string, Map<string, Resource[]>> | undefined;
  const repo: Repo = {
    root,
    files,
    resources,
    settings,
    flux: undefined as unknown as Repo['flux'],
    file: (p) => byPath.get(p),
    ofKind(kind, group) {
      const list = byKind.get(kind) ?? [];
      return group === undefined ? list : list.filter((r) => r.group === group || r.group.startsWith(group));
    },
    find(kind, name, namespace, group) {
      byName ??= new Map();
      const key = `${kind}\0${group ?? ''}`;
      let names = byName.get(key);
      if (!names) {
        names = new Map();
        for (const r of repo.ofKind(kind, group)) {
          if (r.name === undefined) continue;
          const same = names.get(r.name);
          if (same) same.push(r);
          else names.set(r.name, [r]);
        }
        byName.set(key, names);
      }
      const list = names.get(name) ?? [];
      if (namespace === undefined || list.length <= 1)
        return list.find((r) => namespace === undefined || r.namespace === undefined || r.namespace === namespace) ?? list[0];
      return list.find((r) => r.namespace === namespace) ?? list.find((r) => r.namespace === undefined);
    },
    planned: (p) => planned?.get(p),
    exists(p) {
      if (byPath.has(p) || planned?.has(p)) return true;
      if (!allPaths) {
        // Every directory holding a listed file exists: no stat for those.
        allPaths = new Set();
        for (const f of files) for (let d = f.path; d.includes('/');) allPaths.add((d = d.slice(0, d.lastIndexOf('/'))));
      }
      if (allPaths.has(p)) return true;
      try {
        statSync(join(root, p));
        allPaths.add(p);
        return true;
      } catch {
        return false;
      }
    },
  };
  (repo as { flux: Repo['flux'] }).flux = buildFluxGraph(repo);
  return repo;
}

export function relativePosix(root: string, abs: string): string {
  return relative(root, abs).split(sep).join('/');
}
