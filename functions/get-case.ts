import { z } from 'zod';
import { actionHandler } from './domain/action.js';
import { countCaseAlerts, requireCase } from './domain/cases.js';
import { idSchema } from './domain/model.js';
import { presentOutput } from './domain/pseudonymise.js';

const input = z.object({ caseId: idSchema });

/**
 * Get case. Input `{ caseId }`; output `{ case }` with its `alertCount`;
 * its user by alias while pseudonymisation is on.
 */
export const handler = actionHandler(input, async ({ caseId }) => {
  const found = await requireCase(caseId);
  const alertCount = await countCaseAlerts(caseId);

  return presentOutput({ case: { ...found, alertCount } });
});
