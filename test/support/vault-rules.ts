/** The Vault remediation rules (review items 1, 2, 3, 4, 14, 16, 18), in canonical order. */
export const VAULT_RULE_IDS = [
  'vault-tls-disabled',
  'vault-listener-insecure',
  'vault-file-storage',
  'vault-single-instance',
  'vault-manual-unseal',
  'vault-mlock-disabled',
  'vault-unauthenticated-health-probe',
] as const;
