/** Reports that must fit their destination: GitHub refuses a pull-request body or comment over 65,536 characters. */

/** The most characters a pull-request body or a Markdown comment gitops-fix writes may have. */
export const MARKDOWN_LIMIT = 60_000;

/** Caps on the items listed per group, loosest first; the first rendering that fits is used. */
const CAPS = [Infinity, 200, 100, 50, 20, 10, 5, 3, 1, 0] as const;

/**
 * `render(cap)` with the loosest cap on listed items whose result is at most `limit` characters. When even cap 0
 * does not fit, the text is cut at a line break before the limit with a last line saying so.
 */
export function fitWithin(limit: number, render: (cap: number) => string): string {
  let text = '';
  for (const cap of CAPS) {
    text = render(cap);
    if (text.length <= limit) return text;
  }
  const note = '\n\n_Cut here: the rest does not fit in one Markdown document._\n';
  const cut = text.lastIndexOf('\n', limit - note.length);
  return text.slice(0, Math.max(0, cut)) + note;
}

/** The first `cap` items, and a line saying how many more there are (`_12 more not shown._`) when some are left out. */
export function capped<T>(items: readonly T[], cap: number, line: (item: T) => string, more = (n: number) => `_${n} more not shown._`): string[] {
  const shown = items.slice(0, cap);
  const rest = items.length - shown.length;
  return [...shown.map(line), ...(rest ? [more(rest)] : [])];
}

/** A Markdown table cell: no line breaks or pipes, HTML escaped, at most `max` characters. */
export function mdCell(s: string, max = 400): string {
  const t = s.length > max ? `${s.slice(0, max - 1)}…` : s;
  return t.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r?\n/g, '<br>');
}
