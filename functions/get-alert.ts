import { z } from 'zod';
import { actionHandler } from './domain/action.js';
import { requireAlert } from './domain/cases.js';
import { idSchema } from './domain/model.js';

const input = z.object({ alertId: idSchema });

/** Get alert. Input `{ alertId }`; output `{ alert }`. */
export const handler = actionHandler(input, async ({ alertId }) => ({
  alert: await requireAlert(alertId),
}));
