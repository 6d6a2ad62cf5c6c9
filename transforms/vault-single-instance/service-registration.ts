/** The service registration vault-single-instance adds for HA. */
import { appendBlock, findBlocks, parseHcl } from '../../src/kit/index.js';

/** Add `service_registration "kubernetes" {}` when the configuration has no service registration. */
export function vaultEnsureServiceRegistration(text: string): string {
  if (findBlocks(parseHcl(text), 'service_registration').length > 0) return text;
  return appendBlock(text, 'service_registration "kubernetes" {}');
}
