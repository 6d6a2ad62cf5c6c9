import {
  clean,
  defineRule,
  durationMs,
  durationOption,
  formatDuration,
  GROUPS,
  helmRepositoryView,
  notApplicable,
  parseDuration,
  z,
} from '../../src/kit/index.js';

const options = z
  .object({
    maxInterval: durationOption('1h', 'Longest acceptable HelmRepository interval.'),
    interval: durationOption('1h', 'The interval the fix writes.'),
  })
  .strict();

export const rule = defineRule({
  meta: {
    id: 'helmrepository-slow-interval',
    title: 'Require HelmRepository indexes to be refreshed at least hourly',
    reviewItem: 20,
    severity: 'low',
    phase: 3,
    messages: {
      tooSlow: 'HelmRepository {name} fetches its index every {current}; new chart versions and fixes arrive up to {current} late (maximum {max})',
    },
  },
  options,
  *detect({ repo, options }) {
    const max = durationMs(options.maxInterval);
    for (const r of repo.ofKind('HelmRepository', GROUPS.fluxSource)) {
      const spec = helmRepositoryView(r)?.spec;
      if (spec?.type === 'oci') continue; // OCI repositories are not polled
      const ms = parseDuration(spec?.interval);
      if (ms === undefined || ms <= max) continue;
      yield {
        messageId: 'tooSlow',
        resource: r,
        path: ['spec', 'interval'],
        data: { name: r.name ?? '(unnamed)', current: formatDuration(ms), max: options.maxInterval },
      };
    }
  },
  checklist({ repo, options }) {
    const polled = repo.ofKind('HelmRepository', GROUPS.fluxSource).filter((r) => helmRepositoryView(r)?.spec.type !== 'oci');
    if (!polled.length) return notApplicable('no HelmRepository index to refresh (OCI repositories are not polled)');
    return clean(`every HelmRepository refreshes at least every ${options.maxInterval}`);
  },
  fix: {
    kind: 'edit',
    safe: true,
    apply({ resource }, { options }) {
      return { changes: [{ op: 'set', resource, path: ['spec', 'interval'], value: options.interval }], summary: `interval → ${options.interval}` };
    },
  },
});
