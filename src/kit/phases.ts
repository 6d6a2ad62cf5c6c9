/** The review's severities, most severe first. */
export const SEVERITIES = ['critical', 'high', 'medium', 'low'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** The review's remediation phases, in the order they are carried out. */
export const PHASES = [1, 2, 3, 4] as const;
export type Phase = (typeof PHASES)[number];

export const PHASE_TITLES: Record<Phase, string> = {
  1: 'Critical security fixes',
  2: 'High priority improvements',
  3: 'Production hardening',
  4: 'Operational excellence',
};

export function severityRank(s: Severity): number {
  return SEVERITIES.indexOf(s);
}
