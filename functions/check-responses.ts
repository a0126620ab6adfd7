import { z } from 'zod';
import { actionHandler } from './domain/action.js';
import { idSchema } from './domain/model.js';
import { listRequestsOfRun, summariseResponses } from './domain/responses.js';

const input = z.object({ runId: idSchema });

/**
 * Check responses. Input `{ runId }`; output `{ pending: [{ requestId }],
 * pendingCount, answeredCount, unansweredText }`, where `unansweredText`
 * names who never answered, or is empty when everyone did.
 */
export const handler = actionHandler(input, async ({ runId }) =>
  summariseResponses(await listRequestsOfRun(runId)),
);
