import { z } from 'zod';
import { parseDuration } from './duration.js';

/** A Go duration option (`5m`, `1h30m`), validated. */
export function durationOption(defaultValue: string, description: string) {
  return z
    .string()
    .refine((s) => parseDuration(s) !== undefined, { message: 'not a Go duration (e.g. 90s, 5m, 1h30m)' })
    .default(defaultValue)
    .describe(description);
}

export { z };

/**
 * Per-release overrides of a rule's options: `releases: { "<namespace>/<name>": { ... } }`, each entry with the
 * rule's own keys and no defaults, so that the global values apply wherever an entry is silent.
 */
export function releaseOverrides<S extends z.ZodRawShape>(shape: S) {
  const fields: Record<string, z.ZodType> = {};
  for (const [k, t] of Object.entries(shape)) {
    const inner = t instanceof z.ZodDefault ? (t.removeDefault() as z.ZodType) : (t as z.ZodType);
    fields[k] = inner.optional();
  }
  return z
    .record(z.string().regex(/^[^/\s]+\/[^/\s]+$/, 'a release as <namespace>/<name>'), z.object(fields).strict())
    .optional()
    .describe(
      'Options for one release, keyed "<namespace>/<name>" (the namespace Vault runs in and the HelmRelease name); they override the options above for it.',
    );
}

/** A rule's options for one release: its `releases["<namespace>/<name>"]` entry over the global values. */
export function optionsFor<O extends { readonly releases?: Readonly<Record<string, object>> | undefined }>(options: O, key: string): O {
  const over = options.releases?.[key] as Record<string, unknown> | undefined;
  if (!over) return options;
  const out: Record<string, unknown> = { ...options };
  for (const [k, v] of Object.entries(over)) if (v !== undefined) out[k] = v;
  return out as O;
}
