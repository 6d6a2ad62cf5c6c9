/**
 * How much YAML the process has parsed: every parse by the loader, the editor and the planner counts here. Tests
 * use it to check that work grows linearly with the input (counts of work, never wall time).
 */
export const parseWork = { parses: 0, chars: 0 };

export function countParse(text: string): void {
  parseWork.parses++;
  parseWork.chars += text.length;
}
