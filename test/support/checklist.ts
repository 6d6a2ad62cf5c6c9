/** The review checklist of a scan report: every one of the 24 items accounted for. */
import { expect } from 'vitest';
import { rules } from '../../src/engine/registry.js';
import type { ScanReport } from '../../src/engine/session.js';

const ITEMS = Array.from({ length: 24 }, (_, i) => i + 1);

/** Every review item is there once, with a status, a count that matches the findings, and a one-line reason unless found. */
export function expectAccounted(report: ScanReport): void {
  expect(report.checklist.map((c) => c.item)).toEqual(ITEMS);
  for (const c of report.checklist) {
    expect(['found', 'clean', 'not-applicable']).toContain(c.status);
    expect(c.rules).toEqual(
      rules
        .filter((r) => r.meta.reviewItem === c.item)
        .map((r) => r.meta.id)
        .sort(),
    );
    const findings = report.findings.filter((f) => f.reviewItem === c.item).length;
    expect(c.count, `item ${c.item}`).toBe(findings);
    if (c.status === 'found') expect(c.count).toBeGreaterThan(0);
    else {
      expect(c.count).toBe(0);
      expect(c.reason, `item ${c.item} needs a reason`).toMatch(/\S/);
      expect(c.reason).not.toMatch(/[\r\n]/);
    }
  }
}
