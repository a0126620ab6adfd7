import { z } from 'zod';
import { actionHandler } from './domain/action.js';
import { idSchema } from './domain/model.js';
import {
  closeRequestsOfRun,
  listRequestsOfRun,
  summariseResponses,
} from './domain/responses.js';

const input = z.object({ runId: idSchema, close: z.boolean().optional() });

/**
 * Check responses. Input `{ runId, close? }`; output `{ pending:
 * [{ requestId }], pendingCount, answeredCount, unansweredText }`, where
 * `unansweredText` names who never answered, or is empty when everyone did.
 * With `close: true` (the deadline) the requests still unanswered are
 * closed first: their links expire, and the ones listed as unanswered are
 * exactly the ones closed.
 */
export const handler = actionHandler(input, async ({ runId, close }) =>
  summariseResponses(
    close
      ? await closeRequestsOfRun(runId, new Date())
      : await listRequestsOfRun(runId),
  ),
);
