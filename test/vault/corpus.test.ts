/**
 * The Vault rules on the real repositories of the shared corpus that deploy Vault: the findings judged right for
 * those releases, and every fix (each rule alone, and all together) verifies.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Rule } from '../../src/kit/index.js';
import { planFixes } from '../../src/engine/plan.js';
import { rules } from '../../src/engine/registry.js';
import { detectRule } from '../../src/engine/scan.js';
import { openSession } from '../../src/engine/session.js';
import { missing, skipTitle } from '../support/needs.js';
import { CORPUS } from '../support/tree.js';
import { VAULT_RULE_IDS } from '../support/vault-rules.js';

const VAULT_RULES: Rule[] = VAULT_RULE_IDS.map((id) => rules.find((r) => r.meta.id === id)!);

const EXPECTED: Record<string, string[]> = {
  // Two standalone releases: `vault` (auto-unsealed through the other one's transit engine) and `vault-unseal`.
  'webgrip__homelab-cluster': [
    'kubernetes/apps/vault-unseal/vault-unseal/app/helmrelease.yaml:15 vault-tls-disabled/defaulted',
    'kubernetes/apps/vault-unseal/vault-unseal/app/helmrelease.yaml:20 vault-single-instance/singleInstance',
    'kubernetes/apps/vault-unseal/vault-unseal/app/helmrelease.yaml:20 vault-unauthenticated-health-probe/livenessDisabled',
    'kubernetes/apps/vault-unseal/vault-unseal/app/helmrelease.yaml:26 vault-file-storage/fileStorage',
    'kubernetes/apps/vault-unseal/vault-unseal/app/helmrelease.yaml:26 vault-listener-insecure/tlsDisabled',
    'kubernetes/apps/vault-unseal/vault-unseal/app/helmrelease.yaml:26 vault-manual-unseal/noSeal',
    'kubernetes/apps/vault/vault/app/helmrelease.yaml:15 vault-tls-disabled/defaulted',
    'kubernetes/apps/vault/vault/app/helmrelease.yaml:20 vault-single-instance/singleInstance',
    'kubernetes/apps/vault/vault/app/helmrelease.yaml:20 vault-unauthenticated-health-probe/livenessDisabled',
    'kubernetes/apps/vault/vault/app/helmrelease.yaml:26 vault-file-storage/fileStorage',
    'kubernetes/apps/vault/vault/app/helmrelease.yaml:26 vault-listener-insecure/tlsDisabled',
  ],
  // One HA Raft release (chart 0.27.x, Vault 1.15.2) whose values are a full copy of the chart's values.yaml. Chart
  // 0.27.x always adds disable_mlock = true to the rendered configuration: no mlock finding.
  'sepffuzzball__fuzzlab-gitops': [
    'kubernetes/apps/security/vault/app/helmrelease.yaml:48 vault-tls-disabled/disabled',
    'kubernetes/apps/security/vault/app/helmrelease.yaml:560 vault-unauthenticated-health-probe/livenessDisabled',
    'kubernetes/apps/security/vault/app/helmrelease.yaml:925 vault-listener-insecure/tlsDisabled',
    'kubernetes/apps/security/vault/app/helmrelease.yaml:925 vault-manual-unseal/noSeal',
  ],
};

/**
 * Fixes refused on purpose, by rule: `vault-unseal` is the transit backend of `vault` (seal "transit" at
 * http://vault-unseal.vault-unseal.svc:8200, another namespace). TLS on it would need `vault`'s seal to move to https
 * with its CA, which is not available in namespace vault without rules.vault-tls-disabled.clientCa: the TLS fix is
 * refused with that reason, and the listener fix with it (the chart's side stays plain HTTP).
 */
const REFUSED: Record<string, Record<string, RegExp>> = {
  'webgrip__homelab-cluster': {
    'vault-tls-disabled':
      /^these clients of Vault vault-unseal\/vault-unseal cannot move to https in the same change.*Vault vault\/vault unseals through this Vault's transit engine at http:\/\/vault-unseal\.vault-unseal\.svc:8200/,
    'vault-listener-insecure': /^global\.tlsDisable is still true/,
  },
};

for (const [name, expected] of Object.entries(EXPECTED)) {
  const dir = join(CORPUS, name);
  const why = missing('corpus');
  describe.skipIf(why)(skipTitle(`Vault rules on ${name}`, why), () => {
    const session = why ? undefined : openSession(dir);
    const options = new Map(session?.options);
    const unseal = VAULT_RULES.find((r) => r.meta.id === 'vault-manual-unseal')!;
    options.set(unseal.meta.id, unseal.options!.parse({ method: 'awskms', awsRegion: 'eu-west-1', awsKmsKeyId: 'alias/vault-unseal' }));

    it('reports exactly the findings judged right for these releases', () => {
      const found = VAULT_RULES.flatMap((r) => detectRule(session!.repo, r, options.get(r.meta.id))).map(
        (f) => `${f.file}:${f.line} ${f.ruleId}/${f.messageId}`,
      );
      expect(found.sort()).toEqual([...expected].sort());
    });

    for (const selection of [...VAULT_RULES.map((r) => [r]), VAULT_RULES]) {
      const label = selection.length === 1 ? selection[0]!.meta.id : 'all Vault rules';
      it(`${label}: every fix verifies and resolves its findings`, { timeout: 60_000 }, () => {
        const plan = planFixes(session!.repo, { rules: selection, options });
        const refused = REFUSED[name] ?? {};
        expect(plan.rules.flatMap((r) => r.dropped.map((d) => `${r.rule.meta.id}: ${d.reason}`))).toEqual([]);
        for (const r of plan.rules) {
          const reasons = r.skipped.map((d) => d.reason);
          const expectRefusal = refused[r.rule.meta.id];
          if (expectRefusal) expect(reasons.length, r.rule.meta.id).toBe(1);
          for (const reason of reasons) expect(reason, r.rule.meta.id).toMatch(expectRefusal ?? /^$/);
          expect(r.fixed.length, r.rule.meta.id).toBe(r.findings.length - reasons.length);
        }
      });
    }
  });
}
