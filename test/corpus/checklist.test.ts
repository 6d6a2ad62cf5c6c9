/** The review checklist on every repository of the corpus (../shared/corpus): all 24 items accounted for. */
import { describe, it } from 'vitest';
import { openSession, runScan } from '../../src/engine/session.js';
import { expectAccounted } from '../support/checklist.js';
import { missing, skipTitle } from '../support/needs.js';
import { corpusRepos } from '../support/tree.js';

const why = missing('corpus');

describe.skipIf(why)(skipTitle('review checklist on the corpus', why), () => {
  for (const dir of corpusRepos()) {
    it(`${dir.split('/').pop()!}: accounts for all 24 items`, () => {
      expectAccounted(runScan(openSession(dir), {}));
    });
  }
});
