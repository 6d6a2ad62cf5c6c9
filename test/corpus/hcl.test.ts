/** The HCL parser and editor on every Vault configuration in the block scalars of the corpus (../shared/corpus). */
import { describe, expect, it } from 'vitest';
import { missing, skipTitle } from '../support/needs.js';
import { CORPUS } from '../support/tree.js';
import { expectTlsEdit, vaultConfigs } from '../support/vault-configs.js';

const why = missing('corpus');
const configs = why ? [] : vaultConfigs(CORPUS);

describe.skipIf(why)(skipTitle('Vault configs of the corpus', why), () => {
  it('holds Vault configs in HelmRelease block scalars', () => {
    expect(configs.length).toBeGreaterThanOrEqual(5);
  });

  it.each(configs.map((c) => [c.where, c.text] as const))('%s parses and takes the TLS edit', async (_where, text) => {
    await expectTlsEdit(text);
  });
});
