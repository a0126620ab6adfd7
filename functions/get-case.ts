import { z } from 'zod';
import { actionHandler } from './domain/action.js';
import { countCaseAlerts, requireCase } from './domain/cases.js';
import { idSchema } from './domain/model.js';

const input = z.object({ caseId: idSchema });

/** Get case. Input `{ caseId }`; output `{ case }` with its `alertCount`. */
export const handler = actionHandler(input, async ({ caseId }) => {
  const found = await requireCase(caseId);
  const alertCount = await countCaseAlerts(caseId);

  return { case: { ...found, alertCount } };
});
