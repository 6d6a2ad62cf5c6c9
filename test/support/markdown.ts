/** Level-2 headings of a Markdown text, outside fenced code blocks (a README's examples may quote whole documents). */
export function level2Headings(text: string): string[] {
  const out: string[] = [];
  let fence: string | undefined;
  for (const line of text.split('\n')) {
    const m = /^\s{0,3}(`{3,}|~{3,})/.exec(line);
    if (m) {
      if (fence === undefined) fence = m[1];
      else if (m[1]!.startsWith(fence[0]!) && m[1]!.length >= fence.length) fence = undefined;
      continue;
    }
    if (fence === undefined && line.startsWith('## ')) out.push(line);
  }
  return out;
}
