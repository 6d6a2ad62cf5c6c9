/**
 * Validation against the SARIF 2.1.0 JSON schema (`sarif-2.1.0-rtm.5.json`, the schema json.schemastore.org serves
 * for SARIF 2.1.0 logs), as published by Microsoft's SARIF SDK in the `@microsoft/jest-sarif` package. It is a
 * draft-04 schema, so it is compiled with ajv's draft-04 class; one of its patterns is not a valid Unicode regular
 * expression, hence `unicodeRegExp: false`.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { ROOT } from './tree.js';

const require = createRequire(import.meta.url);
type AjvClass = typeof import('ajv-draft-04').default;
const Ajv = require('ajv-draft-04') as AjvClass;
const addFormats = require('ajv-formats') as typeof import('ajv-formats').default;

export const SARIF_SCHEMA_FILE = join(ROOT, 'node_modules', '@microsoft', 'jest-sarif', 'lib', 'schemas', 'sarif-2.1.0-rtm.5.json');

const ajv = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false });
addFormats(ajv);
const validate = ajv.compile(JSON.parse(readFileSync(SARIF_SCHEMA_FILE, 'utf8')) as object);

/** Schema errors of a SARIF log (`/path: message`), none when it is valid. */
export function sarifErrors(log: unknown): string[] {
  return validate(log) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '/'}: ${e.message}${e.params ? ` ${JSON.stringify(e.params)}` : ''}`);
}
