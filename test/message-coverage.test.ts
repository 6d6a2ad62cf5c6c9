/**
 * Every message of every rule is produced by at least one fixture: each messageId in a rule's `meta.messages`
 * appears in some fixtures/<rule>/<case>/findings.txt (which test/rules.test.ts checks against the rule's findings).
 * A message no fixture produces is either untested or dead: add a fixture case that produces it, or remove it.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { rules } from '../src/engine/registry.js';
import { listCases } from './support/fixtures.js';

describe('every message of every rule appears in a fixture', () => {
  for (const rule of rules) {
    it(rule.meta.id, () => {
      const seen = new Set<string>();
      for (const c of listCases(rule.meta.id)) {
        if (c.valid) continue; // a valid case has no findings; an invalid one always has its findings.txt
        for (const m of readFileSync(c.findingsFile, 'utf8').matchAll(/^\S+:\d+:\d+ ([a-z0-9-]+)\/(\w+) /gm)) if (m[1] === rule.meta.id) seen.add(m[2]!);
      }
      const missing = Object.keys(rule.meta.messages).filter((id) => !seen.has(id));
      expect(missing, `messages of ${rule.meta.id} that no fixtures/${rule.meta.id}/*/findings.txt shows: add a case that produces each`).toEqual([]);
    });
  }
});
