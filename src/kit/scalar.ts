/**
 * The text of a YAML scalar read from a user's file: strings as they are, numbers, booleans and bigints as
 * `String` writes them. A map, a list, null or undefined has no scalar text: `fallback` (never "[object Object]").
 */
export function scalarText(v: unknown, fallback = ''): string {
  switch (typeof v) {
    case 'string':
      return v;
    case 'number':
    case 'boolean':
    case 'bigint':
      return String(v);
    default:
      return fallback;
  }
}
