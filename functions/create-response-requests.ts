import { z } from 'zod';
import { actionHandler, parseInput } from './domain/action.js';
import { requireCase } from './domain/cases.js';
import { requireFlow } from './domain/flows.js';
import { idSchema } from './domain/model.js';
import { createResponseRequests } from './domain/responses.js';
import { requestInfoSettings } from './domain/templates.js';

const HOUR_SECONDS = 3600;

const input = z.object({
  runId: idSchema,
  flowId: idSchema,
  flowVersion: z.string().min(1),
  caseId: idSchema,
  startedBy: z.string().min(1),
});

/**
 * Create response requests. Input `{ runId, flowId, flowVersion, caseId,
 * startedBy }`; output `{ requests: [{ requestId }], count,
 * reminderAfterSeconds, deadlineAfterSeconds }`, one request per stakeholder
 * of the flow version, and the two waits that follow (the second counts from
 * the reminder). A retry creates nothing new. Link tokens never leave the
 * function.
 */
export const handler = actionHandler(input, async (source) => {
  await requireCase(source.caseId);
  const flow = await requireFlow(source.flowId, source.flowVersion);
  const settings = parseInput(
    requestInfoSettings,
    flow.settings,
    `settings of flow ${source.flowId}`,
  );
  const requests = await createResponseRequests(
    { ...source, settings },
    new Date(),
  );

  return {
    requests: requests.map(({ requestId }) => ({ requestId })),
    count: requests.length,
    reminderAfterSeconds: settings.reminderAfterHours * HOUR_SECONDS,
    deadlineAfterSeconds:
      (settings.deadlineAfterHours - settings.reminderAfterHours) *
      HOUR_SECONDS,
  };
});
