/** Minimal ANSI styling; off when the stream is not a TTY or NO_COLOR is set (FORCE_COLOR turns it on). */
export function colorEnabled(stream: { readonly isTTY?: boolean } = process.stdout, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0') return true;
  return !!stream.isTTY;
}

const codes = { red: 31, green: 32, yellow: 33, blue: 34, magenta: 35, cyan: 36, gray: 90, bold: 1, dim: 2 } as const;
export type Style = keyof typeof codes;

export function painter(enabled: boolean) {
  return (style: Style, text: string) => (enabled ? `\x1b[${codes[style]}m${text}\x1b[${style === 'bold' || style === 'dim' ? 22 : 39}m` : text);
}
export type Paint = ReturnType<typeof painter>;
