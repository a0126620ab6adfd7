import { z } from 'zod';
import { idSchema } from '../../functions/domain/model.js';
import {
  type DraftResult,
  mapGraphStatus,
  mapSeverity,
} from './alert-drafts.js';
import { parseIsoDateTime } from './dates.js';
import { describeIssues } from './report.js';

/*
 * Microsoft Graph `security/alerts_v2`. Insider risk alerts have
 * detectionSource microsoftInsiderRiskManagement and name their user in a
 * userEvidence. Graph carries no policy id: the title names the policy.
 */

const IRM_SOURCE = 'microsoftInsiderRiskManagement';
const USER_EVIDENCE = '#microsoft.graph.security.userEvidence';

const evidence = z.looseObject({
  '@odata.type': z.string().optional(),
  userAccount: z
    .looseObject({
      userPrincipalName: z.string().nullish(),
      accountName: z.string().nullish(),
    })
    .nullish(),
});

const alert = z.object({
  id: idSchema,
  title: z.string().trim().min(1, 'must name the policy').max(400),
  severity: z.string(),
  status: z.string(),
  createdDateTime: z.string(),
  lastUpdateDateTime: z.string().nullish(),
  detectionSource: z.string().nullish(),
  evidence: z.array(z.unknown()).nullish(),
});

/** Whether a JSON record looks like a Graph security alert. */
export const looksLikeGraphAlert = (value: unknown): boolean =>
  typeof value === 'object' &&
  value !== null &&
  ('detectionSource' in value || 'createdDateTime' in value);

/** The UPNs (else account names) of an alert's user evidence. */
export const usersInEvidence = (items: readonly unknown[]): string[] =>
  items.flatMap((item) => {
    const parsed = evidence.safeParse(item);
    if (!parsed.success || parsed.data['@odata.type'] !== USER_EVIDENCE) {
      return [];
    }
    const account = parsed.data.userAccount;

    return [account?.userPrincipalName, account?.accountName].filter(
      (name): name is string => typeof name === 'string' && name !== '',
    );
  });

/** Reads one Graph alert into an alert draft, or says why not. */
export const readGraphAlert = (value: unknown, where: string): DraftResult => {
  const parsed = alert.safeParse(value);
  if (!parsed.success) return { reason: describeIssues(parsed.error) };
  const source = parsed.data.detectionSource;
  if (source !== IRM_SOURCE) {
    return {
      reason: `detectionSource ${source ?? '(none)'} is not ${IRM_SOURCE}`,
    };
  }

  return draftOf(parsed.data, where);
};

const draftOf = (graph: z.infer<typeof alert>, where: string): DraftResult => {
  const severity = mapSeverity(graph.severity);
  const status = mapGraphStatus(graph.status);
  const createdAt = parseIsoDateTime(graph.createdDateTime);
  const updatedAt = parseIsoDateTime(graph.lastUpdateDateTime ?? '');
  const userRefs = usersInEvidence(graph.evidence ?? []);
  const problems = [
    severity
      ? ''
      : `severity "${graph.severity}" is not low, medium, high or informational`,
    status ? '' : `status "${graph.status}" is not new, inProgress or resolved`,
    createdAt
      ? ''
      : `createdDateTime "${graph.createdDateTime}" is not an ISO time`,
    userRefs.length > 0 ? '' : 'no userEvidence names a user',
  ].filter((problem) => problem !== '');
  if (!severity || !status || !createdAt || problems.length > 0) {
    return { reason: problems.join('; ') };
  }

  return {
    draft: {
      format: 'graph',
      where,
      alertId: graph.id,
      userRefs,
      policy: { name: graph.title },
      severity,
      status,
      detectedAt: createdAt,
      observedAt: updatedAt ?? createdAt,
      title: graph.title,
    },
  };
};
