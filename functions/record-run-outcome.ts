import { z } from 'zod';
import { actionHandler } from './domain/action.js';
import { recordRunOutcome } from './domain/outcomes.js';

const input = z.object({
  runId: z.string().min(1),
  status: z.enum(['SUCCEEDED', 'FAILED']),
  outcome: z.string().max(2_000).optional(),
  error: z
    .object({ Error: z.string(), Cause: z.string().optional() })
    .optional(),
});

/**
 * Record run outcome. Input `{ runId, status, outcome? , error? }` where
 * `error` is what a Catch puts at its ResultPath. Output `{ recorded }`.
 * A failed case flow also leaves a case note saying why.
 */
export const handler = actionHandler(input, (request) =>
  recordRunOutcome(request),
);
