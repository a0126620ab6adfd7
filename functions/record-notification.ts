import { z } from 'zod';
import { actionHandler } from './domain/action.js';
import { idSchema } from './domain/model.js';
import { recordNotification } from './domain/notifications.js';

const input = z.object({
  runId: idSchema,
  flowId: idSchema,
  messageKey: z.string().min(1).max(300),
  userId: idSchema,
  policyId: idSchema.optional(),
  caseId: idSchema.optional(),
  recipient: z.string().min(1).max(320),
  messageId: z.string().min(1),
  sentAt: z.iso.datetime({ offset: true }),
});

/**
 * Record a sent notification for tracking. Input `{ runId, flowId,
 * messageKey, userId, policyId?, caseId?, recipient, messageId, sentAt }`;
 * output `{ recorded }`, false when a retried step finds it recorded.
 */
export const handler = actionHandler(input, async (notification) => ({
  recorded: await recordNotification(notification, new Date().toISOString()),
}));
