import { z } from 'zod';
import { actionHandler } from './domain/action.js';
import { listAllCaseAlerts } from './domain/cases.js';
import { idSchema, SEVERITIES, severityRank } from './domain/model.js';

/*
 * At most 500 alerts are returned in the state output: with about 200 bytes
 * each that stays far below Step Functions' 256 KB limit. `total` always
 * counts all of them.
 */
const MAX_RETURNED = 500;

const input = z.object({
  caseId: idSchema,
  severity: z.enum(SEVERITIES).optional(),
  maxAlerts: z.number().int().min(0).max(MAX_RETURNED).default(MAX_RETURNED),
});

/**
 * Get alerts for a case. Input `{ caseId, severity?, maxAlerts? }`; output
 * `{ caseId, total, returned, alerts }`, highest severity first, then most
 * recent. Reads every page of the case's alerts, however many.
 */
export const handler = actionHandler(input, async (request) => {
  const all = await listAllCaseAlerts(request.caseId);
  const matching = all
    .filter((a) => !request.severity || a.severity === request.severity)
    .sort(
      (a, b) =>
        severityRank(a.severity) - severityRank(b.severity) ||
        b.detectedAt.localeCompare(a.detectedAt),
    );
  const alerts = matching.slice(0, request.maxAlerts).map((a) => ({
    alertId: a.alertId,
    policyName: a.policyName,
    severity: a.severity,
    status: a.status,
    detectedAt: a.detectedAt,
  }));

  return {
    caseId: request.caseId,
    total: matching.length,
    returned: alerts.length,
    alerts,
  };
});
