import { z } from 'zod';

/** Role groups as Microsoft Purview Insider Risk Management names them. */
export const ROLE_GROUPS = [
  'InsiderRiskManagement',
  'InsiderRiskManagementAdmins',
  'InsiderRiskManagementAnalysts',
  'InsiderRiskManagementInvestigators',
  'InsiderRiskManagementAuditors',
  'InsiderRiskManagementApprovers',
] as const;
export type RoleGroup = (typeof ROLE_GROUPS)[number];

export const SEVERITIES = ['High', 'Medium', 'Low'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const ALERT_STATUSES = [
  'NeedsReview',
  'Confirmed',
  'Dismissed',
  'Resolved',
] as const;
export type AlertStatus = (typeof ALERT_STATUSES)[number];

export const CASE_STATUSES = ['Active', 'Closed'] as const;
export type CaseStatus = (typeof CASE_STATUSES)[number];

export const RISK_LEVELS = ['none', 'minor', 'moderate', 'elevated'] as const;

/** The person under a policy, as the directory knows them. */
export interface User {
  readonly userId: string;
  readonly displayName: string;
  readonly email: string;
  readonly jobTitle?: string;
  readonly businessUnit?: string;
  readonly functionalUnit?: string;
  readonly department?: string;
  readonly team?: string;
  readonly projects?: string;
  readonly managerId?: string;
  readonly riskLevel: (typeof RISK_LEVELS)[number];
  /** Set while the user has an Active case; guards against opening two. */
  readonly activeCaseId?: string;
  /** The pseudonym shown while privacy is on; stored so it can be looked up. */
  readonly alias?: string;
}

export interface Policy {
  readonly policyId: string;
  readonly name: string;
  readonly template: string;
}

export interface PolicyMember {
  readonly policyId: string;
  readonly userId: string;
  readonly addedAt: string;
  readonly addedBy: string;
}

export interface Alert {
  readonly alertId: string;
  readonly userId: string;
  readonly policyId: string;
  readonly policyName: string;
  readonly severity: Severity;
  readonly status: AlertStatus;
  readonly detectedAt: string;
  readonly title?: string;
  readonly caseId?: string;
}

export interface Case {
  readonly caseId: string;
  readonly name: string;
  readonly status: CaseStatus;
  readonly userId: string;
  readonly openedAt: string;
  readonly updatedAt: string;
  readonly updatedBy: string;
  readonly outcome?: 'Benign' | 'ConfirmedPolicyViolation';
  readonly actionTaken?: string;
}

/** Who wrote a note: a person, or a flow together with the person who ran it. */
export interface NoteAuthor {
  readonly kind: 'person' | 'flow';
  readonly userId: string;
  readonly flowId?: string;
  readonly runId?: string;
}

export interface Note {
  readonly caseId: string;
  readonly noteKey: string;
  readonly text: string;
  readonly author: NoteAuthor;
  /** Where the note came from: `api`, `flow`, `response`, `import`... */
  readonly source: string;
  readonly createdAt: string;
}

/** The person calling the API, from the JWT's claims. */
export interface Actor {
  readonly userId: string;
  readonly groups: readonly RoleGroup[];
}

export const severityRank = (severity: Severity): number =>
  SEVERITIES.indexOf(severity);

/** Ids from import files and callers: printable, bounded, no separators. */
export const idSchema = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(200, 'must be at most 200 characters')
  .regex(/^[^\s#/\\?]+$/, 'must not contain spaces, #, /, \\ or ?');

/** Control characters (C0, DEL, C1) and the Unicode line separators. */
const ANY_CONTROL = /[\p{Cc}\u2028\u2029]/u;
/** The same, except line feed and tab, which a multi-line text may hold. */
const CONTROL_BUT_LINE_FEED_AND_TAB = /[^\P{Cc}\n\t]|[\u2028\u2029]/u;
/**
 * A surrogate that is not part of a pair: the same test as
 * `String.prototype.isWellFormed`, which the ES2023 lib this project
 * compiles against does not declare.
 */
const LONE_SURROGATE = /\p{Cs}/u;

const trimmedText = (max: number, min: number) =>
  z
    .string()
    .trim()
    .min(min, 'must not be empty')
    .max(max, `must be at most ${max} characters`)
    .refine((text) => !LONE_SURROGATE.test(text), {
      message:
        'must be well-formed Unicode: remove the broken character ' +
        '(a lone UTF-16 surrogate)',
    });

/**
 * Text of one line, trimmed, without any control character (no line
 * breaks, tabs, NUL or ESC): names, subjects, answer options. Such text
 * goes into email headers and one-line displays, where a line break could
 * start a header of its own.
 *
 * @example
 * z.object({ subject: singleLineText(200) })
 */
export const singleLineText = (max: number, min = 1) =>
  trimmedText(max, min).refine((text) => !ANY_CONTROL.test(text), {
    message:
      'must be one line of text: remove line breaks, tabs and control ' +
      'characters such as NUL or ESC',
  });

/**
 * Whether the text holds a control character other than a line feed or a
 * tab: what multi-line text refuses.
 */
export const hasStrayControl = (text: string): boolean =>
  CONTROL_BUT_LINE_FEED_AND_TAB.test(text);

/**
 * Text of several lines, trimmed: line feeds (`\n`) and tabs are kept, and
 * every other control character (carriage returns too) is refused.
 *
 * @example
 * z.object({ message: multiLineText(5_000) })
 */
export const multiLineText = (max: number, min = 1) =>
  trimmedText(max, min).refine((text) => !hasStrayControl(text), {
    message:
      'must not contain control characters: use \\n for line breaks ' +
      '(not \\r) and remove characters such as NUL or ESC',
  });
