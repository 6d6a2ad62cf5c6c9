import {
  applyOrder,
  clean,
  compareVersions,
  defineRule,
  ESO_CHART_NEWEST,
  ESO_REVIEW_KEYS_SINCE,
  esoBlockerText,
  esoChartPin,
  esoFullname,
  esoMissingReviewKeys,
  esoNamespace,
  esoRangeTooOld,
  esoReleases,
  esoRunbookPath,
  esoUpgrade,
  esoUpgradeRunbook,
  esoVersionPath,
  getIn,
  GROUPS,
  notApplicable,
  parseVersion,
  versionAtLeast,
  z,
  type ApplyOrder,
  type Change,
  type EsoUpgrade,
  type Repo,
  type Report,
  type Resource,
  type Version,
} from '../../src/kit/index.js';

const options = z
  .object({
    targetVersion: z
      .string()
      .refine(
        (v) => {
          const p = parseVersion(v);
          return !!p && versionAtLeast(p, ESO_REVIEW_KEYS_SINCE) && compareVersions(p, parseVersion(ESO_CHART_NEWEST)!) <= 0;
        },
        { message: `an exact chart version from ${ESO_REVIEW_KEYS_SINCE} to ${ESO_CHART_NEWEST}` },
      )
      .default(ESO_CHART_NEWEST)
      .describe(
        `The External Secrets chart version to upgrade to: an exact version from ${ESO_REVIEW_KEYS_SINCE} (the first with every probe and RBAC key) to ${ESO_CHART_NEWEST} (the newest whose values and CRDs gitops-fix knows).`,
      ),
  })
  .strict();

type M = 'upgrade' | 'blocked' | 'rangeTooOld';

const V1 = `${GROUPS.eso}/v1`;
const V1BETA1 = `${GROUPS.eso}/v1beta1`;

function releaseLabel(repo: Repo, hr: Resource): string {
  return `${esoNamespace(repo, hr)}/${hr.name ?? '(unnamed)'}`;
}

/** "a, b and c" */
function list(items: readonly string[]): string {
  return items.length > 1 ? `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}` : (items[0] ?? '');
}

/** "livenessProbe (0.20.1), webhook.livenessProbe and certController.livenessProbe (2.4.1)": the keys by the version that adds them. */
function missingText(version: Version): string {
  const bySince = new Map<string, string[]>();
  for (const k of esoMissingReviewKeys(version)) bySince.set(k.since, [...(bySince.get(k.since) ?? []), k.label]);
  return list([...bySince].map(([since, labels]) => `${list(labels)} (${since})`));
}

export const rule = defineRule({
  meta: {
    id: 'external-secrets-chart-upgrade',
    title: 'Upgrade External Secrets charts that lack the probe and RBAC settings',
    reviewItem: 15,
    severity: 'medium',
    phase: 3,
    messages: {
      upgrade:
        'HelmRelease {name}: External Secrets chart {version} lacks {missing}, which the probe and RBAC fixes (review items 15 and 13) set: upgrade it to {target}{objects}',
      blocked:
        'HelmRelease {name}: External Secrets chart {version} lacks {missing}, which the probe and RBAC fixes (review items 15 and 13) set; the upgrade to {target} needs changes by hand first: {blockers}',
      rangeTooOld:
        'HelmRelease {name}: External Secrets chart version "{version}" selects only versions before {since}, which lack some of {missing}: pin {target}',
    },
  },
  options,
  *detect({ repo, options }): Generator<Report<M, EsoUpgrade>> {
    for (const hr of esoReleases(repo)) {
      const name = hr.name ?? '(unnamed)';
      const pin = esoChartPin(repo, hr);
      const path = esoVersionPath(hr);
      if (pin.kind === 'range' && esoRangeTooOld(pin)) {
        yield {
          messageId: 'rangeTooOld',
          resource: hr,
          path,
          data: { name, version: pin.text, since: ESO_REVIEW_KEYS_SINCE, missing: missingText([0, 0, 0]), target: options.targetVersion },
          fixable: false,
        };
        continue;
      }
      const u = esoUpgrade(repo, hr, options.targetVersion);
      if (!u) continue;
      const data = { name, version: u.pin.text, target: options.targetVersion, missing: missingText(u.pin.version) };
      if (u.blockers.length) {
        yield { messageId: 'blocked', resource: hr, path, data: { ...data, blockers: u.blockers.map(esoBlockerText).join('; ') }, fixable: false };
        continue;
      }
      const n = u.objects.length;
      const objects = n ? `, moving ${n} object${n === 1 ? '' : 's'} from ${V1BETA1} to v1 (${u.targetText} serves only v1)` : '';
      yield { messageId: 'upgrade', resource: hr, path, data: { ...data, objects }, detail: u };
    }
  },
  checklist({ repo }) {
    const releases = esoReleases(repo);
    if (!releases.length) return notApplicable('no External Secrets release');
    const pins = releases.map((hr) => esoChartPin(repo, hr)).map((p) => (p.kind === 'other' ? undefined : p.text));
    return clean(
      `the External Secrets charts pinned here (${pins.map((p) => p ?? 'outside the repository').join(', ')}) can have every probe and RBAC key (${ESO_REVIEW_KEYS_SINCE} or later)`,
    );
  },
  fix: {
    kind: 'edit',
    safe: false,
    apply({ detail: u }, { repo }) {
      const { hr } = u;
      const from = u.pin.text;
      const to = u.targetText;
      const changes: Change[] = [{ op: 'set', resource: u.pin.resource, path: u.pin.path, value: to }];
      const notes: string[] = [];
      for (const v of u.values) {
        changes.push({ op: 'delete', resource: v.resource, path: v.path });
        if (v.change.action.kind === 'move')
          changes.push({
            op: 'set',
            resource: v.resource,
            path: [...v.base, ...v.change.action.to],
            value: v.value,
            ...(v.comment ? { comment: v.comment } : {}),
          });
        notes.push(`HelmRelease ${hr.name}: ${v.change.note}${v.change.action.kind === 'move' ? '; moved' : '; removed'} (${v.resource.file}).`);
      }
      for (const t of u.imageTags) changes.push({ op: 'set', resource: t.resource, path: t.path, value: t.value });
      for (const o of u.objects) changes.push({ op: 'set', resource: o, path: ['apiVersion'], value: V1 });
      for (const r of u.references) changes.push({ op: 'set', resource: r.resource, path: r.path, value: r.value });

      const namespace = esoNamespace(repo, hr);
      const values = repo.flux.values(hr);
      const orders: { resource: Resource; order: ApplyOrder }[] = u.objects.map((o) => ({ resource: o, order: applyOrder(repo, hr, o.file) }));
      const file = esoRunbookPath(repo, hr, namespace, esoReleases(repo).length > 1);
      const installsCrds = values.installCRDs !== false;
      const text = esoUpgradeRunbook({
        release: hr,
        namespace,
        fullname: esoFullname(hr, values),
        from,
        to,
        objects: orders,
        valueNotes: [...u.values.map((v) => v.change.note), ...u.imageTags.map((t) => `${t.path.slice(-3).join('.')} follows the chart to ${t.value}`)],
        installsCrds,
        webhook: getIn(values, ['webhook', 'create']) !== false,
        certController: getIn(values, ['certController', 'create']) !== false,
      });
      if (repo.exists(file)) notes.push(`${file} already exists and was left as it is: check that it describes this upgrade.`);
      else changes.push({ op: 'createText', file, text });
      notes.unshift(`Roll the upgrade out with ${file}: the CRD order and what to check afterwards.`);

      // Charts before 0.16.0 have no v1 in their CRDs, which store v1 from the upgrade on.
      const storesV1beta1 = !versionAtLeast(u.pin.version, '0.16.0');
      const warnings: string[] = [
        `External Secrets recommends one minor version at a time; this goes from ${from} to ${to} in one step: read the release notes in between for controller changes that concern your providers.`,
      ];
      if (storesV1beta1)
        warnings.push(
          `Do not roll back to chart ${from} once ${to} has run: objects written since are stored as ${V1}, which the ${from} CRDs lack, so a Helm rollback (also upgrade.remediation with strategy rollback) fails on the CRDs. Fix forward.`,
        );
      if (!installsCrds)
        warnings.push(`HelmRelease ${hr.name} sets installCRDs: false: update the External Secrets CRDs to ${to} before this change reaches the cluster.`);
      const same = orders.filter((o) => o.order.kind === 'same');
      const early = orders.filter((o) => o.order.kind === 'unordered' || o.order.kind === 'not-waited');
      if (same.length)
        warnings.push(
          `The Kustomization that applies HelmRelease ${hr.name} also applies ${same.length} of the v1 objects: its dry-run fails until the new CRDs exist, so the release never upgrades. Apply the HelmRelease first (${file}, step 2).`,
        );
      if (early.length)
        warnings.push(
          `Flux may apply ${early.length} of the v1 object${early.length === 1 ? '' : 's'} before HelmRelease ${hr.name} has upgraded the CRDs (${list([...new Set(early.map((o) => o.resource.file))])}): they fail until it has. Order their Kustomization after the release's (dependsOn, with wait: true there).`,
        );
      const moved = u.objects.length ? `; ${u.objects.length} object${u.objects.length === 1 ? '' : 's'} to ${V1}` : '';
      return { changes, notes, warnings, summary: `chart ${from} → ${to} (${releaseLabel(repo, hr)})${moved}` };
    },
  },
});
