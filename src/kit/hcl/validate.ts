// Real-parser check: @cdktf/hcl2json (HashiCorp's hcl/v2 2.23 compiled to WASM; async; errors carry file:line,col;
// ~0.35 s to load, so imported only when validateEdit runs). Not hcl2-parser: 3.8 MB GopherJS build of hcl/v2 2.10,
// ~0.65 s to load, and its errors arrive as empty objects with no message or position.
import { parseHcl } from './parse.js';

type Hcl2Parse = (filename: string, contents: string) => Promise<unknown>;

let hcl2: Promise<Hcl2Parse | undefined> | undefined;

/** HashiCorp's HCL2 parser, loaded on first use; undefined when the package cannot be loaded. */
function loadHcl2(): Promise<Hcl2Parse | undefined> {
  hcl2 ??= (async () => {
    try {
      const specifier = '@cdktf/hcl2json';
      const mod = (await import(specifier)) as { parse?: unknown; default?: { parse?: unknown } };
      const parse = mod.parse ?? mod.default?.parse;
      return typeof parse === 'function' ? (parse as Hcl2Parse) : undefined;
    } catch {
      return undefined;
    }
  })();
  return hcl2;
}

async function hcl2Error(parse: Hcl2Parse, text: string): Promise<string | undefined> {
  try {
    await parse('config.hcl', text);
    return undefined;
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    return message.replace(/^parse config: \[(.*)\]$/s, '$1');
  }
}

/**
 * Checks an edited configuration. The structural parser must accept `edited`; and when HashiCorp's HCL2 parser
 * accepts `original`, it must accept `edited` too. HCL2 rejects some text Vault's HCL1 reads (a comma after an
 * attribute, several attributes in a one-line block), so an original it rejects only skips that check (see `note`).
 */
export async function validateEdit(original: string, edited: string): Promise<{ ok: true; note?: string } | { ok: false; error: string }> {
  try {
    parseHcl(edited);
  } catch (e) {
    return { ok: false, error: `edited config does not parse: ${e instanceof Error ? e.message : String(e)}` };
  }
  const parse = await loadHcl2();
  if (!parse) return { ok: true, note: 'HCL2 parser unavailable; checked structurally only' };
  const before = await hcl2Error(parse, original);
  if (before !== undefined) return { ok: true, note: `original config is not HCL2 (${before}); checked structurally only` };
  const after = await hcl2Error(parse, edited);
  if (after !== undefined) return { ok: false, error: `edited config is rejected by the HCL2 parser: ${after}` };
  return { ok: true };
}
