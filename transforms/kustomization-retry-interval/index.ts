import { clean, defineRule, durationMs, durationOption, formatDuration, GROUPS, notApplicable, parseDuration, z, type Report } from '../../src/kit/index.js';

const options = z
  .object({
    retryInterval: durationOption('2m', 'retryInterval written by the fix (capped at the Kustomization interval).'),
  })
  .strict();

type M = 'missing' | 'tooLong';

/** The Kustomization's interval (ms): the fix caps the retryInterval at it. */
interface Detail {
  readonly interval: number;
}

export const rule = defineRule({
  meta: {
    id: 'kustomization-retry-interval',
    title: 'Require a retryInterval no longer than the interval on Flux Kustomizations',
    reviewItem: 21,
    severity: 'low',
    phase: 3,
    messages: {
      missing: 'Kustomization {name} has no retryInterval: a failed apply is retried only after the full interval ({interval})',
      tooLong: 'Kustomization {name} retries every {retry}, longer than its interval {interval}',
    },
  },
  options,
  *detect({ repo }): Generator<Report<M, Detail>> {
    for (const ks of repo.ofKind('Kustomization', GROUPS.fluxKustomize)) {
      const interval = parseDuration(ks.get(['spec', 'interval']));
      if (interval === undefined) continue;
      const retryRaw = ks.get(['spec', 'retryInterval']);
      const data = { name: ks.name ?? '(unnamed)', interval: formatDuration(interval) };
      if (retryRaw === undefined || retryRaw === null) {
        yield { messageId: 'missing', resource: ks, path: ['spec', 'retryInterval'], data, detail: { interval } };
        continue;
      }
      const retry = parseDuration(retryRaw);
      if (retry !== undefined && retry > interval) {
        yield { messageId: 'tooLong', resource: ks, path: ['spec', 'retryInterval'], data: { ...data, retry: formatDuration(retry) }, detail: { interval } };
      }
    }
  },
  checklist({ repo }) {
    if (!repo.ofKind('Kustomization', GROUPS.fluxKustomize).some((ks) => parseDuration(ks.get(['spec', 'interval'])) !== undefined))
      return notApplicable('no Flux Kustomization');
    return clean('every Flux Kustomization has a retryInterval no longer than its interval');
  },
  fix: {
    kind: 'edit',
    safe: true,
    apply({ resource, detail: { interval } }, { options }) {
      const wanted = durationMs(options.retryInterval);
      const value = wanted <= interval ? options.retryInterval : formatDuration(interval);
      return { changes: [{ op: 'set', resource, path: ['spec', 'retryInterval'], value }], summary: `retryInterval → ${value}` };
    },
  },
});
