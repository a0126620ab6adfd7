import { z } from 'zod';
import { actionHandler } from './domain/action.js';
import { idSchema } from './domain/model.js';
import { assertIdentityMayBeRevealed } from './domain/privacy.js';

const input = z.object({ runId: idSchema, flowId: idSchema });

/**
 * Check privacy, the first step of the templates that email a user, a
 * manager or HR. Input `{ runId, flowId }`; output `{ pseudonymise: false }`.
 * Throws PrivacyStopError while pseudonymisation is on, so that the run
 * stops before anything identifying is sent and its error says why.
 */
export const handler = actionHandler(input, async () => {
  await assertIdentityMayBeRevealed();

  return { pseudonymise: false };
});
