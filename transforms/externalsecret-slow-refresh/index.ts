import {
  clean,
  defineRule,
  durationMs,
  durationOption,
  externalSecretSpecOf,
  formatDuration,
  GROUPS,
  notApplicable,
  parseDuration,
  z,
  type Resource,
  type YamlPath,
  scalarText,
} from '../../src/kit/index.js';

/** ESO's default when refreshInterval is absent. */
const ESO_DEFAULT_MS = 3_600_000;

const options = z
  .object({
    maxInterval: durationOption('5m', 'Longest acceptable refresh interval.'),
    interval: durationOption('5m', 'The interval the fix writes.'),
  })
  .strict();

function specPath(r: Resource): YamlPath {
  return r.kind === 'ClusterExternalSecret' ? ['spec', 'externalSecretSpec'] : ['spec'];
}

export const rule = defineRule({
  meta: {
    id: 'externalsecret-slow-refresh',
    title: 'Require a short ExternalSecret refresh interval',
    reviewItem: 6,
    quickWin: true,
    severity: 'high',
    phase: 2,
    messages: {
      tooSlow: '{kind} {name} refreshes every {current}; rotated secrets reach the cluster up to {current} late (maximum {max})',
      defaulted: '{kind} {name} has no refreshInterval, so ESO refreshes every 1h (maximum {max})',
      never: '{kind} {name} has refreshInterval 0: the secret is fetched once and never refreshed',
    },
  },
  options,
  *detect({ repo, options }) {
    const max = durationMs(options.maxInterval);
    for (const r of [...repo.ofKind('ExternalSecret', GROUPS.eso), ...repo.ofKind('ClusterExternalSecret', GROUPS.eso)]) {
      const view = externalSecretSpecOf(r);
      if (!view) continue;
      const spec = specPath(r);
      const policy = view.refreshPolicy;
      if (policy === 'CreatedOnce' || policy === 'OnChange') continue; // interval unused by design
      const raw = view.refreshInterval;
      const data = { kind: r.kind ?? 'ExternalSecret', name: r.name ?? '(unnamed)', max: options.maxInterval };
      if (raw === undefined || raw === null) {
        if (ESO_DEFAULT_MS > max) yield { messageId: 'defaulted', resource: r, path: spec, data };
        continue;
      }
      const ms = parseDuration(scalarText(raw));
      if (ms === undefined) continue; // not a duration: the API server rejects it; not this rule's concern
      if (ms === 0) yield { messageId: 'never', resource: r, path: [...spec, 'refreshInterval'], data };
      else if (ms > max) yield { messageId: 'tooSlow', resource: r, path: [...spec, 'refreshInterval'], data: { ...data, current: formatDuration(ms) } };
    }
  },
  checklist({ repo, options }) {
    const all = [...repo.ofKind('ExternalSecret', GROUPS.eso), ...repo.ofKind('ClusterExternalSecret', GROUPS.eso)].filter((r) => r.group === GROUPS.eso);
    if (!all.length) return notApplicable('no ExternalSecret');
    return clean(`every ExternalSecret refreshes at least every ${options.maxInterval} (or by policy only when created or changed)`);
  },
  fix: {
    kind: 'edit',
    safe: true,
    apply({ resource }, { options }) {
      return {
        changes: [{ op: 'set', resource, path: [...specPath(resource), 'refreshInterval'], value: options.interval }],
        summary: `refreshInterval → ${options.interval}`,
      };
    },
  },
});
