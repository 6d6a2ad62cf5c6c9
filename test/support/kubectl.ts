import { execFileSync } from 'node:child_process';

/** Whether `kubectl` (with kustomize) is on PATH; build checks are skipped without it. */
export const hasKubectl = (() => {
  try {
    execFileSync('kubectl', ['version', '--client'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
