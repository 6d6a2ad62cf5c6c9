/** Every Vault configuration a fixture's fix rewrites parses with HashiCorp's HCL parser whenever the original does. */
import { describe, expect, it } from 'vitest';
import { validateEdit } from '../../src/kit/hcl/validate.js';
import { configuredVaultServers } from '../../src/kit/index.js';
import { openSession } from '../../src/engine/session.js';
import { listCases } from '../support/fixtures.js';
import { VAULT_RULE_IDS } from '../support/vault-rules.js';

describe('edited Vault configurations', () => {
  for (const id of VAULT_RULE_IDS) {
    for (const c of listCases(id).filter((x) => x.afterDir)) {
      it(`${id}/${c.name}`, async () => {
        const before = configuredVaultServers(openSession(c.beforeDir).repo);
        const after = configuredVaultServers(openSession(c.afterDir!).repo);
        for (const a of after) {
          const b = before.find((x) => x.release.id === a.release.id)!;
          if (b.config.text === a.config.text && b.config.key.join() === a.config.key.join()) continue;
          expect(a.config.doc, `${a.release.id}: ${a.config.problem}`).toBeDefined();
          const check = await validateEdit(b.config.text, a.config.text);
          expect(check, a.release.id).toMatchObject({ ok: true });
        }
      });
    }
  }
});
