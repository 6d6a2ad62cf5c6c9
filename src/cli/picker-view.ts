/**
 * The fix picker's list (a prompt built on @inquirer/core): one line per rule, with a toggle for all its fixes, that
 * expands to one line per fix; typing filters; Tab asks for the diff of the line under the cursor. The prompt ends on
 * Enter (confirm), Tab (show a diff, then the picker opens again with the same state) or Ctrl-C; the caller keeps the
 * state between openings.
 */
import {
  createPrompt,
  isBackspaceKey,
  isDownKey,
  isEnterKey,
  isSpaceKey,
  isTabKey,
  isUpKey,
  useKeypress,
  usePagination,
  useState,
  type KeypressEvent,
} from '@inquirer/core';
import type { Paint } from './colors.js';

/** One fix (or one fix that asks for an option first) in the picker. */
export interface PickEntry {
  /** The key the selection is made of. */
  readonly key: string;
  /** `path:line`, the line of the file on disk. */
  readonly where: string;
  /** `Kind/name`, when the finding is about an object. */
  readonly object?: string | undefined;
  readonly summary: string;
  /** Marks shown before the summary (`asks for method`). */
  readonly note?: string | undefined;
}

/** One rule and its entries. */
export interface PickGroup {
  readonly id: string;
  readonly title: string;
  readonly severity: string;
  readonly phase: number;
  /** The rule's fixes need review (not checked up front). */
  readonly review: boolean;
  readonly entries: readonly PickEntry[];
  /** Findings of the rule left unfixed (not offered). */
  readonly leftUnfixed: number;
}

/** What the picker keeps between openings. */
export interface PickState {
  readonly checked: ReadonlySet<string>;
  readonly expanded: ReadonlySet<string>;
  readonly filter: string;
  /** The line under the cursor: `rule:<id>` or `fix:<key>`. */
  readonly cursor: string;
}

export interface PickViewConfig {
  readonly message: string;
  /** Lines between the question and the list (what is pre-checked and why). */
  readonly explain: readonly string[];
  readonly groups: readonly PickGroup[];
  readonly state: PickState;
  readonly columns: number;
  readonly pageSize: number;
  readonly paint: Paint;
}

export type PickViewResult =
  | { readonly action: 'confirm'; readonly state: PickState }
  | { readonly action: 'diff'; readonly state: PickState; readonly group: string; readonly entry?: string | undefined };

type Row =
  | { readonly kind: 'rule'; readonly group: PickGroup; readonly entries: readonly PickEntry[] }
  | { readonly kind: 'fix'; readonly group: PickGroup; readonly entry: PickEntry };

const rowId = (r: Row) => (r.kind === 'rule' ? `rule:${r.group.id}` : `fix:${r.entry.key}`);

/** Every word of the filter occurs in the rule's id, title or severity, or in the entry's location, object or summary. */
function matches(words: readonly string[], g: PickGroup, e: PickEntry): boolean {
  const text = `${g.id} ${g.title} ${g.severity} ${e.where} ${e.object ?? ''} ${e.summary} ${e.note ?? ''}`.toLowerCase();
  return words.every((w) => text.includes(w));
}

/** The lines shown: each rule with entries matching the filter, and, when expanded (or filtered), those entries. */
export function visibleRows(groups: readonly PickGroup[], state: Pick<PickState, 'filter' | 'expanded'>): Row[] {
  const words = state.filter.toLowerCase().split(/\s+/).filter(Boolean);
  const rows: Row[] = [];
  for (const g of groups) {
    const entries = words.length ? g.entries.filter((e) => matches(words, g, e)) : g.entries;
    if (!entries.length) continue;
    rows.push({ kind: 'rule', group: g, entries });
    if (words.length || state.expanded.has(g.id)) for (const entry of entries) rows.push({ kind: 'fix', group: g, entry });
  }
  return rows;
}

/** `s` cut to `width` columns with an ellipsis. */
export function truncate(s: string, width: number): string {
  const chars = [...s];
  if (chars.length <= width) return s;
  return width <= 1 ? '…' : `${chars.slice(0, width - 1).join('')}…`;
}

/** A location that fits `width`: the line number always, the path cut at the front (`…/dir/file.yaml:12`). */
export function fitWhere(where: string, width: number): string {
  if (where.length <= width) return where;
  const colon = where.lastIndexOf(':');
  const tail = colon > 0 ? where.slice(colon) : '';
  const path = colon > 0 ? where.slice(0, colon) : where;
  const keep = Math.max(1, width - tail.length - 1);
  return `…${path.slice(path.length - keep)}${tail}`;
}

function ruleLine(row: Extract<Row, { kind: 'rule' }>, checked: ReadonlySet<string>, open: boolean, width: number): string {
  const g = row.group;
  const on = row.entries.filter((e) => checked.has(e.key)).length;
  const box = on === 0 ? '◯' : on === row.entries.length ? '◉' : '◐';
  const arrow = open ? '▾' : '▸';
  const counts = `${on}/${row.entries.length}${row.entries.length < g.entries.length ? ` of ${g.entries.length}` : ''}${g.leftUnfixed ? `, ${g.leftUnfixed} left unfixed` : ''}`;
  const head = `${box} ${arrow} ${g.id}${g.review ? ' [review]' : ''} (${g.severity}, ${counts})`;
  return truncate(`${head} ${g.title}`, width);
}

function fixLine(e: PickEntry, checked: ReadonlySet<string>, width: number): string {
  const box = checked.has(e.key) ? '◉' : '◯';
  const lead = `    ${box} `;
  const where = fitWhere(e.where, Math.max(12, Math.floor((width - lead.length) * 0.6)));
  const rest = [e.note ? `[${e.note}]` : '', e.object ?? '', e.object ? `— ${e.summary}` : e.summary].filter(Boolean).join(' ');
  return truncate(`${lead}${where} ${rest}`, width);
}

interface EditState {
  readonly rows: readonly Row[];
  readonly active: number;
  readonly current: Row | undefined;
  readonly checked: ReadonlySet<string>;
  readonly expanded: ReadonlySet<string>;
  readonly filter: string;
  setChecked(v: ReadonlySet<string>): void;
  setExpanded(v: ReadonlySet<string>): void;
  setFilter(v: string): void;
  setCursor(v: string): void;
}

/** The checked set with `keys` all off when they were all on, else all on (a rule's toggle, or one fix). */
function toggled(checked: ReadonlySet<string>, keys: readonly string[]): Set<string> {
  const next = new Set(checked);
  const allOn = keys.every((k) => next.has(k));
  for (const k of keys) {
    if (allOn) next.delete(k);
    else next.add(k);
  }
  return next;
}

/** Moving, toggling, expanding and filtering: every key but Enter and Tab. */
function editKey(key: KeypressEvent, seq: string, s: EditState): void {
  const { rows, current } = s;
  if (isUpKey(key) || isDownKey(key)) {
    if (!rows.length) return;
    const next = Math.min(rows.length - 1, Math.max(0, s.active + (isUpKey(key) ? -1 : 1)));
    s.setCursor(rowId(rows[next]!));
  } else if (isSpaceKey(key)) {
    if (current) s.setChecked(toggled(s.checked, current.kind === 'rule' ? current.entries.map((e) => e.key) : [current.entry.key]));
  } else if (key.name === 'right' && current) {
    s.setExpanded(new Set([...s.expanded, current.group.id]));
  } else if (key.name === 'left' && current) {
    s.setExpanded(new Set([...s.expanded].filter((id) => id !== current.group.id)));
    s.setCursor(`rule:${current.group.id}`);
  } else if (key.name === 'escape') {
    s.setFilter('');
  } else if (isBackspaceKey(key)) {
    s.setFilter(s.filter.slice(0, -1));
  } else if (!key.ctrl && seq.length === 1 && seq >= '!' && seq <= '~') {
    s.setFilter(s.filter + seq);
  }
}

const HELP = '↑↓ move · space toggle · → expand · ← collapse · tab diff · type to filter · esc clear filter · enter confirm';

export const pickView = createPrompt<PickViewResult, PickViewConfig>((config, done) => {
  const { groups, paint } = config;
  const [checked, setChecked] = useState<ReadonlySet<string>>(config.state.checked);
  const [expanded, setExpanded] = useState<ReadonlySet<string>>(config.state.expanded);
  const [filter, setFilter] = useState(config.state.filter);
  const [cursor, setCursor] = useState(config.state.cursor);
  const [finished, setFinished] = useState(false);
  const rows = visibleRows(groups, { filter, expanded });
  const found = rows.findIndex((r) => rowId(r) === cursor);
  const active = found >= 0 ? found : 0;
  const current = rows[active];
  const state = (): PickState => ({ checked, expanded, filter, cursor: current ? rowId(current) : cursor });
  const width = Math.max(20, config.columns - 2);

  useKeypress((key, rl) => {
    const seq = (key as { sequence?: string }).sequence ?? '';
    if (isEnterKey(key)) {
      setFinished(true);
      done({ action: 'confirm', state: state() });
      return;
    }
    if (isTabKey(key)) {
      rl.clearLine(0);
      if (!current) return;
      setFinished(true);
      done({ action: 'diff', state: state(), group: current.group.id, entry: current.kind === 'fix' ? current.entry.key : undefined });
      return;
    }
    // Typed characters filter; readline's own line is not used.
    rl.clearLine(0);
    editKey(key, seq, { rows, active, current, checked, expanded, filter, setChecked, setExpanded, setFilter, setCursor });
  });

  const page = usePagination({
    items: rows,
    active,
    pageSize: config.pageSize,
    loop: false,
    renderItem: ({ item, isActive }) => {
      const text = item.kind === 'rule' ? ruleLine(item, checked, !!filter || expanded.has(item.group.id), width) : fixLine(item.entry, checked, width);
      return isActive ? paint('cyan', `❯${text}`) : ` ${text}`;
    },
  });
  const total = groups.reduce((n, g) => n + g.entries.length, 0);
  const chosen = groups.reduce((n, g) => n + g.entries.filter((e) => checked.has(e.key)).length, 0);
  const question = `${paint('green', '?')} ${paint('bold', config.message)} ${paint('dim', `(${chosen} of ${total} checked)`)}`;
  if (finished) return question;
  const filterLine = `Filter: ${filter ? paint('cyan', filter) : paint('dim', '(type to filter)')}${filter ? paint('dim', ` — ${rows.filter((r) => r.kind === 'fix').length} matching`) : ''}`;
  const body = rows.length ? page : paint('dim', '  nothing matches the filter');
  return [question, [...config.explain.map((l) => paint('dim', truncate(l, width))), filterLine, body, paint('dim', truncate(HELP, width))].join('\n')];
});

/** A page of a long text, for a terminal with no pager: space or ↓ next page, b or ↑ back, q, Esc or Enter to return. */
export const pageView = createPrompt<void, { readonly title: string; readonly lines: readonly string[]; readonly pageSize: number; readonly paint: Paint }>(
  (config, done) => {
    const { lines, pageSize, paint } = config;
    const [top, setTop] = useState(0);
    const last = Math.max(0, lines.length - pageSize);
    useKeypress((key, rl) => {
      rl.clearLine(0);
      const seq = (key as { sequence?: string }).sequence ?? '';
      if (isEnterKey(key) || key.name === 'escape' || seq === 'q') return done();
      if (isSpaceKey(key) || key.name === 'pagedown' || seq === 'f') setTop(Math.min(last, top + pageSize));
      else if (isDownKey(key)) setTop(Math.min(last, top + 1));
      else if (key.name === 'pageup' || seq === 'b') setTop(Math.max(0, top - pageSize));
      else if (isUpKey(key)) setTop(Math.max(0, top - 1));
    });
    const end = Math.min(lines.length, top + pageSize);
    const status = paint('dim', `${config.title} — lines ${top + 1}–${end} of ${lines.length} · space/↓ more · b/↑ back · q return`);
    return [status, lines.slice(top, end).join('\n')];
  },
);
