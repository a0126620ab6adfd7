import { z } from 'zod';
import { idSchema } from '../../functions/domain/model.js';
import {
  type DraftResult,
  mapOffice365Status,
  mapSeverity,
} from './alert-drafts.js';
import { parseIsoDateTime } from './dates.js';
import { describeIssues } from './report.js';

/*
 * Office 365 Management Activity API, Security and Compliance Alerts schema
 * (record type 40). Insider risk alerts carry Category InsiderRiskManagement,
 * Name = the policy name, and a Data blob (a JSON string) naming the user.
 */

const IRM_RECORD_TYPE = 40;
const IRM_CATEGORY = 'insiderriskmanagement';

/**
 * Keys of the Data blob that may name the user, most telling first. The
 * export documents "the unique user ID, user principal name"; alert
 * records seen in the wild name users in `f3u` (first users), `eid`
 * (entity id) and `suid`.
 */
const USER_KEYS = [
  'upn',
  'userPrincipalName',
  'UserPrincipalName',
  'f3u',
  'eid',
  'suid',
  'uid',
  'userId',
  'UserId',
] as const;

const record = z.object({
  AlertId: idSchema,
  PolicyId: idSchema.optional(),
  Name: z.string().trim().min(1, 'must name the policy').max(400),
  Severity: z.string(),
  Status: z.string(),
  CreationTime: z.string(),
  Data: z.string().optional(),
});

/** Whether a JSON record looks like an Office 365 audit record. */
export const looksLikeOffice365 = (value: unknown): boolean =>
  typeof value === 'object' &&
  value !== null &&
  ('RecordType' in value || 'AlertId' in value);

const isInsiderRiskAlert = (value: object): boolean => {
  const { RecordType, Category } = value as Record<string, unknown>;

  return (
    Number(RecordType) === IRM_RECORD_TYPE &&
    String(Category).toLowerCase() === IRM_CATEGORY
  );
};

/** The users a Data blob names, split where a key lists several. */
export const usersInData = (data: string | undefined): string[] => {
  if (data === undefined) return [];
  let blob: unknown;
  try {
    blob = JSON.parse(data);
  } catch {
    return [];
  }
  if (typeof blob !== 'object' || blob === null) return [];
  const values = USER_KEYS.map((key) => (blob as Record<string, unknown>)[key]);

  return values
    .filter((value): value is string => typeof value === 'string')
    .flatMap((value) => value.split(/[,;]/))
    .map((value) => value.trim())
    .filter((value) => value !== '');
};

/** Reads one Office 365 record into an alert draft, or says why not. */
export const readOffice365Record = (
  value: unknown,
  where: string,
): DraftResult => {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { reason: 'is not a JSON object' };
  }
  if (!isInsiderRiskAlert(value)) {
    const { RecordType, Category } = value as Record<string, unknown>;

    return {
      reason:
        `record type ${String(RecordType)}, category ${String(Category)} is ` +
        'not an insider risk alert (RecordType 40, Category InsiderRiskManagement)',
    };
  }
  const parsed = record.safeParse(value);
  if (!parsed.success) return { reason: describeIssues(parsed.error) };

  return draftOf(parsed.data, where);
};

const draftOf = (alert: z.infer<typeof record>, where: string): DraftResult => {
  const severity = mapSeverity(alert.Severity);
  const status = mapOffice365Status(alert.Status);
  const createdAt = parseIsoDateTime(alert.CreationTime);
  const userRefs = usersInData(alert.Data);
  const problems = [
    severity ? '' : `Severity "${alert.Severity}" is not High, Medium or Low`,
    status
      ? ''
      : `Status "${alert.Status}" is not Active, Investigating, Resolved or Dismissed`,
    createdAt ? '' : `CreationTime "${alert.CreationTime}" is not an ISO time`,
    userRefs.length > 0
      ? ''
      : `Data names no user (keys ${USER_KEYS.join(', ')})`,
  ].filter((problem) => problem !== '');
  if (!severity || !status || !createdAt || problems.length > 0) {
    return { reason: problems.join('; ') };
  }

  return {
    draft: {
      format: 'office365',
      where,
      alertId: alert.AlertId,
      userRefs,
      policy: { policyId: alert.PolicyId, name: alert.Name },
      severity,
      status,
      detectedAt: createdAt,
      observedAt: createdAt,
    },
  };
};
