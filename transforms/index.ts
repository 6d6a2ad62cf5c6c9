import type { Rule } from '../src/kit/index.js';
import { rule as externalSecretsChartUpgrade } from './external-secrets-chart-upgrade/index.js';
import { rule as externalSecretsMissingProbes } from './external-secrets-missing-probes/index.js';
import { rule as externalSecretsRbac } from './external-secrets-rbac/index.js';
import { rule as externalsecretSlowRefresh } from './externalsecret-slow-refresh/index.js';
import { rule as fluxMetricsUnmonitored } from './flux-metrics-unmonitored/index.js';
import { rule as gitrepositoryDevBranch } from './gitrepository-dev-branch/index.js';
import { rule as helmrepositorySlowInterval } from './helmrepository-slow-interval/index.js';
import { rule as kustomizationNoWait } from './kustomization-no-wait/index.js';
import { rule as kustomizationRetryInterval } from './kustomization-retry-interval/index.js';
import { rule as linkerdUndocumented } from './linkerd-undocumented/index.js';
import { rule as missingMonitoring } from './missing-monitoring/index.js';
import { rule as missingPodDisruptionBudget } from './missing-pod-disruption-budget/index.js';
import { rule as missingSecurityContext } from './missing-security-context/index.js';
import { rule as namespaceMissingNetworkPolicy } from './namespace-missing-network-policy/index.js';
import { rule as namespaceMissingResourceQuota } from './namespace-missing-resource-quota/index.js';
import { rule as secretRotationUndocumented } from './secret-rotation-undocumented/index.js';
import { rule as secretstoreDefaultServiceaccount } from './secretstore-default-serviceaccount/index.js';
import { rule as vaultFileStorage } from './vault-file-storage/index.js';
import { rule as vaultListenerInsecure } from './vault-listener-insecure/index.js';
import { rule as vaultManualUnseal } from './vault-manual-unseal/index.js';
import { rule as vaultMlockDisabled } from './vault-mlock-disabled/index.js';
import { rule as vaultNoBackup } from './vault-no-backup/index.js';
import { rule as vaultSingleInstance } from './vault-single-instance/index.js';
import { rule as vaultTlsDisabled } from './vault-tls-disabled/index.js';
import { rule as vaultUnauthenticatedHealthProbe } from './vault-unauthenticated-health-probe/index.js';

/** Every rule, sorted by id. The only list of rules there is. */
export const rules: readonly Rule[] = [
  externalSecretsChartUpgrade,
  externalSecretsMissingProbes,
  externalSecretsRbac,
  externalsecretSlowRefresh,
  fluxMetricsUnmonitored,
  gitrepositoryDevBranch,
  helmrepositorySlowInterval,
  kustomizationNoWait,
  kustomizationRetryInterval,
  linkerdUndocumented,
  missingMonitoring,
  missingPodDisruptionBudget,
  missingSecurityContext,
  namespaceMissingNetworkPolicy,
  namespaceMissingResourceQuota,
  secretRotationUndocumented,
  secretstoreDefaultServiceaccount,
  vaultFileStorage,
  vaultListenerInsecure,
  vaultManualUnseal,
  vaultMlockDisabled,
  vaultNoBackup,
  vaultSingleInstance,
  vaultTlsDisabled,
  vaultUnauthenticatedHealthProbe,
];
