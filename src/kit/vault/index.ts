/** HashiCorp Vault servers deployed with the vault-helm chart: one model every Vault rule reads. */
export * from './values.js';
export * from './config.js';
export * from './server.js';
export * from './images.js';
export * from './runbooks.js';
