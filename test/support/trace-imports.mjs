// Records every module the process loads, for the start-up test: `node --import ./trace-imports.mjs ...` with
// GITOPS_FIX_TRACE_IMPORTS=<file>; one URL per line is appended as each module is loaded (ESM and CommonJS).
import { appendFileSync } from 'node:fs';
import Module, { register } from 'node:module';

const out = process.env.GITOPS_FIX_TRACE_IMPORTS;
if (out) {
  register(
    `data:text/javascript,${encodeURIComponent(`
      import { appendFileSync } from 'node:fs';
      export async function load(url, context, next) {
        appendFileSync(${JSON.stringify(out)}, url + '\\n');
        return next(url, context);
      }
    `)}`,
  );
  // CommonJS modules required from CommonJS do not pass the ESM hooks.
  const original = Module.prototype.require;
  Module.prototype.require = function (id) {
    try {
      appendFileSync(out, `cjs:${Module._resolveFilename(id, this)}\n`);
    } catch {
      // unresolvable: the original require reports it
    }
    return original.call(this, id);
  };
}
