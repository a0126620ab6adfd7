import type { Policy } from '../../functions/domain/model.js';

/** The policy templates of Insider Risk Management this product knows. */
export const POLICY_TEMPLATES = [
  'Data theft by departing users',
  'General data leaks',
  'Data leaks by priority users',
  'Data leaks by risky users',
  'General security policy violations',
  'Security policy violations by departing users',
] as const;

/** Template of a policy whose export names no template. */
export const UNKNOWN_TEMPLATE = 'Unknown';

/**
 * The template a policy name mentions (`Data leaks by priority users (R&D)`
 * is a *Data leaks by priority users* policy). Office 365 and Graph exports
 * carry the policy name only, so a name that mentions none gets `Unknown`.
 */
export const templateFromName = (name: string): string => {
  const lower = name.toLowerCase();
  const longestFirst = [...POLICY_TEMPLATES].sort(
    (a, b) => b.length - a.length,
  );

  return (
    longestFirst.find((template) => lower.includes(template.toLowerCase())) ??
    UNKNOWN_TEMPLATE
  );
};

/** A CERT red-team scenario and the policy its alerts are filed under. */
export interface CertScenario {
  readonly policy: Policy;
  /** Short description, used as the alert title. */
  readonly summary: string;
}

const scenario = (
  number: number,
  name: string,
  template: (typeof POLICY_TEMPLATES)[number],
  summary: string,
): CertScenario => ({
  policy: { policyId: `cert-scenario-${number}`, name, template },
  summary,
});

/**
 * The five red-team scenarios of the CERT insider threat data set
 * (answers/scenarios.txt), each mapped to the IRM template whose
 * indicators would raise it.
 */
export const CERT_SCENARIOS: Readonly<Record<string, CertScenario>> = {
  '1': scenario(
    1,
    'CERT 1: Leaks by departing users',
    'Data theft by departing users',
    'After-hours logons, removable drive use and uploads to a leak site before leaving',
  ),
  '2': scenario(
    2,
    'CERT 2: Data theft before joining a competitor',
    'Data theft by departing users',
    'Job site browsing, then thumb drive copying well above the usual rate before leaving',
  ),
  '3': scenario(
    3,
    'CERT 3: Sabotage by a departing administrator',
    'Security policy violations by departing users',
    "Keylogger planted on a supervisor's machine, then a mass email sent as the supervisor",
  ),
  '4': scenario(
    4,
    "CERT 4: Snooping on colleagues' files",
    'General data leaks',
    "Logons to colleagues' machines and their files emailed to a home address",
  ),
  '5': scenario(
    5,
    'CERT 5: Uploads after layoffs',
    'Data leaks by risky users',
    'Documents uploaded to cloud storage by a member of a group hit by layoffs',
  ),
};
