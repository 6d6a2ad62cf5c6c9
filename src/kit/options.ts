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
