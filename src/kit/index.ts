export * from './phases.js';
export * from './repo.js';
export * from './rule.js';
export * from './duration.js';
export * from './options.js';
export * from './charts.js';
