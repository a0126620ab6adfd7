import type { AlertStatus, Severity } from '../../functions/domain/model.js';

/** The alert formats an import reads, each a source of its own cases. */
export const ALERT_FORMATS = {
  office365: 'Office 365 Management Activity records (record type 40)',
  graph: 'Microsoft Graph security alerts_v2',
  certAnswers: 'CERT insider threat answers',
} as const;
/** One of the alert formats, as drafts and case ids name it. */
export type AlertFormat = keyof typeof ALERT_FORMATS;

/** The policy an alert names: an id when the export has one, and a name. */
export interface PolicyRef {
  readonly policyId?: string;
  readonly name: string;
  /** Known only when the import defines the policy itself. */
  readonly template?: string;
}

/** An alert read from a file, before its user and policy are looked up. */
export interface AlertDraft {
  readonly format: AlertFormat;
  /** `line 3` or `record 3`: where the row was in its file. */
  readonly where: string;
  readonly alertId: string;
  /** Ids or UPNs that may name the user, most telling first. */
  readonly userRefs: readonly string[];
  readonly policy: PolicyRef;
  readonly severity: Severity;
  readonly status: AlertStatus;
  readonly detectedAt: string;
  /** When this version of the alert was written: the latest one wins. */
  readonly observedAt: string;
  readonly title?: string;
  /** When the user entered the policy's scope, if the file says. */
  readonly addedToPolicyAt?: string;
}

/** A draft, or the reason a record cannot become one. */
export type DraftResult = { draft: AlertDraft } | { reason: string };

const SEVERITY_NAMES: Readonly<Record<string, Severity>> = {
  high: 'High',
  medium: 'Medium',
  low: 'Low',
  informational: 'Low',
};

/** High, Medium and Low in any case; Graph's informational counts as Low. */
export const mapSeverity = (text: string): Severity | undefined =>
  SEVERITY_NAMES[text.trim().toLowerCase()];

/** Office 365 alert statuses, in Insider Risk Management's terms. */
const OFFICE365_STATUSES: Readonly<Record<string, AlertStatus>> = {
  active: 'NeedsReview',
  investigating: 'Confirmed',
  resolved: 'Resolved',
  dismissed: 'Dismissed',
};

/** Graph alert statuses, in Insider Risk Management's terms. */
const GRAPH_STATUSES: Readonly<Record<string, AlertStatus>> = {
  new: 'NeedsReview',
  inprogress: 'Confirmed',
  resolved: 'Resolved',
};

/** Active, Investigating, Resolved, Dismissed (any case). */
export const mapOffice365Status = (text: string): AlertStatus | undefined =>
  OFFICE365_STATUSES[text.trim().toLowerCase()];

/** new, inProgress, resolved (any case). */
export const mapGraphStatus = (text: string): AlertStatus | undefined =>
  GRAPH_STATUSES[text.trim().toLowerCase()];

/**
 * Keeps one draft per alert id. Office 365 logs a record on every change
 * of an alert: the latest (by `observedAt`, then file order) gives the
 * alert's state, the earliest its detection time.
 */
export const latestVersions = (drafts: readonly AlertDraft[]): AlertDraft[] => {
  const byId = new Map<string, AlertDraft>();
  for (const draft of drafts) {
    const seen = byId.get(draft.alertId);
    if (seen === undefined) {
      byId.set(draft.alertId, draft);
      continue;
    }
    const latest = draft.observedAt >= seen.observedAt ? draft : seen;
    const detectedAt =
      draft.detectedAt.localeCompare(seen.detectedAt) < 0
        ? draft.detectedAt
        : seen.detectedAt;
    byId.set(draft.alertId, { ...latest, detectedAt });
  }

  return [...byId.values()];
};
